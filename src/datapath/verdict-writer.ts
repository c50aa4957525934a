// Writes the common shapes of verdict records (drop with a reason, forward, answer the sender)
// as plain stores into the batch's verdict array at the generated word indices.

import { Action, type ActionValue, type DirectionValue, type MethodValue, Verdict } from '../native/layout.generated.js';

export class VerdictWriter {
  constructor(readonly verdict: Uint32Array) {}

  drop(vb: number, reason: number): void {
    this.verdict[vb + Verdict.ACTION] = Action.DROP;
    this.verdict[vb + Verdict.REASON] = reason;
  }

  /**
   * A FORWARD verdict: the connection's method, the side the packet came from, egress port and
   * next-hop MAC; method-specific words follow.
   */
  forward(vb: number, method: MethodValue, direction: DirectionValue, port: number, macHi: number, macLo: number): void {
    const v = this.verdict;
    v[vb + Verdict.ACTION] = Action.FORWARD;
    v[vb + Verdict.METHOD] = method;
    v[vb + Verdict.DIRECTION] = direction;
    v[vb + Verdict.PORT] = port;
    v[vb + Verdict.DST_MAC_HI] = macHi;
    v[vb + Verdict.DST_MAC_LO] = macLo;
  }

  /** An answer the native side builds from the frame (ARP reply, ICMP errors and echo replies). */
  answer(vb: number, action: ActionValue, port: number): void {
    this.verdict[vb + Verdict.ACTION] = action;
    this.verdict[vb + Verdict.PORT] = port;
  }
}
