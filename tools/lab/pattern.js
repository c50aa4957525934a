// Deterministic byte streams for lab traffic: sender and receiver generate the same seeded
// sequence, so a download or upload can be checked byte for byte without storing it; and the
// option and target parsing every lab tool shares.
'use strict';

/** xorshift32 stream; fill() continues where the last call stopped, whatever the chunk sizes. */
class Pattern {
  constructor(seed) {
    this.state = (Number(seed) >>> 0) || 0x9e3779b9;
    this.word = 0;
    this.left = 0; // bytes of this.word not yet handed out
  }

  nextWord() {
    let x = this.state;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.state = x;
    return x;
  }

  fill(buf) {
    for (let i = 0; i < buf.length; i++) {
      if (this.left === 0) { this.word = this.nextWord(); this.left = 4; }
      buf[i] = this.word & 0xff;
      this.word >>>= 8;
      this.left--;
    }
    return buf;
  }

  /** Index of the first byte of buf that differs from the stream, or -1; advances the stream. */
  check(buf) {
    const want = this.fill(Buffer.allocUnsafe(buf.length));
    if (want.equals(buf)) return -1;
    for (let i = 0; i < buf.length; i++) if (want[i] !== buf[i]) return i;
    return -1;
  }
}

/** Minimal --key value parser: returns an object, numbers left as strings. */
function parseArgs(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) out[key] = 'true';
      else { out[key] = next; i++; }
    } else out._.push(a);
  }
  return out;
}

/** A non-negative integer option, or exit 2 naming the option. */
function intArg(args, key, dflt) {
  const v = args[key] === undefined ? dflt : Number(args[key]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`--${key} must be a non-negative integer, got ${args[key]}\n`);
    process.exit(2);
  }
  return v;
}

/**
 * A --target: "IPV4:PORT", "[IPV6]:PORT", "NAME:PORT", or any of them without the port (then
 * defaultPort); family 4, 6, or 0 for a name. IPv6 comes back in the form Node reports peers in
 * (compressed, lower case), so replies can be compared with it. Returns null for anything else.
 */
function parseTarget(text, defaultPort) {
  const s = String(text || '');
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s) || /^([0-9a-fA-F:.]*:[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/.exec(s);
  if (m) {
    const port = Number(m[2] || defaultPort);
    try {
      const host = new URL(`http://[${m[1]}]/`).hostname.slice(1, -1);
      return Number.isInteger(port) ? { host, port, family: 6 } : null;
    } catch { return null; }
  }
  const named = /^([A-Za-z0-9.-]+)(?::(\d+))?$/.exec(s);
  if (named === null) return null;
  const port = Number(named[2] || defaultPort);
  const family = /^\d+\.\d+\.\d+\.\d+$/.test(named[1]) ? 4 : 0;
  return Number.isInteger(port) ? { host: named[1], port, family } : null;
}

module.exports = { Pattern, parseArgs, intArg, parseTarget };
