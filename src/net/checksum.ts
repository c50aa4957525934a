// The Internet checksum (RFC 1071) for the headers TypeScript builds itself (VRRP adverts and
// their IPv4 header), with the IPv4 pseudo-header sum that VRRPv3 folds in.

/** One's-complement sum of bytes[start..end), folded to 16 bits, not complemented. */
function onesComplementSum(bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number {
  let sum = seed;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  if (i < end) sum += (bytes[i] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum to write into a header: the complemented sum (the field itself taken as zero). */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number {
  return ~onesComplementSum(bytes, start, end, seed) & 0xffff;
}

/** The folded sum of the IPv4 pseudo-header (source, destination, zero, protocol, length). */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  const sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
  return onesComplementSum(new Uint8Array(0), 0, 0, sum);
}
