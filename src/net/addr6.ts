// IPv6 addresses between text (RFC 4291 forms in, RFC 5952 canonical form out) and the four
// 32-bit words the data path's records carry (word 0 = the first four bytes).

/** The 16 bytes of an IPv6 address in any RFC 4291 text form; throws on anything else. */
export function parseIpv6(text: string): Uint8Array {
  const bad = (): Error => new Error(`not an IPv6 address: '${text}'`);
  let body = text;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {  // ::ffff:198.18.0.1 and the like: the last 32 bits as a dotted quad
    const octets = dotted[2]!.split('.').map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : 256));
    if (octets.some((o) => o > 255)) throw bad();
    tail.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    body = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) throw bad();
  const groups = (s: string): number[] => {
    if (s === '') return [];
    return s.split(':').map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
      return parseInt(g, 16);
    });
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) throw bad();
  const words = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** True when text is an IPv6 address in any RFC 4291 text form. */
export function isIPv6(text: string): boolean {
  try {
    parseIpv6(text);
    return true;
  } catch {
    return false;
  }
}

/** The four words of an address as meta and verdict records carry them. */
export function ipv6Words(bytes: Uint8Array): [number, number, number, number] {
  const w = (i: number): number => ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  return [w(0), w(4), w(8), w(12)];
}

/** The 16 bytes of an address from its four record words. */
export function ipv6FromWords(words: ArrayLike<number>, at = 0): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    const w = words[at + i]! >>> 0;
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = (w >>> 16) & 0xff;
    out[4 * i + 2] = (w >>> 8) & 0xff;
    out[4 * i + 3] = w & 0xff;
  }
  return out;
}

/** RFC 5952 text: lower case, no leading zeros, the first longest run of two or more zero groups as '::'. */
export function formatIpv6(bytes: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i]! << 8) | bytes[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
