// The per-method in and out handlers: each writes the verdict for one packet of a connection
// whose method was fixed when it was created, so no packet switches over modes. A packet whose
// next hop has no MAC yet is parked in the hold queue with the verdict it will get.

import type { ArpResolver } from '../arp/resolver.js';
import type { ConnTable } from '../conntable/conn-table.js';
import type { NativeLayout } from '../native/types.js';
import { DropReason, type DropCounters } from './drop-reasons.js';
import type { HoldQueue } from './hold-queue.js';
import type { MetaIndex } from './meta-reader.js';
import { ConnMethod, type RuntimeDest } from './service-table.js';
import { req, type VerdictWriter } from './verdict-writer.js';

export type PacketHandler = (entry: number, dest: RuntimeDest, mb: number, vb: number) => void;

export interface ForwarderDeps {
  layout: NativeLayout;
  meta: Uint32Array;
  conns: ConnTable;
  arp: ArpResolver;
  hold: HoldQueue;
  drops: DropCounters;
  writer: VerdictWriter;
  metaIndex: MetaIndex;
  lanPort: number;
  localIp: number;
}

export class Forwarders {
  /** Handlers for client-side packets, indexed by ConnMethod. */
  readonly inbound: PacketHandler[];
  /** Handlers for real-server-side packets (NAT, FULLNAT), indexed by ConnMethod. */
  readonly outbound: PacketHandler[];
  /** Set by the classifier once per batch. */
  nowMs = 0;
  private readonly methodDr: number;
  private readonly methodTun: number;

  constructor(private readonly d: ForwarderDeps) {
    this.methodDr = req(d.layout.method, 'DR');
    this.methodTun = req(d.layout.method, 'TUN');
    const unsupported: PacketHandler = (_e, _dest, _mb, vb) => this.dropUnsupported(vb);
    this.inbound = [];
    this.inbound[ConnMethod.DR] = (e, dest, mb, vb) => this.drIn(e, dest, mb, vb);
    this.inbound[ConnMethod.TUN] = (e, dest, mb, vb) => this.tunIn(e, dest, mb, vb);
    this.inbound[ConnMethod.NAT] = unsupported;
    this.inbound[ConnMethod.FNAT] = unsupported;
    // DR and TUN replies bypass the director: they have no out key, so no out handler runs.
    this.outbound = [unsupported, unsupported, unsupported, unsupported];
  }

  /** DR: only the destination MAC changes; the real server holds the VIP itself. */
  private drIn(_e: number, dest: RuntimeDest, _mb: number, vb: number): void {
    this.d.writer.forward(vb, this.methodDr, this.d.lanPort, dest.macHi, dest.macLo);
    if (!dest.macReady) this.holdFor(dest.addr, vb);
  }

  /** TUN: IPIP from the director's address to the real server. */
  private tunIn(_e: number, dest: RuntimeDest, _mb: number, vb: number): void {
    const w = this.d.writer;
    w.forward(vb, this.methodTun, this.d.lanPort, dest.macHi, dest.macLo);
    w.verdict[vb + w.TUN_SRC] = this.d.localIp;
    w.verdict[vb + w.TUN_DST] = dest.addr;
    w.verdict[vb + w.MTU] = 0;
    if (!dest.macReady) this.holdFor(dest.addr, vb);
  }

  private dropUnsupported(vb: number): void {
    this.d.writer.drop(vb, DropReason.UNSUPPORTED_PROTO);
    this.d.drops.add(DropReason.UNSUPPORTED_PROTO);
  }

  /**
   * Parks the frame until addr resolves: its finished verdict is kept in the hold queue and
   * the native side copies the frame into the slot.
   */
  private holdFor(addr: number, vb: number): void {
    const w = this.d.writer;
    const slot = this.d.hold.hold(addr, this.nowMs);
    this.d.arp.want(addr);
    if (slot < 0) {
      w.drop(vb, DropReason.UNRESOLVED);
      this.d.drops.add(DropReason.UNRESOLVED);
      return;
    }
    const pending = this.d.hold.pending;
    const base = slot * w.words;
    for (let k = 0; k < w.words; k++) pending[base + k] = w.verdict[vb + k]!;
    w.verdict[vb + w.ACTION] = w.actionHold;
    w.verdict[vb + w.SLOT] = slot;
  }
}
