// The director's statistics as one plain JSON-able object: per service and real server (as
// ipvsadm -L --stats shows them), drops by reason, port counters, ARP and hold queue.

import type { ArpResolver } from './arp/resolver.js';
import type { ConnTable } from './conntable/conn-table.js';
import type { DropCounters } from './datapath/drop-reasons.js';
import type { HoldQueue } from './datapath/hold-queue.js';
import type { RealServerHealth } from './health/stats.js';
import type { ServiceTable } from './datapath/service-table.js';
import { formatIpv4, formatMac } from './net/addr.js';
import type { NativeEngine, PortCounters } from './native/types.js';

const METHOD_NAMES = ['dr', 'nat', 'tun', 'fnat'];

export interface RealServerStats {
  address: string;
  port: number;
  method: string;
  weight: number;
  activeConns: number;
  inactConns: number;
  conns: number;
  inPkts: number;
  inBytes: number;
  outPkts: number;
  outBytes: number;
  mac: string | null;
  /** Health checks' view, when the service has checkers. */
  health?: RealServerHealth;
}

export interface ServiceStats {
  vip: string;
  port: number;
  protocol: string;
  scheduler: string;
  conns: number;
  /** FULLNAT: local (LIP, port) pairs in use. */
  localPortsInUse?: number;
  realServers: RealServerStats[];
}

export interface DirectorStats {
  uptimeSeconds: number;
  connections: number;
  services: ServiceStats[];
  drops: Record<string, number>;
  port: (PortCounters & { name: string; mac: string }) | null;
  arp: { requestsSent: number; repliesLearned: number; failures: number } | null;
  heldFrames: number;
  /** ICMP errors the director answered with itself. */
  icmpSent: { timeExceeded: number; fragNeeded: number; echoReplies: number };
}

export interface StatsSources {
  startedAt: number;
  now: number;
  services: ServiceTable | null;
  conns: ConnTable | null;
  drops: DropCounters;
  arp: ArpResolver | null;
  hold: HoldQueue | null;
  engine: NativeEngine | null;
  port: number;
  replies: { timeExceeded: number; fragNeeded: number; echo: number } | null;
}

export function collectStats(s: StatsSources): DirectorStats {
  const services = (s.services?.services ?? []).map((svc) => ({
    vip: formatIpv4(svc.vip),
    port: svc.vport,
    protocol: svc.config.protocol,
    scheduler: svc.scheduler.name,
    conns: svc.counters.conns,
    ...(svc.localPorts ? { localPortsInUse: svc.localPorts.usage.reduce((a, b) => a + b, 0) } : {}),
    realServers: svc.sched.dests.map((d) => ({
      address: formatIpv4(d.addr), port: d.port, method: METHOD_NAMES[d.method] ?? '?', weight: d.weight,
      activeConns: d.activeConns, inactConns: d.inactConns, ...d.counters,
      mac: s.arp && d.nhop >= 0 && s.arp.ready[d.nhop] ? formatMac(s.arp.macHi[d.nhop]!, s.arp.macLo[d.nhop]!) : null,
    })),
  }));
  let port: DirectorStats['port'] = null;
  if (s.engine && s.port >= 0) {
    const info = s.engine.portInfo(s.port);
    port = { name: info.name, mac: info.mac, ...s.engine.counters(s.port) };
  }
  return {
    uptimeSeconds: Math.round((s.now - s.startedAt) / 1000),
    connections: s.conns?.size ?? 0,
    services,
    drops: s.drops.toJSON(),
    port,
    arp: s.arp ? { ...s.arp.counters } : null,
    heldFrames: s.hold?.held ?? 0,
    icmpSent: {
      timeExceeded: s.replies?.timeExceeded ?? 0, fragNeeded: s.replies?.fragNeeded ?? 0, echoReplies: s.replies?.echo ?? 0,
    },
  };
}
