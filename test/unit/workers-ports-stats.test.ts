// Per-worker FULLNAT local ports (each worker hands out only ports p with p mod workers = its
// index, so a reply's port names its worker) and the stats a multi-worker director reports
// (the workers' counters summed by identity, each worker's share listed).
import assert from 'node:assert/strict';
import { LocalAddressPorts, LocalPortAllocator, type LocalEndpoint } from '../../src/fullnat/lport-allocator.js';
import type { DirectorStats } from '../../src/director-stats.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { mergeSnapshot, mergeStats } from '../../src/workers/merge-stats.js';
import { buildSnapshot } from '../../src/stats/adm-snapshot.js';
import { RateSampler } from '../../src/control/rates.js';
import { workerOfLocalPort } from '../../src/workers/steering.js';
import { labConfig, memoryLab, service } from '../support/memory-plane.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import { FakeClock } from '../support/memory-plane.js';

const LIP = parseIpv4('198.19.1.1');

describe('FULLNAT local ports per worker', () => {
  for (const workers of [2, 3, 8]) {
    it(`hands out only the worker's own ports, every one of them, and then fails cleanly (${workers} workers)`, () => {
      const counts: number[] = [];
      for (let index = 0; index < workers; index++) {
        const ports = new LocalAddressPorts(LIP, { workers, index });
        const seen = new Set<number>();
        for (;;) {
          const p = ports.take();
          if (p < 0) break;
          assert.equal(workerOfLocalPort(p, workers), index, `port ${p}`);
          assert.ok(!seen.has(p));
          seen.add(p);
        }
        counts.push(seen.size);
        assert.equal(ports.inUse, seen.size);
      }
      assert.equal(counts.reduce((a, b) => a + b, 0), 65535 - 1024 + 1, 'the shares cover every local port once');
    });
  }

  it('refuses to reserve or release another worker\'s port', () => {
    const ports = new LocalAddressPorts(LIP, { workers: 2, index: 1 });
    assert.equal(ports.reserve(2000), false);
    assert.equal(ports.reserve(2001), true);
    ports.release(2000);
    assert.equal(ports.inUse, 1);
    ports.release(2001);
    assert.equal(ports.inUse, 0);
  });

  it('rejects a share that names no worker', () => {
    assert.throws(() => new LocalAddressPorts(LIP, { workers: 2, index: 2 }), RangeError);
    assert.throws(() => new LocalAddressPorts(LIP, { workers: 0, index: 0 }), RangeError);
  });

  it('a service table built for worker 1 of 2 allocates odd ports, and a reloaded table keeps the share', () => {
    const clock = new FakeClock();
    const config = labConfig(service('fnat'));
    const first = ServiceTable.build(config, clock, undefined, { workers: 2, index: 1 });
    const next = ServiceTable.build(config, clock, first);
    for (const table of [first, next]) {
      const alloc: LocalPortAllocator = table.services[0]!.localPorts!;
      const out: LocalEndpoint = { laddr: 0, lport: 0 };
      for (let i = 0; i < 100; i++) {
        assert.ok(alloc.allocate(out));
        assert.equal(out.lport % 2, 1);
      }
    }
    assert.deepEqual(next.portShare, { workers: 2, index: 1 });
  });
});

describe('stats across workers', () => {
  async function statsOf(): Promise<DirectorStats> {
    const lab = await memoryLab(service('fnat'));
    try {
      return lab.stats();
    } finally {
      lab.plane.close();
    }
  }

  it('sums connections, service and real server counters, drops and port counters; lists each worker', async () => {
    const main = await statsOf();
    const other = structuredClone(main);
    other.connections = 5;
    other.limits.connTable.size = 5;
    other.services[0]!.conns = 7;
    other.services[0]!.inPkts = 70;
    other.services[0]!.localPortsInUse = 5;
    other.services[0]!.realServers[1]!.activeConns = 3;
    other.services[0]!.realServers[1]!.outBytes = 1000;
    other.drops = { no_conn: 2 };
    other.port.rxFrames = 100;
    other.port.txFrames = 90;
    main.connections = 1;
    main.drops = { no_conn: 1, fragment: 4 };
    main.port.rxFrames = 10;
    const merged = mergeStats(main, [{ stats: other, age: 1 }]);
    assert.equal(merged.connections, 6);
    assert.equal(merged.services[0]!.conns, main.services[0]!.conns + 7);
    assert.equal(merged.services[0]!.inPkts, main.services[0]!.inPkts + 70);
    assert.equal(merged.services[0]!.localPortsInUse, (main.services[0]!.localPortsInUse ?? 0) + 5);
    assert.equal(merged.services[0]!.realServers[1]!.activeConns, main.services[0]!.realServers[1]!.activeConns + 3);
    assert.equal(merged.services[0]!.realServers[1]!.outBytes, main.services[0]!.realServers[1]!.outBytes + 1000);
    assert.deepEqual(merged.drops, { no_conn: 3, fragment: 4 });
    assert.equal(merged.port.rxFrames, 110);
    assert.equal(merged.limits.connTable.size, main.limits.connTable.size + 5);
    assert.equal(merged.limits.connTable.capacity, 2 * main.limits.connTable.capacity);
    assert.deepEqual(merged.workers.map((w) => [w.index, w.connections, w.rxFrames, w.txFrames, w.age]),
      [[0, 1, 10, main.port.txFrames, 0], [1, 5, 100, 90, 1]]);
    assert.equal(main.connections, 1, 'the main thread\'s stats are not changed');
  });

  it('matches services and real servers by identity, not position (a worker still on an older table)', async () => {
    const main = await statsOf();
    const other = structuredClone(main);
    other.services[0]!.realServers.reverse();
    other.services[0]!.realServers[0]!.conns = 9; // the last server of main's list
    other.services.push({ ...structuredClone(other.services[0]!), port: 81, conns: 100 });
    const merged = mergeStats(main, [{ stats: other, age: 0 }]);
    const last = merged.services[0]!.realServers.at(-1)!;
    assert.equal(last.conns, main.services[0]!.realServers.at(-1)!.conns + 9);
    assert.equal(merged.services.length, 1, 'a service only the worker has is not invented');
  });

  it('adds the workers\' connection counts and traffic to adm -L / -S', async () => {
    const lab = await memoryLab(service('nat'));
    try {
      const other = structuredClone(lab.stats());
      other.services[0]!.inBytes = 500;
      other.services[0]!.realServers[2]!.activeConns = 4;
      other.services[0]!.realServers[2]!.inactConns = 1;
      other.services[0]!.realServers[2]!.conns = 5;
      const snap = mergeSnapshot(buildSnapshot(lab.plane, new RateSampler(lab.clock)), [{ stats: other }]);
      const mine = buildSnapshot(lab.plane, new RateSampler(lab.clock));
      assert.equal(snap.services[0]!.stats.inBytes, mine.services[0]!.stats.inBytes + 500);
      assert.equal(snap.services[0]!.realServers[2]!.activeConns, mine.services[0]!.realServers[2]!.activeConns + 4);
      assert.equal(snap.services[0]!.realServers[2]!.inactConns, mine.services[0]!.realServers[2]!.inactConns + 1);
      assert.equal(snap.services[0]!.realServers[2]!.stats.conns, mine.services[0]!.realServers[2]!.stats.conns + 5);
      assert.equal(snap.connTableCapacity, 2 * mine.connTableCapacity);
    } finally {
      lab.plane.close();
    }
  });
});
