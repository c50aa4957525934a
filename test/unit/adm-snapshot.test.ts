// What `adm` reads of a running data plane (a memory port, a fake clock): the snapshot's
// settings, counters and rates against the frames sent, -Z's zero points, --set timeouts taken
// at a connection's next packet, and -c's pages of connections and persistence templates.
import assert from 'node:assert/strict';
import type { VirtualServerConfig } from '../../src/config/model.js';
import { RateSampler } from '../../src/control/rates.js';
import { buildSnapshot, zeroStats } from '../../src/stats/adm-snapshot.js';
import { connectionPages } from '../../src/stats/connections.js';
import { DIRECTOR_MAC, FakeClock, memoryLab, ROUTER_MAC, RS, service, VIP, type MemoryLab } from '../support/memory-plane.js';
import { tcpFrame, TCP_FLAGS } from '../support/packets.js';

function packet(cport: number, flags: number): Buffer {
  return tcpFrame({
    eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: '198.18.1.10', dst: VIP },
    tcp: { srcPort: cport, dstPort: 80, flags, seq: 1, ack: 1 },
  });
}

/** Sends a SYN then an ACK from each client port; returns the bytes sent. */
async function connect(lab: MemoryLab, ports: number[]): Promise<number> {
  let bytes = 0;
  for (const flags of [TCP_FLAGS.SYN, TCP_FLAGS.ACK]) {
    const frames = ports.map((p) => packet(p, flags));
    bytes += frames.reduce((n, f) => n + f.length, 0);
    lab.inject(...frames);
    await lab.settle();
  }
  return bytes;
}

async function withLab(vs: VirtualServerConfig, body: (lab: MemoryLab, rates: RateSampler) => Promise<void>): Promise<void> {
  const clock = new FakeClock();
  const lab = await memoryLab(vs, clock);
  try {
    await lab.settle();
    const rates = new RateSampler(clock);
    rates.sample(lab.plane.table);
    await body(lab, rates);
  } finally {
    lab.plane.close();
  }
}

describe('adm snapshot of a running data plane', () => {
  it('shows settings, weights and the traffic sent, by service and real server', () =>
    withLab(service('dr', { scheduler: 'wrr' }), async (lab, rates) => {
      const bytes = await connect(lab, [1001, 1002, 1003, 1004, 1005, 1006]);
      const snap = buildSnapshot(lab.plane, rates);
      assert.equal(snap.version, 1);
      assert.equal(snap.connTableCapacity, lab.plane.conns.capacity);
      assert.deepEqual(snap.timeouts, { tcp: 900, tcpFin: 120, udp: 300 });
      assert.deepEqual(snap.laddrGroups, []);
      const [svc] = snap.services;
      assert.ok(svc);
      assert.deepEqual([svc.protocol, svc.address, svc.port, svc.scheduler, svc.persistence, svc.netmask, svc.laddrGroup],
        ['tcp', VIP, 80, 'wrr', 0, '255.255.255.255', null]);
      assert.deepEqual(svc.stats, { conns: 6, inPkts: 12, outPkts: 0, inBytes: bytes, outBytes: 0 });
      assert.deepEqual(svc.realServers.map((r) => [r.address, r.method, r.weight, r.effectiveWeight, r.activeConns, r.inactConns, r.stats.conns, r.stats.inPkts]),
        RS.map((a) => [a, 'dr', 1, 1, 2, 0, 2, 4]));
      assert.equal(svc.realServers.reduce((n, r) => n + r.stats.inBytes, 0), bytes);
    }));

  it('rates follow the IPVS estimator on 2 s samples; -Z zeroes counters and rates, totals stay', () =>
    withLab(service('dr'), async (lab, rates) => {
      const clock = lab.clock;
      const ports = Array.from({ length: 50 }, (_, i) => 2000 + i);
      await connect(lab, ports);
      clock.ms += 2000;
      rates.sample(lab.plane.table);
      let svc = buildSnapshot(lab.plane, rates).services[0]!;
      // 50 conns and 100 packets in 2 s: 25 and 50 a second, the first EWMA step takes a quarter.
      assert.deepEqual([svc.rates.cps, svc.rates.inPps], [Math.floor((25 * 1024 / 4 + 511) / 1024), Math.floor((50 * 1024 / 4 + 511) / 1024)]);
      assert.ok(svc.rates.inBps > 0);
      const table = lab.plane.table;
      const id = table.services[0]!.id;
      zeroStats(table, rates, table.services);
      svc = buildSnapshot(lab.plane, rates).services[0]!;
      assert.deepEqual(svc.stats, { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });
      assert.deepEqual(svc.rates, { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 });
      assert.ok(svc.realServers.every((r) => r.stats.conns === 0 && r.rates.cps === 0 && r.activeConns > 0), 'connections themselves stay');
      await connect(lab, [3001]);
      svc = buildSnapshot(lab.plane, rates).services[0]!;
      assert.deepEqual([svc.stats.conns, svc.stats.inPkts], [1, 2]);
      assert.deepEqual([table.registry.serviceCounters.total(id).conns, table.registry.serviceCounters.total(id).inPkts], [51, 102]);
      clock.ms += 2000;
      rates.sample(lab.plane.table);
      assert.equal(buildSnapshot(lab.plane, rates).services[0]!.rates.inPps, Math.floor((1 * 1024 / 4 + 511) / 1024));
    }));

  it('--set timeouts reach a connection at its next packet, as in IPVS', () =>
    withLab(service('dr'), async (lab, rates) => {
      await connect(lab, [4001, 4002]);
      const rows = () => [...connectionPages(lab.plane)].flat().sort((a, b) => a.client.port - b.client.port);
      assert.deepEqual(rows().map((c) => [c.client.port, c.state, c.expires]), [[4001, 'ESTABLISHED', 900], [4002, 'ESTABLISHED', 900]]);
      lab.plane.timeouts.apply({ tcp: 60, tcpFin: 0, udp: 30 });
      assert.deepEqual(buildSnapshot(lab.plane, rates).timeouts, { tcp: 60, tcpFin: 120, udp: 30 });
      lab.inject(packet(4001, TCP_FLAGS.ACK));
      await lab.settle();
      assert.deepEqual(rows().map((c) => [c.client.port, c.expires]), [[4001, 60], [4002, 900]]);
    }));

  it('lists connections in bounded pages, then persistence templates as state NONE with client port 0', () =>
    withLab(service('dr', { persistenceTimeout: 300 }), async (lab) => {
      const ports = Array.from({ length: 7 }, (_, i) => 5000 + i);
      await connect(lab, ports);
      const pages = [...connectionPages(lab.plane, { rows: 2, scan: 1 << 20 })];
      assert.ok(pages.every((p) => p.length <= 2));
      const rows = pages.flat();
      const conns = rows.filter((r) => r.state !== 'NONE');
      assert.deepEqual(conns.map((c) => c.client.port).sort(), ports);
      assert.ok(conns.every((c) => c.protocol === 'tcp' && c.virtual.address === VIP && c.virtual.port === 80 && c.local === null));
      const destination = conns[0]!.destination;
      assert.ok(conns.every((c) => c.destination.address === destination.address), 'persistence kept one client on one server');
      const templates = rows.filter((r) => r.state === 'NONE');
      assert.deepEqual(templates.map((t) => [t.client.address, t.client.port, t.virtual.address, t.destination.address, t.expires]),
        [['198.18.1.10', 0, VIP, destination.address, 300]]);
      const sparse = [...connectionPages(lab.plane, { rows: 1000, scan: 1024 })];
      assert.equal(sparse.length, Math.ceil(lab.plane.conns.capacity / 1024) + 1, 'a page per 1024 entries, then the templates');
    }));
});
