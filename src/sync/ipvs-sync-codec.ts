// IPVS connection sync messages, protocol version 1 (net/netfilter/ipvs/ip_vs_sync.c), IPv4
// entries: the byte layout a Linux IPVS backup reads on 224.0.0.81:8848, plus one optional
// parameter of director's own carrying the FULLNAT local address and port.
//
// Message: reserved(0) syncid size(be16, header included) nr_conns version(1) spare(be16 0),
// then entries, each 4-byte aligned. IPv4 entry (36 bytes): type(0) protocol ver_size(be16:
// version 0 in the top 4 bits, entry size in the low 12) flags(be32) state(be16) cport vport
// dport(be16) fwmark(be32) timeout(be32, seconds) caddr vaddr daddr; then options
// (type, length, data): 1 sequence adjustments (24 bytes), 2 persistence engine data,
// 3 persistence engine name.
//
// The FULLNAT extension: option type 0x40 | 0x21. The kernel masks the 0x40 bit
// (IPVS_OPT_F_PARAM: "optional") off, finds no parameter 0x21, and because the option is
// marked optional it skips it and applies the entry as a NAT connection; director peers read
// the local address. Its data starts with the tag "dr" so another implementation's optional
// parameter of the same number is not mistaken for it.

export const SYNC_PROTO_VERSION = 1;
export const MESSAGE_HEADER_BYTES = 8;
const V4_ENTRY_BYTES = 36;
const V6_ENTRY_BYTES = 72;
const STYPE_F_INET6 = 1;
const SVER_MASK = 0x0fff;
const OPT_F_PARAM = 0x40;
const OPT_SEQ_DATA = 1;
const OPT_PE_DATA = 2;
const OPT_PE_NAME = 3;
const SEQ_DATA_BYTES = 24;
const PE_DATA_MAX = 255;
const PE_NAME_MAX = 16;
/** director's FULLNAT option: optional (0x40) parameter 0x21; data "dr" + laddr(4) + lport(2). */
export const OPT_DIRECTOR_FULLNAT = OPT_F_PARAM | 0x21;
const FULLNAT_TAG = [0x64, 0x72];
const FULLNAT_DATA_BYTES = 8;

/** IP_VS_CONN_F_* bits that travel in sync entries (include/uapi/linux/ip_vs.h). */
export const ConnFlag = {
  MASQ: 0x0000, LOCALNODE: 0x0001, TUNNEL: 0x0002, DROUTE: 0x0003, BYPASS: 0x0004, FWD_MASK: 0x0007,
  SYNC: 0x0020, HASHED: 0x0040, NOOUTPUT: 0x0080, INACTIVE: 0x0100, OUT_SEQ: 0x0200, IN_SEQ: 0x0400,
  SEQ_MASK: 0x0600, NO_CPORT: 0x0800, TEMPLATE: 0x1000, ONE_PACKET: 0x2000,
} as const;

/** struct ip_vs_seq: sequence number adjustment of one direction (NAT helpers such as FTP). */
export interface SeqAdjust {
  initSeq: number;
  delta: number;
  previousDelta: number;
}

export interface SyncConn {
  protocol: number;
  flags: number;
  state: number;
  cport: number;
  vport: number;
  dport: number;
  fwmark: number;
  timeoutSeconds: number;
  /** Client, virtual and real server (destination) addresses, host-order uint32. */
  caddr: number;
  vaddr: number;
  daddr: number;
  /** Present exactly when flags has IN_SEQ or OUT_SEQ. */
  seq?: { in: SeqAdjust; out: SeqAdjust };
  /** Persistence engine data and name (both or neither; ipvsadm --pe sip). */
  pe?: { name: string; data: Uint8Array };
  /** director: FULLNAT local address and port (the kernel skips this). */
  fullnat?: { laddr: number; lport: number };
}

export interface SyncMessage {
  syncId: number;
  conns: SyncConn[];
}

/** Bytes one entry takes before alignment padding. */
export function entryLength(c: SyncConn): number {
  let n = V4_ENTRY_BYTES;
  if (c.seq) n += 2 + SEQ_DATA_BYTES;
  if (c.pe) n += 4 + c.pe.data.length + Buffer.byteLength(c.pe.name, 'latin1');
  if (c.fullnat) n += 2 + FULLNAT_DATA_BYTES;
  return n;
}

/** Bytes a message takes (entries aligned to 4 bytes, the last one unpadded, as the kernel sends). */
export function messageLength(conns: readonly SyncConn[]): number {
  return conns.reduce((n, c, i) => n + (i === 0 ? 0 : align(n) - n) + entryLength(c), MESSAGE_HEADER_BYTES);
}

function align(n: number): number {
  return (n + 3) & ~3;
}

export function encodeMessage(m: SyncMessage): Buffer {
  if (m.conns.length > 255) throw new Error(`${m.conns.length} connections: a message holds at most 255`);
  const total = messageLength(m.conns);
  if (total > 0xffff) throw new Error(`message of ${total} bytes does not fit the 16-bit size`);
  const b = Buffer.alloc(total);
  b[1] = m.syncId;
  b.writeUInt16BE(total, 2);
  b[4] = m.conns.length;
  b[5] = SYNC_PROTO_VERSION;
  let off = MESSAGE_HEADER_BYTES;
  for (const c of m.conns) {
    off = align(off);
    off = writeEntry(b, off, c);
  }
  return b;
}

function writeEntry(b: Buffer, start: number, c: SyncConn): number {
  if (((c.flags & ConnFlag.SEQ_MASK) !== 0) !== (c.seq !== undefined)) throw new Error('seq data must be given exactly when IN_SEQ/OUT_SEQ is set');
  b[start] = 0;
  b[start + 1] = c.protocol;
  b.writeUInt16BE(entryLength(c) & SVER_MASK, start + 2);
  // The kernel never sends its HASHED bit (it is local bookkeeping).
  b.writeUInt32BE((c.flags & ~ConnFlag.HASHED) >>> 0, start + 4);
  b.writeUInt16BE(c.state, start + 8);
  b.writeUInt16BE(c.cport, start + 10);
  b.writeUInt16BE(c.vport, start + 12);
  b.writeUInt16BE(c.dport, start + 14);
  b.writeUInt32BE(c.fwmark >>> 0, start + 16);
  b.writeUInt32BE(c.timeoutSeconds >>> 0, start + 20);
  b.writeUInt32BE(c.caddr >>> 0, start + 24);
  b.writeUInt32BE(c.vaddr >>> 0, start + 28);
  b.writeUInt32BE(c.daddr >>> 0, start + 32);
  let off = start + V4_ENTRY_BYTES;
  if (c.seq) {
    off = writeOption(b, off, OPT_SEQ_DATA, seqBytes(c.seq.in, c.seq.out));
  }
  if (c.pe) {
    if (c.pe.data.length === 0 || c.pe.data.length > PE_DATA_MAX) throw new Error(`pe data of ${c.pe.data.length} bytes (1..${PE_DATA_MAX})`);
    off = writeOption(b, off, OPT_PE_DATA, c.pe.data);
    off = writeOption(b, off, OPT_PE_NAME, Buffer.from(c.pe.name, 'latin1'));
  }
  if (c.fullnat) {
    const data = Buffer.alloc(FULLNAT_DATA_BYTES);
    data.set(FULLNAT_TAG);
    data.writeUInt32BE(c.fullnat.laddr >>> 0, 2);
    data.writeUInt16BE(c.fullnat.lport, 6);
    off = writeOption(b, off, OPT_DIRECTOR_FULLNAT, data);
  }
  return off;
}

function writeOption(b: Buffer, off: number, type: number, data: Uint8Array): number {
  if (data.length === 0 || data.length > 255) throw new Error(`option ${type} with ${data.length} bytes`);
  b[off] = type;
  b[off + 1] = data.length;
  b.set(data, off + 2);
  return off + 2 + data.length;
}

function seqBytes(inSeq: SeqAdjust, outSeq: SeqAdjust): Buffer {
  const b = Buffer.alloc(SEQ_DATA_BYTES);
  [inSeq, outSeq].forEach((s, i) => {
    b.writeUInt32BE(s.initSeq >>> 0, 12 * i);
    b.writeUInt32BE(s.delta >>> 0, 12 * i + 4);
    b.writeUInt32BE(s.previousDelta >>> 0, 12 * i + 8);
  });
  return b;
}

/** Why a whole message is refused (the kernel drops the rest of the buffer for these). */
export type MessageError = 'short' | 'size' | 'not-v1' | 'entry-overrun' | 'entry-version' | 'entry-type' | 'bad-option';
/** Why one entry is skipped while the others apply (the kernel's positive error codes). */
export type EntrySkip = 'ipv6' | 'mandatory-option' | 'pe-incomplete' | 'protocol' | 'state';

/** States per protocol director carries (TCP: ip_vs_proto_tcp's 11, UDP: one). */
const STATE_COUNT: Readonly<Record<number, number>> = { 6: 11, 17: 1 };

export interface DecodedMessage {
  syncId: number;
  conns: SyncConn[];
  skipped: EntrySkip[];
  /** Set when decoding stopped early; entries before it are kept, as the kernel applies them. */
  error: MessageError | null;
  /** Where the entries end (bytes the kernel never reads may follow: director's dump block); 0 when decoding stopped early. */
  end: number;
}

/** Reads a version 1 message, with the kernel's checks and tolerance. */
export function decodeMessage(buf: Uint8Array): DecodedMessage {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const out: DecodedMessage = { syncId: b[1] ?? 0, conns: [], skipped: [], error: null, end: 0 };
  if (b.length < 4) return { ...out, error: 'short' };
  if (b.readUInt16BE(2) !== b.length) return { ...out, error: 'size' };
  if (b.length < MESSAGE_HEADER_BYTES || b[0] !== 0 || b[5] !== SYNC_PROTO_VERSION || b.readUInt16BE(6) !== 0) {
    return { ...out, error: 'not-v1' };
  }
  let next = MESSAGE_HEADER_BYTES;
  let end = MESSAGE_HEADER_BYTES;
  for (let i = 0; i < (b[4] ?? 0); i++) {
    const at = next;
    if (at + V4_ENTRY_BYTES > b.length) return { ...out, error: 'entry-overrun' };
    const verSize = b.readUInt16BE(at + 2);
    const size = verSize & SVER_MASK;
    if (at + size > b.length) return { ...out, error: 'entry-overrun' };
    if (verSize >> 12 !== 0) return { ...out, error: 'entry-version' };
    const entry = readEntry(b, at, at + size);
    if (entry === 'bad-option' || entry === 'entry-overrun' || entry === 'entry-type') return { ...out, error: entry };
    if (typeof entry === 'string') out.skipped.push(entry);
    else out.conns.push(entry);
    end = at + size;
    next = at + align(size);
  }
  out.end = end;
  return out;
}

function readEntry(b: Buffer, at: number, end: number): SyncConn | EntrySkip | 'bad-option' | 'entry-overrun' | 'entry-type' {
  const type = b[at] ?? 0;
  if (type & STYPE_F_INET6) return at + V6_ENTRY_BYTES > end ? 'entry-overrun' : 'ipv6';
  if (type !== 0) return 'entry-type';
  if (at + V4_ENTRY_BYTES > end) return 'entry-overrun';
  const c: SyncConn = {
    protocol: b[at + 1] ?? 0, flags: b.readUInt32BE(at + 4), state: b.readUInt16BE(at + 8),
    cport: b.readUInt16BE(at + 10), vport: b.readUInt16BE(at + 12), dport: b.readUInt16BE(at + 14),
    fwmark: b.readUInt32BE(at + 16), timeoutSeconds: b.readUInt32BE(at + 20),
    caddr: b.readUInt32BE(at + 24), vaddr: b.readUInt32BE(at + 28), daddr: b.readUInt32BE(at + 32),
  };
  const read = readOptions(b, at + V4_ENTRY_BYTES, end, c);
  if (typeof read === 'string' || c.flags & ConnFlag.TEMPLATE) return read;
  // A connection (not a template) must be of a protocol and state the receiver knows.
  const states = STATE_COUNT[c.protocol];
  if (states === undefined) return 'protocol';
  return c.state < states ? read : 'state';
}

function readOptions(b: Buffer, start: number, end: number, c: SyncConn): SyncConn | EntrySkip | 'bad-option' {
  let peData: Uint8Array | null = null;
  let peName: string | null = null;
  for (let p = start; p < end;) {
    if (p + 2 > end) return 'bad-option';
    const type = b[p] ?? 0;
    const len = b[p + 1] ?? 0;
    const data = b.subarray(p + 2, p + 2 + len);
    if (len === 0 || p + 2 + len > end) return 'bad-option';
    const code = type & ~OPT_F_PARAM;
    if (code === OPT_SEQ_DATA) {
      if (len !== SEQ_DATA_BYTES || c.seq) return 'bad-option';
      c.seq = { in: readSeq(data, 0), out: readSeq(data, 12) };
    } else if (code === OPT_PE_DATA) {
      if (peData) return 'bad-option';
      peData = Uint8Array.from(data);
    } else if (code === OPT_PE_NAME) {
      if (peName !== null || len > PE_NAME_MAX) return 'bad-option';
      peName = data.toString('latin1');
    } else if (type === OPT_DIRECTOR_FULLNAT && len === FULLNAT_DATA_BYTES && data[0] === FULLNAT_TAG[0] && data[1] === FULLNAT_TAG[1]) {
      c.fullnat = { laddr: data.readUInt32BE(2), lport: data.readUInt16BE(6) };
    } else if (!(type & OPT_F_PARAM)) {
      return 'mandatory-option'; // the kernel stops reading this entry here and skips it
    }
    p += 2 + len;
  }
  if (peData && peName === null) return 'pe-incomplete';
  if (peData && peName !== null) c.pe = { name: peName, data: peData };
  return c;
}

function readSeq(b: Buffer, off: number): SeqAdjust {
  return { initSeq: b.readUInt32BE(off), delta: b.readUInt32BE(off + 4), previousDelta: b.readUInt32BE(off + 8) };
}
