// The backup side of connection sync: reads each message (any bytes at all: a bad message is a
// counted drop, never an exception), keeps those of its sync id, and hands every entry to the
// adopter, which inserts or refreshes the connection or template; counts what happened by reason.

import { decodeMessage, type DecodedMessage, type EntrySkip, type MessageError, type SyncConn } from './ipvs-sync-codec.js';
import { isTemplate, type AdoptSkip } from './sync-entries.js';

/** Puts learnt entries into the tables; both return null when applied, else why not. */
export interface ConnAdopter {
  adoptConn(entry: SyncConn, timeoutSeconds: number): AdoptSkip | null;
  adoptTemplate(entry: SyncConn, timeoutSeconds: number): AdoptSkip | null;
}

export type ReceiveDrop = MessageError | EntrySkip | AdoptSkip | 'other-sync-id';

export interface SyncReceiverCounters {
  messages: number;
  conns: number;
  templates: number;
  /** Messages, or entries, not applied, by reason. */
  drops: Partial<Record<ReceiveDrop, number>>;
}

export class SyncReceiver {
  readonly counters: SyncReceiverCounters = { messages: 0, conns: 0, templates: 0, drops: {} };

  /** syncId: accept only this id (IPVS: a backup with a sync id ignores other masters'); null: any. */
  constructor(private readonly adopter: ConnAdopter, private readonly syncId: number | null) {}

  /** Applies one received message; returns it decoded. */
  receive(message: Uint8Array): DecodedMessage {
    this.counters.messages++;
    const m = decodeMessage(message);
    const headerBad = m.error === 'short' || m.error === 'size' || m.error === 'not-v1';
    if (!headerBad && this.syncId !== null && m.syncId !== this.syncId) {
      this.drop('other-sync-id');
      return m;
    }
    for (const skip of m.skipped) this.drop(skip);
    for (const entry of m.conns) this.apply(entry);
    if (m.error !== null) this.drop(m.error);
    return m;
  }

  private apply(entry: SyncConn): void {
    const template = isTemplate(entry);
    const why = template
      ? this.adopter.adoptTemplate(entry, entry.timeoutSeconds)
      : this.adopter.adoptConn(entry, entry.timeoutSeconds);
    if (why !== null) this.drop(why);
    else if (template) this.counters.templates++;
    else this.counters.conns++;
  }

  private drop(why: ReceiveDrop): void {
    this.counters.drops[why] = (this.counters.drops[why] ?? 0) + 1;
  }
}
