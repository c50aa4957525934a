// The bulk table dump of sync-aware preemption (director's extension, wire in dump-wire.ts): the
// master's answer to a request (its whole table, unicast to the asker, then the end block) and
// the asking side, which re-asks every second until a dump arrives whole and then says ready.

import { formatIpv4 } from '../net/addr.js';
import { DUMP_BLOCK_BYTES, controlMessage, withPart, type DumpBlock } from './dump-wire.js';
import type { SyncConn } from './ipvs-sync-codec.js';
import { packAll } from './ipvs-sync-policy.js';

/** A request or a dump whose end was lost is asked again after this. */
export const DUMP_RETRY_MS = 1000;
/**
 * A master serves at most one dump per this: a request is a small unauthenticated datagram (as
 * all of IPVS sync is) and a dump many, so a flood of requests must not become a flood of dumps.
 */
export const DUMP_MIN_GAP_MS = 250;

export interface DumpCounters {
  /** Requests answered as master, and the entries and parts sent in answer. */
  served: number;
  /** Requests not answered because a dump had just been served (DUMP_MIN_GAP_MS). */
  limited: number;
  servedEntries: number;
  servedParts: number;
  /** Requests sent, dumps received whole, dumps that arrived with parts missing (asked again). */
  requests: number;
  complete: number;
  incomplete: number;
  /** The last whole dump: its entries and ms from its request to its end. */
  lastEntries: number;
  lastMs: number;
}

export function newDumpCounters(): DumpCounters {
  return { served: 0, limited: 0, servedEntries: 0, servedParts: 0, requests: 0, complete: 0, incomplete: 0, lastEntries: 0, lastMs: 0 };
}

/**
 * The master's answer: every entry in v1 messages of at most maxLen bytes (the part block
 * included), each with a part block, then the end block. Returns the messages in sending order.
 */
export function dumpMessages(entries: readonly SyncConn[], syncId: number, maxLen: number, nonce: number): Buffer[] {
  const parts = packAll(entries, syncId, maxLen - DUMP_BLOCK_BYTES).map((m, i) => withPart(m, nonce, i));
  return [...parts, controlMessage(syncId, { kind: 'end', nonce, parts: parts.length, entries: entries.length })];
}

export interface DumpRequesterDeps {
  syncId: number;
  sendTo(message: Buffer, address: string): void;
  /** To every peer at once (the sync group, or each unicast peer): a joining director's request. */
  sendAll(message: Buffer): void;
  now(): number;
  log(line: string): void;
  counters: DumpCounters;
}

/**
 * The asking side: one outstanding request at a time, to one master, or to every peer (a
 * director joining N others): then the first peer whose part or end arrives is the one whose
 * dump must arrive whole (the others' entries are applied all the same).
 */
export class DumpRequester {
  private active: { master: string | null; anyPeer: boolean; nonce: number; parts: Set<number>; since: number; asked: number; ready: () => void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nonce = 0;

  constructor(private readonly d: DumpRequesterDeps) {}

  /** Asks the master at masterIp for its table; ready() once one dump arrived whole. */
  request(masterIp: number, ready: () => void): void {
    this.cancel();
    this.active = { master: formatIpv4(masterIp), anyPeer: false, nonce: 0, parts: new Set(), since: this.d.now(), asked: 0, ready };
    this.ask();
  }

  /** Asks every peer for its table; ready() once one peer's dump arrived whole. */
  requestAny(ready: () => void): void {
    this.cancel();
    this.active = { master: null, anyPeer: true, nonce: 0, parts: new Set(), since: this.d.now(), asked: 0, ready };
    this.ask();
  }

  cancel(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.active = null;
  }

  /** Why no whole dump has arrived yet (for the warning when the wait runs out). */
  pending(): string {
    const a = this.active;
    if (a === null) return 'no table dump was asked for';
    if (a.anyPeer && a.master === null) return `no peer answered ${a.asked} request${a.asked === 1 ? '' : 's'} for its table`;
    return `no complete table dump from ${a.master} after ${a.asked} request${a.asked === 1 ? '' : 's'}` +
      (this.d.counters.incomplete > 0 ? ` (${this.d.counters.incomplete} dumps arrived with parts missing)` : ' (no answer: a keepalived or IPVS master does not answer them)');
  }

  /** A part or an end from `from`; parts' entries were already applied by the receiver. */
  heard(block: DumpBlock, from: string): void {
    const a = this.active;
    if (a === null || block.nonce !== a.nonce) return;
    if (a.master === null) a.master = from;
    if (from !== a.master) return;
    if (block.kind === 'part') {
      a.parts.add(block.index);
    } else if (block.kind === 'end') {
      if (a.parts.size === block.parts) return this.done(a, block.entries);
      this.d.counters.incomplete++;
      this.d.log(`sync: table dump from ${a.master!} lost ${block.parts - a.parts.size} of ${block.parts} messages; asking again`);
      this.ask();
    }
  }

  private done(a: NonNullable<DumpRequester['active']>, entries: number): void {
    const ms = Math.round(this.d.now() - a.since);
    const c = this.d.counters;
    c.complete++;
    c.lastEntries = entries;
    c.lastMs = ms;
    this.d.log(`sync: table dump from ${a.master!} complete: ${entries} entries in ${a.parts.size} messages, ${ms} ms after the first request`);
    const ready = a.ready;
    this.cancel();
    ready();
  }

  /** Sends a request with a fresh nonce (parts of an older one no longer count), and re-arms the retry. */
  private ask(): void {
    const a = this.active!;
    this.nonce = (this.nonce + 1) & 0xffff;
    a.nonce = this.nonce;
    a.parts.clear();
    a.asked++;
    this.d.counters.requests++;
    const request = controlMessage(this.d.syncId, { kind: 'request', nonce: a.nonce });
    if (a.anyPeer) {
      // Whichever peer answers this nonce first is the one to wait for.
      a.master = null;
      this.d.sendAll(request);
    } else {
      this.d.sendTo(request, a.master!);
    }
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = setInterval(() => { if (this.active !== null) this.ask(); }, DUMP_RETRY_MS);
    this.timer.unref();
  }
}
