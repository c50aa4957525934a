// The Prometheus metrics of a director on a memory port: family names, types and labels, values
// equal to what was sent and to stats(), every drop reason, port and table figures, estimator
// rates, health and weights, and a removed real server listed while it drains, gone once reaped.
import assert from 'node:assert/strict';
import { RateSampler } from '../../src/control/rates.js';
import { DropReason } from '../../src/datapath/drop-reasons.js';
import { ServiceTable, type RuntimeDest } from '../../src/datapath/service-table.js';
import { createMetricsRegistry } from '../../src/metrics/prometheus.js';
import { CLIENT, DIRECTOR_MAC, labConfig, memoryLab, ROUTER_MAC, RS, service, VIP, type MemoryLab } from '../support/memory-plane.js';
import { tcpFrame, TCP_FLAGS } from '../support/packets.js';
import { parseExposition, select, valueOf, type Exposition } from '../support/prom-text.js';

const SVC = { protocol: 'tcp', vip: VIP, port: 80 };
const rsLabels = (i: number) => ({ ...SVC, server_address: RS[i]!, server_port: 80, method: 'dr' });

function segment(cport: number, flags: number): Buffer {
  return tcpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP }, tcp: { srcPort: cport, dstPort: 80, flags, seq: 1 } });
}

/** n connections (SYN, then ACK) from client ports first.. */
async function connect(lab: MemoryLab, first: number, n: number): Promise<void> {
  for (let p = first; p < first + n; p++) lab.inject(segment(p, TCP_FLAGS.SYN));
  for (let p = first; p < first + n; p++) lab.inject(segment(p, TCP_FLAGS.ACK));
  await lab.settle();
}

interface Rig {
  lab: MemoryLab;
  rates: RateSampler;
  down: Set<RuntimeDest>;
  scrape(): Promise<Exposition>;
}

async function rig(): Promise<Rig> {
  const lab = await memoryLab(service('dr'));
  await lab.settle();
  const rates = new RateSampler(lab.clock);
  rates.sample(lab.plane.table);
  const down = new Set<RuntimeDest>();
  const registry = createMetricsRegistry({ plane: lab.plane, rates, up: (d) => !down.has(d) });
  return { lab, rates, down, scrape: async () => parseExposition(await registry.metrics()) };
}

describe('metrics (Prometheus text, memory port)', () => {
  let r: Rig;
  beforeEach(async () => { r = await rig(); });
  afterEach(() => r.lab.plane.close());

  it('30 connections: conns total 30 split 10/10/10, packets and bytes as stats() shows them', async () => {
    await connect(r.lab, 40000, 30);
    const m = await r.scrape();
    const stats = r.lab.stats().services[0]!;
    assert.equal(m.types.get('director_service_connections_total'), 'counter');
    assert.equal(valueOf(m, 'director_service_connections_total', SVC), 30);
    assert.equal(valueOf(m, 'director_service_packets_total', { ...SVC, direction: 'in' }), 60);
    assert.equal(valueOf(m, 'director_service_packets_total', { ...SVC, direction: 'out' }), 0, 'DR: replies bypass the director');
    assert.equal(valueOf(m, 'director_service_bytes_total', { ...SVC, direction: 'in' }), stats.inBytes);
    assert.ok(stats.inBytes >= 60 * 40);
    assert.equal(valueOf(m, 'director_service_active_connections', SVC), 30);
    assert.equal(valueOf(m, 'director_service_inactive_connections', SVC), 0);
    for (let i = 0; i < 3; i++) {
      const rs = stats.realServers[i]!;
      assert.equal(valueOf(m, 'director_real_server_connections_total', rsLabels(i)), 10);
      assert.equal(valueOf(m, 'director_real_server_packets_total', { ...rsLabels(i), direction: 'in' }), 20);
      assert.equal(valueOf(m, 'director_real_server_bytes_total', { ...rsLabels(i), direction: 'in' }), rs.inBytes);
      assert.equal(valueOf(m, 'director_real_server_active_connections', rsLabels(i)), 10);
      assert.equal(valueOf(m, 'director_real_server_inactive_connections', rsLabels(i)), 0);
    }
    assert.equal(valueOf(m, 'director_connections'), 30);
    assert.equal(valueOf(m, 'director_connection_table_capacity'), 1 << 20);
  });

  it('every drop reason is a series; the port, ARP, hold-queue and ICMP figures match stats()', async () => {
    r.lab.inject(segment(50000, TCP_FLAGS.ACK)); // no connection: counted drop
    await r.lab.settle();
    const m = await r.scrape();
    const stats = r.lab.stats();
    const reasons = select(m, 'director_drops_total').map((s) => s.labels.reason);
    assert.deepEqual(reasons, Object.keys(DropReason).map((k) => k.toLowerCase()));
    assert.equal(valueOf(m, 'director_drops_total', { reason: 'no_conn' }), 1);
    const port = { port: 'mem0', kind: 'memory' };
    assert.equal(valueOf(m, 'director_port_rx_frames_total', port), stats.port.rxFrames);
    assert.equal(valueOf(m, 'director_port_tx_frames_total', port), stats.port.txFrames);
    assert.equal(valueOf(m, 'director_port_verdict_errors_total', port), 0);
    assert.equal(select(m, 'director_port_rx_ring_drops_total').length, 1);
    assert.equal(valueOf(m, 'director_arp_requests_sent_total'), stats.arp.requestsSent);
    assert.ok(stats.arp.requestsSent >= 3, 'one per real server at least');
    assert.equal(valueOf(m, 'director_arp_replies_learned_total'), stats.arp.repliesLearned);
    assert.equal(valueOf(m, 'director_arp_failures_total'), 0);
    assert.equal(valueOf(m, 'director_hold_queue_frames'), 0);
    assert.ok(valueOf(m, 'director_hold_queue_capacity') > 0);
    assert.equal(valueOf(m, 'director_icmp_sent_total', { type: 'echo_reply' }), 0);
  });

  it('rates come from the IPVS estimator: 20 connections in 2 s read 2/s after one sample, climbing toward 10/s', async () => {
    const cps: number[] = [];
    for (let k = 0; k < 6; k++) {
      await connect(r.lab, 41000 + k * 20, 20);
      r.lab.clock.ms += 2000;
      r.rates.sample(r.lab.plane.table);
      cps.push(valueOf(await r.scrape(), 'director_service_connection_rate', SVC));
    }
    // 10/s through an EWMA of weight 1/4 in the kernel's fixed point (x1024): 2560, 4480, 5920, 7000,
    // 7810, 8417, read as (avg + 511) >> 10.
    assert.deepEqual(cps, [2, 4, 6, 7, 8, 8]);
    const m = await r.scrape();
    assert.equal(valueOf(m, 'director_service_packet_rate', { ...SVC, direction: 'in' }), 16, '20 pkt/s smoothed the same way');
    const perServer = [0, 1, 2].map((i) => valueOf(m, 'director_real_server_connection_rate', rsLabels(i)));
    assert.ok(perServer.every((v) => v >= 2 && v <= 3), `per server about a third: ${perServer.join(' ')}`);
    assert.ok(valueOf(m, 'director_service_byte_rate', { ...SVC, direction: 'in' }) > 0);
  });

  it('health state, current and configured weight per real server', async () => {
    const [rs1, rs2] = r.lab.plane.table.dests;
    r.down.add(rs2!);
    rs1!.weight = 0;
    const m = await r.scrape();
    assert.deepEqual([0, 1, 2].map((i) => valueOf(m, 'director_real_server_up', rsLabels(i))), [1, 0, 1]);
    assert.deepEqual([0, 1, 2].map((i) => valueOf(m, 'director_real_server_weight', rsLabels(i))), [0, 1, 1]);
    assert.deepEqual([0, 1, 2].map((i) => valueOf(m, 'director_real_server_configured_weight', rsLabels(i))), [1, 1, 1]);
    assert.deepEqual([0, 1, 2].map((i) => valueOf(m, 'director_real_server_draining', rsLabels(i))), [0, 0, 0]);
  });

  it('a removed real server stays listed (draining 1) while a connection uses it, and is gone once reaped', async () => {
    await connect(r.lab, 42000, 3);
    const vs = service('dr');
    vs.realServers = vs.realServers.slice(1);
    r.lab.plane.install(ServiceTable.build(labConfig(vs), r.lab.clock, r.lab.plane.table));
    let m = await r.scrape();
    assert.equal(valueOf(m, 'director_real_server_draining', rsLabels(0)), 1);
    assert.equal(valueOf(m, 'director_real_server_connections_total', rsLabels(0)), 1);
    r.lab.inject(segment(42000, TCP_FLAGS.RST));
    await r.lab.settle();
    r.lab.clock.ms += 11_000;
    r.lab.plane.tick();
    m = await r.scrape();
    assert.deepEqual(select(m, 'director_real_server_connections_total').map((s) => s.labels.server_address), [RS[1], RS[2]]);
    assert.deepEqual(select(m, 'director_real_server_connection_rate').map((s) => s.labels.server_address), [RS[1], RS[2]]);
  });
});
