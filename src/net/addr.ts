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

/** Strict dotted quad: four decimal octets 0..255, no leading zeros beyond '0' itself. */
export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** Why text is not an IPv4 dotted quad (for a message), or null when it is one. */
export function ipv4Problem(text: string): string | null {
  if (isIPv4(text)) return null;
  if (text.includes(':')) return `'${text}' is not an IPv4 address (IPv6 is not supported yet)`;
  return `'${text}' is not an IPv4 address (expected a dotted quad such as 198.19.0.100)`;
}

/**
 * An address, or keepalived's last-octet range `A.B.C.D-E` (local_address_group entries, adm -z)
 * expanded in order. Throws an Error whose message says what is wrong.
 */
export function expandOctetRange(text: string): string[] {
  const m = /^(\d+\.\d+\.\d+\.)(\d+)-(\d+)$/.exec(text);
  const start = m ? `${m[1]}${m[2]}` : text;
  const problem = ipv4Problem(start);
  if (problem !== null) throw new Error(problem);
  if (!m) return [text];
  const first = Number(m[2]);
  const last = Number(m[3]);
  if (last > 255 || last < first) throw new Error(`range '${text}' must end at an octet in ${first}..255`);
  const list: string[] = [];
  for (let o = first; o <= last; o++) list.push(`${m[1]}${o}`);
  return list;
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
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) throw new Error(`not a MAC address: '${text}'`);
  const n = parseInt(text.replace(/:/g, ''), 16);
  return { hi: Math.floor(n / 2 ** 32), lo: n % 2 ** 32 };
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
