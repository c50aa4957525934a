// ICMPv6 and 6in4 golden packets through the addon's pure core: ICMPv6 errors about NAT and
// FULLNAT connections (outer and quoted packet translated, whole and cut quotes), the Packet Too
// Big and Time Exceeded answers the director originates, and 6in4 toward an IPv4 real server,
// each compared byte for byte with a frame built from scratch (so every checksum is proven).
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/native/binding.js';
import { parseIpv6 } from '../../src/net/addr6.js';
import { DIR_MAC, fromRouter, fromRs, PAYLOAD, ROUTER_MAC, RS_MAC, toRouter, toRs, verdict, type VerdictSpec } from '../support/golden-verdict.js';
import { ETH_IPV4, ethernet, ipv4, TCP_FLAGS } from '../support/packets.js';
import { ETH_IPV6, icmp6Frame, ipv6, l4Checksum6Ok, NEXT, tcp6, tcp6Frame, udp6 } from '../support/packets6.js';

const CLIENT = '2001:db8:1::10';
const ROUTER = '2001:db8:ff::1';
const VIP = '2001:db8::100';
const RS = '2001:db8::11';
const LIP = '2001:db8:f::1';
const egress = { mac: DIR_MAC, mtu: 1500, ip: 0 };

/** The quoted packet: a TCP segment (or UDP datagram) src:sport -> dst:dport, cut to `cut` bytes. */
function quote(src: string, sport: number, dst: string, dport: number, udp = false, cut?: number): Buffer {
  const p = udp
    ? ipv6({ src, dst }, [], NEXT.UDP, udp6(src, dst, { srcPort: sport, dstPort: dport, payload: PAYLOAD }))
    : ipv6({ src, dst }, [], NEXT.TCP, tcp6(src, dst, { srcPort: sport, dstPort: dport, flags: TCP_FLAGS.ACK, payload: PAYLOAD }));
  return cut === undefined ? p : p.subarray(0, cut);
}

const error6 = (eth: { src: string; dst: string }, src: string, dst: string, hop: number, type: number, rest: number, body: Buffer) =>
  icmp6Frame({ eth, ip: { src, dst, hop }, type, code: type === 1 ? 4 : 0, rest, body });

interface Row { name: string; input: () => Buffer; verdict: VerdictSpec; expected: () => Buffer }

const ERRORS: Row[] = [
  {
    name: 'NAT in: a router\'s Packet Too Big about the reply goes on to the real server, quote [RS]:8080 -> client',
    input: () => error6(fromRouter, ROUTER, VIP, 60, 2, 1400, quote(VIP, 80, CLIENT, 40000)),
    verdict: { action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp6: RS, dstPort: 8080 },
    expected: () => error6(toRs, ROUTER, RS, 59, 2, 1400, quote(RS, 8080, CLIENT, 40000)),
  },
  {
    name: 'NAT out: the real server\'s port unreachable goes back from the VIP, quote client -> [VIP]:53',
    input: () => error6(fromRs, RS, CLIENT, 64, 1, 0, quote(CLIENT, 40000, RS, 5353, true)),
    verdict: { action: 'FORWARD', method: 'NAT', direction: 'OUT', mac: ROUTER_MAC, srcIp6: VIP, srcPort: 53 },
    expected: () => error6(toRouter, VIP, CLIENT, 63, 1, 0, quote(CLIENT, 40000, VIP, 53, true)),
  },
  {
    name: 'FULLNAT in: time exceeded about the reply, from [LIP] to [RS], quote [RS]:8080 -> [LIP]:5001',
    input: () => error6(fromRouter, ROUTER, VIP, 60, 3, 0, quote(VIP, 80, CLIENT, 40000)),
    verdict: { action: 'FORWARD', method: 'FNAT', mac: RS_MAC, srcIp6: LIP, srcPort: 5001, dstIp6: RS, dstPort: 8080 },
    expected: () => error6(toRs, LIP, RS, 59, 3, 0, quote(RS, 8080, LIP, 5001)),
  },
  {
    name: 'FULLNAT out: parameter problem with a quote cut after the ports (RFC 4443 allows any cut)',
    input: () => error6(fromRs, RS, LIP, 64, 4, 6, quote(LIP, 5001, RS, 8080, false, 44)),
    verdict: { action: 'FORWARD', method: 'FNAT', direction: 'OUT', mac: ROUTER_MAC, srcIp6: VIP, srcPort: 80, dstIp6: CLIENT, dstPort: 40000 },
    expected: () => error6(toRouter, VIP, CLIENT, 63, 4, 6, quote(CLIENT, 40000, VIP, 80, false, 44)),
  },
];

describe('ICMPv6 errors about connections through the addon (pure core)', () => {
  for (const row of ERRORS) {
    it(row.name, () => {
      const out = loadAddon().rewrite(row.input(), verdict(row.verdict), egress);
      assert.equal(out.error, 0, `rewrite error ${out.error}`);
      assert.equal(out.length, 1);
      const got = Buffer.from(out[0]!.frame);
      assert.equal(got.toString('hex'), row.expected().toString('hex'));
      assert.ok(l4Checksum6Ok(got, 14, 54, NEXT.ICMPV6));
    });
  }

  it('refuses a quote shorter than an IPv6 header and an error whose hop limit is 1', () => {
    const nat = verdict({ action: 'FORWARD', method: 'NAT', mac: RS_MAC, dstIp6: RS, dstPort: 8080 });
    for (const frame of [error6(fromRouter, ROUTER, VIP, 60, 1, 0, quote(VIP, 80, CLIENT, 40000, false, 39)),
      error6(fromRouter, ROUTER, VIP, 1, 2, 1400, quote(VIP, 80, CLIENT, 40000))]) {
      const out = loadAddon().rewrite(frame, nat, egress);
      assert.equal(out.length, 0);
      assert.notEqual(out.error, 0);
    }
  });
});

/** The answer Linux's icmp6_send builds: back to the sender, hop limit 64, traffic class and flow label 0. */
function reply6(offending: Buffer, src: string, type: number, rest: number): Buffer {
  const packet = offending.subarray(14, Math.min(offending.length, 14 + 1232));
  const f = icmp6Frame({ eth: toRouter, ip: { src, dst: CLIENT, hop: 64 }, type, rest, body: packet });
  f.writeUInt32BE(0x60000000, 14);  // the builder's flow label, which no checksum covers
  return f;
}

const big = (hop: number) => tcp6Frame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP, hop },
  tcp: { srcPort: 40000, dstPort: 80, flags: TCP_FLAGS.ACK, payload: Buffer.alloc(1400, 0x5a) } });

describe('ICMPv6 errors the director originates (pure core)', () => {
  const cases: [string, VerdictSpec, number, number, string?][] = [
    ['Time Exceeded for hop limit 1, from the VIP, the whole packet quoted', { action: 'ICMP_TIME_EXCEEDED' }, 3, 0],
    ['Packet Too Big carrying the MTU left, the quote cut to fit 1280 bytes', { action: 'ICMP_FRAG_NEEDED', mtu: 1460 }, 2, 1460],
    ['Packet Too Big under 1280 is said as 1280', { action: 'ICMP_FRAG_NEEDED', mtu: 1000 }, 2, 1280],
    ['from the verdict\'s source when it gives one', { action: 'ICMP_TIME_EXCEEDED', srcIp6: '2001:db8::2' }, 3, 0, '2001:db8::2'],
  ];
  for (const [name, spec, type, rest, src] of cases) {
    it(name, () => {
      const input = type === 3 && !src ? tcp6Frame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP, hop: 1 }, tcp: { srcPort: 40000, dstPort: 80, payload: PAYLOAD } }) : big(1);
      const out = loadAddon().rewrite(input, verdict(spec), egress);
      assert.equal(out.error, 0, `rewrite error ${out.error}`);
      assert.equal(out.length, 1);
      const got = Buffer.from(out[0]!.frame);
      assert.equal(got.toString('hex'), reply6(input, src ?? VIP, type, rest).toString('hex'));
      assert.ok(got.length - 14 <= 1280);
    });
  }

  it('never answers an ICMPv6 error', () => {
    const err = error6(fromRouter, CLIENT, VIP, 1, 1, 0, quote(VIP, 80, CLIENT, 40000));
    for (const action of ['ICMP_TIME_EXCEEDED', 'ICMP_FRAG_NEEDED'] as const) {
      const out = loadAddon().rewrite(err, verdict({ action, mtu: 1400 }), egress);
      assert.equal(out.length, 0);
      assert.notEqual(out.error, 0);
    }
  });
});

describe('6in4 toward an IPv4 real server (pure core)', () => {
  it('wraps the untouched IPv6 packet in IPv4 protocol 41: TTL from the hop limit, DF clear', () => {
    const input = tcp6Frame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP, hop: 57 }, tcp: { srcPort: 40000, dstPort: 80, payload: PAYLOAD } });
    const spec: VerdictSpec = { action: 'FORWARD', method: 'TUN', mac: RS_MAC, tunSrc: '198.19.0.2', tunDst: '198.19.0.11' };
    const out = loadAddon().rewrite(Buffer.from(input), verdict(spec), egress);
    assert.equal(out.error, 0, `rewrite error ${out.error}`);
    const got = Buffer.from(out[0]!.frame);
    const id = got.readUInt16BE(14 + 4);  // derived (no DF): any value
    const want = ethernet(toRs, ETH_IPV4, ipv4({ src: '198.19.0.2', dst: '198.19.0.11', ttl: 57, id, df: false }, 41, input.subarray(14)));
    assert.equal(got.toString('hex'), want.toString('hex'));
    assert.deepEqual([...got.subarray(14 + 20 + 24, 14 + 20 + 40)], [...parseIpv6(VIP)]);
    assert.equal(ETH_IPV6, input.readUInt16BE(12));
  });

  it('refuses a verdict naming both an IPv4 and an IPv6 tunnel', () => {
    const input = tcp6Frame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP }, tcp: { srcPort: 40000, dstPort: 80 } });
    const both = verdict({ action: 'FORWARD', method: 'TUN', mac: RS_MAC, tunSrc: '198.19.0.2', tunDst: '198.19.0.11', dstIp6: RS });
    const out = loadAddon().rewrite(input, both, egress);
    assert.equal(out.length, 0);
    assert.notEqual(out.error, 0);
  });
});
