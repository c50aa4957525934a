// The DR data path end to end over an in-memory port: the same native batch code as real
// ports, driven frame by frame with a fake clock.
import assert from 'node:assert/strict';
import type { VirtualServerConfig } from '../../src/config/model.js';
import {
  DIRECTOR_MAC, FakeClock, memoryLab, ROUTER_MAC, RS, RS_MAC, service, VIP,
} from '../support/memory-plane.js';
import {
  arpReply, arpRequest, decodeFrame, l4ChecksumOk, tcpFrame, udpFrame, TCP_FLAGS, verifyIpv4Checksum,
} from '../support/packets.js';

async function started(vs: VirtualServerConfig, clock = new FakeClock()) {
  return memoryLab(vs, clock);
}

function syn(cport: number, dst = VIP, dport = 80) {
  return tcpFrame({
    eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: '198.18.1.10', dst },
    tcp: { srcPort: cport, dstPort: dport, flags: TCP_FLAGS.SYN, seq: 1 },
  });
}

/** Answers every ARP request for a real server the director sent. */
function answerArp(out: Buffer[], inject: (...f: Buffer[]) => void): number {
  let answered = 0;
  for (const f of out) {
    const arp = decodeFrame(f).arp;
    const i = arp ? RS.indexOf(arp.targetIp) : -1;
    if (arp && arp.op === 1 && i >= 0) {
      inject(arpReply({ senderMac: RS_MAC[i]!, senderIp: RS[i]!, targetMac: DIRECTOR_MAC, targetIp: arp.senderIp }));
      answered++;
    }
  }
  return answered;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('data path, DR over a memory port', () => {
  it('announces the VIP and asks for every real server at start', async () => {
    const { plane, drain } = await started(service('dr'));
    try {
      const arps = drain().map((f) => decodeFrame(f).arp!);
      const garp = arps.find((a) => a.senderIp === VIP && a.targetIp === VIP);
      assert.ok(garp, 'gratuitous ARP for the VIP');
      assert.equal(garp.senderMac, DIRECTOR_MAC);
      assert.deepEqual(arps.filter((a) => a.targetIp !== VIP).map((a) => a.targetIp).sort(), RS);
      assert.ok(arps.every((a) => a.op === 1));
    } finally {
      plane.close();
    }
  });

  it('answers ARP for the VIP with its own MAC and ignores ARP for other addresses', async () => {
    const { plane, stats, inject, drain } = await started(service('dr'));
    try {
      drain();
      inject(arpRequest({ senderMac: ROUTER_MAC, senderIp: '198.19.0.1', targetIp: VIP }));
      const [reply, ...rest] = drain();
      assert.equal(rest.length, 0);
      const d = decodeFrame(reply!);
      assert.equal(d.dstMac, ROUTER_MAC);
      assert.equal(d.srcMac, DIRECTOR_MAC);
      assert.deepEqual(d.arp, { op: 2, senderMac: DIRECTOR_MAC, senderIp: VIP, targetMac: ROUTER_MAC, targetIp: '198.19.0.1' });
      inject(arpRequest({ senderMac: ROUTER_MAC, senderIp: '198.19.0.1', targetIp: '198.19.0.50' }));
      assert.equal(drain().length, 0);
      assert.equal(stats().drops.arp_consumed, 1);
    } finally {
      plane.close();
    }
  });

  it('holds packets until the real server resolves, then sends them with its MAC', async () => {
    const { plane, stats, inject, drain } = await started(service('dr'));
    try {
      const requests = drain();
      inject(syn(40000));
      assert.equal(drain().length, 0, 'held while unresolved');
      assert.equal(stats().heldFrames, 1);
      assert.equal(answerArp(requests, inject), 3);
      await tick();
      const [out] = drain();
      const d = decodeFrame(out!);
      assert.equal(d.dstMac, RS_MAC[0]);
      assert.equal(d.srcMac, DIRECTOR_MAC);
      assert.equal(d.ip!.dst, VIP, 'DR leaves the IP packet alone');
      assert.ok(verifyIpv4Checksum(out!) && l4ChecksumOk(out!));
      assert.equal(stats().heldFrames, 0);
    } finally {
      plane.close();
    }
  });

  it('spreads 30 connections 10/10/10 with rr and keeps each connection on its server', async () => {
    const { plane, stats, inject, drain, settle } = await started(service('dr'));
    try {
      await settle();
      const perMac = new Map<string, number>();
      const macOfPort = new Map<number, string>();
      for (let p = 0; p < 30; p++) inject(syn(41000 + p));
      for (const f of drain()) {
        const d = decodeFrame(f);
        perMac.set(d.dstMac, (perMac.get(d.dstMac) ?? 0) + 1);
        macOfPort.set(d.ip!.tcp!.srcPort, d.dstMac);
      }
      assert.deepEqual([...perMac.values()], [10, 10, 10]);
      for (let p = 0; p < 30; p += 7) {
        inject(tcpFrame({
          eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: '198.18.1.10', dst: VIP },
          tcp: { srcPort: 41000 + p, dstPort: 80, flags: TCP_FLAGS.ACK, seq: 2 },
        }));
        assert.equal(decodeFrame(drain()[0]!).dstMac, macOfPort.get(41000 + p));
      }
      const s = stats();
      assert.equal(s.connections, 30);
      assert.deepEqual(s.services[0]!.realServers.map((r) => r.conns), [10, 10, 10]);
    } finally {
      plane.close();
    }
  });

  it('forwards nothing that is not for a VIP service, and counts why', async () => {
    const { plane, stats, inject, drain, settle } = await started(service('dr'));
    try {
      await settle();
      inject(syn(42000, '198.19.0.50'));                 // not our address
      inject(syn(42001, VIP, 443));                      // our address, no service there
      inject(tcpFrame({                                  // no SYN, no connection
        eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: '198.18.1.10', dst: VIP },
        tcp: { srcPort: 42002, dstPort: 80, flags: TCP_FLAGS.ACK },
      }));
      inject(Buffer.from([1, 2, 3]));                    // runt frame
      assert.equal(drain().length, 0);
      const drops = stats().drops;
      assert.equal(drops.not_ours, 1);
      assert.equal(drops.no_service, 1);
      assert.equal(drops.no_conn, 1);
      assert.equal(drops.parse_error, 1);
    } finally {
      plane.close();
    }
  });

  it("forwards no frame unicast to another host's MAC, even to a VIP service (a flooding bridge hands those over)", async () => {
    const { plane, stats, inject, drain, settle } = await started(service('dr'));
    try {
      await settle();
      const elsewhere = (dst: string) => tcpFrame({
        eth: { src: ROUTER_MAC, dst }, ip: { src: '198.18.1.10', dst: VIP },
        tcp: { srcPort: 42010, dstPort: 80, flags: TCP_FLAGS.SYN, seq: 1 },
      });
      inject(elsewhere('02:00:00:00:ee:01'), elsewhere(RS_MAC[0]!));
      assert.equal(drain().length, 0);
      assert.equal(stats().drops.other_host, 2);
      assert.equal(stats().connections, 0, 'no connection was made for them');
      // Control: the same SYN to the director's own MAC makes its connection.
      inject(syn(42010));
      assert.equal(stats().connections, 1);
    } finally {
      plane.close();
    }
  });

  it('balances UDP and expires idle connections after the IPVS udp timeout', async () => {
    const clock = new FakeClock();
    const { plane, stats, inject, drain, settle } = await started(service('dr', { protocol: 'udp', port: 53 }), clock);
    try {
      await settle();
      for (let p = 0; p < 6; p++) {
        inject(udpFrame({
          eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: '198.18.1.10', dst: VIP },
          udp: { srcPort: 50000 + p, dstPort: 53, payload: Buffer.from('q') },
        }));
      }
      assert.equal(drain().length, 6);
      assert.equal(stats().connections, 6);
      clock.ms += 299_000;
      plane.tick();
      assert.equal(stats().connections, 6);
      clock.ms += 2_000;
      plane.tick();
      const s = stats();
      assert.equal(s.connections, 0);
      assert.ok(s.services[0]!.realServers.every((r) => r.activeConns === 0 && r.inactConns === 0));
    } finally {
      plane.close();
    }
  });
});
