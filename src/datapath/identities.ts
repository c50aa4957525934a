// Stable ids for virtual services and real servers, keyed by identity (protocol, VIP, port; and
// address, port within a service), kept across service table rebuilds; and the per-id state a
// rebuild must not reset, in typed arrays: what schedulers see of a real server (connection
// counts, effective weight, flags), its next hop, and the traffic counters stats read.

import { DestFlags } from '../sched/types.js';

/** Connections store service and real server ids in 16 bits. */
export const MAX_IDS = 0x10000;

/** One id's traffic: connections scheduled, packets and bytes each way. */
export interface TrafficReading {
  conns: number;
  inPkts: number;
  inBytes: number;
  outPkts: number;
  outBytes: number;
}

const TRAFFIC_FIELDS = ['conns', 'inPkts', 'inBytes', 'outPkts', 'outBytes'] as const;
type TrafficArrays = Record<(typeof TRAFFIC_FIELDS)[number], Float64Array>;

function trafficArrays(): TrafficArrays {
  return { conns: new Float64Array(0), inPkts: new Float64Array(0), inBytes: new Float64Array(0), outPkts: new Float64Array(0), outBytes: new Float64Array(0) };
}

/**
 * Traffic counters per id, struct of arrays: the data path adds, stats read at query time. As
 * IPVS keeps a zero point per stats object, `adm -Z` moves a zero point rather than the counter,
 * so totals stay monotonic for whoever needs them (rate estimation, metrics).
 */
export class TrafficCounters {
  conns = new Float64Array(0);
  inPkts = new Float64Array(0);
  inBytes = new Float64Array(0);
  outPkts = new Float64Array(0);
  outBytes = new Float64Array(0);
  /** Each counter's total at its id's last zeroing. */
  private base = trafficArrays();

  /** One packet from the client side (hot path: no allocation). */
  addIn(id: number, bytes: number): void {
    this.inPkts[id]!++;
    this.inBytes[id]! += bytes;
  }

  /** One packet from the real server side (NAT, FULLNAT replies). */
  addOut(id: number, bytes: number): void {
    this.outPkts[id]!++;
    this.outBytes[id]! += bytes;
  }

  addConn(id: number): void {
    this.conns[id]!++;
  }

  resize(n: number): void {
    this.conns = grown(this.conns, n);
    this.inPkts = grown(this.inPkts, n);
    this.inBytes = grown(this.inBytes, n);
    this.outPkts = grown(this.outPkts, n);
    this.outBytes = grown(this.outBytes, n);
    for (const f of TRAFFIC_FIELDS) this.base[f] = grown(this.base[f], n);
  }

  /** A new identity on this id: totals and zero point from 0. */
  clear(id: number): void {
    for (const f of TRAFFIC_FIELDS) {
      this[f][id] = 0;
      this.base[f][id] = 0;
    }
  }

  /** `adm -Z`: counting starts again from now for sinceZero(). */
  zero(id: number): void {
    for (const f of TRAFFIC_FIELDS) this.base[f][id] = this[f][id] ?? 0;
  }

  /** Totals since the id was taken (monotonic). */
  total(id: number): TrafficReading {
    return {
      conns: this.conns[id] ?? 0, inPkts: this.inPkts[id] ?? 0, inBytes: this.inBytes[id] ?? 0,
      outPkts: this.outPkts[id] ?? 0, outBytes: this.outBytes[id] ?? 0,
    };
  }

  /** What ipvsadm -L --stats shows: counts since the last zeroing. */
  sinceZero(id: number): TrafficReading {
    const b = this.base;
    return {
      conns: (this.conns[id] ?? 0) - (b.conns[id] ?? 0), inPkts: (this.inPkts[id] ?? 0) - (b.inPkts[id] ?? 0),
      inBytes: (this.inBytes[id] ?? 0) - (b.inBytes[id] ?? 0), outPkts: (this.outPkts[id] ?? 0) - (b.outPkts[id] ?? 0),
      outBytes: (this.outBytes[id] ?? 0) - (b.outBytes[id] ?? 0),
    };
  }
}

/** What schedulers, thresholds and the governor change on a real server, by id. */
export class DestState {
  /** Effective weight (after health, slow start and load feedback). */
  weight = new Int32Array(0);
  /** DestFlags bits. */
  flags = new Uint8Array(0);
  activeConns = new Int32Array(0);
  inactConns = new Int32Array(0);
  /** Persistence templates pointing at it. */
  persistConns = new Int32Array(0);
  /** Neighbour id (ArpResolver) of its next hop; -1 until resolved. */
  nhop = new Int32Array(0);

  resize(n: number): void {
    this.weight = grown(this.weight, n);
    this.flags = grown(this.flags, n);
    this.activeConns = grown(this.activeConns, n);
    this.inactConns = grown(this.inactConns, n);
    this.persistConns = grown(this.persistConns, n);
    this.nhop = grown(this.nhop, n);
  }

  /** Connections and templates still pointing at it: while any, its id stays taken. */
  refs(id: number): number {
    return (this.activeConns[id] ?? 0) + (this.inactConns[id] ?? 0) + (this.persistConns[id] ?? 0);
  }

  reset(id: number, weight: number, flags: number): void {
    this.weight[id] = weight;
    this.flags[id] = flags;
    this.activeConns[id] = 0;
    this.inactConns[id] = 0;
    this.persistConns[id] = 0;
    this.nhop[id] = -1;
  }
}

type NumberArray = Float64Array | Int32Array | Uint8Array;

function grown<T extends NumberArray>(a: T, n: number): T {
  if (a.length >= n) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(n, a.length * 2, 16));
  b.set(a);
  return b;
}

/** Ids of one kind: the same key always gets the same id while it is held; freed ids are reused. */
class IdSpace {
  private readonly byKey = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly free: number[] = [];

  /** How many ids were ever handed out (the arrays must be at least this long). */
  get extent(): number {
    return this.keys.length;
  }

  get inUse(): number {
    return this.byKey.size;
  }

  idOf(key: string): number | undefined {
    return this.byKey.get(key);
  }

  take(key: string): number {
    const id = this.free.pop() ?? this.keys.length;
    this.keys[id] = key;
    this.byKey.set(key, id);
    return id;
  }

  release(id: number): void {
    const key = this.keys[id];
    if (key === undefined || this.byKey.get(key) !== id) return;
    this.byKey.delete(key);
    this.free.push(id);
  }
}

/** One service of a table being built, by identity, with its real servers in config order. */
export interface ServiceIdentity {
  key: string;
  dests: Array<{ key: string; weight: number }>;
}

export interface AssignedIds {
  services: number[];
  /** Per service, its real servers' ids in the order given. */
  dests: number[][];
}

/**
 * Outlives every service table built on it. A real server that leaves the config drains: its
 * id stays taken (connections keep finding it) until no connection or persistence template
 * points at it, then reap() frees the id; its service's id is held as long as it is.
 */
export class IdentityRegistry {
  readonly serviceCounters = new TrafficCounters();
  readonly destCounters = new TrafficCounters();
  readonly dests = new DestState();
  private readonly serviceIds = new IdSpace();
  private readonly destIds = new IdSpace();
  /** Real server id -> its service's id. */
  private destService = new Int32Array(0);
  private liveDests = new Set<number>();
  private liveServices = new Set<number>();
  private readonly drainingDests = new Set<number>();
  /** virtual_server_group name -> its persistence scope number, kept for the registry's life. */
  private readonly groupScopes = new Map<string, number>();

  /**
   * A number for group's persistence scope, the same in every table: templates made under one
   * table go on matching in the next. Never reused (a name count, not a packet count).
   */
  groupScope(group: string): number {
    let n = this.groupScopes.get(group);
    if (n === undefined) this.groupScopes.set(group, (n = this.groupScopes.size));
    return n;
  }

  /** Real servers no longer configured that connections or templates still point at. */
  get draining(): ReadonlySet<number> {
    return this.drainingDests;
  }

  /** Services not configured any more whose draining real servers still hold them. */
  drainingServices(): Set<number> {
    const held = new Set<number>();
    for (const d of this.drainingDests) {
      const s = this.destService[d] ?? -1;
      if (!this.liveServices.has(s)) held.add(s);
    }
    return held;
  }

  /**
   * Gives the services and real servers of a new table their ids: the ones they had, or new
   * ones starting from zeroed state (weight from the config, AVAILABLE). Those of the previous
   * table that are missing now start draining (AVAILABLE cleared). All or nothing: throws before
   * changing anything when the ids would not fit 16 bits.
   */
  assign(services: readonly ServiceIdentity[]): AssignedIds {
    this.checkRoom(services);
    const ids: AssignedIds = { services: [], dests: [] };
    const liveServices = new Set<number>();
    const liveDests = new Set<number>();
    for (const svc of services) {
      const sid = this.serviceIds.idOf(svc.key) ?? this.newService(svc.key);
      liveServices.add(sid);
      ids.services.push(sid);
      ids.dests.push(svc.dests.map((d) => {
        const id = this.destIds.idOf(d.key) ?? this.newDest(d.key, sid, d.weight);
        if (this.drainingDests.delete(id)) this.rejoin(id, d.weight);
        liveDests.add(id);
        return id;
      }));
    }
    for (const id of this.liveDests) {
      if (liveDests.has(id)) continue;
      this.drainingDests.add(id);
      this.dests.flags[id] = (this.dests.flags[id] ?? 0) & ~DestFlags.AVAILABLE;
    }
    this.liveDests = liveDests;
    this.liveServices = liveServices;
    this.reap();
    return ids;
  }

  /** Frees the ids of drained real servers (nothing points at them) and of services they held. */
  reap(): void {
    for (const id of this.drainingDests) {
      if (this.dests.refs(id) > 0) continue;
      this.drainingDests.delete(id);
      this.destIds.release(id);
    }
    const held = this.drainingServices();
    for (let sid = 0; sid < this.serviceIds.extent; sid++) {
      if (!this.liveServices.has(sid) && !held.has(sid)) this.serviceIds.release(sid);
    }
  }

  /** Throws, changing nothing, when assign(services) would not fit the ids into 16 bits. */
  checkRoom(services: readonly ServiceIdentity[]): void {
    const newServices = services.filter((s) => this.serviceIds.idOf(s.key) === undefined).length;
    const newDests = services.flatMap((s) => s.dests).filter((d) => this.destIds.idOf(d.key) === undefined).length;
    if (this.serviceIds.inUse + newServices > MAX_IDS) {
      throw new Error(`at most ${MAX_IDS} virtual services (draining ones included), got ${this.serviceIds.inUse + newServices}`);
    }
    if (this.destIds.inUse + newDests > MAX_IDS) {
      throw new Error(`at most ${MAX_IDS} real servers in all (draining ones included), got ${this.destIds.inUse + newDests}`);
    }
  }

  private newService(key: string): number {
    const sid = this.serviceIds.take(key);
    this.serviceCounters.resize(this.serviceIds.extent);
    this.serviceCounters.clear(sid);
    return sid;
  }

  private newDest(key: string, sid: number, weight: number): number {
    const id = this.destIds.take(key);
    const n = this.destIds.extent;
    this.dests.resize(n);
    this.destCounters.resize(n);
    this.destService = grown(this.destService, n);
    this.dests.reset(id, weight, DestFlags.AVAILABLE);
    this.destCounters.clear(id);
    this.destService[id] = sid;
    return id;
  }

  /** A draining real server configured again (IPVS takes it back from its trash). */
  private rejoin(id: number, weight: number): void {
    this.dests.weight[id] = weight;
    this.dests.flags[id] = (this.dests.flags[id] ?? 0) | DestFlags.AVAILABLE;
  }
}
