// Creates connections as IPVS does: persistence templates first (a client network sticks to its
// real server), then the scheduler; binds the real server (counts, threshold flags), picks the
// next hop toward the client for methods whose replies come back through us, and a FULLNAT
// local address and port. Also the reverse, when a connection expires.

import type { ArpResolver } from '../arp/resolver.js';
import { ConnFlag, type ConnTable } from '../conntable/conn-table.js';
import type { LocalEndpoint } from '../fullnat/lport-allocator.js';
import {
  attachConn, createTemplate, createTemplateTable, detachConn, expireTemplates, lookupTemplate,
  templateKey, type Template, type TemplateTable,
} from '../ipvs/persistence.js';
import { flagsAfterBind, flagsAfterUnbind, type Thresholds } from '../ipvs/thresholds.js';
import type { RouteTable } from '../net/routes.js';
import type { Clock, SchedPacket } from '../sched/types.js';
import type { ConnStateModel } from './conn-state-model.js';
import { DropReason, type DropReasonValue } from './drop-reasons.js';
import { Method } from '../native/layout.generated.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from './service-table.js';

export interface ConnFactoryDeps {
  conns: ConnTable;
  states: ConnStateModel;
  arp: ArpResolver;
  routes: RouteTable;
  clock: Clock;
}

export class ConnFactory {
  /** Why the last create() returned -1. */
  failure: DropReasonValue = DropReason.NO_DEST;
  private readonly templates: TemplateTable = createTemplateTable();
  /** The persistence template each connection was created under (sparse). */
  private readonly templateOf: (Template | undefined)[] = [];
  private readonly local: LocalEndpoint = { laddr: 0, lport: 0 };

  /** services: the running table; the classifier swaps in a new one between batches. */
  constructor(private readonly d: ConnFactoryDeps, public services: ServiceTable) {}

  /** A new connection for packet p to svc, or -1 with the reason in `failure`. */
  create(svc: RuntimeService, p: SchedPacket, nowSec: number): number {
    const nowMs = this.d.clock.now();
    const persistent = svc.config.persistenceTimeout > 0;
    let tpl: Template | null = null;
    let dest: RuntimeDest | null = null;
    if (persistent) {
      const key = templateKey(p.proto, p.srcAddr, svc.persistNetmask, p.dstAddr, p.dstPort);
      tpl = lookupTemplate(this.templates, key, nowMs, { expireQuiescent: false });
      // A template outlives table rebuilds: take its real server as this table has it.
      dest = tpl ? this.services.destById[tpl.dest.id] ?? null : this.schedule(svc, p);
      if (dest && !tpl) tpl = createTemplate(this.templates, key, dest, nowMs, svc.config.persistenceTimeout * 1000);
    } else {
      dest = this.schedule(svc, p);
    }
    if (!dest) return this.fail(DropReason.NO_DEST);
    const e = this.insert(svc, dest, p, nowSec);
    if (e < 0) return e;
    if (tpl) {
      attachConn(tpl);
      this.templateOf[e] = tpl;
    }
    return e;
  }

  /** Unbinds an expiring connection: counts, threshold flags, template, local port. */
  release(e: number): void {
    const c = this.d.conns;
    const dest = this.services.destById[c.dest[e]!];
    if (dest) {
      if (this.d.states.active(c.proto[e]!, c.state[e]!)) dest.activeConns--;
      else dest.inactConns--;
      dest.flags = flagsAfterUnbind(dest, thresholdsOf(dest));
    }
    const tpl = this.templateOf[e];
    if (tpl) {
      detachConn(tpl);
      this.templateOf[e] = undefined;
    }
    // By address, not by the service's group: a reload may have moved the address to another group.
    if (c.flags[e]! & ConnFlag.OUT_TO_LIP) this.services.releaseLocalPort(c.laddr[e]!, c.lport[e]!);
  }

  /** Once a second: persistence templates whose time is up. */
  tick(): void {
    expireTemplates(this.templates, this.d.clock.now());
  }

  private schedule(svc: RuntimeService, p: SchedPacket): RuntimeDest | null {
    return svc.scheduler.schedule(svc.schedState, svc.sched, p, this.d.clock) as RuntimeDest | null;
  }

  private insert(svc: RuntimeService, dest: RuntimeDest, p: SchedPacket, nowSec: number): number {
    const routed = dest.method === Method.NAT || dest.method === Method.FNAT;
    let nhop = 0;
    if (routed) {
      const hop = this.d.routes.nextHop(p.srcAddr);
      const neighbour = hop < 0 ? undefined : this.d.arp.want(hop);
      if (!neighbour) return this.fail(DropReason.NO_ROUTE);
      nhop = neighbour.id;
    }
    let flags = routed ? ConnFlag.HAS_OUT : 0;
    const local = this.local;
    local.laddr = 0;
    local.lport = 0;
    if (dest.method === Method.FNAT) {
      if (!svc.localPorts || !svc.localPorts.allocate(local)) return this.fail(DropReason.NO_LOCAL_PORT);
      flags |= ConnFlag.OUT_TO_LIP;
    }
    const proto = p.proto;
    const state = this.d.states.initial(proto);
    const e = this.d.conns.insert({
      proto, caddr: p.srcAddr, cport: p.srcPort, vaddr: p.dstAddr, vport: p.dstPort, daddr: dest.addr,
      dport: dest.port, laddr: local.laddr, lport: local.lport, method: dest.method, flags, service: svc.id,
      dest: dest.id, nhop, state, expires: nowSec + this.d.states.timeout(proto, state),
    });
    if (e < 0) {
      if (local.laddr) svc.localPorts!.release(local.laddr, local.lport);
      return this.fail(DropReason.TABLE_FULL);
    }
    if (this.d.states.active(proto, state)) dest.activeConns++;
    else dest.inactConns++;
    dest.flags = flagsAfterBind(dest, thresholdsOf(dest));
    const { destCounters, serviceCounters } = this.services.registry;
    destCounters.addConn(dest.id);
    serviceCounters.addConn(svc.id);
    return e;
  }


  private fail(reason: DropReasonValue): number {
    this.failure = reason;
    return -1;
  }
}

function thresholdsOf(dest: RuntimeDest): Thresholds {
  return { upper: dest.config.upperThreshold, lower: dest.config.lowerThreshold };
}
