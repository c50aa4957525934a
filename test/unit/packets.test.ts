// Pins the test packet builders and decoder against hand-checked bytes, so every other packet
// test can trust them as an independent reference.
import { strict as assert } from 'node:assert';
import {
  arpReply, arpRequest, completePartial, decodeFrame, ethernet, fragmentFrames, gsoTcpFrame,
  icmpEchoFrame, icmpErrorFrame, ipFrame, ipipFrame, ipPacketOf, ipToU32, ipv4Checksum, l4ChecksumOk,
  macHiLo, makePartial, onesSum, parseVnet, partialSeedOk, pseudoHeaderSum, ipBytes, tcpFrame,
  TCP_FLAGS, u32ToIp, udpFrame, verifyIpv4Checksum,
} from '../support/packets.js';

const CLIENT = '198.18.1.10';
const VIP = '198.19.0.100';
const RS = '198.19.0.11';

describe('test packet builders', () => {
  it('computes a known IPv4 header checksum (hand-checked: 0xad8c)', () => {
    const h = Buffer.from('450000730000400040110000c6120001c61300c7', 'hex');
    assert.equal(ipv4Checksum(h), 0xad8c);
    h.writeUInt16BE(0xad8c, 10);
    assert.equal(onesSum(h), 0xffff);
  });

  it('builds a TCP SYN byte for byte', () => {
    const f = tcpFrame({
      eth: { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
      ip: { src: CLIENT, dst: VIP, id: 0x1234, ttl: 64 },
      tcp: { srcPort: 40000, dstPort: 80, seq: 1000, flags: TCP_FLAGS.SYN, window: 65535 },
    });
    const want =
      '020000000002' + '020000000001' + '0800' +
      '4500 0028 1234 0000 4006 db08 c612 010a c613 0064'.replace(/ /g, '') +
      '9c40 0050 000003e8 00000000 50 02 ffff 81d6 0000'.replace(/ /g, '');
    assert.equal(f.toString('hex'), want);
    assert.ok(verifyIpv4Checksum(f));
    assert.ok(l4ChecksumOk(f));
  });

  it('detects a single corrupted bit in IP header and L4 payload', () => {
    const f = tcpFrame({ ip: { src: CLIENT, dst: VIP }, tcp: { srcPort: 1, dstPort: 2, payload: Buffer.from('hello') } });
    const badIp = Buffer.from(f);
    badIp.writeUInt8(badIp.readUInt8(14 + 8) ^ 1, 14 + 8);
    assert.equal(verifyIpv4Checksum(badIp), false);
    const badL4 = Buffer.from(f);
    badL4.writeUInt8(badL4.readUInt8(badL4.length - 1) ^ 0x10, badL4.length - 1);
    assert.equal(l4ChecksumOk(badL4), false);
    assert.ok(l4ChecksumOk(f));
  });

  it('writes 0xffff when a UDP checksum computes to zero, and accepts a zero (absent) checksum', () => {
    const base = udpFrame({ ip: { src: CLIENT, dst: VIP }, udp: { srcPort: 53, dstPort: 53, payload: Buffer.alloc(2) } });
    // Choose the payload word that makes the one's-complement sum 0xffff (computed checksum 0).
    const seg = base.subarray(34);
    const sum = onesSum(seg, 0, 6, onesSum(seg, 8, seg.length, pseudoHeaderSum(ipBytes(CLIENT), ipBytes(VIP), 17, seg.length)));
    const w = 0xffff - sum;
    const payload = Buffer.from([w >> 8, w & 0xff]);
    const f = udpFrame({ ip: { src: CLIENT, dst: VIP }, udp: { srcPort: 53, dstPort: 53, payload } });
    assert.equal(decodeFrame(f).ip!.udp!.checksum, 0xffff);
    assert.ok(l4ChecksumOk(f));
    const none = udpFrame({ ip: { src: CLIENT, dst: VIP }, udp: { srcPort: 53, dstPort: 53, checksum: false } });
    assert.equal(decodeFrame(none).ip!.udp!.checksum, 0);
    assert.ok(l4ChecksumOk(none));
  });

  it('builds an 802.1Q-tagged frame', () => {
    const f = ethernet({ vlan: 42, pcp: 5 }, 0x0800, Buffer.alloc(0));
    assert.equal(f.subarray(12).toString('hex'), '8100a02a0800');
    const t = udpFrame({ eth: { vlan: 7 }, ip: { src: CLIENT, dst: VIP }, udp: { srcPort: 9, dstPort: 9 } });
    const d = decodeFrame(t);
    assert.equal(d.vlan, 7);
    assert.equal(d.l3Offset, 18);
    assert.equal(d.ip!.udp!.dstPort, 9);
    assert.ok(l4ChecksumOk(t));
  });

  it('builds ARP request and reply byte for byte', () => {
    const req = arpRequest({ senderMac: '02:00:00:00:00:01', senderIp: '198.19.0.1', targetIp: VIP });
    assert.equal(req.toString('hex'),
      'ffffffffffff020000000001' + '0806' + '0001080006040001' + '020000000001c6130001' + '000000000000c6130064');
    const rep = arpReply({ senderMac: '02:00:00:00:00:aa', senderIp: VIP, targetMac: '02:00:00:00:00:01', targetIp: '198.19.0.1' });
    const a = decodeFrame(rep).arp!;
    assert.deepEqual(a, { op: 2, senderMac: '02:00:00:00:00:aa', senderIp: VIP, targetMac: '02:00:00:00:00:01', targetIp: '198.19.0.1' });
    assert.equal(decodeFrame(rep).dstMac, '02:00:00:00:00:01');
  });

  it('builds ICMP echo with a correct checksum', () => {
    const f = icmpEchoFrame({ ip: { src: CLIENT, dst: VIP }, echo: { id: 0x4242, seq: 1, payload: Buffer.from('ping') } });
    const icmp = decodeFrame(f).ip!.icmp!;
    assert.deepEqual([icmp.type, icmp.id, icmp.seq], [8, 0x4242, 1]);
    assert.ok(l4ChecksumOk(f));
  });

  it('builds ICMP errors that quote the offending IP header + 8 bytes', () => {
    const orig = tcpFrame({ ip: { src: VIP, dst: CLIENT, df: true }, tcp: { srcPort: 80, dstPort: 40000, payload: Buffer.alloc(100) } });
    const f = icmpErrorFrame({ ip: { src: '198.18.0.1', dst: VIP }, error: { type: 3, code: 4, mtu: 1400, quote: ipPacketOf(orig) } });
    const icmp = decodeFrame(f).ip!.icmp!;
    assert.equal(icmp.payload.length, 28);
    assert.equal(icmp.rest, 1400);
    assert.equal(icmp.quoted!.src, VIP);
    assert.equal(icmp.quoted!.complete, false);
    assert.deepEqual(icmp.quoted!.ports, { src: 80, dst: 40000 });
    assert.ok(l4ChecksumOk(f));
  });

  it('builds IPIP with valid outer and inner headers', () => {
    const inner = ipPacketOf(tcpFrame({ ip: { src: CLIENT, dst: VIP }, tcp: { srcPort: 5, dstPort: 80 } }));
    const f = ipipFrame({ outer: { src: '198.19.0.2', dst: RS, df: true }, inner });
    const ip = decodeFrame(f).ip!;
    assert.equal(ip.proto, 4);
    assert.equal(ip.inner!.dst, VIP);
    assert.equal(ip.inner!.tcp!.dstPort, 80);
    assert.ok(verifyIpv4Checksum(f));
    assert.ok(l4ChecksumOk(f));
  });

  it('splits a datagram into fragments with offsets and MF', () => {
    const frags = fragmentFrames({ ip: { src: CLIENT, dst: VIP, id: 77 }, proto: 17, payload: Buffer.alloc(3000) }, 1480);
    assert.equal(frags.length, 3);
    const ips = frags.map((f) => decodeFrame(f).ip!);
    assert.deepEqual(ips.map((i) => [i.fragOffset, i.mf, i.id]), [[0, true, 77], [1480, true, 77], [2960, false, 77]]);
    assert.ok(frags.every((f) => verifyIpv4Checksum(f)));
    assert.throws(() => l4ChecksumOk(frags[1]!), /fragment/);
  });

  it('makes a frame CHECKSUM_PARTIAL and completes it back', () => {
    const f = tcpFrame({ ip: { src: CLIENT, dst: VIP }, tcp: { srcPort: 40000, dstPort: 80, payload: Buffer.from('GET /') } });
    const p = makePartial(f);
    const v = parseVnet(p.vnet);
    assert.deepEqual([v.flags, v.csumStart, v.csumOffset], [1, 34, 16]);
    assert.equal(p.frame.readUInt16BE(50), pseudoHeaderSum(ipBytes(CLIENT), ipBytes(VIP), 6, 25));
    assert.ok(partialSeedOk(p.frame, p.vnet));
    assert.equal(l4ChecksumOk(p.frame), false);
    assert.deepEqual(completePartial(p.frame, p.vnet), f);
  });

  it('builds a GSO TCPv4 super-frame', () => {
    const g = gsoTcpFrame({ ip: { src: CLIENT, dst: RS }, tcp: { srcPort: 1, dstPort: 80, payload: Buffer.alloc(10000, 7) } }, 1448);
    const v = parseVnet(g.vnet);
    assert.deepEqual([v.flags, v.gsoType, v.gsoSize, v.hdrLen, v.csumStart], [1, 1, 1448, 54, 34]);
    assert.equal(decodeFrame(g.frame).ip!.totalLength, 10040);
    assert.ok(partialSeedOk(g.frame, g.vnet));
  });

  it('converts addresses and MACs as records.h expects', () => {
    assert.equal(ipToU32('198.18.0.1'), 0xc6120001);
    assert.equal(u32ToIp(0xc61300c7), '198.19.0.199');
    assert.deepEqual(macHiLo('aa:bb:cc:dd:ee:ff'), { hi: 0xaabb, lo: 0xccddeeff });
    const raw = ipFrame({ ip: { src: CLIENT, dst: VIP, fragOffset: 8, mf: false }, proto: 6, payload: Buffer.alloc(8) });
    assert.equal(decodeFrame(raw).ip!.tcp, undefined);
  });
});
