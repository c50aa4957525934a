// The director's own neighbour cache and resolver, IPv4 (ARP) and IPv6 (Neighbour Discovery) in
// one id space: it learns MACs from ARP and ND traffic it sees, asks for the addresses the data
// path needs (real servers, next hops), re-confirms entries in use, and tells listeners when an
// address resolves or fails so held packets can go or be dropped.

import type { Clock } from '../sched/types.js';

export const ArpState = {
  /** Asked, no answer yet. */
  INCOMPLETE: 0,
  /** Answered recently. */
  REACHABLE: 1,
  /** Answered once, being re-confirmed; the old MAC stays in use meanwhile. */
  PROBING: 2,
  /** No answer after every probe. */
  FAILED: 3,
} as const;
export type ArpStateValue = (typeof ArpState)[keyof typeof ArpState];

export interface ArpEntry {
  /** Neighbour id: index into the resolver's macHi/macLo/ready arrays. */
  readonly id: number;
  ip: number;
  /** An IPv6 neighbour's address (four words as meta's); ip is 0 then. */
  ip6?: Uint32Array;
  /** The next IPv6 entry whose address hashes alike (collision chain). */
  next6?: ArpEntry;
  macHi: number;
  macLo: number;
  state: ArpStateValue;
  /** When the MAC was last confirmed (ms). */
  confirmedAt: number;
  /** When the last request went out (ms), and how many went unanswered. */
  askedAt: number;
  probes: number;
}

export interface ArpResolverOptions {
  clock: Clock;
  /** Sends a who-has for ip (the caller builds and transmits the frame). */
  sendRequest: (ip: number, unicastMacHi: number, unicastMacLo: number) => void;
  /**
   * Sends a neighbour solicitation for an IPv6 address (four words; multicast when the MAC is 0,
   * else unicast to it). Without it IPv6 entries wait for what they learn.
   */
  sendSolicit?: (ip6: Uint32Array, unicastMacHi: number, unicastMacLo: number) => void;
  /** An entry got a MAC (first time or changed) or lost it. */
  onChange: (entry: ArpEntry) => void;
  /** How long an answer is trusted before re-confirming (Linux base_reachable_time 30 s). */
  reachableMs?: number;
  /** Time between requests while unanswered (Linux retrans_time 1 s). */
  retransMs?: number;
  /** Unanswered requests before the entry fails (Linux mcast_solicit/ucast_solicit 3). */
  maxProbes?: number;
  /** Most neighbours tracked (gc_thresh3-like bound); default 4096. */
  capacity?: number;
}

export interface ArpCounters {
  requestsSent: number;
  repliesLearned: number;
  failures: number;
}

/** The IPv6 side's counters: solicitations sent, advertisements (and solicitations) learnt from, failures. */
export interface NdResolverCounters {
  solicitsSent: number;
  learned: number;
  failures: number;
}

export class ArpResolver {
  readonly counters: ArpCounters = { requestsSent: 0, repliesLearned: 0, failures: 0 };
  readonly counters6: NdResolverCounters = { solicitsSent: 0, learned: 0, failures: 0 };
  /** Per neighbour id, for the data path: MAC words and whether they may be used. */
  readonly macHi: Uint32Array;
  readonly macLo: Uint32Array;
  readonly ready: Uint8Array;
  /**
   * Keyed by the address as an int32 (`ip | 0`): a uint32 of 2^31 or more used as a Map key is
   * boxed into a new heap number at every lookup, and want() runs for every new NAT connection.
   */
  private readonly entries = new Map<number, ArpEntry>();
  private readonly byId: ArpEntry[] = [];
  /** IPv6 entries by hash6 of their address (an int32: no boxing), colliding ones chained by next6. */
  private readonly entries6 = new Map<number, ArpEntry>();
  private readonly reachableMs: number;
  private readonly retransMs: number;
  private readonly maxProbes: number;

  constructor(private readonly options: ArpResolverOptions) {
    this.reachableMs = options.reachableMs ?? 30_000;
    this.retransMs = options.retransMs ?? 1_000;
    this.maxProbes = options.maxProbes ?? 3;
    const capacity = options.capacity ?? 4096;
    this.macHi = new Uint32Array(capacity);
    this.macLo = new Uint32Array(capacity);
    this.ready = new Uint8Array(capacity);
  }

  /** How many more neighbours want() can take. */
  get room(): number {
    return this.ready.length - this.byId.length;
  }

  get(ip: number): ArpEntry | undefined {
    return this.entries.get(ip | 0);
  }

  /** The entry of an IPv6 address (four words as meta's), if any; allocates nothing. */
  get6(a0: number, a1: number, a2: number, a3: number): ArpEntry | undefined {
    let e = this.entries6.get(hash6(a0, a1, a2, a3));
    while (e !== undefined && !same6(e.ip6!, a0, a1, a2, a3)) e = e.next6;
    return e;
  }

  /** True when ip has a usable MAC (reachable, or being re-confirmed). */
  usable(entry: ArpEntry | undefined): boolean {
    return entry !== undefined && (entry.state === ArpState.REACHABLE || entry.state === ArpState.PROBING);
  }

  /**
   * Starts resolving ip unless it is known or already being asked for; returns its entry, or
   * undefined when the neighbour table is full.
   */
  want(ip: number): ArpEntry | undefined {
    let entry = this.entries.get(ip | 0);
    if (!entry) {
      if (this.byId.length >= this.ready.length) return undefined;
      entry = { id: this.byId.length, ip: ip >>> 0, macHi: 0, macLo: 0, state: ArpState.INCOMPLETE, confirmedAt: 0, askedAt: 0, probes: 0 };
      this.entries.set(ip | 0, entry);
      this.byId.push(entry);
      this.ask(entry, true);
    } else if (entry.state === ArpState.FAILED) {
      this.retry(entry);
    }
    return entry;
  }

  /**
   * want() for an IPv6 neighbour (address words as meta's: word 0 = the first four bytes), in the
   * same id space, states, capacity and refresh as IPv4 ones. An existing entry costs a hash
   * lookup and no allocation.
   */
  want6(a0: number, a1: number, a2: number, a3: number): ArpEntry | undefined {
    let entry = this.get6(a0, a1, a2, a3);
    if (!entry) {
      if (this.byId.length >= this.ready.length) return undefined;
      const key = hash6(a0, a1, a2, a3);
      entry = {
        id: this.byId.length, ip: 0, ip6: Uint32Array.of(a0, a1, a2, a3), next6: this.entries6.get(key),
        macHi: 0, macLo: 0, state: ArpState.INCOMPLETE, confirmedAt: 0, askedAt: 0, probes: 0,
      };
      this.entries6.set(key, entry);
      this.byId.push(entry);
      this.ask(entry, true);
    } else if (entry.state === ArpState.FAILED) {
      this.retry(entry);
    }
    return entry;
  }

  /** A failed neighbour is wanted again: ask afresh, as Linux does for a new packet to it. */
  private retry(entry: ArpEntry): void {
    entry.state = ArpState.INCOMPLETE;
    entry.probes = 0;
    this.ask(entry, true);
  }

  /**
   * learn() for an IPv6 neighbour (from an NA's target option, or an NS's source option). An
   * advertisement without the Override flag does not replace the MAC of a resolved entry (RFC
   * 4861 7.2.5: another node may answer for an anycast address or a proxy): the entry keeps its
   * MAC and is re-confirmed by unicast solicitation, as Linux's REACHABLE turns STALE.
   */
  learn6(a0: number, a1: number, a2: number, a3: number, macHi: number, macLo: number, override = true): void {
    const entry = this.get6(a0, a1, a2, a3);
    if (!entry) return;
    if (!override && this.usable(entry) && (entry.macHi !== macHi || entry.macLo !== macLo)) {
      if (entry.state === ArpState.REACHABLE) {
        entry.state = ArpState.PROBING;
        entry.probes = 0;
        this.ask(entry, false);
      }
      return;
    }
    this.confirm(entry, macHi, macLo);
  }

  /**
   * An advertisement without a target link-layer option (Linux answers a unicast probe so):
   * it re-confirms a usable entry with the MAC it has; an unresolved one learns nothing from it
   * (RFC 4861 7.2.5).
   */
  confirm6(a0: number, a1: number, a2: number, a3: number): void {
    const entry = this.get6(a0, a1, a2, a3);
    if (entry && this.usable(entry)) this.confirm(entry, entry.macHi, entry.macLo);
  }

  /**
   * Takes a sender (ip, MAC) seen in an ARP reply or request. Only addresses already wanted are
   * cached, so unrelated ARP chatter cannot fill the cache.
   */
  learn(ip: number, macHi: number, macLo: number): void {
    const entry = this.entries.get(ip | 0);
    if (entry) this.confirm(entry, macHi, macLo);
  }

  private confirm(entry: ArpEntry, macHi: number, macLo: number): void {
    const changed = entry.macHi !== macHi || entry.macLo !== macLo || !this.usable(entry);
    entry.macHi = macHi;
    entry.macLo = macLo;
    entry.state = ArpState.REACHABLE;
    entry.confirmedAt = this.options.clock.now();
    entry.probes = 0;
    if (entry.ip6) this.counters6.learned++;
    else this.counters.repliesLearned++;
    this.publish(entry);
    if (changed) this.options.onChange(entry);
  }

  /** Retransmits, re-confirms and fails entries, IPv4 and IPv6; call about once a second. */
  tick(): void {
    const now = this.options.clock.now();
    for (const entry of this.byId) {
      if (entry.state === ArpState.REACHABLE) {
        if (now - entry.confirmedAt >= this.reachableMs) {
          entry.state = ArpState.PROBING;
          entry.probes = 0;
          this.ask(entry, false);
        }
      } else if (entry.state !== ArpState.FAILED && now - entry.askedAt >= this.retransMs) {
        if (entry.probes >= this.maxProbes) this.fail(entry);
        else this.ask(entry, entry.state === ArpState.INCOMPLETE);
      }
    }
  }

  private ask(entry: ArpEntry, broadcast: boolean): void {
    entry.askedAt = this.options.clock.now();
    entry.probes++;
    // Re-confirmation goes unicast to the known MAC first, as Linux's PROBE state does.
    const hi = broadcast ? 0 : entry.macHi;
    const lo = broadcast ? 0 : entry.macLo;
    if (entry.ip6) {
      this.counters6.solicitsSent++;
      this.options.sendSolicit?.(entry.ip6, hi, lo);
    } else {
      this.counters.requestsSent++;
      this.options.sendRequest(entry.ip, hi, lo);
    }
  }

  private fail(entry: ArpEntry): void {
    entry.state = ArpState.FAILED;
    if (entry.ip6) this.counters6.failures++;
    else this.counters.failures++;
    this.publish(entry);
    this.options.onChange(entry);
  }

  /** Copies an entry into the arrays the data path reads. */
  private publish(entry: ArpEntry): void {
    this.macHi[entry.id] = entry.macHi;
    this.macLo[entry.id] = entry.macLo;
    this.ready[entry.id] = this.usable(entry) ? 1 : 0;
  }
}

/** A 32-bit mix of an IPv6 address's words as an int32 (a Map key V8 keeps unboxed). */
function hash6(a0: number, a1: number, a2: number, a3: number): number {
  let h = Math.imul(a0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ a1 ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ a2 ^ (h >>> 13), 0x85ebca6b);
  h = Math.imul(h ^ a3 ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 15)) | 0;
}

function same6(w: Uint32Array, a0: number, a1: number, a2: number, a3: number): boolean {
  return w[0] === a0 >>> 0 && w[1] === a1 >>> 0 && w[2] === a2 >>> 0 && w[3] === a3 >>> 0;
}
