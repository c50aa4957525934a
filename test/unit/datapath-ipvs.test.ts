// IPVS's per-connection rules through the real data path (memory port): persistence with a
// netmask, connection thresholds with the 3/4 rule, the TCP state machine deciding active and
// inactive counts, lvs_timeouts, quiescent (weight 0) servers, and servers the weight governor takes Down.
import assert from 'node:assert/strict';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { WeightGovernor } from '../../src/control/governor.js';
import { CLIENT, DIRECTOR_MAC, FakeClock, labConfig, memoryLab, memoryLabFor, ROUTER_MAC, RS_MAC, service, VIP } from '../support/memory-plane.js';
import { decodeFrame, tcpFrame, TCP_FLAGS } from '../support/packets.js';

function segment(src: string, cport: number, flags: number): Buffer {
  return tcpFrame({
    eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src, dst: VIP },
    tcp: { srcPort: cport, dstPort: 80, flags, seq: 1 },
  });
}

/** Real server index each frame went to (by destination MAC, DR). */
function servers(frames: Buffer[]): number[] {
  return frames.map((f) => RS_MAC.indexOf(decodeFrame(f).dstMac));
}

describe('data path, IPVS connection rules', () => {
  it('persistence keeps a client network on one real server (granularity 255.255.255.0)', async () => {
    const lab = await memoryLab(service('dr', { persistenceTimeout: 300, persistenceGranularity: '255.255.255.0' }));
    try {
      await lab.settle();
      for (let p = 0; p < 5; p++) lab.inject(segment(CLIENT, 30000 + p, TCP_FLAGS.SYN));
      for (let p = 0; p < 5; p++) lab.inject(segment('198.18.1.77', 31000 + p, TCP_FLAGS.SYN));
      for (let p = 0; p < 5; p++) lab.inject(segment('198.18.2.10', 32000 + p, TCP_FLAGS.SYN));
      const to = servers(await lab.settle());
      assert.equal(new Set(to.slice(0, 10)).size, 1, 'one /24, one real server');
      assert.equal(new Set(to.slice(10)).size, 1, 'the other /24 sticks too');
      assert.notEqual(to[10], to[0], 'rr gave the second network the next server');
      const s = lab.stats().services[0]!.realServers;
      assert.equal(s[to[0]!]!.conns, 10);
    } finally {
      lab.plane.close();
    }
  });

  it('an upper threshold overloads a server until it falls below 3/4 of it', async () => {
    const clock = new FakeClock();
    const vs = service('dr');
    vs.realServers[0]!.upperThreshold = 4;
    const lab = await memoryLab(vs, clock);
    try {
      await lab.settle();
      for (let p = 0; p < 15; p++) lab.inject(segment(CLIENT, 33000 + p, TCP_FLAGS.SYN));
      const to = servers(await lab.settle());
      assert.equal(to.filter((i) => i === 0).length, 4, 'rs1 stops at its upper threshold');
      assert.equal(to.length, 15, 'the others take the rest');
      // SYN_RECV connections time out after 60 s; new ones to rs1 then go through again.
      clock.ms += 61_000;
      lab.plane.tick();
      for (let p = 0; p < 3; p++) lab.inject(segment(CLIENT, 34000 + p, TCP_FLAGS.SYN));
      assert.ok(servers(await lab.settle()).includes(0), 'below the lower threshold rs1 takes connections again');
    } finally {
      lab.plane.close();
    }
  });

  it('counts a connection inactive until ESTABLISHED, active then, inactive again after FIN', async () => {
    const lab = await memoryLab(service('dr'));
    try {
      await lab.settle();
      const rs1 = () => lab.stats().services[0]!.realServers[0]!;
      lab.inject(segment(CLIENT, 35000, TCP_FLAGS.SYN));
      assert.deepEqual([rs1().activeConns, rs1().inactConns], [0, 1]);
      lab.inject(segment(CLIENT, 35000, TCP_FLAGS.ACK));
      assert.deepEqual([rs1().activeConns, rs1().inactConns], [1, 0]);
      lab.inject(segment(CLIENT, 35000, TCP_FLAGS.FIN | TCP_FLAGS.ACK));
      assert.deepEqual([rs1().activeConns, rs1().inactConns], [0, 1]);
      assert.equal((await lab.settle()).length, 3, 'every segment of the connection forwarded');
    } finally {
      lab.plane.close();
    }
  });

  it("global_defs lvs_timeouts set ESTABLISHED's and FIN_WAIT's timeouts (0 keeps the default); the plane can change them later", async () => {
    const config = labConfig(service('dr'));
    config.globalDefs = parseKeepalivedConfig('global_defs {\n lvs_timeouts tcp 100 tcpfin 5 udp 0\n}\n').globalDefs;
    const lab = await memoryLabFor(config);
    const plain = await memoryLab(service('dr'));
    try {
      const counts = (l: typeof lab) => {
        l.plane.tick();
        const rs = l.stats().services[0]!.realServers[0]!;
        return [rs.activeConns, rs.inactConns];
      };
      assert.deepEqual({ ...lab.plane.timeouts }, { tcp: 100, tcpFin: 5, udp: 300 });
      for (const l of [lab, plain]) {
        await l.settle();
        l.inject(segment(CLIENT, 38000, TCP_FLAGS.SYN), segment(CLIENT, 38000, TCP_FLAGS.ACK));
        l.inject(segment(CLIENT, 38001, TCP_FLAGS.SYN), segment(CLIENT, 38001, TCP_FLAGS.ACK), segment(CLIENT, 38001, TCP_FLAGS.FIN | TCP_FLAGS.ACK));
        await l.settle();
      }
      // rr gave 38000 to rs1 and 38001 to rs2: watch rs1 (ESTABLISHED) and rs2 (FIN_WAIT) apart.
      const fin = (l: typeof lab) => l.stats().services[0]!.realServers[1]!.inactConns;
      lab.clock.ms += 6_000;
      plain.clock.ms += 6_000;
      assert.deepEqual([counts(lab), fin(lab)], [[1, 0], 0], 'FIN_WAIT gone after tcpfin 5 s');
      assert.deepEqual([counts(plain), fin(plain)], [[1, 0], 1], "FIN_WAIT kept for the kernel's 120 s");
      lab.clock.ms += 95_000;
      plain.clock.ms += 95_000;
      assert.deepEqual(counts(lab), [0, 0], 'ESTABLISHED gone after tcp 100 s');
      assert.deepEqual(counts(plain), [1, 0], "ESTABLISHED kept for the kernel's 900 s");
      plain.plane.timeouts.apply({ tcp: 50, tcpFin: 0, udp: 0 });
      plain.inject(segment(CLIENT, 38000, TCP_FLAGS.ACK));
      await plain.settle();
      plain.clock.ms += 51_000;
      assert.deepEqual(counts(plain), [0, 0], 'a change applies from the next packet on, as ipvsadm --set');
    } finally {
      lab.plane.close();
      plain.plane.close();
    }
  });

  it('a quiescent server (weight 0) gets no new connections but keeps its own', async () => {
    const lab = await memoryLab(service('dr'));
    try {
      await lab.settle();
      lab.inject(segment(CLIENT, 36000, TCP_FLAGS.SYN));
      assert.deepEqual(servers(await lab.settle()), [0]);
      const svc = lab.table.services[0]!;
      svc.sched.dests[0]!.weight = 0;
      lab.table.destsChanged(svc);
      for (let p = 1; p <= 6; p++) lab.inject(segment(CLIENT, 36000 + p, TCP_FLAGS.SYN));
      assert.ok(!servers(await lab.settle()).includes(0), 'no new connection to rs1');
      lab.inject(segment(CLIENT, 36000, TCP_FLAGS.ACK));
      assert.deepEqual(servers(await lab.settle()), [0], 'its existing connection carries on');
    } finally {
      lab.plane.close();
    }
  });

  it('a server the governor takes Down gets no new connections, keeps its own, and is back on Up', async () => {
    const lab = await memoryLab(service('dr'));
    try {
      await lab.settle();
      const governor = new WeightGovernor({ table: lab.table, clock: lab.clock });
      lab.inject(segment(CLIENT, 37000, TCP_FLAGS.SYN));
      assert.deepEqual(servers(await lab.settle()), [0]);
      governor.setHealth(lab.table.dests[0]!.id, false);
      for (let p = 1; p <= 6; p++) lab.inject(segment(CLIENT, 37000 + p, TCP_FLAGS.SYN));
      assert.ok(!servers(await lab.settle()).includes(0), 'no new connection to rs1');
      lab.inject(segment(CLIENT, 37000, TCP_FLAGS.ACK));
      assert.deepEqual(servers(await lab.settle()), [0], 'its existing connection carries on');
      governor.setHealth(lab.table.dests[0]!.id, true);
      for (let p = 7; p <= 12; p++) lab.inject(segment(CLIENT, 37000 + p, TCP_FLAGS.SYN));
      assert.ok(servers(await lab.settle()).includes(0), 'Up: rs1 takes new connections again');
    } finally {
      lab.plane.close();
    }
  });
});
