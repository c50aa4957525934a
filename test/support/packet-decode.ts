// A small, lenient decoder of Ethernet frames into plain fields for test assertions; it is an
// independent second reading of the bytes, not a copy of the native parser.

export interface DecodedArp {
  op: number; senderMac: string; senderIp: string; targetMac: string; targetIp: string;
}

export interface DecodedTcp {
  offset: number; srcPort: number; dstPort: number; seq: number; ack: number;
  headerLength: number; flags: number; window: number; checksum: number; urgent: number;
  options: Buffer; payload: Buffer;
}

export interface DecodedUdp {
  offset: number; srcPort: number; dstPort: number; length: number; checksum: number; payload: Buffer;
}

export interface DecodedIcmp {
  offset: number; type: number; code: number; checksum: number;
  /** The 32-bit "rest of header" word (echo: id << 16 | seq; frag-needed: MTU in the low 16). */
  rest: number; id: number; seq: number; payload: Buffer;
  /** Errors (types 3, 11, 12): the quoted packet, decoded as far as it is present. */
  quoted?: DecodedIpv4;
}

export interface DecodedIpv4 {
  /** Offset of this IPv4 header in the frame. */
  offset: number;
  ihl: number; tos: number; totalLength: number; id: number;
  df: boolean; mf: boolean; fragOffset: number; ttl: number; proto: number; checksum: number;
  src: string; dst: string; srcBytes: Buffer; dstBytes: Buffer; options: Buffer;
  tcp?: DecodedTcp; udp?: DecodedUdp; icmp?: DecodedIcmp;
  /** TCP/UDP ports whenever 4 bytes of the L4 header are present (quoted packets too). */
  ports?: { src: number; dst: number };
  /** IPIP (proto 4): the encapsulated packet. */
  inner?: DecodedIpv4;
  /** Quoted headers may be cut short: true when the whole datagram is present. */
  complete: boolean;
}

export interface DecodedFrame {
  dstMac: string; srcMac: string; vlan?: number; etherType: number; l3Offset: number;
  arp?: DecodedArp; ip?: DecodedIpv4;
}

export function macString(b: Uint8Array, at = 0): string {
  return Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function ipString(b: Uint8Array, at = 0): string {
  return Array.from(b.subarray(at, at + 4)).join('.');
}

export function decodeFrame(frame: Uint8Array): DecodedFrame {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < 14) throw new Error(`decodeFrame: ${b.length} bytes is shorter than Ethernet`);
  const out: DecodedFrame = { dstMac: macString(b, 0), srcMac: macString(b, 6), etherType: b.readUInt16BE(12), l3Offset: 14 };
  if (out.etherType === 0x8100 && b.length >= 18) {
    out.vlan = b.readUInt16BE(14) & 0x0fff;
    out.etherType = b.readUInt16BE(16);
    out.l3Offset = 18;
  }
  if (out.etherType === 0x0806 && b.length >= out.l3Offset + 28) out.arp = decodeArp(b, out.l3Offset);
  if (out.etherType === 0x0800) {
    const ip = decodeIpv4(b, out.l3Offset, b.length);
    if (ip) out.ip = ip;
  }
  return out;
}

function decodeArp(b: Buffer, at: number): DecodedArp {
  return {
    op: b.readUInt16BE(at + 6),
    senderMac: macString(b, at + 8), senderIp: ipString(b, at + 14),
    targetMac: macString(b, at + 18), targetIp: ipString(b, at + 24),
  };
}

/** Decodes the IPv4 packet at b[at..end); undefined when not even the fixed header fits. */
export function decodeIpv4(b: Buffer, at: number, end: number): DecodedIpv4 | undefined {
  if (end - at < 20 || b[at]! >> 4 !== 4) return undefined;
  const ihl = b[at]! & 0x0f;
  const frag = b.readUInt16BE(at + 6);
  const ip: DecodedIpv4 = {
    offset: at, ihl, tos: b[at + 1]!, totalLength: b.readUInt16BE(at + 2), id: b.readUInt16BE(at + 4),
    df: (frag & 0x4000) !== 0, mf: (frag & 0x2000) !== 0, fragOffset: (frag & 0x1fff) * 8,
    ttl: b[at + 8]!, proto: b[at + 9]!, checksum: b.readUInt16BE(at + 10),
    src: ipString(b, at + 12), dst: ipString(b, at + 16),
    srcBytes: Buffer.from(b.subarray(at + 12, at + 16)), dstBytes: Buffer.from(b.subarray(at + 16, at + 20)),
    options: Buffer.from(b.subarray(at + 20, Math.min(end, at + ihl * 4))),
    complete: at + b.readUInt16BE(at + 2) <= end,
  };
  const l4 = at + ihl * 4;
  const l4end = Math.min(end, at + ip.totalLength);
  if (ip.fragOffset !== 0 || l4 > l4end) return ip;
  if ((ip.proto === 6 || ip.proto === 17) && l4end - l4 >= 4) {
    ip.ports = { src: b.readUInt16BE(l4), dst: b.readUInt16BE(l4 + 2) };
  }
  if (ip.proto === 6 && l4end - l4 >= 20) ip.tcp = decodeTcp(b, l4, l4end);
  if (ip.proto === 17 && l4end - l4 >= 8) ip.udp = decodeUdp(b, l4, l4end);
  if (ip.proto === 1 && l4end - l4 >= 8) ip.icmp = decodeIcmp(b, l4, l4end);
  if (ip.proto === 4) {
    const inner = decodeIpv4(b, l4, l4end);
    if (inner) ip.inner = inner;
  }
  return ip;
}

function decodeTcp(b: Buffer, at: number, end: number): DecodedTcp {
  const hl = (b[at + 12]! >> 4) * 4;
  return {
    offset: at, srcPort: b.readUInt16BE(at), dstPort: b.readUInt16BE(at + 2),
    seq: b.readUInt32BE(at + 4), ack: b.readUInt32BE(at + 8), headerLength: hl, flags: b[at + 13]!,
    window: b.readUInt16BE(at + 14), checksum: b.readUInt16BE(at + 16), urgent: b.readUInt16BE(at + 18),
    options: Buffer.from(b.subarray(at + 20, Math.min(end, at + hl))),
    payload: Buffer.from(b.subarray(Math.min(end, at + hl), end)),
  };
}

function decodeUdp(b: Buffer, at: number, end: number): DecodedUdp {
  return {
    offset: at, srcPort: b.readUInt16BE(at), dstPort: b.readUInt16BE(at + 2),
    length: b.readUInt16BE(at + 4), checksum: b.readUInt16BE(at + 6),
    payload: Buffer.from(b.subarray(at + 8, end)),
  };
}

function decodeIcmp(b: Buffer, at: number, end: number): DecodedIcmp {
  const icmp: DecodedIcmp = {
    offset: at, type: b[at]!, code: b[at + 1]!, checksum: b.readUInt16BE(at + 2),
    rest: b.readUInt32BE(at + 4), id: b.readUInt16BE(at + 4), seq: b.readUInt16BE(at + 6),
    payload: Buffer.from(b.subarray(at + 8, end)),
  };
  if (icmp.type === 3 || icmp.type === 11 || icmp.type === 12) {
    const q = decodeIpv4(b, at + 8, end);
    if (q) icmp.quoted = q;
  }
  return icmp;
}
