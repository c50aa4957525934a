// SYN cookies for the SYN proxy: the ISN of the director's SYN-ACK carries, authenticated under
// a secret rotated every epoch, what the proxy needs from the client's SYN (an MSS from a
// table, SACK permitted and the window scale), so a SYN costs no state and only an ACK that
// echoes a cookie the director made lately creates a connection.
//
// Layout of a cookie (32 bits): bits 31..8 a MAC, HalfSipHash-2-4 under the epoch's 64-bit key
// over (client, VIP, ports, client ISN, epoch number and the data bits); bits 7..4 the client's
// window scale shift + 1 (0: none offered); bit 3 the epoch's parity (which of the two keys);
// bit 2 SACK permitted; bits 1..0 the MSS index. A cookie is good in the epoch it was made in
// and the next one: a client's ACK is accepted 1 to 2 epochs after its SYN at most. A guessed
// ACK passes with odds 1 in 2^24 per try (Linux's cookies carry about as many).

import { randomFillSync } from 'node:crypto';

/** MSS values a cookie can carry (Linux's table): the client gets the largest not above its own. */
export const COOKIE_MSS = [536, 1300, 1440, 1460] as const;

/** What a valid cookie gives back. */
export interface CookieData {
  mss: number;
  sackPermitted: boolean;
  /** The client's window scale shift (0..14), -1 when it offered none. */
  wscale: number;
}

const MAC_MASK = 0xffffff00;
const WSCALE_AT = 4;
const PARITY_BIT = 8;
const SACK_BIT = 4;
const MSS_BITS = 3;

/** The index of the largest table MSS not above mss (0 when mss is smaller than them all or absent). */
export function mssIndex(mss: number): number {
  let best = 0;
  for (let i = 0; i < COOKIE_MSS.length; i++) if (COOKIE_MSS[i]! <= mss) best = i;
  return best;
}

export class SynCookieJar {
  /** Two 64-bit keys as four words: key p in words 2p, 2p + 1. */
  private readonly keys = new Uint32Array(4);
  /** The epoch number each key was drawn for; -1 before its first use. */
  private readonly keyEpoch = new Float64Array([-1, -1]);
  /** The hash's state, reused: nothing is allocated per cookie. */
  private readonly lanes: Lanes = { v0: 0, v1: 0, v2: 0, v3: 0 };
  /** The data of the last check() that returned true. */
  readonly data: CookieData = { mss: 0, sackPermitted: false, wscale: -1 };

  /**
   * epochSeconds: how often the secret changes (a cookie lives one to two epochs).
   * fill: where key bytes come from (tests give fixed ones; default crypto random).
   */
  constructor(
    readonly epochSeconds = 32,
    private readonly fill: (words: Uint32Array) => void = (w) => { randomFillSync(w); },
  ) {}

  /** The cookie for a client SYN at nowSec (epoch seconds of any clock that only moves forward). */
  make(client: number, cport: number, vip: number, vport: number, clientIsn: number, mss: number, sack: boolean,
    wscale: number, nowSec: number): number {
    const epoch = Math.floor(nowSec / this.epochSeconds);
    const p = epoch & 1;
    this.keyFor(epoch);
    const ws = wscale < 0 ? 0 : Math.min(wscale, 14) + 1;
    const low = (ws << WSCALE_AT) | (p ? PARITY_BIT : 0) | (sack ? SACK_BIT : 0) | mssIndex(mss);
    return ((this.mac(p, client, cport, vip, vport, clientIsn, epoch, low) & MAC_MASK) | low) >>> 0;
  }

  /**
   * True when cookie was made by make() for this client ISN and tuple in this epoch or the
   * last; `data` then holds what it carries.
   */
  check(client: number, cport: number, vip: number, vport: number, clientIsn: number, cookie: number, nowSec: number): boolean {
    const epoch = Math.floor(nowSec / this.epochSeconds);
    const p = (cookie & PARITY_BIT) ? 1 : 0;
    const madeIn = (epoch & 1) === p ? epoch : epoch - 1;
    if (this.keyEpoch[p] !== madeIn) return false;
    const low = cookie & 0xff;
    if ((((this.mac(p, client, cport, vip, vport, clientIsn, madeIn, low) ^ cookie) & MAC_MASK) >>> 0) !== 0) return false;
    this.data.mss = COOKIE_MSS[low & MSS_BITS]!;
    this.data.sackPermitted = (low & SACK_BIT) !== 0;
    this.data.wscale = (low >> WSCALE_AT) - 1;
    return true;
  }

  /** Draws the key of epoch when its slot still holds an older one. */
  private keyFor(epoch: number): void {
    const p = epoch & 1;
    if (this.keyEpoch[p] === epoch) return;
    this.fill(this.keys.subarray(2 * p, 2 * p + 2));
    this.keyEpoch[p] = epoch;
  }

  /** HalfSipHash-2-4 of six words under key p. */
  private mac(p: number, a: number, aport: number, b: number, bport: number, isn: number, epoch: number, low: number): number {
    const k0 = this.keys[2 * p]! | 0;
    const k1 = this.keys[2 * p + 1]! | 0;
    const s = this.lanes;
    s.v0 = k0;
    s.v1 = k1;
    s.v2 = (0x6c796765 ^ k0) | 0;
    s.v3 = (0x74656462 ^ k1) | 0;
    return halfSip24(s, a | 0, b | 0, ((aport & 0xffff) << 16) | (bport & 0xffff), isn | 0, epoch | 0, low);
  }
}

interface Lanes { v0: number; v1: number; v2: number; v3: number }

function round(s: Lanes): void {
  s.v0 = (s.v0 + s.v1) | 0; s.v1 = (s.v1 << 5) | (s.v1 >>> 27); s.v1 ^= s.v0; s.v0 = (s.v0 << 16) | (s.v0 >>> 16);
  s.v2 = (s.v2 + s.v3) | 0; s.v3 = (s.v3 << 8) | (s.v3 >>> 24); s.v3 ^= s.v2;
  s.v0 = (s.v0 + s.v3) | 0; s.v3 = (s.v3 << 7) | (s.v3 >>> 25); s.v3 ^= s.v0;
  s.v2 = (s.v2 + s.v1) | 0; s.v1 = (s.v1 << 13) | (s.v1 >>> 19); s.v1 ^= s.v2; s.v2 = (s.v2 << 16) | (s.v2 >>> 16);
}

function absorb(s: Lanes, m: number): void {
  s.v3 ^= m;
  round(s);
  round(s);
  s.v0 ^= m;
}

/** Six message words, then the length word (24 bytes), two compression and four finalization rounds. */
function halfSip24(s: Lanes, m0: number, m1: number, m2: number, m3: number, m4: number, m5: number): number {
  absorb(s, m0);
  absorb(s, m1);
  absorb(s, m2);
  absorb(s, m3);
  absorb(s, m4);
  absorb(s, m5);
  absorb(s, 24 << 24);
  s.v2 ^= 0xff;
  round(s);
  round(s);
  round(s);
  round(s);
  return (s.v1 ^ s.v3) >>> 0;
}
