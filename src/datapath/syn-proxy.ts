// The SYN proxy's state (docs/security.md): answers a SYN to a proxied service with a cookie
// SYN-ACK and keeps nothing; an ACK echoing a good cookie earns a connection, and from then on
// it keeps per connection the cookie ISN, the client's ISN and options (for the SYN to the real
// server and its retries), and once the real server has answered, the sequence delta and the
// window rescaling every FORWARD verdict of the flow carries to the native rewrite. Client segments that arrive
// before the real server answered are parked in the hold pool (a few per connection) and
// released, translated, after the handshake ACK.

import { Action, Meta, SeqMode, TcpOpt, Verdict } from '../native/layout.generated.js';
import type { HoldQueue } from './hold-queue.js';
import { SynCookieJar } from './syn-cookie.js';
import type { VerdictWriter } from './verdict-writer.js';

/** Where a connection's handshake stands (per entry). */
export const ProxyState = {
  /** Not a SYN-proxied connection. */
  NONE: 0,
  /** The SYN went to the real server; its SYN-ACK has not come back. */
  AWAIT_SERVER: 1,
  /** Both handshakes done: every segment is translated by the delta. */
  TRANSLATING: 2,
} as const;

/** What the proxy reports in stats. */
export interface SynProxyStats {
  /** SYNs answered with a cookie SYN-ACK (no state kept). */
  synAcks: number;
  /** ACKs whose cookie was good: connections created. */
  proven: number;
  /** Real server SYN-ACKs answered with the handshake ACK (sequence translation from then on). */
  serverAnswered: number;
  /** Client segments parked until the real server answered. */
  held: number;
  /** SYNs sent again to a real server that had not answered (a client segment beyond the hold). */
  synRetries: number;
}

export interface SynProxyDeps {
  meta: Uint32Array;
  writer: VerdictWriter;
  hold: HoldQueue;
  capacity: number;
  /** MSS the SYN-ACK advertises to clients (the port's MTU - 40). */
  mss: number;
  jar?: SynCookieJar;
}

/** The window of the SYN-ACK (a SYN's window is never scaled). */
export const PROXY_WINDOW = 64_240;
/**
 * The window scale the proxy offers a client that offered one (Linux's usual shift): the real
 * server's windows are moved from its own scale to this one on their way to the client.
 */
export const PROXY_WSCALE = 7;
/** Client segments parked per connection while the real server has not answered (DPVS keeps 3). */
export const HELD_PER_CONN = 4;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

export class SynProxy {
  readonly state: Uint8Array;
  readonly jar: SynCookieJar;
  private readonly cookieIsn: Uint32Array;
  /** The client's ISN as the real server sees it (FULLNAT: moved by the connection's seqDelta). */
  private readonly clientIsn: Uint32Array;
  private readonly delta: Uint32Array;
  private readonly opts: Uint32Array;
  private readonly window: Uint16Array;
  /** Verdict WINDOW words (left | right << 8) of each direction, fixed at the real server's SYN-ACK. */
  private readonly inWindow: Uint16Array;
  private readonly outWindow: Uint16Array;
  private readonly counts: SynProxyStats = { synAcks: 0, proven: 0, serverAnswered: 0, held: 0, synRetries: 0 };

  constructor(private readonly d: SynProxyDeps) {
    this.jar = d.jar ?? new SynCookieJar();
    this.state = new Uint8Array(d.capacity);
    this.cookieIsn = new Uint32Array(d.capacity);
    this.clientIsn = new Uint32Array(d.capacity);
    this.delta = new Uint32Array(d.capacity);
    this.opts = new Uint32Array(d.capacity);
    this.window = new Uint16Array(d.capacity);
    this.inWindow = new Uint16Array(d.capacity);
    this.outWindow = new Uint16Array(d.capacity);
  }

  /** A SYN without a connection: the cookie SYN-ACK back out port. */
  answerSyn(mb: number, vb: number, port: number, nowSec: number): void {
    const m = this.d.meta;
    const opts = m[mb + Meta.TCP_OPTS]!;
    const sack = (opts & TcpOpt.SACK_PERM) !== 0;
    const wscale = opts & TcpOpt.WSCALE ? shiftOf(opts) : -1;
    const cookie = this.jar.make(m[mb + Meta.SRC_IP]!, m[mb + Meta.SRC_PORT]!, m[mb + Meta.DST_IP]!, m[mb + Meta.DST_PORT]!,
      m[mb + Meta.TCP_SEQ]!, opts & TcpOpt.MSS_MASK, sack, wscale, nowSec);
    const v = this.d.writer.verdict;
    this.d.writer.answer(vb, Action.SYNPROXY_SYNACK, port);
    v[vb + Verdict.ISN] = cookie;
    // Window scaling only for a client that offered it (RFC 7323), at the proxy's own shift.
    v[vb + Verdict.TCP_OPTS] = Math.min(this.d.mss, TcpOpt.MSS_MASK) | (sack ? TcpOpt.SACK_PERM : 0) |
      (wscale >= 0 ? withShift(PROXY_WSCALE) : 0);
    v[vb + Verdict.WINDOW] = PROXY_WINDOW;
    this.counts.synAcks++;
  }

  /** True when this ACK (no SYN, no RST) acknowledges a cookie the director made lately. */
  proves(mb: number, nowSec: number): boolean {
    const m = this.d.meta;
    return this.jar.check(m[mb + Meta.SRC_IP]!, m[mb + Meta.SRC_PORT]!, m[mb + Meta.DST_IP]!, m[mb + Meta.DST_PORT]!,
      (m[mb + Meta.TCP_SEQ]! - 1) >>> 0, (m[mb + Meta.TCP_ACK]! - 1) >>> 0, nowSec);
  }

  /**
   * Connection e was created for the ACK proves() just accepted: remember what its SYN needs.
   * clientDelta (int32, FULLNAT: ConnTable.seqDelta) moves the client's ISN as the real server sees it.
   */
  begin(e: number, mb: number, clientDelta: number): void {
    const m = this.d.meta;
    const data = this.jar.data;
    this.state[e] = ProxyState.AWAIT_SERVER;
    this.cookieIsn[e] = m[mb + Meta.TCP_ACK]! - 1;
    this.clientIsn[e] = m[mb + Meta.TCP_SEQ]! - 1 + clientDelta;
    this.opts[e] = data.mss | (data.sackPermitted ? TcpOpt.SACK_PERM : 0) | (data.wscale >= 0 ? withShift(data.wscale) : 0);
    this.window[e] = m[mb + Meta.TCP_WIN]!;
    this.inWindow[e] = 0;
    this.outWindow[e] = 0;
    this.counts.proven++;
  }

  /** Writes the words of entry e's SYN to the real server at vb (Forwarders.proxySyn writes the rest). */
  synToServer(e: number, vb: number, retry: boolean): void {
    const v = this.d.writer.verdict;
    v[vb + Verdict.ISN] = this.clientIsn[e]!;
    v[vb + Verdict.TCP_OPTS] = this.opts[e]!;
    if (retry) this.counts.synRetries++;
  }

  /** Sequence translation words for a FORWARD of entry e, from the real server or the client (none unless it is translating). */
  translate(e: number, vb: number, fromServer: boolean): void {
    if (this.state[e] !== ProxyState.TRANSLATING) return;
    const v = this.d.writer.verdict;
    v[vb + Verdict.SEQ_MODE] = SeqMode.TRANSLATE;
    v[vb + Verdict.SEQ_DELTA] = this.delta[e]!;
    v[vb + Verdict.WINDOW] = fromServer ? this.outWindow[e]! : this.inWindow[e]!;
  }

  /**
   * A real server's segment while entry e awaits its answer. A SYN-ACK for our SYN becomes the
   * handshake ACK back to it (true: verdict written; the delta is fixed); a RST is passed on to
   * the client translated into its window (false: forward it). Anything else: null (drop it).
   */
  serverAnswer(e: number, mb: number, vb: number, port: number): boolean | null {
    const m = this.d.meta;
    const flags = m[mb + Meta.TCP_FLAGS]!;
    const seq = m[mb + Meta.TCP_SEQ]!;
    if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) === (TCP_SYN | TCP_ACK) && m[mb + Meta.TCP_ACK] === ((this.clientIsn[e]! + 1) >>> 0)) {
      this.delta[e] = this.cookieIsn[e]! - seq;
      this.state[e] = ProxyState.TRANSLATING;
      this.scales(e, m[mb + Meta.TCP_OPTS]!);
      this.d.writer.answer(vb, Action.SYNPROXY_ACK, port);
      this.d.writer.verdict[vb + Verdict.WINDOW] = rescaled(this.window[e]!, this.inWindow[e]!);
      this.counts.serverAnswered++;
      return true;
    }
    if (flags & TCP_RST) {
      // The client's next expected byte from us is cookie ISN + 1: the RST lands exactly there.
      this.delta[e] = this.cookieIsn[e]! + 1 - seq;
      this.state[e] = ProxyState.TRANSLATING;
      return false;
    }
    return null;
  }

  /**
   * Parks the client segment whose FORWARD verdict is at vb until the real server answers;
   * false when it may not (the connection's share of the pool is used, or the verdict is not a
   * plain FORWARD, e.g. it waits on ARP already).
   */
  park(e: number, vb: number, nowMs: number): boolean {
    const v = this.d.writer.verdict;
    if (v[vb + Verdict.ACTION] !== Action.FORWARD) return false;
    v[vb + Verdict.SEQ_MODE] = SeqMode.TRANSLATE;
    if (this.d.hold.park(heldKey(e), nowMs, v, vb, HELD_PER_CONN) < 0) return false;
    this.counts.held++;
    return true;
  }

  /** The delta of an entry that is translating (for releasing what was parked). */
  deltaOf(e: number): number {
    return this.delta[e]!;
  }

  /** The WINDOW word of an entry's client segments (for releasing what was parked). */
  inWindowOf(e: number): number {
    return this.inWindow[e]!;
  }

  /**
   * How windows move between the sides once the real server's SYN-ACK (options serverOpts) is
   * in: the client scales by its own shift only if it offered one (the proxy then offered
   * PROXY_WSCALE back); the real server scales only if it also answered the client's shift.
   */
  private scales(e: number, serverOpts: number): void {
    const clientOn = (this.opts[e]! & TcpOpt.WSCALE) !== 0;
    const serverOn = clientOn && (serverOpts & TcpOpt.WSCALE) !== 0;
    const clientShift = shiftOf(this.opts[e]!);
    this.outWindow[e] = windowWord(serverOn ? shiftOf(serverOpts) : 0, clientOn ? PROXY_WSCALE : 0);
    this.inWindow[e] = clientOn && !serverOn ? windowWord(clientShift, 0) : 0;
  }

  /** Connection e is freed. */
  released(e: number): void {
    this.state[e] = ProxyState.NONE;
  }

  stats(): SynProxyStats {
    return { ...this.counts };
  }
}

function shiftOf(opts: number): number {
  return Math.min((opts >>> TcpOpt.WSCALE_SHIFT) & 0xf, 14);
}

function withShift(shift: number): number {
  return TcpOpt.WSCALE | (shift << TcpOpt.WSCALE_SHIFT);
}

/** A verdict WINDOW word: the window field << left >> right (0: unchanged). */
function windowWord(left: number, right: number): number {
  return left === right ? 0 : left | (right << 8);
}

/** A window field moved as a WINDOW word says (as the native rewrite does), capped at 65535. */
function rescaled(window: number, word: number): number {
  return Math.min(0xffff, (window << (word & 0xff)) >>> ((word >> 8) & 0xff));
}

/** The hold-pool key of entry e's parked segments: negative, apart from every neighbour id. */
export function heldKey(e: number): number {
  return -1 - e;
}
