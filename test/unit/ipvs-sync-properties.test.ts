// Property tests (fast-check) of the IPVS sync v1 codec: decoding any bytes (random, or valid
// messages with bytes changed) never throws and reports only typed errors and skips; the encoder
// writes exactly what a layout writer of the test's own (from ip_vs_sync.c's structs) writes;
// decode(encode(x)) == x and encode(decode(bytes)) == bytes for every valid message.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  ConnFlag, decodeMessage, encodeMessage, OPT_DIRECTOR_FULLNAT, type SyncConn, type SyncMessage,
} from '../../src/sync/ipvs-sync-codec.js';
import { runs } from '../support/property-runs.js';

const MESSAGE_ERRORS = new Set(['short', 'size', 'not-v1', 'entry-overrun', 'entry-version', 'entry-type', 'bad-option']);
const SKIPS = new Set(['ipv6', 'mandatory-option', 'pe-incomplete', 'protocol', 'state']);
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const seqAdjust = fc.record({ initSeq: u32, delta: u32, previousDelta: u32 }, { noNullPrototype: true });
const latin1 = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));

/** Protocol and state a receiver keeps: any for templates, a known TCP/UDP state otherwise. */
const protoState = fc.oneof(
  fc.record({ template: fc.constant(true), protocol: fc.integer({ min: 0, max: 255 }), state: u16 }),
  fc.record({ template: fc.constant(false), protocol: fc.constant(6), state: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ template: fc.constant(false), protocol: fc.constant(17), state: fc.constant(0) }),
);

const conn: fc.Arbitrary<SyncConn> = fc.record({
  ps: protoState, flags: u32, seqBits: fc.integer({ min: 0, max: 3 }), ports: fc.tuple(u16, u16, u16),
  fwmark: u32, timeoutSeconds: u32, addrs: fc.tuple(u32, u32, u32), seq: fc.record({ in: seqAdjust, out: seqAdjust }, { noNullPrototype: true }),
  pe: fc.option(fc.record({ name: fc.string({ unit: latin1, minLength: 1, maxLength: 16 }), data: fc.uint8Array({ minLength: 1, maxLength: 255 }) }, { noNullPrototype: true }), { nil: undefined }),
  fullnat: fc.option(fc.record({ laddr: u32, lport: u16 }, { noNullPrototype: true }), { nil: undefined }),
}).map((g) => {
  // HASHED never travels; the SEQ bits say whether sequence data follows; TEMPLATE as chosen.
  const base = g.flags & ~(ConnFlag.HASHED | ConnFlag.SEQ_MASK | ConnFlag.TEMPLATE);
  const flags = (base | (g.seqBits << 9) | (g.ps.template ? ConnFlag.TEMPLATE : 0)) >>> 0;
  const c: SyncConn = {
    protocol: g.ps.protocol, flags, state: g.ps.state, cport: g.ports[0], vport: g.ports[1], dport: g.ports[2],
    fwmark: g.fwmark, timeoutSeconds: g.timeoutSeconds, caddr: g.addrs[0], vaddr: g.addrs[1], daddr: g.addrs[2],
  };
  if (g.seqBits !== 0) c.seq = g.seq;
  if (g.pe) c.pe = g.pe;
  if (g.fullnat) c.fullnat = g.fullnat;
  return c;
});

const message: fc.Arbitrary<SyncMessage> = fc.record({
  syncId: fc.integer({ min: 0, max: 255 }), conns: fc.array(conn, { maxLength: 12 }),
}, { noNullPrototype: true });

/** struct ip_vs_sync_v4 + option TLVs, written by the test from the C layout. */
function layoutEntry(c: SyncConn): Buffer {
  const options: Buffer[] = [];
  const option = (type: number, data: Uint8Array) => options.push(Buffer.concat([Uint8Array.of(type, data.length), data]));
  if (c.seq) {
    const d = Buffer.alloc(24);
    [c.seq.in, c.seq.out].forEach((s, i) => [s.initSeq, s.delta, s.previousDelta].forEach((v, k) => d.writeUInt32BE(v, 12 * i + 4 * k)));
    option(1, d);
  }
  if (c.pe) {
    option(2, c.pe.data);
    option(3, Buffer.from(c.pe.name, 'latin1'));
  }
  if (c.fullnat) {
    const d = Buffer.from([0x64, 0x72, 0, 0, 0, 0, 0, 0]);
    d.writeUInt32BE(c.fullnat.laddr, 2);
    d.writeUInt16BE(c.fullnat.lport, 6);
    option(OPT_DIRECTOR_FULLNAT, d);
  }
  const e = Buffer.alloc(36);
  e[1] = c.protocol;
  e.writeUInt16BE(36 + options.reduce((n, o) => n + o.length, 0), 2);
  e.writeUInt32BE(c.flags, 4);
  [c.state, c.cport, c.vport, c.dport].forEach((v, i) => e.writeUInt16BE(v, 8 + 2 * i));
  [c.fwmark, c.timeoutSeconds, c.caddr, c.vaddr, c.daddr].forEach((v, i) => e.writeUInt32BE(v, 16 + 4 * i));
  return Buffer.concat([e, ...options]);
}

/** struct ip_vs_sync_mesg and its entries, each 4-byte aligned with zero padding, the last unpadded. */
function layoutMessage(m: SyncMessage): Buffer {
  const parts: Buffer[] = [Buffer.alloc(8)];
  let size = 8;
  for (const c of m.conns) {
    const pad = (4 - (size % 4)) % 4;
    parts.push(Buffer.alloc(pad), layoutEntry(c));
    size += pad + (parts[parts.length - 1] as Buffer).length;
  }
  const b = Buffer.concat(parts);
  b[1] = m.syncId;
  b.writeUInt16BE(b.length, 2);
  b[4] = m.conns.length;
  b[5] = 1;
  return b;
}

function typedOnly(bytes: Uint8Array): boolean {
  const d = decodeMessage(bytes);
  assert.ok(d.error === null || MESSAGE_ERRORS.has(d.error), `error ${d.error}`);
  assert.ok(d.skipped.every((s) => SKIPS.has(s)), `skips ${d.skipped.join(',')}`);
  assert.ok(d.conns.length + d.skipped.length <= (bytes[4] ?? 0));
  return true;
}

describe('IPVS sync codec properties (fast-check)', () => {
  it('decoding random bytes never throws: only typed errors and skips', () => {
    const sized = fc.uint8Array({ minLength: 4, maxLength: 400 }).map((b) => {
      if (b.length >= 8) Buffer.from(b.buffer, b.byteOffset, b.length).writeUInt16BE(b.length, 2);
      return b;
    });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), sized), typedOnly), runs(3000));
  });

  it('decoding valid messages with bytes changed never throws', () => {
    const changed = fc.tuple(message, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }))
      .map(([m, edits]) => {
        const b = encodeMessage(m);
        for (const [at, value] of edits) b[4 + (at % Math.max(1, b.length - 4))] = value;
        return b;
      });
    fc.assert(fc.property(changed, typedOnly), runs(2000));
  });

  it('the encoder writes what the C layout says', () => {
    fc.assert(fc.property(message, (m) => {
      assert.deepEqual(encodeMessage(m), layoutMessage(m));
    }), runs(1000));
  });

  it('decode(encode(x)) == x, and encode(decode(bytes)) == bytes for valid messages', () => {
    fc.assert(fc.property(message, (m) => {
      const bytes = layoutMessage(m);
      const d = decodeMessage(bytes);
      assert.deepEqual(d, { syncId: m.syncId, conns: m.conns, skipped: [], error: null, end: bytes.length });
      assert.deepEqual(encodeMessage({ syncId: d.syncId, conns: d.conns }), bytes);
    }), runs(1000));
  });
});
