// What `adm -L`, `-S` and `-G` (and `top`, metrics) read of a running director, built at query
// time from the data plane's typed arrays: services and real servers with their settings,
// counters since the last zeroing and estimated rates, timeouts and local address groups. Also
// the zeroing itself (`adm -Z`), which moves the counters' zero points and the estimators
// (with workers, src/workers/merge-stats.ts adds the others' counts to the snapshot).

import { localGroupTexts } from '../datapath/address-text.js';
import type { AdmLaddrGroup, AdmRealServer, AdmSchedFlag, AdmService, AdmSnapshot } from '../adm/model.js';
import { ADM_MODEL_VERSION } from '../adm/model.js';
import { parseSchedFlags } from '../adm/values.js';
import type { DataPlane } from '../datapath/data-plane.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import { DestFlags } from '../sched/types.js';
import type { RateSampler } from '../control/rates.js';
import type { WorkerSums } from '../workers/worker-totals.js';

export function buildSnapshot(plane: DataPlane, rates: RateSampler): AdmSnapshot {
  const table = plane.table;
  return {
    version: ADM_MODEL_VERSION,
    connTableCapacity: plane.conns.capacity,
    services: table.services.map((svc) => serviceOf(table, svc, rates)),
    timeouts: { tcp: plane.timeouts.tcp, tcpFin: plane.timeouts.tcpFin, udp: plane.timeouts.udp },
    laddrGroups: laddrGroupsOf(table),
  };
}

function serviceOf(table: ServiceTable, svc: RuntimeService, rates: RateSampler): AdmService {
  const vs = svc.config;
  return {
    protocol: vs.protocol,
    address: vs.vip,
    port: vs.port,
    scheduler: svc.scheduler.name,
    schedFlags: admFlags(vs.schedFlags, svc.scheduler.name),
    persistence: vs.persistenceTimeout,
    netmask: vs.persistenceGranularity,
    laddrGroup: vs.laddrGroup,
    ...(vs.fwmark ? { fwmark: vs.fwmark } : {}),
    ...(vs.ops === true ? { ops: true } : {}),
    ...(vs.family === 'inet6' ? { family: 'inet6' as const } : {}),
    stats: table.registry.serviceCounters.sinceZero(svc.id),
    rates: rates.serviceRate(svc),
    realServers: svc.sched.dests.filter(listed).map((d) => realServerOf(table, d, rates)),
  };
}

/**
 * The sorry server is in the IPVS table only while in use, or always with sorry_server_inhibit
 * (at weight 0): ipvsadm -L under keepalived shows it so; so does adm.
 */
function listed(d: RuntimeDest): boolean {
  return !d.sorry || (d.flags & DestFlags.AVAILABLE) !== 0;
}

function realServerOf(table: ServiceTable, d: RuntimeDest, rates: RateSampler): AdmRealServer {
  const rs = d.config;
  return {
    address: rs.address,
    port: rs.port,
    method: rs.method,
    weight: rs.weight,
    effectiveWeight: d.weight,
    upperThreshold: rs.upperThreshold,
    lowerThreshold: rs.lowerThreshold,
    activeConns: d.activeConns,
    inactConns: d.inactConns,
    persistConns: d.persistConns,
    stats: table.registry.destCounters.sinceZero(d.id),
    rates: rates.destRate(d),
  };
}

/** The config's flags in ipvsadm's names and order; flags it would refuse are shown as configured. */
function admFlags(flags: readonly string[], scheduler: string): AdmSchedFlag[] {
  if (flags.length === 0) return [];
  try {
    return parseSchedFlags(flags.join(','), scheduler);
  } catch {
    return flags as AdmSchedFlag[];
  }
}

function laddrGroupsOf(table: ServiceTable): AdmLaddrGroup[] {
  return [...table.allocators].map(([name, alloc]) => {
    const usage = alloc.usage;
    const texts = localGroupTexts(table, name) ?? [];
    return { name, addresses: alloc.addresses.map((_, i) => ({ address: texts[i]!, conns: usage[i] ?? 0 })) };
  });
}

/**
 * `adm -Z`: the given services (every service when null) and their real servers count from
 * zero again and their rates restart, as ip_vs_zero_service does.
 */
export function zeroStats(table: ServiceTable, rates: RateSampler, services: readonly RuntimeService[], others?: WorkerSums): void {
  const { serviceCounters, destCounters } = table.registry;
  for (const svc of services) {
    serviceCounters.zero(svc.id);
    rates.zeroService(svc, serviceCounters, others);
    for (const d of svc.sched.dests) {
      destCounters.zero(d.id);
      rates.zeroDest(table, d, destCounters, others);
    }
  }
}
