// Control-plane state gathered across workers, over two memory planes standing for worker 0 and
// worker 1: the totals a worker reports and their sum (metrics add it to worker 0's arrays,
// `adm -Z` leaves it monotonic), the rate estimators fed with it, the state file written from
// both tables and read back into the worker each client is steered to (connection sync across
// workers: sync-workers.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RateSampler } from '../../src/control/rates.js';
import { loggerFrom } from '../../src/log/logger.js';
import { createMetricsRegistry } from '../../src/metrics/prometheus.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { dumpTable, tableAdopter } from '../../src/sync/conn-sync.js';
import { restoreState, saveState } from '../../src/sync/director-ha.js';
import { adoptEntries } from '../../src/sync/state-file.js';
import { workerOfClient } from '../../src/workers/steering.js';
import { collectTotals, WorkerSums, type WorkerReport } from '../../src/workers/worker-totals.js';
import { clientSegment, FakeClock, memoryLab, RS, service, VIP, type MemoryLab } from '../support/memory-plane.js';
import { TCP_FLAGS } from '../support/packets.js';
import { parseExposition, valueOf } from '../support/prom-text.js';

const SVC = { protocol: 'tcp', vip: VIP, port: 80 };
/** Client addresses, each with the worker (of 2) the steering program gives it. */
const CLIENTS = Array.from({ length: 8 }, (_, i) => `198.18.1.${20 + i}`).map((ip) => ({ ip, worker: workerOfClient(parseIpv4(ip), 2) }));

async function connect(lab: MemoryLab, client: string, first: number, n: number): Promise<void> {
  for (let p = first; p < first + n; p++) lab.inject(clientSegment(p, TCP_FLAGS.SYN, client));
  for (let p = first; p < first + n; p++) lab.inject(clientSegment(p, TCP_FLAGS.ACK, client));
  await lab.settle();
}

function report(lab: MemoryLab): WorkerReport {
  return { stats: lab.stats(), totals: collectTotals(lab.plane) };
}

/** Two planes on one clock: workers 0 and 1 of 2, real servers resolved. */
async function twoWorkers(method: 'dr' | 'nat' = 'dr'): Promise<[MemoryLab, MemoryLab]> {
  const clock = new FakeClock();
  const labs = [await memoryLab(service(method), clock, { share: { workers: 2, index: 0 } }),
    await memoryLab(service(method), clock, { share: { workers: 2, index: 1 } })] as [MemoryLab, MemoryLab];
  for (const lab of labs) await lab.settle();
  return labs;
}

describe('state gathered across workers', () => {
  let labs: MemoryLab[] = [];
  afterEach(() => {
    for (const lab of labs) lab.plane.close();
    labs = [];
  });

  it('the clients of the test hash to both workers', () => {
    assert.ok(CLIENTS.some((c) => c.worker === 0) && CLIENTS.some((c) => c.worker === 1), JSON.stringify(CLIENTS));
  });

  it('metrics add worker 1\'s report to worker 0\'s counters: traffic, connections, drops, port counters', async () => {
    const [w0, w1] = await twoWorkers();
    labs = [w0, w1];
    await connect(w0, CLIENTS[0]!.ip, 40000, 10);
    await connect(w1, CLIENTS[1]!.ip, 41000, 7);
    // A segment of no connection: a counted drop on worker 1 only.
    w1.inject(clientSegment(50000, TCP_FLAGS.ACK, CLIENTS[1]!.ip));
    await w1.settle();
    const rates = new RateSampler(w0.clock);
    const others = report(w1);
    const registry = createMetricsRegistry({ plane: w0.plane, rates, up: () => true, others: () => new WorkerSums([others]) });
    const m = parseExposition(await registry.metrics());
    const s0 = w0.stats();
    const s1 = others.stats;
    assert.equal(valueOf(m, 'director_service_connections_total', SVC), 17);
    assert.equal(valueOf(m, 'director_service_packets_total', { ...SVC, direction: 'in' }), 34);
    assert.equal(valueOf(m, 'director_service_bytes_total', { ...SVC, direction: 'in' }), s0.services[0]!.inBytes + s1.services[0]!.inBytes);
    assert.equal(valueOf(m, 'director_service_active_connections', SVC), 17);
    const perServer = RS.map((address) => valueOf(m, 'director_real_server_active_connections',
      { ...SVC, server_address: address, server_port: 80, method: 'dr' }));
    assert.deepEqual(perServer, s0.services[0]!.realServers.map((d, i) => d.activeConns + s1.services[0]!.realServers[i]!.activeConns));
    assert.equal(valueOf(m, 'director_connections', {}), 17);
    assert.equal(valueOf(m, 'director_connection_table_capacity', {}), s0.limits.connTable.capacity + s1.limits.connTable.capacity);
    assert.equal(valueOf(m, 'director_drops_total', { reason: 'no_conn' }), (s0.drops.no_conn ?? 0) + (s1.drops.no_conn ?? 0));
    assert.equal(s1.drops.no_conn, 1);
    assert.equal(valueOf(m, 'director_port_rx_frames_total', { port: 'mem0', kind: s0.port.kind }), s0.port.rxFrames + s1.port.rxFrames);
    assert.equal(valueOf(m, 'director_port_tx_frames_total', { port: 'mem0', kind: s0.port.kind }), s0.port.txFrames + s1.port.txFrames);
  });

  it('a worker reports totals, so adm -Z on it leaves the summed Prometheus counters where they were', async () => {
    const [w0, w1] = await twoWorkers();
    labs = [w0, w1];
    await connect(w1, CLIENTS[1]!.ip, 41000, 5);
    const { serviceCounters } = w1.plane.table.registry;
    serviceCounters.zero(w1.plane.table.services[0]!.id);
    const sums = new WorkerSums([report(w1), report(w1)]);
    assert.equal(sums.service(w0.plane.table.services[0]!).conns, 10, 'two reports of 5 connections each, since the start');
    assert.equal(w1.stats().services[0]!.conns, 0, 'the stats count from the zeroing');
    assert.equal(sums.connections, 10);
  });

  it('rate estimators count the other workers\' traffic (none on worker 0 here)', async () => {
    const [w0, w1] = await twoWorkers();
    labs = [w0, w1];
    const alone = new RateSampler(w0.clock);
    const gathered = new RateSampler(w0.clock);
    alone.sample(w0.plane.table);
    gathered.sample(w0.plane.table, new WorkerSums([report(w1)]));
    for (let round = 0; round < 5; round++) {
      await connect(w1, CLIENTS[1]!.ip, 42000 + round * 100, 20);
      w0.clock.ms += 2000;
      alone.sample(w0.plane.table);
      gathered.sample(w0.plane.table, new WorkerSums([report(w1)]));
    }
    const svc = w0.plane.table.services[0]!;
    assert.equal(alone.serviceRate(svc).cps, 0);
    assert.ok(gathered.serviceRate(svc).cps > 0, JSON.stringify(gathered.serviceRate(svc)));
    assert.ok(gathered.destRate(svc.sched.dests[0]!).inPps > 0);
  });

  it('the state file holds both tables, and each connection goes back to the worker its client is steered to', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'director-gather-'));
    try {
      const [old0, old1] = await twoWorkers('nat');
      const [new0, new1] = await twoWorkers('nat');
      labs = [old0, old1, new0, new1];
      const old = [old0, old1];
      for (const [i, c] of CLIENTS.entries()) await connect(old[c.worker]!, c.ip, 43000 + i * 10, 3);
      const want = [0, 1].map((w) => CLIENTS.filter((c) => c.worker === w).length * 3);
      assert.deepEqual([old0.plane.conns.size, old1.plane.conns.size], want);
      const file = path.join(dir, 'state');
      const lines: string[] = [];
      const log = loggerFrom((line) => void lines.push(line));
      saveState(old0.plane, old0.clock, { stateFile: file }, log, dumpTable(old1.plane, old1.clock));
      assert.match(lines.join('\n'), new RegExp(`wrote ${want[0]! + want[1]!} connections`));
      let handed = 0;
      await restoreState(new0.plane, { stateFile: file }, log, {
        size: 2,
        adopt: async (shares) => {
          assert.equal(shares.length, 2);
          assert.equal(shares[0]!.length, 0, 'worker 0 adopted its own share itself');
          handed = shares[1]!.length;
          return [adoptEntries(tableAdopter(new1.plane), shares[1]!)];
        },
      });
      assert.equal(handed, want[1]);
      assert.deepEqual([new0.plane.conns.size, new1.plane.conns.size], want);
      for (const [w, lab] of [new0, new1].entries()) {
        for (const e of lab.plane.conns.liveEntries()) assert.equal(workerOfClient(lab.plane.conns.caddr[e]!, 2), w);
      }
      assert.match(lines.join('\n'), new RegExp(`loaded ${want[0]! + want[1]!} connections and 0 templates`));
      // Each restored connection forwards on its worker: an established segment gets through.
      const c1 = CLIENTS.findIndex((c) => c.worker === 1);
      new1.inject(clientSegment(43000 + c1 * 10, TCP_FLAGS.ACK, CLIENTS[c1]!.ip));
      assert.equal((await new1.settle()).length, 1);
      assert.equal(new1.stats().drops.no_conn, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
