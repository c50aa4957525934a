// Writes verdict records: the word indices come from the addon's layout once, so the per-frame
// writers are plain typed-array stores with no lookups by name.

import type { NativeLayout } from '../native/types.js';

export class VerdictWriter {
  readonly words: number;
  readonly ACTION: number;
  readonly METHOD: number;
  readonly PORT: number;
  readonly DST_MAC_HI: number;
  readonly DST_MAC_LO: number;
  readonly SRC_IP: number;
  readonly SRC_PORT: number;
  readonly DST_IP: number;
  readonly DST_PORT: number;
  readonly TUN_SRC: number;
  readonly TUN_DST: number;
  readonly MTU: number;
  readonly SLOT: number;
  readonly REASON: number;
  readonly actionDrop: number;
  readonly actionForward: number;
  readonly actionArpReply: number;
  readonly actionHold: number;

  constructor(layout: NativeLayout, readonly verdict: Uint32Array) {
    const v = layout.verdict;
    this.words = req(v, 'WORDS');
    this.ACTION = req(v, 'ACTION');
    this.METHOD = req(v, 'METHOD');
    this.PORT = req(v, 'PORT');
    this.DST_MAC_HI = req(v, 'DST_MAC_HI');
    this.DST_MAC_LO = req(v, 'DST_MAC_LO');
    this.SRC_IP = req(v, 'SRC_IP');
    this.SRC_PORT = req(v, 'SRC_PORT');
    this.DST_IP = req(v, 'DST_IP');
    this.DST_PORT = req(v, 'DST_PORT');
    this.TUN_SRC = req(v, 'TUN_SRC');
    this.TUN_DST = req(v, 'TUN_DST');
    this.MTU = req(v, 'MTU');
    this.SLOT = req(v, 'SLOT');
    this.REASON = req(v, 'REASON');
    this.actionDrop = req(layout.action, 'DROP');
    this.actionForward = req(layout.action, 'FORWARD');
    this.actionArpReply = req(layout.action, 'ARP_REPLY');
    this.actionHold = req(layout.action, 'HOLD');
  }

  drop(vb: number, reason: number): void {
    this.verdict[vb + this.ACTION] = this.actionDrop;
    this.verdict[vb + this.REASON] = reason;
  }

  /** A FORWARD verdict: method, egress port and next-hop MAC; method-specific words follow. */
  forward(vb: number, method: number, port: number, macHi: number, macLo: number): void {
    const v = this.verdict;
    v[vb + this.ACTION] = this.actionForward;
    v[vb + this.METHOD] = method;
    v[vb + this.PORT] = port;
    v[vb + this.DST_MAC_HI] = macHi;
    v[vb + this.DST_MAC_LO] = macLo;
  }
}

/** Reads a required name from an addon table; a missing one means addon and TS disagree. */
export function req(table: Record<string, number>, name: string): number {
  const value = table[name];
  if (typeof value !== 'number') {
    throw new Error(`native layout has no '${name}': the addon and the TypeScript build disagree; rebuild with npm install`);
  }
  return value;
}
