// The director's statistics as one plain JSON-able object, read from the data plane's typed
// arrays at query time: per service and real server (as ipvsadm -L --stats shows them), drops
// by reason, port counters, ARP and hold queue, and each real server's health when checked.

import { destText, vipText } from './datapath/address-text.js';
import type { DataPlane } from './datapath/data-plane.js';
import type { FloodStats } from './datapath/flood-guard.js';
import type { SourceRateStats } from './datapath/source-rate.js';
import type { SynProxyStats } from './datapath/syn-proxy.js';
import type { TrafficCounters, TrafficReading } from './datapath/identities.js';
import { METHOD_BY_NAME, type RuntimeDest, type RuntimeService } from './datapath/service-table.js';
import type { RealServerHealth } from './health/stats.js';
import { formatMac } from './net/addr.js';
import type { PortCounters, PortKind, XdpStatus } from './native/types.js';
import type { ConnSyncStats } from './sync/conn-sync.js';
import type { VrrpStats } from './vrrp/vrrp-runtime.js';
import type { WorkerShare } from './workers/merge-stats.js';

/** Configuration names by Method value. */
const METHOD_NAMES = new Map<number, string>(Object.entries(METHOD_BY_NAME).map(([name, method]) => [method, name]));

/** Counts since the last `adm -Z`, as ipvsadm -L --stats shows them. */
export type Traffic = TrafficReading;

export interface RealServerStats extends Traffic {
  address: string;
  port: number;
  method: string;
  weight: number;
  activeConns: number;
  inactConns: number;
  mac: string | null;
  /** Health checks' view, when the service has checkers. */
  health?: RealServerHealth;
  /** The service's sorry_server (weight 0 while not in use). */
  sorry?: true;
}

/** A service's quorum (keepalived's), when it has quorum settings or a sorry server. */
export interface QuorumStats {
  up: boolean;
  /** Weight of the alive real servers. */
  weight: number;
  quorum: number;
  hysteresis: number;
  sorryInUse: boolean;
}

export interface ServiceStats extends Traffic {
  vip: string;
  port: number;
  protocol: string;
  scheduler: string;
  /** A firewall-mark service's mark (vip 0.0.0.0, port 0); absent for a VIP:port one. */
  fwmark?: number;
  /** FULLNAT: local (LIP, port) pairs in use. */
  localPortsInUse?: number;
  quorum?: QuorumStats;
  realServers: RealServerStats[];
}

export interface LimitsStats {
  connTable: { size: number; capacity: number };
  holdQueue: { held: number; capacity: number; perAddress: number };
  /** Datagrams forgotten while alive for a newer one in their slot (their later fragments are dropped as `fragment`). */
  fragCache: { slots: number; evicted: number };
  /** source_conn_rate; null when sources are not limited. */
  sourceRate: SourceRateStats | null;
}

export interface NdStats {
  solicitsSent: number;
  learned: number;
  failures: number;
  solicitsAnswered: number;
  notOwned: number;
  invalid: number;
}

export interface DirectorStats {
  uptimeSeconds: number;
  connections: number;
  services: ServiceStats[];
  drops: Record<string, number>;
  /** The frames in drops.parse_error by the parser's reason (ParseError names, lower case). */
  parseErrors: Record<string, number>;
  /** SYN flood defences: the detector's view and the unconfirmed-connection budget. */
  flood: FloodStats;
  /** SYN proxy (services with syn_proxy): cookies answered and proven, handshakes finished; its drops are in drops. */
  synProxy: SynProxyStats;
  /** The attached port: which kind it turned out to be (io 'auto'), and its counters. */
  port: PortCounters & { name: string; mac: string; kind: PortKind; xdp?: XdpStatus };
  arp: { requestsSent: number; repliesLearned: number; failures: number };
  /** IPv6 Neighbour Discovery: the resolver's solicitations, learnt neighbours and failures; solicitations answered, not owned, invalid. */
  nd: NdStats;
  heldFrames: number;
  /** ICMP errors the director answered with itself. */
  icmpSent: { timeExceeded: number; fragNeeded: number; echoReplies: number };
  /** The resource caps in force and what hit them (docs/security.md#limits); refusals are in drops. */
  limits: LimitsStats;
  /** VRRP instances' states and advert counters, when the config has vrrp_instances. */
  vrrp?: VrrpStats;
  /** Connection sync, when lvs_sync_daemon is configured. */
  sync?: ConnSyncStats;
  /** With more than one worker: each one's share (the counters above are their sums). */
  workers?: WorkerShare[];
}

/** A real server's health, when the director runs health checks. */
export type HealthLookup = (dest: RuntimeDest) => RealServerHealth;

/** A service's quorum, or undefined when it has none to show. */
export type QuorumLookup = (svc: RuntimeService) => QuorumStats | undefined;

export function collectStats(plane: DataPlane, now: number, health?: HealthLookup, quorum?: QuorumLookup): DirectorStats {
  const { registry } = plane.table;
  const info = plane.portInfo;
  const xdp = plane.xdpStatus;
  const replies = plane.replies;
  return {
    uptimeSeconds: Math.round((now - plane.startedAt) / 1000),
    connections: plane.conns.size,
    services: plane.table.services.map((svc) => serviceStats(plane, svc, registry.serviceCounters, registry.destCounters, health, quorum?.(svc))),
    drops: plane.drops.toJSON(),
    parseErrors: plane.drops.parseErrors(),
    flood: plane.guard.stats(now),
    synProxy: plane.proxy.stats(),
    port: { name: info.name, mac: info.mac, kind: info.kind, ...plane.portCounters, ...(xdp ? { xdp } : {}) },
    arp: { ...plane.arp.counters },
    nd: { ...plane.arp.counters6, ...plane.nd.counters },
    heldFrames: plane.hold.held,
    icmpSent: { timeExceeded: replies.timeExceeded, fragNeeded: replies.fragNeeded, echoReplies: replies.echo },
    limits: {
      connTable: { size: plane.conns.size, capacity: plane.conns.capacity },
      holdQueue: { held: plane.hold.held, capacity: plane.hold.capacity, perAddress: plane.hold.perAddress },
      fragCache: { slots: plane.frags.slots, evicted: plane.frags.evicted },
      sourceRate: plane.sourceRate?.stats() ?? null,
    },
  };
}

function serviceStats(plane: DataPlane, svc: RuntimeService, counters: TrafficCounters, destCounters: TrafficCounters,
                      health: HealthLookup | undefined, quorum: QuorumStats | undefined): ServiceStats {
  return {
    vip: vipText(svc),
    port: svc.vport,
    protocol: svc.config.protocol,
    scheduler: svc.scheduler.name,
    ...(svc.fwmark !== 0 ? { fwmark: svc.fwmark } : {}),
    ...traffic(counters, svc.id),
    ...(svc.localPorts ? { localPortsInUse: svc.localPorts.usage.reduce((a, b) => a + b, 0) } : {}),
    ...(quorum ? { quorum } : {}),
    realServers: svc.sched.dests.map((d) => {
      const h = health?.(d);
      return {
        address: destText(d), port: d.port, method: METHOD_NAMES.get(d.method) ?? '?', weight: d.weight,
        activeConns: d.activeConns, inactConns: d.inactConns, ...traffic(destCounters, d.id), mac: macOf(plane, d),
        ...(h ? { health: h } : {}), ...(d.sorry ? { sorry: true as const } : {}),
      };
    }),
  };
}

function traffic(c: TrafficCounters, id: number): Traffic {
  return c.sinceZero(id);
}

function macOf(plane: DataPlane, d: RuntimeDest): string | null {
  const { ready, macHi, macLo } = plane.arp;
  const hi = macHi[d.nhop];
  const lo = macLo[d.nhop];
  return ready[d.nhop] === 1 && hi !== undefined && lo !== undefined ? formatMac(hi, lo) : null;
}
