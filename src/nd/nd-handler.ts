// Decides each Neighbour Discovery frame of a batch (RFC 4861): a valid solicitation for an
// owned IPv6 address is answered natively (Action.ND_ADVERT), valid solicitations and
// advertisements teach the resolver their sender's MAC, and everything RFC 4861 7.1 says to
// discard is a counted drop. The IPv6 twin of the classifier's ARP branch.

import { Action, Meta, NdOpts, Verdict } from '../native/layout.generated.js';
import type { DropCounters } from '../datapath/drop-reasons.js';
import { DropReason } from '../datapath/drop-reasons.js';
import type { VerdictWriter } from '../datapath/verdict-writer.js';
import { ICMP6_NA, ICMP6_NS, NA_OVERRIDE, NA_SOLICITED, ND_HOP_LIMIT } from './nd-frames.js';

/** Which owned IPv6 addresses are answered now (the VipGate over the service table). */
export interface NdOwner {
  answers6(w: Uint32Array, off: number): boolean;
}

/** Where learnt neighbours go (ArpResolver.learn6: only addresses already wanted are kept). */
export interface NdLearner {
  learn6(a0: number, a1: number, a2: number, a3: number, macHi: number, macLo: number, override?: boolean): void;
  /** Re-confirms a resolved neighbour without a MAC to learn (ArpResolver.confirm6). */
  confirm6(a0: number, a1: number, a2: number, a3: number): void;
}

export interface NdHandlerDeps {
  meta: Uint32Array;
  writer: VerdictWriter;
  drops: DropCounters;
  owner: NdOwner;
  learner: NdLearner;
  /** The port answers leave by (the ingress port; the native side sends them back there). */
  lanPort: number;
}

export interface NdCounters {
  /** Solicitations for an owned address, answered. */
  solicitsAnswered: number;
  /** Valid solicitations for an address this node does not answer now. */
  notOwned: number;
  /** Discarded as RFC 4861 7.1 says (also counted as the nd_invalid drop). */
  invalid: number;
}

export class NdHandler {
  readonly counters: NdCounters = { solicitsAnswered: 0, notOwned: 0, invalid: 0 };

  constructor(private readonly d: NdHandlerDeps) {}

  /** One well-formed ICMPv6 frame of type 133..137 (the classifier checked kind and type). */
  handle(mb: number, vb: number): void {
    const type = this.d.meta[mb + Meta.ICMP]! >>> 8;
    if (type !== ICMP6_NS && type !== ICMP6_NA) {
      this.drop(vb, DropReason.ND_CONSUMED);  // router solicitation/advertisement, redirect
    } else if (!this.valid(type, mb)) {
      this.counters.invalid++;
      this.drop(vb, DropReason.ND_INVALID);
    } else if (type === ICMP6_NS) {
      this.solicitation(mb, vb);
    } else {
      this.advertisement(mb, vb);
    }
  }

  /** RFC 4861 7.1.1 and 7.1.2 on what the parser recorded (the native answer re-checks the bytes). */
  private valid(type: number, mb: number): boolean {
    const m = this.d.meta;
    if (m[mb + Meta.TTL] !== ND_HOP_LIMIT || (m[mb + Meta.ICMP]! & 0xff) !== 0) return false;
    if (m[mb + Meta.ND_OPTS] === NdOpts.BAD || (m[mb + Meta.INNER_DST_IP6_0]! >>> 24) === 0xff) return false;
    if (type === ICMP6_NA) {
      // A solicited advertisement is never multicast.
      return (m[mb + Meta.DST_IP6_0]! >>> 24) !== 0xff || ((m[mb + Meta.ICMP_EXTRA]! >>> 24) & NA_SOLICITED) === 0;
    }
    if (!unspecified(m, mb + Meta.SRC_IP6_0)) return true;
    // Duplicate address detection: no source link-layer option, sent to the solicited-node group.
    return m[mb + Meta.ND_OPTS] !== NdOpts.LLA && m[mb + Meta.DST_IP6_0] === 0xff020000 && m[mb + Meta.DST_IP6_1] === 0
      && m[mb + Meta.DST_IP6_2] === 1 && m[mb + Meta.DST_IP6_3] === ((0xff000000 | (m[mb + Meta.INNER_DST_IP6_3]! & 0xffffff)) >>> 0);
  }

  private solicitation(mb: number, vb: number): void {
    const m = this.d.meta;
    // The soliciter's MAC, as Linux learns it from the source link-layer option.
    if (m[mb + Meta.ND_OPTS] === NdOpts.LLA) {
      this.d.learner.learn6(m[mb + Meta.SRC_IP6_0]!, m[mb + Meta.SRC_IP6_1]!, m[mb + Meta.SRC_IP6_2]!, m[mb + Meta.SRC_IP6_3]!,
        m[mb + Meta.ND_LLA_HI]!, m[mb + Meta.ND_LLA_LO]!);
    }
    if (!this.d.owner.answers6(m, mb + Meta.INNER_DST_IP6_0)) {
      this.counters.notOwned++;
      this.drop(vb, DropReason.ND_CONSUMED);
      return;
    }
    this.counters.solicitsAnswered++;
    this.d.writer.answer(vb, Action.ND_ADVERT, this.d.lanPort);
    const v = this.d.writer.verdict;
    for (let i = 0; i < 4; i++) v[vb + Verdict.SRC_IP6_0 + i] = m[mb + Meta.INNER_DST_IP6_0 + i]!;
  }

  /**
   * An advertisement's target is at its target link-layer option's MAC; Linux answers a unicast
   * solicitation (our re-confirmation) without that option, which re-confirms the MAC known.
   */
  private advertisement(mb: number, vb: number): void {
    const m = this.d.meta;
    const t = mb + Meta.INNER_DST_IP6_0;
    if (m[mb + Meta.ND_OPTS] === NdOpts.LLA) {
      const override = ((m[mb + Meta.ICMP_EXTRA]! >>> 24) & NA_OVERRIDE) !== 0;
      this.d.learner.learn6(m[t]!, m[t + 1]!, m[t + 2]!, m[t + 3]!, m[mb + Meta.ND_LLA_HI]!, m[mb + Meta.ND_LLA_LO]!, override);
    } else {
      this.d.learner.confirm6(m[t]!, m[t + 1]!, m[t + 2]!, m[t + 3]!);
    }
    this.drop(vb, DropReason.ND_CONSUMED);
  }

  private drop(vb: number, reason: typeof DropReason.ND_INVALID | typeof DropReason.ND_CONSUMED): void {
    this.d.writer.drop(vb, reason);
    this.d.drops.add(reason);
  }
}

function unspecified(m: Uint32Array, off: number): boolean {
  return (m[off]! | m[off + 1]! | m[off + 2]! | m[off + 3]!) === 0;
}
