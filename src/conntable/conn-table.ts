// The connection table: typed-array entries (struct of arrays) indexed by one open-addressing
// hash that holds an "in" key (client -> VIP) and, for NAT and FULLNAT, an "out" key (real
// server -> client or LIP) per connection, so a single probe answers either direction. Slots
// come from the keyed flow hash, so chosen tuples cannot pile up in one probe sequence; a
// packet's hash comes with it (meta HASH), the table hashes only the keys it stores or moves.

import { flowHash, flowHash6, type FlowHashKey } from '../native/flow-hash.js';
import { ExpiryWheel } from './expiry-wheel.js';

/** Which key of a connection a lookup matched. */
export const KeyKind = { IN: 0, OUT: 1 } as const;

/** Connection flags. */
export const ConnFlag = {
  /** Has an out key: replies come back through the director (NAT, FULLNAT). */
  HAS_OUT: 1,
  /** The out key matches replies addressed to the LIP (FULLNAT) rather than the client. */
  OUT_TO_LIP: 2,
  /** TCP: a real client's (out of the flood guard's unconfirmed budget; see FloodGuard.observe). */
  CONFIRMED: 4,
  /** NAT/FULLNAT TCP: the real server's SYN-ACK went by; the flood guard holds its sequence number. */
  SERVER_ISN: 8,
  /** IPv6: the addresses are in addr6 (caddr, vaddr, daddr stay 0; laddr holds the local address's handle). */
  V6: 16,
  /** FULLNAT TCP: the client's sequence numbers reach the real server moved by seqDelta (src/fullnat/isn-clock.ts). */
  CLIENT_SEQ: 32,
} as const;

/** Word offsets of an IPv6 entry's addresses in ConnTable.addr6 (entry * ADDR6_WORDS + offset). */
export const Addr6 = { C: 0, V: 4, D: 8, L: 12 } as const;
export const ADDR6_WORDS = 16;

export interface NewConn {
  proto: number;
  caddr: number;
  cport: number;
  vaddr: number;
  vport: number;
  /** Real server. */
  daddr: number;
  dport: number;
  /** FULLNAT local address and port (0 otherwise). */
  laddr: number;
  lport: number;
  method: number;
  flags: number;
  service: number;
  dest: number;
  /** Neighbour id of the next hop toward the client (NAT, FULLNAT replies). */
  nhop: number;
  state: number;
  /** Absolute expiry, in the wheel's seconds. */
  expires: number;
  /** With CLIENT_SEQ in flags: the ISN toward the real server - the client's ISN, as int32. */
  seqDelta?: number;
}

const EMPTY = -1;
/**
 * A used slot holds the tagged key (entry << 1 | KeyKind, under 2^27 for capacities up to 2^26)
 * in bits 0-26 and 4 bits of the key's flow hash in bits 27-30 (bit 31 stays clear, so no used
 * slot equals EMPTY): a probe whose tag differs moves on without reading the entry arrays,
 * which at a million connections are cache misses (15 of 16 foreign keys rejected so).
 */
const KEY_MASK = 0x7ffffff;
const TAG_SHIFT = 27;
const TAG_BITS = 0xf;

/**
 * Maps a 32-bit hash (uint32 or int32) onto [0, n) by multiplying (Lemire's fastrange): no division, which on a
 * uint32 V8 keeps as a double would be a floating-point modulo. Below 2^21 slots the product
 * is exact; above, its rounding error stays far below n, so the result never reaches n.
 */
function slotOf(hash: number, n: number): number {
  return Math.floor((hash >>> 0) * n * 2.3283064365386963e-10);
}

export class ConnTable {
  readonly capacity: number;
  readonly proto: Uint8Array;
  readonly state: Uint8Array;
  readonly method: Uint8Array;
  readonly flags: Uint8Array;
  readonly caddr: Uint32Array;
  readonly vaddr: Uint32Array;
  readonly daddr: Uint32Array;
  readonly laddr: Uint32Array;
  readonly cport: Uint16Array;
  readonly vport: Uint16Array;
  readonly dport: Uint16Array;
  readonly lport: Uint16Array;
  /** Stable service id (IdentityRegistry), kept across service table rebuilds. */
  readonly service: Uint16Array;
  /** Stable real server id (IdentityRegistry): a rebuilt table finds the same server by it. */
  readonly dest: Uint16Array;
  /** Neighbour id of the client's next hop (ArpResolver ids fit 16 bits). */
  readonly nhop: Uint16Array;
  /** FULLNAT TCP with CLIENT_SEQ: how far the client's sequence numbers move toward the real server (int32: read unboxed). */
  readonly seqDelta: Int32Array;
  readonly wheel: ExpiryWheel;
  /**
   * IPv6 entries' addresses, ADDR6_WORDS per entry (client, VIP, real server, local address;
   * four words each, as meta holds them). Made at the first IPv6 connection (64 bytes per entry
   * of capacity), so an IPv4-only director never pays for it.
   */
  addr6: Uint32Array = new Uint32Array(0);
  /** The flow hash key its slots are computed under (the engine's, so meta HASH fits). */
  readonly hashKey: FlowHashKey;
  private readonly k0: number;
  private readonly k1: number;
  /**
   * The index: sized exactly (3 slots per entry keeps it at most two thirds full with two keys
   * per connection) rather than rounded up to a power of two, which cost up to 16 more bytes
   * per connection.
   */
  private readonly slots: Int32Array;
  private readonly slotCount: number;
  /** Free entries, linked through the expiry wheel's links (a free entry is in no slot). */
  private freeHead: number;
  private live = 0;

  constructor(capacity: number, nowSeconds: number, hashKey: FlowHashKey) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 26) {
      throw new RangeError(`connection table capacity must be 1..${1 << 26}, got ${capacity}`);
    }
    this.capacity = capacity;
    this.hashKey = Uint32Array.from(hashKey);
    // int32 copies of the key words, and int32 addresses below: values V8 passes unboxed.
    this.k0 = this.hashKey[0]! | 0;
    this.k1 = this.hashKey[1]! | 0;
    this.proto = new Uint8Array(capacity);
    this.state = new Uint8Array(capacity);
    this.method = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.caddr = new Uint32Array(capacity);
    this.vaddr = new Uint32Array(capacity);
    this.daddr = new Uint32Array(capacity);
    this.laddr = new Uint32Array(capacity);
    this.cport = new Uint16Array(capacity);
    this.vport = new Uint16Array(capacity);
    this.dport = new Uint16Array(capacity);
    this.lport = new Uint16Array(capacity);
    this.service = new Uint16Array(capacity);
    this.dest = new Uint16Array(capacity);
    this.nhop = new Uint16Array(capacity);
    this.seqDelta = new Int32Array(capacity);
    this.wheel = new ExpiryWheel(capacity, nowSeconds);
    this.slotCount = Math.max(8, capacity * 3);
    this.slots = new Int32Array(this.slotCount).fill(EMPTY);
    const links = this.wheel.next;
    for (let i = 0; i < capacity - 1; i++) links[i] = i + 1;
    links[capacity - 1] = EMPTY;
    this.freeHead = 0;
  }

  get size(): number {
    return this.live;
  }

  /**
   * Finds the connection a packet (proto, src:sport -> dst:dport) belongs to, given that tuple's
   * flow hash under this table's key (the packet's meta HASH). Returns (entry << 1) | KeyKind,
   * or -1. KeyKind.IN: the packet comes from the client; OUT: from the real server side.
   * The hash and addresses may come as uint32 or as int32 (`x | 0`): the per-packet caller
   * passes int32, which V8 keeps unboxed, where a uint32 of 2^31 or more (198.18.0.0 is one)
   * would be boxed into a new heap number at every call.
   */
  lookup(hash: number, proto: number, src: number, sport: number, dst: number, dport: number): number {
    const n = this.slotCount;
    const tag = (hash & TAG_BITS) << TAG_SHIFT;
    let i = slotOf(hash, n);
    for (;;) {
      const slot = this.slots[i]!;
      if (slot === EMPTY) return -1;
      if ((slot & ~KEY_MASK) === tag && this.keyEquals(slot & KEY_MASK, proto, src, sport, dst, dport)) return slot & KEY_MASK;
      if (++i === n) i = 0;
    }
  }

  /**
   * lookup for an IPv6 packet: its addresses are the four words at sOff and dOff of src and dst
   * (meta, for a packet), hash its meta HASH (flow_hash6). Only IPv6 entries match.
   */
  lookup6(hash: number, proto: number, src: Uint32Array, sOff: number, sport: number, dst: Uint32Array, dOff: number, dport: number): number {
    const n = this.slotCount;
    const tag = (hash & TAG_BITS) << TAG_SHIFT;
    let i = slotOf(hash, n);
    for (;;) {
      const slot = this.slots[i]!;
      if (slot === EMPTY) return -1;
      if ((slot & ~KEY_MASK) === tag && this.keyEquals6(slot & KEY_MASK, proto, src, sOff, sport, dst, dOff, dport)) return slot & KEY_MASK;
      if (++i === n) i = 0;
    }
  }

  /**
   * Inserts an IPv6 connection: c as for insert (its caddr, vaddr, daddr 0, laddr the local
   * address's handle) with V6 in its flags, its addresses the ADDR6_WORDS words at `at` of words.
   */
  insert6(c: NewConn, words: Uint32Array, at: number): number {
    this.reserve6();
    const e = this.freeHead;
    if (e === EMPTY) return -1;
    const a = this.addr6;
    const b = e * ADDR6_WORDS;
    for (let i = 0; i < ADDR6_WORDS; i++) a[b + i] = words[at + i]!; // no subarray: a view is an allocation
    return this.insert(c);
  }

  /** Makes addr6 if it is not there yet (a table with IPv6 services calls it before traffic, not in a batch). */
  reserve6(): void {
    if (this.addr6.length === 0) this.addr6 = new Uint32Array(this.capacity * ADDR6_WORDS);
  }

  /** Inserts a connection; returns its entry index, or -1 when the table is full. */
  insert(c: NewConn): number {
    const e = this.freeHead;
    if (e === EMPTY) return -1;
    this.freeHead = this.wheel.next[e]!;
    this.live++;
    this.proto[e] = c.proto;
    this.state[e] = c.state;
    this.method[e] = c.method;
    this.flags[e] = c.flags;
    this.caddr[e] = c.caddr;
    this.cport[e] = c.cport;
    this.vaddr[e] = c.vaddr;
    this.vport[e] = c.vport;
    this.daddr[e] = c.daddr;
    this.dport[e] = c.dport;
    this.laddr[e] = c.laddr;
    this.lport[e] = c.lport;
    this.service[e] = c.service;
    this.dest[e] = c.dest;
    this.nhop[e] = c.nhop;
    this.seqDelta[e] = c.seqDelta ?? 0;
    this.place((e << 1) | KeyKind.IN);
    if (c.flags & ConnFlag.HAS_OUT) this.place((e << 1) | KeyKind.OUT);
    this.wheel.schedule(e, c.expires);
    return e;
  }

  /** Removes an entry's keys and frees it. Only the expiry wheel's owner calls this. */
  remove(e: number): void {
    this.unplace((e << 1) | KeyKind.IN);
    if (this.flags[e]! & ConnFlag.HAS_OUT) this.unplace((e << 1) | KeyKind.OUT);
    // The wheel has unlinked the entry before handing it over, so its link is free to reuse.
    this.wheel.next[e] = this.freeHead;
    this.freeHead = e;
    this.live--;
    // Protocol 0 marks a free entry, so a listing can walk entries without the index.
    this.proto[e] = 0;
  }

  /** Whether entry e holds a connection (listings walk entries 0..capacity-1 with it). */
  isLive(e: number): boolean {
    return this.proto[e] !== 0;
  }

  /** Frees an entry before its deadline (expire_nodest_conn, the flood guard's drop_entry); the caller has released what it held. */
  evict(e: number): void {
    this.wheel.cancel(e);
    this.remove(e);
  }

  /** The entries in use, in index order (a dump: walks the free list once, O(capacity)). */
  liveEntries(): number[] {
    const free = new Uint8Array(this.capacity);
    for (let e = this.freeHead; e !== EMPTY; e = this.wheel.next[e]!) free[e] = 1;
    const out: number[] = [];
    for (let e = 0; e < this.capacity; e++) if (free[e] === 0) out.push(e);
    return out;
  }

  /** Expires every entry whose deadline passed; onExpire runs before each entry is freed. */
  expire(nowSeconds: number, onExpire: (entry: number) => void): number {
    return this.wheel.advance(nowSeconds, (e) => {
      onExpire(e);
      this.remove(e);
    });
  }

  /** The flow hash of a stored key: the hash its packets arrive with. */
  private keyHash(tagged: number): number {
    const e = tagged >> 1;
    const p = this.proto[e]!;
    if (this.flags[e]! & ConnFlag.V6) return this.keyHash6(tagged);
    if ((tagged & 1) === KeyKind.IN) {
      return flowHash(this.k0, this.k1, p, this.caddr[e]! | 0, this.cport[e]!, this.vaddr[e]! | 0, this.vport[e]!);
    }
    return this.flags[e]! & ConnFlag.OUT_TO_LIP
      ? flowHash(this.k0, this.k1, p, this.daddr[e]! | 0, this.dport[e]!, this.laddr[e]! | 0, this.lport[e]!)
      : flowHash(this.k0, this.k1, p, this.daddr[e]! | 0, this.dport[e]!, this.caddr[e]! | 0, this.cport[e]!);
  }

  /** keyHash of an IPv6 entry's key. */
  private keyHash6(tagged: number): number {
    const e = tagged >> 1;
    const p = this.proto[e]!;
    const a = this.addr6;
    const b = e * ADDR6_WORDS;
    if ((tagged & 1) === KeyKind.IN) return flowHash6(this.k0, this.k1, p, a, b + Addr6.C, this.cport[e]!, a, b + Addr6.V, this.vport[e]!);
    return this.flags[e]! & ConnFlag.OUT_TO_LIP
      ? flowHash6(this.k0, this.k1, p, a, b + Addr6.D, this.dport[e]!, a, b + Addr6.L, this.lport[e]!)
      : flowHash6(this.k0, this.k1, p, a, b + Addr6.D, this.dport[e]!, a, b + Addr6.C, this.cport[e]!);
  }

  private keyEquals6(tagged: number, proto: number, src: Uint32Array, sOff: number, sport: number,
                     dst: Uint32Array, dOff: number, dport: number): boolean {
    const e = tagged >> 1;
    const flags = this.flags[e]!;
    if (this.proto[e] !== proto || (flags & ConnFlag.V6) === 0) return false;
    const b = e * ADDR6_WORDS;
    if ((tagged & 1) === KeyKind.IN) {
      return this.cport[e] === sport && this.vport[e] === dport && this.words6(b + Addr6.C, src, sOff) && this.words6(b + Addr6.V, dst, dOff);
    }
    if (this.dport[e] !== sport || !this.words6(b + Addr6.D, src, sOff)) return false;
    return flags & ConnFlag.OUT_TO_LIP
      ? this.lport[e] === dport && this.words6(b + Addr6.L, dst, dOff)
      : this.cport[e] === dport && this.words6(b + Addr6.C, dst, dOff);
  }

  /** The four words at `at` of addr6 equal those at off of w. */
  private words6(at: number, w: Uint32Array, off: number): boolean {
    const a = this.addr6;
    return a[at] === w[off] && a[at + 1] === w[off + 1] && a[at + 2] === w[off + 2] && a[at + 3] === w[off + 3];
  }

  private keyEquals(tagged: number, proto: number, src: number, sport: number, dst: number,
                    dport: number): boolean {
    const e = tagged >> 1;
    if (this.proto[e] !== proto || (this.flags[e]! & ConnFlag.V6) !== 0) return false;
    src |= 0; // either form in, int32 compared (see lookup)
    dst |= 0;
    if ((tagged & 1) === KeyKind.IN) {
      return (this.caddr[e]! | 0) === src && this.cport[e] === sport && (this.vaddr[e]! | 0) === dst &&
        this.vport[e] === dport;
    }
    if ((this.daddr[e]! | 0) !== src || this.dport[e] !== sport) return false;
    return this.flags[e]! & ConnFlag.OUT_TO_LIP
      ? (this.laddr[e]! | 0) === dst && this.lport[e] === dport
      : (this.caddr[e]! | 0) === dst && this.cport[e] === dport;
  }

  private place(tagged: number): void {
    const n = this.slotCount;
    const hash = this.keyHash(tagged);
    let i = slotOf(hash, n);
    while (this.slots[i] !== EMPTY) if (++i === n) i = 0;
    this.slots[i] = tagged | ((hash & TAG_BITS) << TAG_SHIFT);
  }

  /** Backward-shift deletion: no tombstones, so probe lengths never degrade over time. */
  private unplace(tagged: number): void {
    const n = this.slotCount;
    let hole = slotOf(this.keyHash(tagged), n);
    for (;;) {
      const slot = this.slots[hole]!;
      if (slot === EMPTY) throw new Error(`connection table corrupt: key ${tagged} not found`);
      if ((slot & KEY_MASK) === tagged) break;
      if (++hole === n) hole = 0;
    }
    let j = hole;
    for (;;) {
      if (++j === n) j = 0;
      const moved = this.slots[j]!;
      if (moved === EMPTY) break;
      const home = slotOf(this.keyHash(moved & KEY_MASK), n);
      // Move the entry back into the hole unless its home lies cyclically in (hole, j].
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.slots[hole] = moved;
        hole = j;
      }
    }
    this.slots[hole] = EMPTY;
  }
}
