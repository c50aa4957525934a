// Connection sync on a running data plane: the role this node plays (master sends, backup
// receives, none does neither), switched by one call that VRRP or an operator makes, and the
// sender and receiver behind it. Also the table dump a state file and a full resync use.

import type { DataPlane } from '../datapath/data-plane.js';
import type { Clock } from '../sched/types.js';
import type { SyncConn } from './ipvs-sync-codec.js';
import { DEFAULT_SYNC_SYSCTLS, type SyncSysctls } from './ipvs-sync-policy.js';
import { connToSync, templateToSync } from './sync-entries.js';
import { SyncReceiver, type SyncReceiverCounters } from './sync-receiver.js';
import { SyncSender, type SyncSenderCounters } from './sync-sender.js';
import type { SyncTransport } from './sync-transport.js';
import { TableAdopter } from './table-adopter.js';

export type SyncRole = 'master' | 'backup' | 'none';
export const SYNC_ROLES: readonly SyncRole[] = ['master', 'backup', 'none'];

export interface ConnSyncOptions {
  plane: DataPlane;
  transport: SyncTransport;
  syncId: number;
  /** Largest message in bytes. */
  maxLen: number;
  /** The data plane's clock. */
  clock: Clock;
  sysctls?: SyncSysctls;
  log?: (line: string) => void;
}

export interface ConnSyncStats {
  role: SyncRole;
  syncId: number;
  sent: SyncSenderCounters;
  received: SyncReceiverCounters;
  /** Messages that arrived while this node was not a backup. */
  ignored: number;
}

export class ConnSync {
  private current: SyncRole = 'none';
  private ignored = 0;
  private readonly sender: SyncSender;
  private readonly receiver: SyncReceiver;

  constructor(private readonly o: ConnSyncOptions) {
    const plane = o.plane;
    this.sender = new SyncSender({
      conns: plane.conns, states: plane.states, templateOf: (e) => plane.factory.templateOf(e),
      transport: o.transport, clock: o.clock, sysctls: o.sysctls ?? DEFAULT_SYNC_SYSCTLS,
      syncId: o.syncId, maxLen: o.maxLen,
    });
    this.receiver = new SyncReceiver(tableAdopter(plane), o.syncId === 0 ? null : o.syncId);
    o.transport.onMessage((message) => {
      if (this.current === 'backup') this.receiver.receive(message);
      else this.ignored++;
    });
  }

  get role(): SyncRole {
    return this.current;
  }

  /**
   * Master: sends the table's changes from now on (memory of earlier sends starts afresh);
   * backup: applies what a master sends; none: neither. Leaving master sends what is pending.
   */
  setRole(role: SyncRole): void {
    if (!SYNC_ROLES.includes(role)) throw new Error(`sync role must be master, backup or none, got ${String(role)}`);
    if (role === this.current) return;
    if (this.current === 'master') {
      this.o.plane.observe(null);
      this.sender.flush();
    }
    if (role === 'master') {
      this.sender.reset();
      this.o.plane.observe(this.sender);
    }
    this.o.log?.(`sync: ${this.current} -> ${role} (sync id ${this.o.syncId})`);
    this.current = role;
  }

  /** Sends what the master side has pending now, instead of up to SYNC_FLUSH_MS later. */
  flush(): void {
    if (this.current === 'master') this.sender.flush();
  }

  stats(): ConnSyncStats {
    const r = this.receiver.counters;
    return {
      role: this.current, syncId: this.o.syncId, sent: { ...this.sender.counters },
      received: { ...r, drops: { ...r.drops } }, ignored: this.ignored,
    };
  }

  /** Sends what is pending and closes the transport. */
  async close(): Promise<void> {
    if (this.current === 'master') this.sender.flush();
    this.o.plane.observe(null);
    this.sender.close();
    await this.o.transport.close();
  }
}

/** An adopter over a data plane's tables (sync backups and state files). */
export function tableAdopter(plane: DataPlane): TableAdopter {
  return new TableAdopter({ conns: plane.conns, factory: plane.factory, services: () => plane.table, seconds: () => plane.seconds() });
}

/** Every connection and template with the seconds it has left (templates first). */
export function dumpTable(plane: DataPlane, clock: Clock): SyncConn[] {
  const c = plane.conns;
  const nowSec = plane.seconds();
  const nowMs = clock.now();
  const out: SyncConn[] = [];
  for (const t of plane.factory.liveTemplates()) out.push(templateToSync(t, Math.max(1, Math.ceil((t.expires - nowMs) / 1000))));
  for (const e of c.liveEntries()) out.push(connToSync(c, e, Math.max(1, c.wheel.deadline[e]! - nowSec)));
  return out;
}
