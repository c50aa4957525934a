// IPv4 and MAC address conversions between text and the integer forms the data path uses.

/** Parses a dotted quad into a host-order uint32; throws on anything else. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: '${text}'`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) throw new Error(`not an IPv4 address: '${text}'`);
    const octet = Number(part);
    if (octet > 255) throw new Error(`not an IPv4 address: '${text}'`);
    value = value * 256 + octet;
  }
  return value >>> 0;
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** A MAC split the way the native records carry it: 16-bit high part, 32-bit low part. */
export interface MacParts {
  hi: number;
  lo: number;
}

export function parseMac(text: string): MacParts {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(text);
  if (!m) throw new Error(`not a MAC address: '${text}'`);
  const b = m.slice(1).map((h) => parseInt(h, 16));
  return { hi: (b[0]! << 8) | b[1]!, lo: ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0 };
}

export function formatMac(hi: number, lo: number): string {
  const bytes = [hi >>> 8, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function macToBytes(text: string): Buffer {
  const { hi, lo } = parseMac(text);
  const out = Buffer.alloc(6);
  out.writeUInt16BE(hi, 0);
  out.writeUInt32BE(lo, 2);
  return out;
}

/** Netmask from a dotted quad (persistence_granularity) or prefix length. */
export function prefixToMask(bits: number): number {
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`bad prefix length ${bits}`);
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}
