// VRRP wire codec: byte-exact against adverts keepalived 2.2.7 really sent (fixture captured by
// tools/fixtures/capture-keepalived-vrrp.sh), round trips, and one test per receive refusal.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseIpv4 } from '../../src/net/addr.js';
import { internetChecksum, pseudoHeaderSum } from '../../src/net/checksum.js';
import {
  AuthType, decodeVrrp, encodeVrrp, passwordBytes, VRRP_GROUP, type VrrpAdvert,
} from '../../src/vrrp/vrrp-packet.js';
import { buildVrrpFrame, multicastMac, readVrrpFrame, readVrrpIpv4, type VrrpPacket } from '../../src/vrrp/vrrp-frame.js';
import { checkAdvert, DROP_REASONS, dropReasonIndex, type AdvertExpectation } from '../../src/vrrp/vrrp-receive.js';

interface Fixture { madeBy: string; frames: Array<{ t: number; hex: string }> }
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/keepalived-vrrp.json'), 'utf8')) as Fixture;
const vrrpFrames = fixture.frames.map((f) => Buffer.from(f.hex, 'hex')).filter((b) => b.readUInt16BE(12) === 0x0800 && b[23] === 112);

const KA_MAC = '02:00:5e:10:00:01';
const PEER_MAC = '02:00:5e:10:00:02';
const KA_IP = parseIpv4('198.18.10.1');
const PEER_IP = parseIpv4('198.18.10.2');
const ip = (last: number): number => parseIpv4(`198.18.10.${last}`);

const v2Pass: VrrpAdvert = {
  version: 2, vrid: 51, priority: 150, addresses: [ip(100), ip(101)], authType: AuthType.PASS,
  intervalSeconds: 1, authData: passwordBytes('secret1'),
};
const v3Mcast: VrrpAdvert = { version: 3, vrid: 52, priority: 200, addresses: [ip(102)], intervalCs: 50 };
const v3Unicast: VrrpAdvert = { version: 3, vrid: 53, priority: 100, addresses: [ip(103)], intervalCs: 100 };

/** The first captured frame of a VRID with a given priority. */
function captured(vrid: number, priority: number): string {
  const f = vrrpFrames.find((b) => b[35] === vrid && b[36] === priority);
  assert.ok(f, `fixture has no advert for VRID ${vrid} priority ${priority}`);
  return f.toString('hex');
}

describe('VRRP codec: byte-exact against keepalived 2.2.7', () => {
  it('the fixture says how it was made and holds the three kinds of advert', () => {
    assert.match(fixture.madeBy, /capture-keepalived-vrrp\.sh: Keepalived v2\.2\.7/);
    assert.deepEqual([...new Set(vrrpFrames.map((b) => b[35]))].sort(), [51, 52, 53]);
  });

  it('v2 with PASS authentication, two addresses: whole frame equal (IP id 1)', () => {
    const frame = buildVrrpFrame({ advert: v2Pass, srcMac: KA_MAC, srcIp: KA_IP, ipId: 1 });
    // By the RFC 3768 layout: 21 (v2, advert) 33 (VRID 51) 96 (prio 150) 02 (count) 01 (PASS)
    // 01 (1 s) 398e (checksum) c6120a64 c6120a65 "secret1\0".
    assert.equal(frame.subarray(34).toString('hex'), '213396020101398ec6120a64c6120a657365637265743100');
    assert.equal(frame.toString('hex'), captured(51, 150));
  });

  it('v3 multicast: checksum over the pseudo-header with 224.0.0.18', () => {
    const frame = buildVrrpFrame({ advert: v3Mcast, srcMac: KA_MAC, srcIp: KA_IP, ipId: 1 });
    assert.equal(frame.subarray(34).toString('hex'), '3134c8010032857cc6120a66');
    assert.equal(frame.toString('hex'), captured(52, 200));
  });

  it('v3 unicast: checksum over the pseudo-header with the peer address, to the peer MAC', () => {
    const frame = buildVrrpFrame({ advert: v3Unicast, srcMac: KA_MAC, dstMac: PEER_MAC, srcIp: KA_IP, dstIp: PEER_IP, ipId: 1 });
    assert.equal(frame.toString('hex'), captured(53, 100));
  });

  it('priority 0 on shutdown (v2): only priority and checksum change', () => {
    const frame = buildVrrpFrame({ advert: { ...v2Pass, priority: 0 }, srcMac: KA_MAC, srcIp: KA_IP, ipId: 5 });
    assert.equal(frame.toString('hex'), captured(51, 0));
  });

  it('decodes every captured advert, priority-0 ones included', () => {
    assert.ok(vrrpFrames.length >= 12);
    for (const frame of vrrpFrames) {
      const read = readVrrpFrame(frame);
      assert.ok(read.ok, `frame ${frame.toString('hex')}: ${read.ok ? '' : read.reason}`);
      const a = read.packet.advert;
      const expected: VrrpAdvert = a.vrid === 51 ? v2Pass : a.vrid === 52 ? v3Mcast : v3Unicast;
      assert.deepEqual({ ...a, priority: 0 }, { ...expected, priority: 0 });
      assert.ok(a.priority === expected.priority || a.priority === 0);
      assert.equal(read.packet.ttl, 255);
      assert.equal(read.packet.legacyUnicastChecksum, false);
    }
  });

  it('the group MAC is 01:00:5e:00:00:12', () => {
    assert.equal(multicastMac(VRRP_GROUP), '01:00:5e:00:00:12');
  });
});

describe('VRRP codec: round trips and encode errors', () => {
  const table: Array<[string, VrrpAdvert]> = [
    ['v2 no auth, no address', { version: 2, vrid: 1, priority: 100, addresses: [], authType: AuthType.NONE, intervalSeconds: 255, authData: new Uint8Array(8) }],
    ['v2 PASS, 8-byte password', { ...v2Pass, authData: passwordBytes('12345678') }],
    ['v3 owner, max interval', { version: 3, vrid: 255, priority: 255, addresses: [ip(1), ip(2), ip(3)], intervalCs: 4095 }],
    ['v3 255 addresses', { version: 3, vrid: 7, priority: 1, addresses: Array.from({ length: 255 }, (_, i) => (0xc6120000 + i) >>> 0), intervalCs: 1 }],
  ];
  for (const [title, advert] of table) {
    it(title, () => {
      const bytes = encodeVrrp(advert, { src: KA_IP, dst: VRRP_GROUP });
      const back = decodeVrrp(bytes, { src: KA_IP, dst: VRRP_GROUP });
      assert.ok(back.ok);
      assert.deepEqual(back.advert, advert);
      assert.deepEqual(encodeVrrp(back.advert, { src: KA_IP, dst: VRRP_GROUP }), bytes);
    });
  }

  it('refuses values that do not fit the wire', () => {
    assert.throws(() => encodeVrrp({ ...v3Mcast, vrid: 0 }, { src: 1, dst: 2 }), /VRID 0/);
    assert.throws(() => encodeVrrp({ ...v3Mcast, intervalCs: 4096 }, { src: 1, dst: 2 }), /interval 4096/);
    assert.throws(() => encodeVrrp({ ...v2Pass, intervalSeconds: 0 }), /interval 0/);
    assert.throws(() => encodeVrrp(v3Mcast), /needs the IPv4 source and destination/);
    assert.throws(() => passwordBytes('123456789'), /longer than 8/);
    assert.throws(() => buildVrrpFrame({ advert: v3Mcast, srcMac: KA_MAC, srcIp: KA_IP, dstIp: PEER_IP, ipId: 0 }), /peer MAC/);
  });
});

/** The IPv4 packet of a frame we build, for mutation. */
function ipOf(advert: VrrpAdvert, dstIp = VRRP_GROUP): Buffer {
  const dstMac = dstIp === VRRP_GROUP ? undefined : PEER_MAC;
  return Buffer.from(buildVrrpFrame({ advert, srcMac: KA_MAC, dstMac, srcIp: KA_IP, dstIp, ipId: 9 }).subarray(14));
}

/** Rewrites the IP header checksum after a mutation of the IP header. */
function fixIpChecksum(p: Buffer): Buffer {
  p.writeUInt16BE(0, 10);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += p.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  p.writeUInt16BE(~s & 0xffff, 10);
  return p;
}

describe('VRRP receive: reading refusals', () => {
  const cases: Array<[string, () => Buffer, string]> = [
    ['short IP header', () => ipOf(v3Mcast).subarray(0, 19), 'ip-header'],
    ['IP total length beyond the bytes', () => fixIpChecksum((() => { const p = ipOf(v3Mcast); p.writeUInt16BE(200, 2); return p; })()), 'ip-header'],
    ['bad IP checksum', () => { const p = ipOf(v3Mcast); p[10] = (p[10] ?? 0) ^ 1; return p; }, 'ip-checksum'],
    ['fragment', () => fixIpChecksum((() => { const p = ipOf(v3Mcast); p.writeUInt16BE(0x2000, 6); return p; })()), 'fragment'],
    ['not protocol 112', () => fixIpChecksum((() => { const p = ipOf(v3Mcast); p[9] = 17; return p; })()), 'not-vrrp'],
    ['IPsec AH (auth type 2 transport)', () => fixIpChecksum((() => { const p = ipOf(v3Mcast); p[9] = 51; return p; })()), 'auth-ah'],
    ['VRRP header cut short', () => fixIpChecksum((() => { const p = ipOf(v3Mcast).subarray(0, 26); p.writeUInt16BE(26, 2); return Buffer.from(p); })()), 'truncated'],
    ['version 1', () => { const p = ipOf(v3Mcast); p[20] = 0x11; return p; }, 'version'],
    ['count says 2 addresses, 1 present', () => { const p = ipOf(v3Mcast); p[23] = 2; return p; }, 'length'],
    ['VRRP checksum off by one bit', () => { const p = ipOf(v2Pass); p[26] = (p[26] ?? 0) ^ 0x80; return p; }, 'checksum'],
  ];
  for (const [title, make, reason] of cases) {
    it(title, () => {
      const read = readVrrpIpv4(make());
      assert.deepEqual(read, { ok: false, reason });
      assert.ok(dropReasonIndex(reason as never) >= 0, `${reason} has a counter slot`);
    });
  }

  it('type 2 with a valid checksum is refused as type', () => {
    const bytes = encodeVrrp(v3Mcast, { src: KA_IP, dst: VRRP_GROUP });
    bytes[0] = 0x32;
    bytes.writeUInt16BE(0, 6);
    bytes.writeUInt16BE(internetChecksum(bytes, 0, bytes.length, pseudoHeaderSum(KA_IP, VRRP_GROUP, 112, bytes.length)), 6);
    assert.deepEqual(decodeVrrp(bytes, { src: KA_IP, dst: VRRP_GROUP }), { ok: false, reason: 'type' });
  });

  it('tolerates Ethernet padding after the IP total length', () => {
    const padded = Buffer.concat([ipOf(v3Mcast), Buffer.alloc(14)]);
    assert.ok(readVrrpIpv4(padded).ok);
  });

  it('accepts a keepalived <= 1.3.6 unicast v3 checksum (computed over 224.0.0.18), flagged', () => {
    const legacy = encodeVrrp(v3Unicast, { src: KA_IP, dst: VRRP_GROUP });
    const p = ipOf(v3Unicast, PEER_IP);
    legacy.copy(p, 20);
    const read = readVrrpIpv4(p);
    assert.ok(read.ok);
    assert.equal(read.packet.legacyUnicastChecksum, true);
  });
});

describe('VRRP receive: per-router checks', () => {
  const v2Want: AdvertExpectation = {
    vrid: 51, version: 2, authType: AuthType.PASS, authData: passwordBytes('secret1'), intervalCs: 100,
    unicast: false, unicastPeers: [], checkUnicastSource: false, addresses: [ip(101), ip(100)],
  };
  const v3Want: AdvertExpectation = { ...v2Want, vrid: 53, version: 3, authType: AuthType.NONE, authData: new Uint8Array(8), unicast: true, unicastPeers: [KA_IP], addresses: [ip(103)] };
  const packet = (advert: VrrpAdvert, over: Partial<VrrpPacket> = {}): VrrpPacket => ({
    src: KA_IP, dst: VRRP_GROUP, ttl: 255, advert, legacyUnicastChecksum: false, ...over,
  });
  const refusals: Array<[string, VrrpPacket, AdvertExpectation, string]> = [
    ['another VRID', packet({ ...v2Pass, vrid: 50 }), v2Want, 'vrid'],
    ['TTL 254 on multicast', packet(v2Pass, { ttl: 254 }), v2Want, 'ttl'],
    ['v3 advert for a v2 router', packet({ ...v3Mcast, vrid: 51 }), v2Want, 'version-mismatch'],
    ['auth type 2 (AH) in a v2 header', packet({ ...v2Pass, authType: 2 }), v2Want, 'auth-ah'],
    ['auth type 3', packet({ ...v2Pass, authType: 3 }), v2Want, 'auth-type-invalid'],
    ['no auth where PASS is configured', packet({ ...v2Pass, authType: AuthType.NONE, authData: new Uint8Array(8) }), v2Want, 'auth-type-mismatch'],
    ['wrong password', packet({ ...v2Pass, authData: passwordBytes('secret2') }), v2Want, 'auth-password'],
    ['v2 interval 2 s against 1 s', packet({ ...v2Pass, intervalSeconds: 2 }), v2Want, 'interval-mismatch'],
    ['multicast advert in unicast mode', packet(v3Unicast), v3Want, 'multicast-unicast-mismatch'],
    ['unicast advert in multicast mode', packet(v2Pass, { dst: PEER_IP }), v2Want, 'multicast-unicast-mismatch'],
    ['unicast from a stranger with check_unicast_src', packet(v3Unicast, { dst: PEER_IP, src: ip(9) }), { ...v3Want, checkUnicastSource: true }, 'unknown-unicast-source'],
  ];
  for (const [title, p, want, reason] of refusals) {
    it(title, () => {
      assert.deepEqual(checkAdvert(p, want), { ok: false, reason });
      assert.ok(DROP_REASONS.includes(reason as never));
    });
  }

  it('accepts a good advert; address order does not matter', () => {
    assert.deepEqual(checkAdvert(packet(v2Pass), v2Want), { ok: true, advert: v2Pass, src: KA_IP, addressMismatch: false, intervalDiffers: false });
  });

  it('accepts a different address list, flagged (keepalived counts it, does not drop)', () => {
    const v = checkAdvert(packet({ ...v2Pass, addresses: [ip(100)] }), v2Want);
    assert.ok(v.ok && v.addressMismatch);
  });

  it('v3: a different interval is accepted (the backup learns it), flagged; TTL not checked for unicast', () => {
    const v = checkAdvert(packet({ ...v3Unicast, intervalCs: 25 }, { dst: PEER_IP, ttl: 64, src: ip(9) }), v3Want);
    assert.ok(v.ok && v.intervalDiffers && !v.addressMismatch);
  });

  it('every reason has its own counter slot', () => {
    assert.equal(new Set(DROP_REASONS).size, DROP_REASONS.length);
  });
});
