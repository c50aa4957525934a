// Classic libpcap files with Ethernet frames, both ways: what tcpdump -w writes (either byte
// order, microsecond or nanosecond stamps) read into records, and records written back in the
// common little-endian microsecond form that tcpdump, tshark and wireshark all read.

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
/** pcapng's Section Header Block type: a different format, named in the error. */
const PCAPNG_SHB = 0x0a0d0d0a;
const LINKTYPE_ETHERNET = 1;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
const SNAPLEN = 262_144;

export interface PcapRecord {
  /** Capture time in milliseconds since the epoch (fractional: µs or ns precision kept). */
  timeMs: number;
  /** The captured bytes: the whole frame when it was not cut by the snap length. */
  frame: Buffer;
  /** The frame's length on the wire. */
  wireLength: number;
}

export interface PcapFile {
  records: PcapRecord[];
  /** Bytes after the last whole record: a capture stopped in the middle of writing one. */
  cutTail: number;
}

export class PcapError extends Error {}

/** Reads a classic pcap file; throws PcapError naming what is wrong with one that is not. */
export function readPcap(b: Buffer): PcapFile {
  if (b.length < FILE_HEADER) throw new PcapError(`${b.length} bytes is too short for a pcap file header (24 bytes)`);
  if (b.readUInt32LE(0) === PCAPNG_SHB) {
    throw new PcapError('this is a pcapng file; convert it to pcap first (editcap -F pcap IN OUT, or tcpdump -r IN -w OUT)');
  }
  const le = b.readUInt32LE(0) === MAGIC_US || b.readUInt32LE(0) === MAGIC_NS;
  if (!le && b.readUInt32BE(0) !== MAGIC_US && b.readUInt32BE(0) !== MAGIC_NS) {
    throw new PcapError(`bad magic number 0x${b.readUInt32BE(0).toString(16).padStart(8, '0')}: not a pcap file`);
  }
  const u32 = (at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const fractionMs = u32(0) === MAGIC_NS ? 1e-6 : 1e-3;
  const linkType = u32(20) & 0x0fff_ffff;
  if (linkType !== LINKTYPE_ETHERNET) throw new PcapError(`link type ${linkType}: only Ethernet (1) frames can be simulated`);
  const records: PcapRecord[] = [];
  let at = FILE_HEADER;
  while (at + RECORD_HEADER <= b.length) {
    const caplen = u32(at + 8);
    if (at + RECORD_HEADER + caplen > b.length) break;
    records.push({
      timeMs: u32(at) * 1000 + u32(at + 4) * fractionMs,
      frame: b.subarray(at + RECORD_HEADER, at + RECORD_HEADER + caplen),
      wireLength: u32(at + 12),
    });
    at += RECORD_HEADER + caplen;
  }
  return { records, cutTail: b.length - at };
}

/** A pcap file (little-endian, microsecond stamps, Ethernet) holding these records. */
export function writePcap(records: readonly PcapRecord[]): Buffer {
  const size = records.reduce((n, r) => n + RECORD_HEADER + r.frame.length, FILE_HEADER);
  const b = Buffer.alloc(size);
  b.writeUInt32LE(MAGIC_US, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(SNAPLEN, 16);
  b.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  let at = FILE_HEADER;
  for (const r of records) {
    const us = Math.round(r.timeMs * 1000);
    b.writeUInt32LE(Math.floor(us / 1e6), at);
    b.writeUInt32LE(us % 1e6, at + 4);
    b.writeUInt32LE(r.frame.length, at + 8);
    b.writeUInt32LE(Math.max(r.wireLength, r.frame.length), at + 12);
    r.frame.copy(b, at + RECORD_HEADER);
    at += RECORD_HEADER + r.frame.length;
  }
  return b;
}
