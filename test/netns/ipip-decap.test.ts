// The real server's user-space tunnel decapsulator: IPIP, 6in4, ip6ip6 and 4in6 frames built by
// the test enter a namespace, lose their outer header in C++, and reach a UDP socket bound to the
// VIP (IPv4 or IPv6) on lo.

import assert from 'node:assert/strict';
import { Cleanup, makePrefix, sweepStale } from '../../src/lab/cleanup.js';
import { addAddress, addNamespace, addVethPair, linkInfo, linkUp, sysctl } from '../../src/lab/netns.js';
import { loadAddon } from '../../src/native/binding.js';
import type { NativeDecapsulator, NativeEngine } from '../../src/native/types.js';
import { ipFrame, ipipFrame, ipv4, PROTO, udp, udpFrame } from '../support/packets.js';
import { ethernet } from '../support/packets.js';
import { ETH_IPV6, ipv6, NEXT, optionsHeader, udp6 } from '../support/packets6.js';
import { readInNamespace, TEST_FAMILY } from '../support/netns.js';
import { needsRoot } from '../support/prerequisites.js';
import { nodeIn, nsPath } from '../support/native-lab.js';
import { waitUntil } from '../support/wait.js';

const RS_IP = '198.19.0.11';
const VIP = '198.19.0.100';
const CLIENT = '198.18.1.10';
const RS_IP6 = '2001:db8:0:1::11';
const VIP6 = '2001:db8:100::1';
const CLIENT6 = '2001:db8:1::10';
/** Protocol 41: an IPv6 packet follows (6in4, ip6ip6). */
const PROTO_IPV6 = 41;

const UDP_RX = `
const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => process.stdout.write('rx ' + r.address + ':' + r.port + ' ' + m.toString() + '\\n'));
s.bind(5000, process.argv[1], () => process.stdout.write('ready\\n'));`;

const UDP6_RX = UDP_RX.replace("'udp4'", "'udp6'");

/** The namespace's Icmp OutDestUnreachs counter (/proc/net/snmp). */
async function icmpOutDestUnreachs(ns: string): Promise<number> {
  const lines = (await readInNamespace(ns, '/proc/net/snmp'))
    .split('\n').filter((l) => l.startsWith('Icmp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf('OutDestUnreachs')]);
}

describe('IPIP decapsulator (needs root: creates network namespaces)', function () {
  this.timeout(60_000);
  const cleanup = new Cleanup();
  let rs = '';
  let sender: NativeEngine;
  let decap: NativeDecapsulator;
  let s0 = 0;
  let rsMac = '';
  let senderMac = '';

  needsRoot();
  before(async function () {
    this.timeout(60_000);
    await sweepStale(TEST_FAMILY);
    const prefix = makePrefix(TEST_FAMILY);
    const snd = `${prefix}-dcs`;
    rs = `${prefix}-dcr`;
    for (const ns of [snd, rs]) { cleanup.namespace(ns); await addNamespace(ns); }
    await addVethPair(snd, 's0', rs, 'r0');
    await linkUp(snd, 's0');
    await linkUp(rs, 'r0');
    await addAddress(rs, 'r0', `${RS_IP}/24`);
    await addAddress(rs, 'lo', `${VIP}/32`);
    for (const dev of ['all', 'default', 'r0']) await sysctl(rs, `net.ipv6.conf.${dev}.disable_ipv6`, 0);
    await sysctl(rs, 'net.ipv6.conf.r0.accept_dad', 0);
    await addAddress(rs, 'r0', `${RS_IP6}/64`);
    await addAddress(rs, 'lo', `${VIP6}/128`);
    await sysctl(rs, 'net.ipv4.conf.all.rp_filter', 0);
    await sysctl(rs, 'net.ipv4.conf.default.rp_filter', 0);
    rsMac = (await linkInfo(rs, 'r0')).mac;
    senderMac = (await linkInfo(snd, 's0')).mac;
    const addon = loadAddon();
    decap = new addon.Decapsulator({ interface: 'r0', tun: 'dtun0', addresses: [RS_IP, RS_IP6], netns: nsPath(rs) });
    sender = new addon.Engine();
    cleanup.first(async () => { decap.close(); sender.close(); });
    s0 = sender.addPacketPort('s0', { netns: nsPath(snd) });
    await sysctl(rs, 'net.ipv4.conf.dtun0.rp_filter', 0);
    decap.start();
  });

  after(async function () {
    this.timeout(30_000);
    await cleanup.run();
  });

  function ipip(outerDst: string, n: number): Buffer {
    const inner = ipv4({ src: CLIENT, dst: VIP, id: n }, PROTO.UDP,
      udp(CLIENT, VIP, { srcPort: 40000 + n, dstPort: 5000, payload: Buffer.from(`inner ${n}`) }));
    return ipipFrame({ eth: { src: senderMac, dst: rsMac }, outer: { src: '198.19.0.2', dst: outerDst, df: true }, inner });
  }

  it('creates the TUN device in the namespace and rejects bad options', function () {
    assert.equal(decap.info().tun, 'dtun0');
    assert.ok(decap.info().tunIfindex > 0);
    const { Decapsulator } = loadAddon();
    assert.throws(() => new Decapsulator({ interface: 'r0', tun: 'x', addresses: [] }), TypeError);
    assert.throws(() => new Decapsulator({ interface: 'r0', tun: 'x', addresses: ['not-an-ip'] }), /not an IPv4 or IPv6 address/);
    assert.throws(() => new Decapsulator({ interface: 'nosuch0', tun: 'dtunx', addresses: [RS_IP], netns: nsPath(rs) }), /nosuch0/);
  });

  it('delivers the inner packets to a UDP socket bound to the VIP; other traffic is not decapsulated', async function () {
    const rx = nodeIn(cleanup, rs, UDP_RX, [VIP]);
    await rx.waitFor(/ready/);
    const unreachBefore = await icmpOutDestUnreachs(rs);
    const n = 20;
    for (let i = 0; i < n; i++) sender.send(s0, ipip(RS_IP, i));
    // Not ours: IPIP to another address, and a plain UDP frame to the real server.
    sender.send(s0, ipip('198.19.0.12', 99));
    sender.send(s0, udpFrame({ eth: { src: senderMac, dst: rsMac }, ip: { src: '198.19.0.2', dst: RS_IP }, udp: { srcPort: 1, dstPort: 9 } }));
    await waitUntil(`${n} datagrams at the VIP socket`, () => (rx.stdout.match(/^rx /gm) ?? []).length >= n);
    for (let i = 0; i < n; i++) assert.ok(rx.stdout.includes(`rx ${CLIENT}:${40000 + i} inner ${i}\n`), `datagram ${i}`);
    // The plain probe went last on the same wire: once its port unreachable is counted,
    // every frame before it has been handled.
    let unreach = 0;
    await waitUntil('the port unreachable for the plain UDP probe', async () => {
      unreach = await icmpOutDestUnreachs(rs) - unreachBefore;
      return unreach >= 1;
    });
    const c = decap.counters();
    assert.equal(c.decapsulated, n);
    assert.equal(c.rxFrames, n, 'the BPF filter keeps everything else off the ring');
    assert.equal(c.malformed + c.txErrors + c.truncated, 0);
    assert.ok(!rx.stdout.includes('inner 99'));
    // Without the ipip module the kernel would answer each IPIP packet with protocol-unreachable;
    // the one unreachable expected is the port-unreachable for the plain UDP probe to port 9.
    assert.equal(unreach, 1, 'the real server kernel stays quiet about IPIP');
    await rx.stop();
  });

  it('counts malformed IPIP frames instead of passing them', async function () {
    const before = decap.counters();
    const bad = ipip(RS_IP, 1);
    bad.writeUInt16BE(40, 14 + 2);  // outer total length shorter than outer + inner headers
    sender.send(s0, bad);
    await waitUntil('the malformed frame counted', () => decap.counters().malformed > before.malformed);
    assert.equal(decap.counters().decapsulated, before.decapsulated);
  });

  /** An inner UDP datagram to the IPv6 VIP, or (4in6) to the IPv4 one. */
  function inner6(n: number): Buffer {
    return ipv6({ src: CLIENT6, dst: VIP6 }, [], NEXT.UDP, udp6(CLIENT6, VIP6, { srcPort: 41000 + n, dstPort: 5000, payload: Buffer.from(`inner6 ${n}`) }));
  }
  function inner4(n: number): Buffer {
    return ipv4({ src: CLIENT, dst: VIP, id: n }, PROTO.UDP, udp(CLIENT, VIP, { srcPort: 42000 + n, dstPort: 5000, payload: Buffer.from(`in6 ${n}`) }));
  }
  const eth = (): { src: string; dst: string } => ({ src: senderMac, dst: rsMac });
  /**
   * ip6ip6, as IPVS sends it (no extension header) or as Linux's ip6_tunnel does (a destination
   * options header in front, its encapsulation limit option; PadN here, which reads the same).
   */
  function ip6ip6(n: number, encapLimit: boolean, outerDst = RS_IP6): Buffer {
    const chain = encapLimit ? [optionsHeader(NEXT.DEST_OPTS)] : [];
    return ethernet(eth(), ETH_IPV6, ipv6({ src: '2001:db8:0:1::2', dst: outerDst }, chain, PROTO_IPV6, inner6(n)));
  }
  const sixIn4 = (n: number): Buffer => ipFrame({ eth: eth(), ip: { src: '198.19.0.2', dst: RS_IP }, proto: PROTO_IPV6, payload: inner6(n) });
  const fourIn6 = (n: number): Buffer => ethernet(eth(), ETH_IPV6, ipv6({ src: '2001:db8:0:1::2', dst: RS_IP6 }, [], PROTO.IPIP, inner4(n)));

  /**
   * Parameter problems sent and packets of an unknown next header (/proc/net/snmp6): without the
   * IPv6 silencer sockets, each ip6ip6 or 4in6 packet counts in the second (measured: 15 of 15)
   * and the first grows up to the ICMPv6 rate limit (6).
   */
  async function unknownNextHeader(ns: string): Promise<number> {
    const lines = (await readInNamespace(ns, '/proc/net/snmp6')).split('\n');
    const value = (name: string): number => Number(lines.find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}\t`))!.split(/\s+/)[1]);
    return value('Icmp6OutParmProblems') + value('Ip6InUnknownProtos');
  }

  it('decapsulates ip6ip6 (with and without an encapsulation limit), 6in4 and 4in6 to the VIPs on lo; the kernel stays quiet', async function () {
    const rx6 = nodeIn(cleanup, rs, UDP6_RX, [VIP6]);
    const rx4 = nodeIn(cleanup, rs, UDP_RX, [VIP]);
    await rx6.waitFor(/ready/);
    await rx4.waitFor(/ready/);
    const before = decap.counters();
    const errorsBefore = await unknownNextHeader(rs);
    const unreachBefore = await icmpOutDestUnreachs(rs);
    for (let i = 0; i < 5; i++) {
      sender.send(s0, ip6ip6(i, false));
      sender.send(s0, ip6ip6(10 + i, true));
      sender.send(s0, sixIn4(20 + i));
      sender.send(s0, fourIn6(i));
    }
    // Not ours: ip6ip6 to another address of the link.
    sender.send(s0, ip6ip6(99, false, '2001:db8:0:1::99'));
    await waitUntil('15 datagrams at the IPv6 VIP', () => (rx6.stdout.match(/^rx /gm) ?? []).length >= 15);
    await waitUntil('5 datagrams at the IPv4 VIP', () => (rx4.stdout.match(/^rx /gm) ?? []).length >= 5);
    for (const n of [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24]) {
      assert.ok(rx6.stdout.includes(`rx ${CLIENT6}:${41000 + n} inner6 ${n}\n`), `IPv6 datagram ${n}: ${rx6.stdout}`);
    }
    for (let i = 0; i < 5; i++) assert.ok(rx4.stdout.includes(`rx ${CLIENT}:${42000 + i} in6 ${i}\n`), `4in6 datagram ${i}`);
    await waitUntil('the stray ip6ip6 counted', () => decap.counters().notForUs > before.notForUs);
    const c = decap.counters();
    assert.equal(c.decapsulated - before.decapsulated, 20);
    assert.equal(c.malformed + c.txErrors + c.truncated - (before.malformed + before.txErrors + before.truncated), 0);
    assert.ok(!rx6.stdout.includes('inner6 99'));
    assert.equal(await unknownNextHeader(rs) - errorsBefore, 0, 'no unknown next header, no ICMPv6 parameter problem for 41 or 4');
    assert.equal(await icmpOutDestUnreachs(rs) - unreachBefore, 0, 'no protocol unreachable for 6in4');
    await rx6.stop();
    await rx4.stop();
  });

  it('counts malformed IPv6 tunnel frames: short payload length, inner length disagreeing, an options header past the end', async function () {
    const before = decap.counters();
    const shortOuter = ip6ip6(1, false);
    shortOuter.writeUInt16BE(20, 14 + 4);  // outer payload shorter than the inner IPv6 header
    const innerLies = ip6ip6(2, false);
    innerLies.writeUInt16BE(999, 14 + 40 + 4);  // inner payload length beyond the packet
    const optsPastEnd = ip6ip6(3, true);
    optsPastEnd[14 + 40 + 1] = 200;  // the options header claims 1608 bytes
    const truncatedHeader = ip6ip6(4, false).subarray(0, 14 + 30);
    for (const f of [shortOuter, innerLies, optsPastEnd, truncatedHeader]) sender.send(s0, f);
    await waitUntil('four malformed frames counted', () => decap.counters().malformed - before.malformed >= 4);
    assert.equal(decap.counters().decapsulated, before.decapsulated);
  });
});
