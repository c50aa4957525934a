// IPv6 virtual services through the whole data path (memory port, native batch code,
// classifier): a TCP flow in each forwarding method with the frames it sends (addresses, ports,
// MACs, hop limit, checksums) and the connection table after each step, schedulers over IPv6
// real servers, persistence by prefix, IPv4 and IPv6 services side by side, reloads, fragments
// and what is refused.
import assert from 'node:assert/strict';
import type { VirtualServerConfig } from '../../src/config/model.js';
import { ConnFlag } from '../../src/conntable/conn-table.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import { connectionPages } from '../../src/stats/connections.js';
import { dumpTable, ipv6Entries } from '../../src/sync/conn-sync.js';
import { templateToSync } from '../../src/sync/sync-entries.js';
import { DIRECTOR_MAC, FakeClock, labConfig, memoryLabFor, ROUTER_MAC, ROUTES, service, VIP } from '../support/memory-plane.js';
import {
  CLIENT6, decode6, learnNeighbours6, LIPS6, PLANE6, ROUTER6_MAC, RS6, RS6_MAC, service6, VIP6,
} from '../support/memory-plane6.js';
import { ethernet, TCP_FLAGS, tcpFrame } from '../support/packets.js';
import { ETH_IPV6, fragmentHeader, icmp6Frame, ipv6, NEXT, tcp6Frame, udp6 } from '../support/packets6.js';
import { parseIpv6 } from '../../src/net/addr6.js';

const fromRouter = { src: ROUTER6_MAC, dst: DIRECTOR_MAC };

function seg6(src: string, dst: string, sport: number, dport: number, flags: number, hop = 64, eth = fromRouter) {
  return tcp6Frame({ eth, ip: { src, dst, hop }, tcp: { srcPort: sport, dstPort: dport, flags, seq: 100 } });
}

async function lab6(vs: VirtualServerConfig | VirtualServerConfig[], clock = new FakeClock()) {
  const config = labConfig(vs);
  if ([vs].flat().some((v) => v.laddrGroup === 'lips6')) config.localAddressGroups.lips6 = LIPS6;
  const lab = await memoryLabFor(config, clock, ROUTES, PLANE6);
  learnNeighbours6(lab.plane);
  await lab.settle();
  return lab;
}

type Lab = Awaited<ReturnType<typeof lab6>>;

/** adm -L -c rows as text, IPv6 ones as ipvsadm -Lc writes them. */
function listing(lab: Lab): string[] {
  return [...connectionPages(lab.plane)].flat().map((r) =>
    `${r.protocol} ${r.state} [${r.client.address}]:${r.client.port} [${r.virtual.address}]:${r.virtual.port} [${r.destination.address}]:${r.destination.port}`
    + (r.local ? ` [${r.local.address}]:${r.local.port}` : ''));
}

describe('data path, IPv6 virtual services', () => {
  it('DR: the SYN goes to the real server\'s MAC, addresses and hop limit untouched; the table lists it', async () => {
    const lab = await lab6(service6('dr'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 40000, 80, TCP_FLAGS.SYN));
      const [out, ...rest] = await lab.settle();
      assert.equal(rest.length, 0);
      const d = decode6(out!);
      assert.equal(d.dstMac, RS6_MAC[0]);
      assert.equal(d.srcMac, DIRECTOR_MAC);
      assert.deepEqual([d.src, d.dst, d.sport, d.dport, d.hop, d.l4ok], [CLIENT6, VIP6, 40000, 80, 64, true]);
      assert.deepEqual(listing(lab), [`tcp SYN_RECV [${CLIENT6}]:40000 [${VIP6}]:80 [${RS6[0]}]:80`]);
      lab.inject(seg6(CLIENT6, VIP6, 40000, 80, TCP_FLAGS.ACK));
      assert.equal(decode6((await lab.settle())[0]!).dstMac, RS6_MAC[0]);
      assert.deepEqual(listing(lab), [`tcp ESTABLISHED [${CLIENT6}]:40000 [${VIP6}]:80 [${RS6[0]}]:80`]);
    } finally {
      lab.plane.close();
    }
  });

  it('NAT: in to the real server:8080, the reply back from the VIP:80 to the router, hop limit - 1 both ways', async () => {
    const lab = await lab6(service6('nat'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 40001, 80, TCP_FLAGS.SYN));
      const inbound = decode6((await lab.settle())[0]!);
      assert.deepEqual([inbound.dstMac, inbound.src, inbound.dst, inbound.sport, inbound.dport, inbound.hop, inbound.l4ok],
        [RS6_MAC[0], CLIENT6, RS6[0], 40001, 8080, 63, true]);
      assert.deepEqual(listing(lab), [`tcp SYN_RECV [${CLIENT6}]:40001 [${VIP6}]:80 [${RS6[0]}]:8080`]);
      lab.inject(seg6(RS6[0]!, CLIENT6, 8080, 40001, TCP_FLAGS.SYN | TCP_FLAGS.ACK, 64, { src: RS6_MAC[0]!, dst: DIRECTOR_MAC }));
      const replies = await lab.settle();
      assert.equal(replies.length, 1, JSON.stringify(lab.stats().drops));
      const reply = decode6(replies[0]!);
      assert.deepEqual([reply.dstMac, reply.src, reply.dst, reply.sport, reply.dport, reply.hop, reply.l4ok],
        [ROUTER6_MAC, VIP6, CLIENT6, 80, 40001, 63, true]);
      lab.inject(seg6(CLIENT6, VIP6, 40001, 80, TCP_FLAGS.ACK));
      await lab.settle();
      assert.deepEqual(listing(lab), [`tcp ESTABLISHED [${CLIENT6}]:40001 [${VIP6}]:80 [${RS6[0]}]:8080`]);
      // Hop limit 1 is not routed: ICMPv6 Time Exceeded instead (datapath-icmp6.test.ts).
      lab.inject(seg6(CLIENT6, VIP6, 40001, 80, TCP_FLAGS.ACK, 1));
      assert.equal(decode6((await lab.settle())[0]!).next, 58);
      assert.equal(lab.plane.replies.timeExceeded, 1);
    } finally {
      lab.plane.close();
    }
  });

  it('FULLNAT: from a local address and port to the real server, the reply to that pair back to the client', async () => {
    const lab = await lab6(service6('fnat'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 40002, 80, TCP_FLAGS.SYN));
      const inFrame = (await lab.settle())[0]!;
      const inbound = decode6(inFrame);
      assert.equal(inbound.src, LIPS6[0]);
      // Numbered toward the real server from the ISN clock, as IPv4 (docs/datapath.md#fullnat-sequence-numbers).
      const c = lab.plane.conns;
      const e = c.liveEntries()[0]!;
      assert.ok(c.flags[e]! & ConnFlag.CLIENT_SEQ);
      assert.equal(inFrame.readUInt32BE(14 + 40 + 4), (100 + c.seqDelta[e]!) >>> 0, "the SYN's sequence number moved by the delta");
      assert.deepEqual([inbound.dstMac, inbound.dst, inbound.dport, inbound.hop, inbound.l4ok], [RS6_MAC[0], RS6[0], 8080, 63, true]);
      const lport = inbound.sport;
      assert.ok(lport >= 1024);
      assert.deepEqual(listing(lab), [`tcp SYN_RECV [${CLIENT6}]:40002 [${VIP6}]:80 [${RS6[0]}]:8080 [${LIPS6[0]}]:${lport}`]);
      lab.inject(seg6(RS6[0]!, LIPS6[0]!, 8080, lport, TCP_FLAGS.SYN | TCP_FLAGS.ACK, 64, { src: RS6_MAC[0]!, dst: DIRECTOR_MAC }));
      const replyFrame = (await lab.settle())[0]!;
      const reply = decode6(replyFrame);
      assert.deepEqual([reply.dstMac, reply.src, reply.dst, reply.sport, reply.dport, reply.hop, reply.l4ok],
        [ROUTER6_MAC, VIP6, CLIENT6, 80, 40002, 63, true]);
      assert.equal(replyFrame.readUInt32BE(14 + 40 + 8), (0 - c.seqDelta[e]!) >>> 0, 'its acknowledgment moved back');
      // A second client connection takes the other local address; no pair is handed out twice.
      lab.inject(seg6(CLIENT6, VIP6, 40003, 80, TCP_FLAGS.SYN));
      const second = decode6((await lab.settle())[0]!);
      assert.equal(second.src, LIPS6[1]);
      assert.equal(lab.plane.table.localAddresses6.size, 2);
      assert.deepEqual([...lab.plane.table.localAddresses6.values()].map((p) => p.inUse), [1, 1]);
      // Expiry gives the pairs back.
      lab.clock.ms += 200_000;
      lab.plane.tick();
      assert.equal(lab.plane.conns.size, 0);
      assert.deepEqual([...lab.plane.table.localAddresses6.values()].map((p) => p.inUse), [0, 0]);
    } finally {
      lab.plane.close();
    }
  });

  it('TUN: ip6ip6 from the director\'s address to the real server, the packet inside untouched', async () => {
    const lab = await lab6(service6('tun'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 40004, 80, TCP_FLAGS.SYN));
      const out = decode6((await lab.settle())[0]!);
      assert.deepEqual([out.dstMac, out.next, out.src, out.dst, out.hop], [RS6_MAC[0], 41, '2001:db8::2', RS6[0], 64]);
      const inner = out.inner!;
      assert.deepEqual([inner.src, inner.dst, inner.sport, inner.dport, inner.hop, inner.l4ok], [CLIENT6, VIP6, 40004, 80, 64, true]);
    } finally {
      lab.plane.close();
    }
  });

  it('spreads connections over the IPv6 real servers (rr, wrr, sh, mh) and keeps a client /64 on one with persistence', async () => {
    for (const scheduler of ['rr', 'wrr', 'lc', 'sh', 'mh']) {
      const lab = await lab6(service6('dr', { scheduler }));
      try {
        const seen = new Set<string>();
        for (let i = 0; i < 30; i++) {
          lab.inject(seg6(`2001:db8:${i + 1}::${i + 7}`, VIP6, 41000 + i, 80, TCP_FLAGS.SYN));
          for (const f of await lab.settle()) seen.add(decode6(f).dstMac);
        }
        assert.equal(seen.size, 3, `${scheduler} reaches every real server: ${[...seen].join(' ')}`);
      } finally {
        lab.plane.close();
      }
    }
    const lab = await lab6(service6('dr', { persistenceTimeout: 300, persistenceGranularity: '64' }));
    try {
      const macs = new Set<string>();
      for (let i = 0; i < 12; i++) {
        lab.inject(seg6(`2001:db8:7:0::${(i + 1).toString(16)}`, VIP6, 42000 + i, 80, TCP_FLAGS.SYN));
        for (const f of await lab.settle()) macs.add(decode6(f).dstMac);
      }
      assert.equal(macs.size, 1, 'one /64, one real server');
      lab.inject(seg6('2001:db8:8::1', VIP6, 42100, 80, TCP_FLAGS.SYN));
      assert.notEqual(decode6((await lab.settle())[0]!).dstMac, [...macs][0], 'another /64 is scheduled (rr: the next server)');
      const templates = listing(lab).filter((r) => r.includes('NONE'));
      assert.deepEqual(templates.sort(), [`tcp NONE [2001:db8:7::]:0 [${VIP6}]:80 [${RS6[0]}]:80`, `tcp NONE [2001:db8:8::]:0 [${VIP6}]:80 [${RS6[1]}]:80`]);
    } finally {
      lab.plane.close();
    }
  });

  it('serves an IPv4 and an IPv6 service at once, each its own family', async () => {
    const lab = await lab6([service('nat'), service6('nat')]);
    try {
      lab.inject(seg6(CLIENT6, VIP6, 43000, 80, TCP_FLAGS.SYN));
      lab.inject(tcpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: '198.18.1.10', dst: VIP }, tcp: { srcPort: 43000, dstPort: 80, flags: TCP_FLAGS.SYN } }));
      const out = await lab.settle();
      assert.equal(out.length, 2);
      const kinds = out.map((f) => f.readUInt16BE(12)).sort();
      assert.deepEqual(kinds, [0x0800, 0x86dd]);
      assert.equal(lab.plane.conns.size, 2);
      assert.equal(listing(lab).filter((r) => r.includes(`[${VIP6}]:80`)).length, 1);
      const services = lab.stats().services.map((svc) => [svc.vip, svc.realServers.map((rs) => rs.address)[0], svc.conns]);
      assert.deepEqual(services, [[VIP, '198.19.0.11', 1], [VIP6, RS6[0], 1]]);
    } finally {
      lab.plane.close();
    }
  });

  it('a reload removes and adds IPv6 real servers: new connections go to the new set, old ones drain', async () => {
    const vs = service6('dr');
    const lab = await lab6(vs);
    try {
      lab.inject(seg6(CLIENT6, VIP6, 44000, 80, TCP_FLAGS.SYN));
      assert.equal(decode6((await lab.settle())[0]!).dstMac, RS6_MAC[0]);
      const fewer = { ...vs, realServers: vs.realServers.slice(1) };
      const table = ServiceTable.build(labConfig(fewer), lab.clock, lab.plane.table);
      lab.plane.install(table);
      learnNeighbours6(lab.plane);
      lab.inject(seg6(CLIENT6, VIP6, 44000, 80, TCP_FLAGS.ACK));
      assert.equal(decode6((await lab.settle())[0]!).dstMac, RS6_MAC[0], 'the old connection drains to its server');
      for (let i = 1; i <= 4; i++) {
        lab.inject(seg6(CLIENT6, VIP6, 44000 + i, 80, TCP_FLAGS.SYN));
        assert.notEqual(decode6((await lab.settle())[0]!).dstMac, RS6_MAC[0]);
      }
      // And one more real server: it takes its turn.
      const spare = { ...vs.realServers[0]!, address: '2001:db8::14', line: 9 };
      lab.plane.install(ServiceTable.build(labConfig({ ...fewer, realServers: [...fewer.realServers, spare] }), lab.clock, lab.plane.table));
      lab.plane.arp.learn6(0x20010db8, 0, 0, 0x14, 0x0200, 0x00000614);
      const macs = new Set<string>();
      for (let i = 5; i <= 10; i++) {
        lab.inject(seg6(CLIENT6, VIP6, 44000 + i, 80, TCP_FLAGS.SYN));
        macs.add(decode6((await lab.settle())[0]!).dstMac);
      }
      assert.deepEqual([...macs].sort(), [RS6_MAC[1], RS6_MAC[2], '02:00:00:00:06:14'].sort());
    } finally {
      lab.plane.close();
    }
  });

  it('drops what it does not serve yet, each under its reason; answers ND and echo for the VIP', async () => {
    const lab = await lab6(service6('nat'));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 45000, 81, TCP_FLAGS.SYN)); // no service on that port
      lab.inject(seg6(CLIENT6, VIP6, 45000, 80, TCP_FLAGS.ACK)); // no connection
      lab.inject(seg6(CLIENT6, '2001:db8::99', 45000, 80, TCP_FLAGS.SYN)); // not ours
      // A solicitation for the VIP and an echo to it are answered (src/nd, test/unit/nd.test.ts);
      // an error about no connection is icmp_unknown.
      lab.inject(icmp6Frame({ eth: { src: ROUTER6_MAC, dst: '33:33:ff:00:01:00' }, ip: { src: '2001:db8::1', dst: 'ff02::1:ff00:100', hop: 255 },
        type: 135, body: Buffer.from(parseIpv6(VIP6)) }));
      lab.inject(icmp6Frame({ eth: fromRouter, ip: { src: CLIENT6, dst: VIP6 }, type: 128, rest: 0x00010001, body: Buffer.alloc(8) }));
      lab.inject(icmp6Frame({ eth: fromRouter, ip: { src: '2001:db8:1::1', dst: VIP6 }, type: 2, rest: 1280,
        body: ipv6({ src: VIP6, dst: CLIENT6 }, [], NEXT.TCP, Buffer.alloc(20)) }));
      assert.deepEqual((await lab.settle()).map((f) => f[14 + 40]), [136, 129], 'the advertisement and the echo reply');
      const d = lab.stats().drops;
      assert.deepEqual([d.no_service, d.no_conn, d.not_ours, d.icmp6_unhandled ?? 0, d.icmp_unknown], [1, 1, 1, 0, 1]);
    } finally {
      lab.plane.close();
    }
  });
});

describe('connection sync and the state file, IPv6', () => {
  it('leave IPv6 connections and templates out, and say how many', async () => {
    const lab = await lab6(service6('nat', { persistenceTimeout: 60, persistenceGranularity: '64' }));
    try {
      lab.inject(seg6(CLIENT6, VIP6, 46000, 80, TCP_FLAGS.SYN));
      await lab.settle();
      assert.equal(lab.plane.conns.size, 1);
      assert.deepEqual(dumpTable(lab.plane, lab.clock), []);
      assert.equal(ipv6Entries(lab.plane), 1);
      const [tpl] = [...lab.plane.factory.liveTemplates()];
      assert.equal(templateToSync(tpl!, 60), null);
    } finally {
      lab.plane.close();
    }
  });
});

describe('service table, IPv6 refusals', () => {
  const refused = (vs: VirtualServerConfig, groups: Record<string, string[]> = {}) => {
    const config = labConfig(vs);
    Object.assign(config.localAddressGroups, groups);
    return () => ServiceTable.build(config, new FakeClock());
  };
  it('refuses mixed families, syn_proxy, fwmark services and a FULLNAT group of the other family', () => {
    assert.throws(refused(service6('nat', { realServers: service('nat').realServers })), /only TUN reaches one/);
    assert.throws(refused(service6('nat', { synProxy: true })), /syn_proxy is not served on IPv6/);
    assert.throws(refused(service6('dr', { fwmark: 7 })), /firewall-mark/);
    assert.throws(refused(service6('fnat', { laddrGroup: 'v4' }), { v4: ['198.19.1.1'] }), /must be IPv6/);
    assert.throws(refused(service('fnat', { laddrGroup: 'v6' }), { v6: LIPS6 }), /must be IPv4/);
  });
});

describe('service table, IPv6 with workers', () => {
  it('refuses IPv6 services on a worker of several (load, reload and adm edit all plan through here)', () => {
    const config = labConfig(service6('dr'));
    assert.throws(() => ServiceTable.build(config, new FakeClock(), undefined, { workers: 2, index: 0 }), /one worker only/);
  });
});

describe('data path, IPv6 fragments', () => {
  it('NAT: a later fragment follows its first fragment\'s connection (addresses rewritten); an orphan is counted', async () => {
    const lab = await lab6(service6('nat', { protocol: 'udp' }));
    try {
      const datagram = udp6(CLIENT6, VIP6, { srcPort: 5353, dstPort: 80, payload: Buffer.alloc(40, 7) });
      const first = ethernet(fromRouter, ETH_IPV6, ipv6({ src: CLIENT6, dst: VIP6 }, [fragmentHeader(0, true, 0x9abcdef0)], NEXT.UDP, datagram.subarray(0, 24)));
      const later = ethernet(fromRouter, ETH_IPV6, ipv6({ src: CLIENT6, dst: VIP6 }, [fragmentHeader(24, false, 0x9abcdef0)], NEXT.UDP, datagram.subarray(24)));
      const orphan = ethernet(fromRouter, ETH_IPV6, ipv6({ src: CLIENT6, dst: VIP6 }, [fragmentHeader(24, false, 0x1234)], NEXT.UDP, datagram.subarray(24)));
      lab.inject(first, later, orphan);
      const out = await lab.settle();
      assert.equal(out.length, 2, JSON.stringify(lab.stats().drops));
      for (const f of out) {
        const d = decode6(f);
        assert.deepEqual([d.dstMac, d.src, d.dst, d.hop], [RS6_MAC[0], CLIENT6, RS6[0], 63]);
      }
      assert.equal(lab.stats().drops.fragment, 1);
    } finally {
      lab.plane.close();
    }
  });
});
