// VRRPv3 over IPv6 codec: byte-exact against adverts keepalived 2.2.7 really sent (fixture
// captured by tools/fixtures/capture-keepalived-vrrp6.sh), round trips, and RFC 5798 7.1's
// receive checks, each a counted reason.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseIpv6 } from '../../src/net/addr6.js';
import {
  buildVrrpFrame6, buildVrrpIpv6, decodeVrrp6, encodeVrrp6, ipv6Bytes, ipv6FromBytes, ipv6FromWords, ipv6ToWords,
  isLinkLocal6, readVrrpFrame6, readVrrpIpv6, VRRP_GROUP6, vrrp6Checksum, type VrrpAdvert6, type VrrpPacket6,
} from '../../src/vrrp/vrrp-packet6.js';
import { checkAdvert, DROP_REASONS, type AdvertExpectation } from '../../src/vrrp/vrrp-receive.js';
import { GarpSchedule } from '../../src/vrrp/vrrp-garp.js';

interface Fixture { madeBy: string; frames: Array<{ t: number; hex: string }> }
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/keepalived-vrrp6.json'), 'utf8')) as Fixture;
const adverts = fixture.frames.map((f) => Buffer.from(f.hex, 'hex')).filter((b) => b.readUInt16BE(12) === 0x86dd && b[20] === 112);

const a6 = (text: string): bigint => ipv6FromBytes(parseIpv6(text));
const KA_MAC = '02:00:5e:10:00:01';
const PEER_MAC = '02:00:5e:10:00:02';
const KA_LL = a6('fe80::10:1');
const KA_GLOBAL = a6('2001:db8:10::1');
const PEER_GLOBAL = a6('2001:db8:10::2');
const mcast: VrrpAdvert6 = { version: 3, vrid: 61, priority: 200, addresses: [a6('2001:db8:10::100'), a6('2001:db8:10::101')], intervalCs: 50 };
const unicast: VrrpAdvert6 = { version: 3, vrid: 62, priority: 100, addresses: [a6('2001:db8:10::102')], intervalCs: 100 };

function captured(vrid: number): Buffer {
  const f = adverts.find((b) => b[55] === vrid);
  assert.ok(f, `fixture has no advert for VRID ${vrid}`);
  return f;
}

/** The frame with the IPv6 flow label zeroed: the kernel picks one per flow for keepalived. */
function noFlowLabel(frame: Buffer): string {
  const copy = Buffer.from(frame);
  copy[15] = (copy[15] ?? 0) & 0xf0;
  copy[16] = 0;
  copy[17] = 0;
  return copy.toString('hex');
}

describe('VRRPv3 over IPv6 codec: byte-exact against keepalived 2.2.7', () => {
  it('the fixture says how it was made and holds both shapes', () => {
    assert.match(fixture.madeBy, /capture-keepalived-vrrp6\.sh: Keepalived v2\.2\.7/);
    assert.deepEqual([...new Set(adverts.map((b) => b[55]))].sort(), [61, 62]);
  });

  it('multicast, two addresses: to ff02::12 from the link-local address, hop limit 255, class 0xc0', () => {
    const frame = buildVrrpFrame6({ advert: mcast, srcMac: KA_MAC, src: KA_LL });
    // RFC 5798 5.2: 31 (v3, advert) 3d (VRID 61) c8 (prio 200) 02 (count) 0032 (50 cs) aabb (checksum).
    assert.equal(frame.subarray(54, 62).toString('hex'), '313dc8020032aabb');
    assert.equal(frame.subarray(0, 14).toString('hex'), '33330000001202005e10000186dd');
    assert.equal(frame[21], 255);
    assert.equal(noFlowLabel(frame), noFlowLabel(captured(61)));
  });

  it('unicast to a global peer: the checksum covers the peer in the pseudo-header', () => {
    const frame = buildVrrpFrame6({ advert: unicast, srcMac: KA_MAC, dstMac: PEER_MAC, src: KA_GLOBAL, dst: PEER_GLOBAL });
    const theirs = captured(62);
    // keepalived leaves IPv6 unicast at the kernel's hop limit (64); director sends 255 as RFC 5798 says.
    assert.equal(theirs[21], 64);
    assert.equal(frame.subarray(54).toString('hex'), theirs.subarray(54).toString('hex'));
    const ours = Buffer.from(frame);
    ours[21] = 64;
    assert.equal(noFlowLabel(ours), noFlowLabel(theirs));
  });

  it('reads every captured advert back to the values keepalived was configured with (or its priority-0 resignation)', () => {
    for (const frame of adverts) {
      const read = readVrrpFrame6(frame);
      assert.ok(read.ok, read.ok ? '' : read.reason);
      const want = frame[55] === 61 ? mcast : unicast;
      // keepalived resigns with priority 0 when it stops (the capture ends with those).
      const priority = read.packet.advert.priority;
      assert.ok(priority === want.priority || priority === 0);
      assert.deepEqual(read.packet.advert, { ...want, priority });
    }
  });
});

describe('VRRPv3 over IPv6 codec: round trips and refusals', () => {
  it('encode/decode round trip for 0, 1 and 255 addresses, every interval bit', () => {
    for (const count of [0, 1, 255]) {
      const advert: VrrpAdvert6 = { version: 3, vrid: 255, priority: 0, addresses: Array.from({ length: count }, (_, i) => a6(`2001:db8::${(i + 1).toString(16)}`)), intervalCs: 0xfff };
      const b = encodeVrrp6(advert, KA_LL, VRRP_GROUP6);
      assert.equal(b.length, 8 + 16 * count);
      const back = decodeVrrp6(b, KA_LL, VRRP_GROUP6);
      assert.ok(back.ok);
      assert.deepEqual(back.advert, advert);
    }
  });

  it('addresses convert between bigint, bytes and words', () => {
    const a = a6('2001:db8::ff:1');
    assert.deepEqual(ipv6ToWords(a), [0x20010db8, 0, 0, 0xff0001]);
    assert.equal(ipv6FromWords([0x20010db8, 0, 0, 0xff0001]), a);
    assert.equal(ipv6FromBytes(ipv6Bytes(a)), a);
    assert.ok(isLinkLocal6(a6('fe80::1')) && isLinkLocal6(a6('febf::1')) && !isLinkLocal6(a6('fec0::1')));
  });

  it('refuses bad fields when encoding', () => {
    assert.throws(() => encodeVrrp6({ ...mcast, vrid: 0 }, KA_LL, VRRP_GROUP6), /VRID/);
    assert.throws(() => encodeVrrp6({ ...mcast, intervalCs: 0x1000 }, KA_LL, VRRP_GROUP6), /interval/);
    assert.throws(() => encodeVrrp6({ ...mcast, addresses: new Array<bigint>(256).fill(1n) }, KA_LL, VRRP_GROUP6), /255/);
  });

  const good = (): Buffer => buildVrrpIpv6({ advert: mcast, src: KA_LL });
  const cases: Array<[string, (p: Buffer) => Buffer, string]> = [
    ['not IPv6', (p) => { p[0] = 0x45; return p; }, 'ip-header'],
    ['payload length past the packet', (p) => p.subarray(0, p.length - 1), 'ip-header'],
    ['another next header', (p) => { p[6] = 58; return p; }, 'not-vrrp'],
    ['version 2', (p) => { p[40] = 0x21; return p; }, 'version'],
    ['count says 3 addresses, 2 there', (p) => { p[43] = 3; return p; }, 'length'],
    ['one bit flipped in an address', (p) => { p[p.length - 1]! ^= 1; return p; }, 'checksum'],
    ['type 2 (checksum fixed)', (p) => {
      p[40] = 0x32;
      p.writeUInt16BE(vrrp6Checksum(p.subarray(40), KA_LL, VRRP_GROUP6), 46);
      return p;
    }, 'type'],
  ];
  for (const [what, spoil, reason] of cases) {
    it(`refuses ${what}: ${reason}`, () => {
      const read = readVrrpIpv6(spoil(good()));
      assert.deepEqual(read, { ok: false, reason });
      assert.ok((DROP_REASONS as readonly string[]).includes(reason));
    });
  }
});

describe('VRRPv3 over IPv6: RFC 5798 7.1 checks against the local router', () => {
  const want: AdvertExpectation = {
    vrid: 61, version: 3, authType: 0, authData: new Uint8Array(8), intervalCs: 100, unicast: false,
    unicastPeers: [], checkUnicastSource: false, addresses: mcast.addresses,
  };
  const packet = (over: Partial<VrrpPacket6> = {}): VrrpPacket6 => ({ src: KA_LL, dst: VRRP_GROUP6, hopLimit: 255, advert: mcast, ...over });

  it('accepts a good advert; a different interval is learnt, not refused (v3)', () => {
    const v = checkAdvert(packet(), want);
    assert.ok(v.ok);
    assert.equal(v.src, KA_LL);
    assert.equal(v.intervalDiffers, true);
    assert.equal(v.addressMismatch, false);
  });

  it('refuses hop limit 254 on multicast (hop-limit), not on unicast', () => {
    assert.deepEqual(checkAdvert(packet({ hopLimit: 254 }), want), { ok: false, reason: 'hop-limit' });
    const uni = { ...want, unicast: true, unicastPeers: [PEER_GLOBAL] };
    assert.ok(checkAdvert(packet({ hopLimit: 64, src: PEER_GLOBAL, dst: KA_GLOBAL }), uni).ok);
  });

  it('refuses a multicast advert from a global address (source-not-link-local)', () => {
    assert.deepEqual(checkAdvert(packet({ src: KA_GLOBAL }), want), { ok: false, reason: 'source-not-link-local' });
  });

  it('refuses another VRID, and unicast where multicast is expected', () => {
    assert.deepEqual(checkAdvert(packet(), { ...want, vrid: 62 }), { ok: false, reason: 'vrid' });
    assert.deepEqual(checkAdvert(packet({ dst: KA_GLOBAL }), want), { ok: false, reason: 'multicast-unicast-mismatch' });
  });

  it('counts an address list that differs, as keepalived (accepted)', () => {
    const v = checkAdvert(packet({ advert: { ...mcast, addresses: [mcast.addresses[0]!] } }), want);
    assert.ok(v.ok && v.addressMismatch);
  });
});

describe('VRRPv3 over IPv6: keepalived 2.2.7 announces a takeover with unsolicited NA on the gratuitous ARP schedule', () => {
  it('5 rounds over both VIPs right after the takeover advert, 5 more garp_master_delay (5 s) later; director\'s schedule says the same', () => {
    const frames = fixture.frames.map((f) => ({ t: f.t, b: Buffer.from(f.hex, 'hex') }));
    const firstAdvert = frames.find((f) => f.b[20] === 112 && f.b[55] === 61)!.t;
    // Unsolicited NA (ICMPv6 136) for VRID 61's VIPs, from the VIP itself to ff02::1, Override only.
    const nas = frames.filter((f) => f.b[20] === 58 && f.b[54] === 136 && f.b.subarray(22, 38).equals(f.b.subarray(62, 78)))
      .filter((f) => mcast.addresses.includes(ipv6FromBytes(f.b, 62)));
    for (const f of nas) {
      assert.equal(f.b.subarray(38, 54).toString('hex'), 'ff020000000000000000000000000001');
      assert.deepEqual([f.b[21], f.b[58]], [255, 0x20]);
    }
    const burst = (from: number, to: number): number => nas.filter((f) => f.t - firstAdvert >= from && f.t - firstAdvert < to).length;
    assert.deepEqual([burst(0, 1), burst(4.9, 5.5)], [10, 10], '5 rounds x 2 addresses, twice');
    const schedule = new GarpSchedule({ masterRepeat: 5, masterDelayMs: 5000, masterRefreshMs: 0, masterRefreshRepeat: 1, lowerPrioRepeat: 5, lowerPrioDelayMs: 5000 });
    assert.equal(schedule.onMaster(0), 5);
    assert.deepEqual([schedule.nextUs(), schedule.takeDue(5_000_000)], [5_000_000, [5]]);
  });
});
