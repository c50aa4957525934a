// NAT, FULLNAT and TUN end to end over an in-memory port (the native batch code of real ports):
// both directions, ICMP errors about connections, TTL expiry, frag-needed, fragments.
import assert from 'node:assert/strict';
import type { VirtualServerConfig } from '../../src/config/model.js';
import {
  CLIENT, DIRECTOR_IP, DIRECTOR_MAC, FakeClock, LIPS, memoryLab, ROUTER_MAC, RS, RS_MAC, service, VIP,
} from '../support/memory-plane.js';
import {
  arpRequest, decodeFrame, fragmentFrames, icmpEchoFrame, icmpErrorFrame, l4ChecksumOk, PROTO,
  tcpFrame, udpFrame, TCP_FLAGS, verifyIpv4Checksum, type DecodedFrame,
} from '../support/packets.js';

/** A memory lab with its real servers already resolved. */
async function lab(vs: VirtualServerConfig, clock = new FakeClock()) {
  const l = await memoryLab(vs, clock);
  await l.settle();
  return l;
}

const fromClient = (cport: number, flags: number = TCP_FLAGS.SYN, ttl = 64) => tcpFrame({
  eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP, ttl },
  tcp: { srcPort: cport, dstPort: 80, flags, seq: 100, payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') },
});

function intact(f: Buffer): DecodedFrame {
  assert.ok(verifyIpv4Checksum(f), 'IPv4 header checksum');
  assert.ok(l4ChecksumOk(f), 'L4 checksum recomputed from scratch');
  return decodeFrame(f);
}

describe('data path, NAT over a memory port', () => {
  it('rewrites the destination to the real server and the reply source back to the VIP', async () => {
    const { plane, inject, settle } = await lab(service('nat'));
    try {
      inject(fromClient(40000));
      const [toRs] = await settle();
      const d = intact(toRs!);
      assert.equal(d.dstMac, RS_MAC[0]);
      assert.equal(d.srcMac, DIRECTOR_MAC);
      assert.deepEqual([d.ip!.src, d.ip!.dst, d.ip!.tcp!.srcPort, d.ip!.tcp!.dstPort], [CLIENT, RS[0], 40000, 8080]);
      assert.equal(d.ip!.ttl, 63, 'the director routes: TTL decremented');
      inject(tcpFrame({
        eth: { src: RS_MAC[0], dst: DIRECTOR_MAC }, ip: { src: RS[0]!, dst: CLIENT },
        tcp: { srcPort: 8080, dstPort: 40000, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, ack: 101 },
      }));
      const [toClient] = await settle();
      const r = intact(toClient!);
      assert.equal(r.dstMac, ROUTER_MAC, 'next hop toward the client from the routing table');
      assert.deepEqual([r.ip!.src, r.ip!.dst, r.ip!.tcp!.srcPort, r.ip!.tcp!.dstPort], [VIP, CLIENT, 80, 40000]);
    } finally {
      plane.close();
    }
  });

  it('spreads 30 connections 10/10/10 and drops replies of no known connection', async () => {
    const { plane, stats, inject, settle } = await lab(service('nat'));
    try {
      for (let p = 0; p < 30; p++) inject(fromClient(41000 + p));
      const counts = new Map<string, number>();
      for (const f of await settle()) counts.set(intact(f).ip!.dst, (counts.get(decodeFrame(f).ip!.dst) ?? 0) + 1);
      assert.deepEqual([...counts.values()], [10, 10, 10]);
      inject(tcpFrame({
        eth: { src: RS_MAC[1], dst: DIRECTOR_MAC }, ip: { src: RS[1]!, dst: CLIENT },
        tcp: { srcPort: 8080, dstPort: 49999, flags: TCP_FLAGS.ACK },
      }));
      assert.equal((await settle()).length, 0);
      assert.equal(stats().drops.not_ours, 1);
    } finally {
      plane.close();
    }
  });

  it('answers TTL 1 with time-exceeded from its own address', async () => {
    const { plane, stats, inject, settle } = await lab(service('nat'));
    try {
      inject(fromClient(42000, TCP_FLAGS.SYN, 1));
      const [reply] = await settle();
      const d = intact(reply!);
      assert.equal(d.dstMac, ROUTER_MAC);
      assert.deepEqual([d.ip!.src, d.ip!.dst, d.ip!.icmp!.type, d.ip!.icmp!.code], [DIRECTOR_IP, CLIENT, 11, 0]);
      assert.equal(d.ip!.icmp!.quoted!.dst, VIP);
      assert.equal(stats().icmpSent.timeExceeded, 1);
    } finally {
      plane.close();
    }
  });

  it('sends ICMP errors from the real server to the client with the quoted packet rewritten', async () => {
    const { plane, inject, settle } = await lab(service('nat', { protocol: 'udp', port: 53 }));
    try {
      inject(udpFrame({
        eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP },
        udp: { srcPort: 5353, dstPort: 53, payload: Buffer.from('query'), checksum: false },
      }));
      const [toRs] = await settle();
      assert.equal(intact(toRs!).ip!.udp!.checksum, 0, 'a zero UDP checksum stays zero');
      const quoted = toRs!.subarray(14, 14 + 28);
      inject(icmpErrorFrame({
        eth: { src: RS_MAC[0], dst: DIRECTOR_MAC }, ip: { src: RS[0]!, dst: CLIENT },
        error: { type: 3, code: 3, quote: quoted },
      }));
      const [toClient] = await settle();
      const d = intact(toClient!);
      assert.deepEqual([d.ip!.src, d.ip!.dst, d.ip!.icmp!.type], [VIP, CLIENT, 3]);
      const q = d.ip!.icmp!.quoted!;
      assert.deepEqual([q.src, q.dst, q.ports!.src, q.ports!.dst], [CLIENT, VIP, 5353, 53]);
    } finally {
      plane.close();
    }
  });
});

describe('data path, FULLNAT over a memory port', () => {
  it('shows real servers only local addresses and reverses replies exactly', async () => {
    const { plane, inject, drain, settle } = await lab(service('fnat'));
    try {
      inject(arpRequest({ senderMac: RS_MAC[0]!, senderIp: RS[0]!, targetIp: LIPS[1]! }));
      assert.equal(decodeFrame(drain()[0]!).arp!.senderMac, DIRECTOR_MAC, 'ARP for a LIP answered');
      for (let p = 0; p < 6; p++) inject(fromClient(43000 + p));
      const out = (await settle()).map(intact);
      assert.equal(out.length, 6);
      const pairs = new Set(out.map((d) => `${d.ip!.src}:${d.ip!.tcp!.srcPort}`));
      assert.equal(pairs.size, 6, 'every connection its own local port');
      assert.ok(out.every((d) => LIPS.includes(d.ip!.src)), 'sources are LIPs only');
      assert.deepEqual(new Set(out.map((d) => d.ip!.src)), new Set(LIPS), 'spread over both LIPs');
      const first = out[0]!;
      inject(tcpFrame({
        eth: { src: first.dstMac, dst: DIRECTOR_MAC }, ip: { src: first.ip!.dst, dst: first.ip!.src },
        tcp: { srcPort: 8080, dstPort: first.ip!.tcp!.srcPort, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK },
      }));
      const r = intact((await settle())[0]!);
      assert.equal(r.dstMac, ROUTER_MAC);
      assert.deepEqual([r.ip!.src, r.ip!.tcp!.srcPort, r.ip!.dst, r.ip!.tcp!.dstPort], [VIP, 80, CLIENT, 43000]);
    } finally {
      plane.close();
    }
  });

  it('returns local ports to the pool when connections expire', async () => {
    const clock = new FakeClock();
    const { plane, stats, inject, settle } = await lab(service('fnat'), clock);
    try {
      inject(fromClient(44000));
      await settle();
      assert.equal(stats().connections, 1);
      assert.equal(stats().services[0]!.localPortsInUse, 1);
      clock.ms += 61_000; // SYN_RECV times out after 60 s
      plane.tick();
      assert.equal(stats().connections, 0);
      assert.equal(stats().services[0]!.localPortsInUse, 0);
    } finally {
      plane.close();
    }
  });
});

describe('data path, TUN over a memory port', () => {
  it('encapsulates in IPIP from the director to the real server', async () => {
    const { plane, inject, settle } = await lab(service('tun'));
    try {
      const original = fromClient(45000);
      inject(original);
      const d = intact((await settle())[0]!);
      assert.equal(d.dstMac, RS_MAC[0]);
      assert.deepEqual([d.ip!.src, d.ip!.dst, d.ip!.proto], [DIRECTOR_IP, RS[0], PROTO.IPIP]);
      assert.deepEqual(d.ip!.inner!.srcBytes, decodeFrame(original).ip!.srcBytes);
      assert.equal(d.ip!.inner!.dst, VIP);
      assert.equal(d.ip!.inner!.tcp!.dstPort, 80);
    } finally {
      plane.close();
    }
  });

  it('answers a DF packet too big for the tunnel with fragmentation-needed', async () => {
    const { plane, inject, settle } = await lab(service('tun'));
    try {
      inject(fromClient(45001));
      await settle();
      inject(tcpFrame({
        eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP, df: true },
        tcp: { srcPort: 45001, dstPort: 80, flags: TCP_FLAGS.ACK, payload: Buffer.alloc(1460, 7) },
      }));
      const d = intact((await settle())[0]!);
      assert.deepEqual([d.ip!.dst, d.ip!.icmp!.type, d.ip!.icmp!.code], [CLIENT, 3, 4]);
      assert.equal(d.ip!.icmp!.rest & 0xffff, 1480, 'advertises the MTU left after encapsulation');
    } finally {
      plane.close();
    }
  });
});

describe('data path, methods mixed in one service', () => {
  it('forwards each connection by its own real server\'s method (ipvsadm -g/-m/-i per server)', async () => {
    const vs = service('dr');
    vs.realServers[1] = { ...vs.realServers[1]!, method: 'nat', port: 8080 };
    vs.realServers[2] = { ...vs.realServers[2]!, method: 'tun' };
    const { plane, stats, inject, settle } = await lab(vs);
    try {
      for (let p = 0; p < 3; p++) inject(fromClient(47000 + p));
      const [dr, nat, tun] = (await settle()).map(intact);
      assert.deepEqual([dr!.dstMac, dr!.ip!.dst, dr!.ip!.ttl], [RS_MAC[0], VIP, 64], 'DR: MAC only');
      assert.deepEqual([nat!.dstMac, nat!.ip!.dst, nat!.ip!.tcp!.dstPort, nat!.ip!.ttl], [RS_MAC[1], RS[1], 8080, 63], 'NAT');
      assert.deepEqual([tun!.dstMac, tun!.ip!.dst, tun!.ip!.proto, tun!.ip!.inner!.dst], [RS_MAC[2], RS[2], PROTO.IPIP, VIP], 'TUN');
      assert.deepEqual(stats().services[0]!.realServers.map((r) => r.method), ['dr', 'nat', 'tun']);
    } finally {
      plane.close();
    }
  });
});

describe('data path, ICMP echo', () => {
  it('answers a ping to the VIP and passes over pings to other addresses', async () => {
    const { plane, stats, inject, settle } = await lab(service('nat'));
    try {
      const ping = (dst: string) => icmpEchoFrame({
        eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst }, echo: { type: 8, id: 9, seq: 1, payload: Buffer.from('ping') },
      });
      inject(ping(VIP), ping('198.19.0.50'));
      const out = (await settle()).map(intact);
      assert.equal(out.length, 1);
      assert.deepEqual([out[0]!.dstMac, out[0]!.ip!.src, out[0]!.ip!.dst, out[0]!.ip!.icmp!.type], [ROUTER_MAC, VIP, CLIENT, 0]);
      const s = stats();
      assert.equal(s.icmpSent.echoReplies, 1);
      assert.equal(s.drops.not_ours, 1);
    } finally {
      plane.close();
    }
  });
});

describe('data path, fragments', () => {
  it('sends later fragments after their first one and drops orphans', async () => {
    const { plane, stats, inject, settle } = await lab(service('dr', { protocol: 'udp', port: 53 }));
    try {
      const segment = Buffer.concat([
        Buffer.from([0x13, 0x88, 0, 53, 0, 208, 0, 0]), Buffer.alloc(200, 1),
      ]);
      const frags = fragmentFrames({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP, id: 77 }, proto: PROTO.UDP, payload: segment }, 64);
      inject(...frags);
      const out = await settle();
      assert.equal(out.length, frags.length);
      assert.equal(new Set(out.map((f) => decodeFrame(f).dstMac)).size, 1, 'all to one real server');
      const orphan = fragmentFrames({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP, id: 78 }, proto: PROTO.UDP, payload: segment }, 64);
      inject(orphan[1]!);
      assert.equal((await settle()).length, 0);
      assert.equal(stats().drops.fragment, 1);
    } finally {
      plane.close();
    }
  });
});

