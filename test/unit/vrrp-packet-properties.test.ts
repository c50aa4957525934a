// Property tests (fast-check) of the VRRP advert codec: decoding any bytes never throws and
// gives a typed refusal or an advert; adverts built field by field here (checksums from the
// test's own sum) decode to exactly those fields and re-encode to the same bytes; and
// decode(encode(x)) == x for every advert the encoder accepts.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { decodeVrrp, encodeVrrp, VRRP_GROUP, type IpPair, type VrrpAdvert } from '../../src/vrrp/vrrp-packet.js';
import { internetChecksum, pseudoHeaderSum } from '../support/packet-checksum.js';
import { runs } from '../support/property-runs.js';

const REASONS = new Set(['truncated', 'version', 'type', 'length', 'checksum']);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const byte = fc.integer({ min: 0, max: 255 });
const ipPair: fc.Arbitrary<IpPair> = fc.record({ src: u32, dst: fc.oneof(fc.constant(VRRP_GROUP), u32) });

function be32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** An advert's raw fields, any values (RFC-valid or not), written byte by byte. */
interface RawAdvert {
  version: number;
  type: number;
  vrid: number;
  priority: number;
  addresses: number[];
  /** Bytes 4 and 5: v2 auth type and interval, v3 reserved bits and interval. */
  word: number;
  auth: Uint8Array;
  /** v3: compute the checksum with 224.0.0.18 whatever the destination (keepalived <= 1.3.6). */
  legacy: boolean;
}

const rawAdvert: fc.Arbitrary<RawAdvert> = fc.record({
  version: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(2, 3) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  type: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  vrid: byte,
  priority: byte,
  addresses: fc.array(u32, { maxLength: 20 }),
  word: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 0xfff })),
  auth: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  legacy: fc.boolean(),
});

function writeRaw(r: RawAdvert, ips: IpPair): Buffer {
  const v2 = r.version !== 3;
  const b = Buffer.concat([
    Uint8Array.of((r.version << 4) | r.type, r.vrid, r.priority, r.addresses.length, r.word >> 8, r.word & 0xff, 0, 0),
    ...r.addresses.map(be32),
    v2 ? r.auth : new Uint8Array(0),
  ]);
  const dst = r.legacy ? VRRP_GROUP : ips.dst;
  const seed = v2 ? 0 : pseudoHeaderSum(be32(ips.src), be32(dst), 112, b.length);
  b.writeUInt16BE(internetChecksum(b, 0, b.length, seed), 6);
  return b;
}

/** The advert the raw fields describe, as a receiver reads it (v3 reserved bits masked off). */
function fieldsOf(r: RawAdvert): VrrpAdvert {
  const head = { vrid: r.vrid, priority: r.priority, addresses: r.addresses };
  return r.version === 2
    ? { version: 2, ...head, authType: r.word >> 8, intervalSeconds: r.word & 0xff, authData: r.auth }
    : { version: 3, ...head, intervalCs: r.word & 0xfff };
}

/** True when the fields are outside what a sender may put on the wire (VRID 0, interval 0). */
function unsendable(r: RawAdvert): boolean {
  return r.vrid === 0 || (r.version === 2 ? r.word & 0xff : r.word & 0xfff) === 0;
}

const validAdvert: fc.Arbitrary<VrrpAdvert> = fc.oneof(
  fc.record({
    version: fc.constant(2 as const), vrid: fc.integer({ min: 1, max: 255 }), priority: byte,
    addresses: fc.array(u32, { maxLength: 30 }), authType: byte, intervalSeconds: fc.integer({ min: 1, max: 255 }),
    authData: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  }, { noNullPrototype: true }),
  fc.record({
    version: fc.constant(3 as const), vrid: fc.integer({ min: 1, max: 255 }), priority: byte,
    addresses: fc.array(u32, { maxLength: 30 }), intervalCs: fc.integer({ min: 1, max: 0xfff }),
  }, { noNullPrototype: true }),
);

describe('VRRP codec properties (fast-check)', () => {
  it('decoding any bytes never throws: an advert, or one of the typed refusals', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), ipPair, (bytes, ips) => {
      const d = decodeVrrp(bytes, ips);
      if (!d.ok) return REASONS.has(d.reason);
      return d.advert.addresses.length === bytes[3];
    }), runs(3000));
  });

  it('adverts written field by field decode to those fields, and re-encode to the same bytes', () => {
    fc.assert(fc.property(rawAdvert, ipPair, (r, ips) => {
      const bytes = writeRaw(r, ips);
      const d = decodeVrrp(bytes, ips);
      const legacyOnly = r.version === 3 && r.legacy && ips.dst !== VRRP_GROUP;
      if (r.version !== 2 && r.version !== 3) return assert.deepEqual(d, { ok: false, reason: 'version' });
      if (legacyOnly && writeRaw({ ...r, legacy: false }, ips).equals(bytes)) return; // checksums happen to agree
      if (r.type !== 1) return assert.deepEqual(d, { ok: false, reason: 'type' });
      assert.ok(d.ok, `refused: ${JSON.stringify(d)}`);
      assert.equal(d.legacyUnicastChecksum, legacyOnly);
      assert.deepEqual(d.advert, fieldsOf(r));
      if (unsendable(r)) {
        assert.throws(() => encodeVrrp(d.advert, ips), Error);
        return;
      }
      // A valid advert (v3 reserved bits zero, current checksum) comes back byte for byte.
      const valid = !legacyOnly && (r.version === 2 || r.word >> 12 === 0);
      if (valid) assert.deepEqual(encodeVrrp(d.advert, ips), bytes);
    }), runs(3000));
  });

  it('decode(encode(x)) == x for every advert the encoder accepts', () => {
    fc.assert(fc.property(validAdvert, ipPair, (a, ips) => {
      assert.deepEqual(decodeVrrp(encodeVrrp(a, ips), ips), { ok: true, advert: a, legacyUnicastChecksum: false });
    }), runs(2000));
  });
});
