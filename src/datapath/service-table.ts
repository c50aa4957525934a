// The immutable table of virtual services and real servers the data path runs on, built by the
// control plane from a validated config; the data path swaps a whole new table in at once.

import type { DirectorConfig, ForwardMethod, VirtualServerConfig } from '../config/model.js';
import { hashTuple } from '../conntable/conn-table.js';
import { LocalPortAllocator } from '../fullnat/lport-allocator.js';
import { parseIpv4 } from '../net/addr.js';
import { getScheduler } from '../sched/registry.js';
import { DestFlags, type Dest, type SchedFlag, type SchedService, type Scheduler } from '../sched/types.js';

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** How a connection is forwarded; stored per connection, indexes the in/out handler tables. */
export const ConnMethod = { DR: 0, NAT: 1, TUN: 2, FNAT: 3 } as const;
export type ConnMethodValue = (typeof ConnMethod)[keyof typeof ConnMethod];

const METHOD_BY_NAME: Record<ForwardMethod, ConnMethodValue> = {
  dr: ConnMethod.DR, nat: ConnMethod.NAT, tun: ConnMethod.TUN, fnat: ConnMethod.FNAT,
};

export interface DestCounters {
  conns: number;
  inPkts: number;
  inBytes: number;
  outPkts: number;
  outBytes: number;
}

/** A real server at run time: what schedulers see plus what forwarding needs. */
export interface RuntimeDest extends Dest {
  /** Index in ServiceTable.dests (what connections store). */
  readonly id: number;
  readonly service: number;
  readonly method: ConnMethodValue;
  readonly configWeight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  /** Neighbour id (ArpResolver) of the next hop toward it; -1 until the director wires it. */
  nhop: number;
  readonly counters: DestCounters;
}

/** The scheduler's view of a service, with the run-time real servers. */
export interface RuntimeSchedService extends SchedService {
  readonly dests: readonly RuntimeDest[];
}

export interface RuntimeService {
  readonly id: number;
  readonly proto: number;
  readonly vip: number;
  readonly vport: number;
  readonly config: VirtualServerConfig;
  readonly scheduler: Scheduler;
  schedState: unknown;
  readonly sched: RuntimeSchedService;
  readonly counters: DestCounters;
  /** FULLNAT: the local addresses and ports of its laddr group (shared by services naming it). */
  readonly localPorts: LocalPortAllocator | null;
}

const EMPTY = -1;

export class ServiceTable {
  readonly services: RuntimeService[] = [];
  readonly dests: RuntimeDest[] = [];
  /** Addresses the director answers ARP for (VIPs, and FULLNAT local addresses). */
  readonly ownedAddresses: Set<number> = new Set();
  private readonly slots: Int32Array;
  private readonly slotMask: number;
  /** ownedAddresses as an open-addressing set (0 = empty): the hot path must not box numbers. */
  private readonly ownedSlots: Uint32Array;

  /** One allocator per local_address_group: services sharing a group share its ports. */
  private readonly allocators = new Map<string, LocalPortAllocator>();

  constructor(config: DirectorConfig, clock: { now(): number }) {
    for (const [name, group] of Object.entries(config.localAddressGroups)) {
      const lips = group.map(parseIpv4);
      for (const lip of lips) this.ownedAddresses.add(lip);
      this.allocators.set(name, new LocalPortAllocator(lips));
    }
    for (const vs of config.virtualServers) this.addService(vs, clock);
    // Connections store real server ids in 16 bits.
    if (this.dests.length > 0xffff) throw new Error(`at most 65535 real servers in all, got ${this.dests.length}`);
    let size = 16;
    while (size < this.services.length * 4) size *= 2;
    this.slots = new Int32Array(size).fill(EMPTY);
    this.slotMask = size - 1;
    for (const svc of this.services) {
      let i = hashTuple(svc.proto, svc.vip, svc.vport, 0, 0) & this.slotMask;
      while (this.slots[i] !== EMPTY) i = (i + 1) & this.slotMask;
      this.slots[i] = svc.id;
    }
    let ownedSize = 16;
    while (ownedSize < this.ownedAddresses.size * 4) ownedSize *= 2;
    this.ownedSlots = new Uint32Array(ownedSize);
    for (const addr of this.ownedAddresses) {
      let i = hashTuple(0, addr, 0, 0, 0) & (ownedSize - 1);
      while (this.ownedSlots[i] !== 0) i = (i + 1) & (ownedSize - 1);
      this.ownedSlots[i] = addr;
    }
  }

  /** True for a VIP or local address of this director. No allocation: hot path. */
  owns(addr: number): boolean {
    const mask = this.ownedSlots.length - 1;
    let i = hashTuple(0, addr, 0, 0, 0) & mask;
    for (;;) {
      const a = this.ownedSlots[i]!;
      if (a === 0) return false;
      if (a === addr) return true;
      i = (i + 1) & mask;
    }
  }

  /** The service for a packet to addr:port, or undefined. No allocation: hot path. */
  find(proto: number, addr: number, port: number): RuntimeService | undefined {
    let i = hashTuple(proto, addr, port, 0, 0) & this.slotMask;
    for (;;) {
      const id = this.slots[i]!;
      if (id === EMPTY) return undefined;
      const svc = this.services[id]!;
      if (svc.vip === addr && svc.vport === port && svc.proto === proto) return svc;
      i = (i + 1) & this.slotMask;
    }
  }

  private addService(vs: VirtualServerConfig, clock: { now(): number }): void {
    const id = this.services.length;
    const dests: RuntimeDest[] = vs.realServers.map((rs, index) => {
      const dest: RuntimeDest = {
        index, id: this.dests.length + index, service: id, addr: parseIpv4(rs.address), port: rs.port,
        weight: rs.weight, configWeight: rs.weight, activeConns: 0, inactConns: 0, persistConns: 0,
        flags: DestFlags.AVAILABLE, method: METHOD_BY_NAME[rs.method],
        upperThreshold: rs.upperThreshold, lowerThreshold: rs.lowerThreshold,
        nhop: -1, counters: newCounters(),
      };
      return dest;
    });
    this.dests.push(...dests);
    const sched = {
      dests,
      schedFlags: new Set(vs.schedFlags as SchedFlag[]),
      schedOptions: {},
    };
    const scheduler = getScheduler(vs.scheduler);
    const usesFnat = dests.some((d) => d.method === ConnMethod.FNAT);
    const localPorts = usesFnat ? this.allocators.get(vs.laddrGroup ?? '') : undefined;
    if (usesFnat && !localPorts) {
      throw new Error(`line ${vs.line}: virtual_server ${vs.vip} ${vs.port}: FNAT needs laddr_group_name naming a local_address_group`);
    }
    const svc: RuntimeService = {
      id, proto: vs.protocol === 'tcp' ? PROTO_TCP : PROTO_UDP, vip: parseIpv4(vs.vip), vport: vs.port,
      config: vs, scheduler, schedState: scheduler.init(sched, clock), sched, counters: newCounters(),
      localPorts: localPorts ?? null,
    };
    this.services.push(svc);
    this.ownedAddresses.add(svc.vip);
  }
}

function newCounters(): DestCounters {
  return { conns: 0, inPkts: 0, inBytes: 0, outPkts: 0, outBytes: 0 };
}
