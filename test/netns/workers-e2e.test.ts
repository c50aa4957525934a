// Two workers end to end in a netns lab (needs root: creates network namespaces), in DR, NAT and
// FULLNAT: HTTP from eight client addresses through a director started with workers 2 (the
// interface's AF_PACKET socket a fanout group), every request answered, both workers carrying
// connections; stats, adm -L --stats, the connection listing and the metrics gathered over both;
// then a reload (a real server's weight changed) that both workers follow. `director run
// --workers 2` with adm over its control socket, and a restart with --state-file that keeps a
// held download of each worker's client.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import type { Director } from '../../src/director.js';
import { loadDirectorClass, startProcess, waitForVip } from '../../src/lab/director-runner.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import { runInNamespace } from '../../src/lab/process.js';
import { HTTP_PORT, runClient } from '../../src/lab/services.js';
import type { LabHandle } from '../../src/lab/topology.js';
import { workerOfClient } from '../../src/workers/steering.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { withLab, type LabFixture } from '../support/netns.js';
import { unexpectedDrops } from '../support/routed-e2e.js';
import { parseExposition, valueOf } from '../support/prom-text.js';
import { capture, freshClientPorts, numbers } from '../support/adm-director.js';
import { activeByServer, startDirector, statsOf, until as untilTrue, untilStalled } from '../support/ha-lab.js';
import { admMain } from '../../src/cli/adm.js';
import { NO_NAMES } from '../../src/adm/names.js';
import { CONTROL_DIR } from '../../src/control/socket-path.js';
import type { AdmConnection } from '../../src/adm/model.js';

/** Extra client addresses (the lab's client is .10): the workers split clients by address. */
const SOURCES = Array.from({ length: 8 }, (_, i) => `198.18.1.${20 + i}`);

async function addSources(lab: LabHandle): Promise<void> {
  for (const ip of SOURCES) {
    const r = await runInNamespace(lab.client.ns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', lab.client.ifname], 10_000);
    assert.equal(r.status.code, 0, r.stderr);
  }
}

/** `count` connections from each source; the answers per real server, summed. */
async function httpFromEverySource(lab: LabHandle, count: number): Promise<Record<string, number>> {
  // Fresh ports: a port reused within FIN_WAIT/TIME_WAIT would join or replace an entry, and
  // the workers' connection counts would come out one short.
  const firstPort = freshClientPorts(count);
  const results = await Promise.all(SOURCES.map((source) => runClient(lab.client.ns, 'http-client.js',
    ['count', '--target', `${lab.vip}:${HTTP_PORT}`, '--connections', String(count), '--source', source, '--first-port', String(firstPort), '--timeout', '30000'])));
  const counts: Record<string, number> = {};
  for (const r of results) {
    assert.ok(r.ok, JSON.stringify(r.result));
    for (const [name, n] of Object.entries(r.result.counts as Record<string, number>)) counts[name] = (counts[name] ?? 0) + n;
  }
  return counts;
}

/** The director's stats as plain JSON. */
function plain(d: Director): Record<string, unknown> {
  return JSON.parse(JSON.stringify(d.stats())) as Record<string, unknown>;
}

interface Share { index: number; connections: number; rxFrames: number; txFrames: number }

function shares(stats: Record<string, unknown>): Share[] {
  const w = stats.workers as Share[] | undefined;
  assert.ok(w, `stats have no workers: ${JSON.stringify(stats)}`);
  return w;
}

/** Waits for a condition on the director's stats (workers report once a second). */
async function until(get: () => Record<string, unknown>, ok: (s: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const s = get();
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: not within 15 s: ${JSON.stringify(s.workers)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function labConf(fx: LabFixture, weights?: number[]): string {
  const text = labKeepalivedConf(fx.lab, { udp: false });
  if (!weights) return text;
  let i = 0;
  return text.replace(/weight \d+/g, () => `weight ${weights[i++] ?? 1}`);
}

/** The lab's keepalived.conf in a temporary directory removed at the end of the test. */
function labConfFile(fx: LabFixture, tag: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `director-${tag}-${fx.lab.prefix}-`));
  fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keepalived.conf');
  writeFileSync(file, labConf(fx));
  return { dir, file };
}

for (const mode of ['dr', 'nat', 'fnat'] as const) {
  describe(`two workers, ${mode.toUpperCase()} (needs root: creates network namespaces)`, function () {
    this.timeout(180_000);
    const fx = withLab({ mode, servers: 3 });
    let director: Director | null = null;

    before(async function () {
      this.timeout(60_000);
      await addSources(fx.lab);
      const host = fx.lab.directors[0]!;
      const Director = await loadDirectorClass();
      const d = await Director.start({
        config: parseKeepalivedConfig(labConf(fx), 'lab.conf'), interface: host.ifname, netns: host.ns, localAddress: host.address, workers: 2,
      });
      director = d;
      fx.cleanup.first(() => d.stop());
      await waitForVip(fx.lab);
    });

    it('answers every request from eight clients, and both workers carry connections', async () => {
      const d = director!;
      const want = [0, 1].map((w) => SOURCES.filter((s) => workerOfClient(parseIpv4(s), 2) === w).length);
      assert.ok(want[0]! > 0 && want[1]! > 0, `the sources all hash to one worker: ${want.join('/')}`);
      const counts = await httpFromEverySource(fx.lab, 6);
      assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), SOURCES.length * 6, JSON.stringify(counts));
      assert.deepEqual(Object.keys(counts).sort(), ['rs1', 'rs2', 'rs3']);
      // Each worker holds the connections of its own clients (a worker's report is up to a second old).
      const stats = await until(() => plain(d), (s) => shares(s).every((w, i) => w.connections >= want[i]! * 6), 'each worker its clients\' connections');
      const [w0, w1] = shares(stats);
      assert.equal(stats.connections, w0!.connections + w1!.connections);
      const svc = (stats.services as Array<{ port: number; conns: number }>).find((s) => s.port === HTTP_PORT)!;
      assert.ok(svc.conns >= SOURCES.length * 6, `service conns ${svc.conns} (summed over workers)`);
      // adm -L / -S (the snapshot) counts both workers' connections too.
      const listed = d.snapshot().services.find((s) => s.port === HTTP_PORT)!;
      assert.ok(listed.realServers.reduce((n, rs) => n + rs.stats.conns, 0) >= SOURCES.length * 6, JSON.stringify(listed));
      assert.deepEqual(unexpectedDrops(stats), {}, JSON.stringify(stats));
    });

    it('gathers adm -L --stats, the connection listing (-L -c) and the metrics over both workers', async () => {
      const d = director!;
      const sent = SOURCES.length * 6;
      // Worker 1's share is in its last report (up to a second old): wait until it counts all.
      const stats = await until(() => plain(d), (s) => {
        const svc = (s.services as Array<{ port: number; conns: number }>).find((x) => x.port === HTTP_PORT)!;
        return svc.conns === sent;
      }, 'the service counting every connection the clients made');
      const listed = d.snapshot().services.find((x) => x.port === HTTP_PORT)!;
      assert.equal(listed.stats.conns, sent, 'adm -L --stats: the service\'s Conns');
      assert.equal(listed.realServers.reduce((n, rs) => n + rs.stats.conns, 0), sent, 'adm -L --stats: its real servers\' Conns');
      assert.equal(listed.realServers.reduce((n, rs) => n + rs.activeConns + rs.inactConns, 0), stats.connections,
        'adm -L: ActiveConn + InActConn is both workers\' tables');
      const rows: AdmConnection[] = [];
      for await (const page of d.connections()) rows.push(...page);
      assert.equal(rows.length, stats.connections, 'adm -L -c lists every entry of both tables');
      const clients = new Set(rows.map((r) => r.client.address));
      assert.deepEqual([...clients].sort(), [...SOURCES].sort(), 'the clients of both workers are listed');
      const m = parseExposition(await d.metrics());
      const svc = { protocol: 'tcp', vip: fx.lab.vip, port: HTTP_PORT };
      assert.equal(valueOf(m, 'director_service_connections_total', svc), sent);
      assert.equal(valueOf(m, 'director_connections', {}), stats.connections);
      assert.equal(valueOf(m, 'director_service_active_connections', svc) + valueOf(m, 'director_service_inactive_connections', svc),
        stats.connections);
      const [w0, w1] = shares(stats);
      assert.ok(w0!.connections > 0 && w1!.connections > 0, JSON.stringify(stats.workers));
    });

    it('follows a reload on both workers (a weight of 0 takes a real server out) and carries traffic after it', async () => {
      const d = director!;
      const r = await d.reload(parseKeepalivedConfig(labConf(fx, [1, 1, 0]), 'lab.conf'));
      assert.ok(r.ok, r.error);
      // A worker applies the install as its next message: traffic right after must already see it.
      const deadline = Date.now() + 10_000;
      let counts: Record<string, number> = {};
      do {
        counts = await httpFromEverySource(fx.lab, 3);
      } while (counts.rs3 !== undefined && Date.now() < deadline);
      assert.equal(counts.rs3, undefined, `rs3 (weight 0) still chosen: ${JSON.stringify(counts)}`);
      assert.equal((counts.rs1 ?? 0) + (counts.rs2 ?? 0), SOURCES.length * 3);
      assert.deepEqual(unexpectedDrops(plain(d)), {});
    });
  });
}

describe('director run --workers 2, DR (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 3 });

  it('starts two workers and spreads clients over them', async () => {
    await addSources(fx.lab);
    const { file } = labConfFile(fx, 'workers');
    const d = startProcess(fx.lab, file, fx.cleanup, { args: ['--workers', '2'] });
    fx.cleanup.first(() => d.stop());
    await waitForVip(fx.lab, d);
    const counts = await httpFromEverySource(fx.lab, 4);
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), SOURCES.length * 4);
    const stats = await until(() => (d.stats() ?? {}) as Record<string, unknown>,
      (s) => s.workers !== undefined && shares(s).every((w) => w.connections > 0), 'connections on both workers');
    assert.equal(shares(stats).length, 2);
    assert.deepEqual(unexpectedDrops(stats), {}, JSON.stringify(stats));
    // adm over the control socket: --stats counts every connection, -c lists both workers' clients.
    const socket = path.join(CONTROL_DIR, `${fx.lab.directors[0]!.ns}.sock`);
    fx.cleanup.atEnd(() => rmSync(socket, { force: true }));
    const adm = async (...argv: string[]): Promise<string> => {
      const io = capture();
      assert.equal(await admMain([...argv, '--control', socket], io, NO_NAMES), 0, io.stderr.join('\n'));
      return io.stdout.join('\n');
    };
    const sent = SOURCES.length * 4;
    // Worker 1's counters reach the main thread once a second.
    const deadline = Date.now() + 15_000;
    let conns = numbers(await adm('-L', '-n', '--stats', '--exact'), `TCP ${fx.lab.vip}:${HTTP_PORT}`)[0]!;
    while (conns !== sent && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      conns = numbers(await adm('-L', '-n', '--stats', '--exact'), `TCP ${fx.lab.vip}:${HTTP_PORT}`)[0]!;
    }
    assert.equal(conns, sent, 'adm -L --stats: Conns of the service over both workers');
    const listing = (await adm('-L', '-n', '-c')).split('\n').filter((l) => l.startsWith('TCP '));
    const clients = new Set(listing.map((l) => /\s(198\.18\.1\.\d+):\d+\s/.exec(l)?.[1]));
    assert.deepEqual([...clients].sort(), [...SOURCES].sort(), listing.join('\n'));
  });
});

describe('restart with --state-file and two workers, NAT (needs root: creates network namespaces)', function () {
  this.timeout(150_000);
  const fx = withLab({ mode: 'nat', servers: 2 });

  it('a download held open by a client of each worker completes across a restart', async () => {
    await addSources(fx.lab);
    const { dir, file: conf } = labConfFile(fx, 'wrestart');
    const state = path.join(dir, 'state');
    const hold = path.join(dir, 'release');
    const args = ['--workers', '2', '--state-file', state];
    // One client of each worker (the steering hash of its address).
    const sources = [0, 1].map((w) => SOURCES.find((s) => workerOfClient(parseIpv4(s), 2) === w)!);
    const bytes = 32_000_000;
    const first = await startDirector(fx.lab, 0, conf, args, fx.cleanup);
    await waitForVip(fx.lab);
    const downloads = sources.map((source, i) => runClient(fx.lab.client.ns, 'http-client.js', ['download', '--target', `${fx.lab.vip}:${HTTP_PORT}`,
      '--bytes', String(bytes), '--seed', String(i + 1), '--hold', hold, '--hold-at', '1000000', '--source', source, '--timeout', '60000'], 70_000));
    await untilTrue('an established connection on each worker', () => {
      const w = (statsOf(first).workers ?? []);
      return Object.values(activeByServer(first)).reduce((a, b) => a + b, 0) === 2 && w.length === 2 && w.every((x) => x.connections === 1);
    });
    await untilStalled(first);
    await first.stop(5000);
    assert.match(first.stderr, /state: wrote 2 connections and templates to /);
    const second = await startDirector(fx.lab, 0, conf, args, fx.cleanup);
    assert.match(second.stderr, /state: loaded 2 connections and 0 templates from /);
    writeFileSync(hold, '');
    const results = await Promise.all(downloads);
    for (const r of results) {
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.equal(r.result.bytes, bytes);
    }
    const after = statsOf(second);
    assert.deepEqual(unexpectedDrops(after as Record<string, unknown>), {}, JSON.stringify(after));
    await second.stop(5000);
  });
});
