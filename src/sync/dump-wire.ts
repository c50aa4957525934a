// director's extension of the IPVS sync protocol for sync-aware preemption: a 16-byte block
// after the entries of a version 1 message. A returning node asks the master for its table
// (request), the master answers with its whole table in ordinary v1 messages, each carrying a
// `part` block, then an `end` block saying how many parts it sent.
//
// Linux's IPVS (ip_vs_process_message) and keepalived ignore the block: a v1 message's size
// covers it, the kernel reads only nr_conns entries and never looks past them, so a request or
// an end (nr_conns 0) applies nothing and a part applies its entries. Layout (big-endian):
//   0  "DIRD"   magic
//   4  kind     1 request, 2 part, 3 end
//   5  0        reserved
//   6  nonce    u16, the request's, echoed in its parts and end
//   8  a        u32: part: its index from 0; end: the number of parts sent
//   12 b        u32: end: the number of entries sent; otherwise 0

import { MESSAGE_HEADER_BYTES, SYNC_PROTO_VERSION } from './ipvs-sync-codec.js';

export const DUMP_BLOCK_BYTES = 16;
const MAGIC = 0x44495244; // "DIRD"

export type DumpBlock =
  | { kind: 'request'; nonce: number }
  | { kind: 'part'; nonce: number; index: number }
  | { kind: 'end'; nonce: number; parts: number; entries: number };

const KIND_CODE = { request: 1, part: 2, end: 3 } as const;

function writeBlock(b: Buffer, at: number, block: DumpBlock): void {
  b.writeUInt32BE(MAGIC, at);
  b[at + 4] = KIND_CODE[block.kind];
  b[at + 5] = 0;
  b.writeUInt16BE(block.nonce & 0xffff, at + 6);
  b.writeUInt32BE(block.kind === 'part' ? block.index : block.kind === 'end' ? block.parts : 0, at + 8);
  b.writeUInt32BE(block.kind === 'end' ? block.entries : 0, at + 12);
}

/** A request or an end: a v1 message without entries, then the block. */
export function controlMessage(syncId: number, block: DumpBlock): Buffer {
  const b = Buffer.alloc(MESSAGE_HEADER_BYTES + DUMP_BLOCK_BYTES);
  b[1] = syncId;
  b.writeUInt16BE(b.length, 2);
  b[5] = SYNC_PROTO_VERSION;
  writeBlock(b, MESSAGE_HEADER_BYTES, block);
  return b;
}

/** A v1 message (from encodeMessage) with a part block appended and its size grown to cover it. */
export function withPart(message: Buffer, nonce: number, index: number): Buffer {
  const b = Buffer.alloc(message.length + DUMP_BLOCK_BYTES);
  message.copy(b);
  b.writeUInt16BE(b.length, 2);
  writeBlock(b, message.length, { kind: 'part', nonce, index });
  return b;
}

/** A request or an end: the whole message is a header without entries and a block; else null. */
export function readControl(buf: Uint8Array): DumpBlock | null {
  if (buf.length !== MESSAGE_HEADER_BYTES + DUMP_BLOCK_BYTES || buf[0] !== 0 || buf[4] !== 0 || buf[5] !== SYNC_PROTO_VERSION) return null;
  if (((buf[2] ?? 0) << 8 | (buf[3] ?? 0)) !== buf.length) return null;
  const block = readBlock(buf, MESSAGE_HEADER_BYTES);
  return block?.kind === 'part' ? null : block;
}

/**
 * The block at offset `at` (where a message's entries end, from decodeMessage), or null when
 * there is none: too short, another magic, an unknown kind, or bytes after it.
 */
export function readBlock(buf: Uint8Array, at: number): DumpBlock | null {
  if (buf.length - at !== DUMP_BLOCK_BYTES) return null;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (b.readUInt32BE(at) !== MAGIC || b[at + 5] !== 0) return null;
  const nonce = b.readUInt16BE(at + 6);
  const a = b.readUInt32BE(at + 8);
  switch (b[at + 4]) {
    case 1: return { kind: 'request', nonce };
    case 2: return { kind: 'part', nonce, index: a };
    case 3: return { kind: 'end', nonce, parts: a, entries: b.readUInt32BE(at + 12) };
    default: return null;
  }
}
