// The director's Prometheus metrics: a prom-client registry whose every family is filled at
// scrape time by a collect callback reading the data plane's typed arrays, the rate estimators
// and the health view; nothing is counted per packet here. Real servers removed from the config
// stay (draining 1) until their id is reaped, then their series vanish. With workers, the other
// workers' last reports (src/workers/worker-totals.ts) are added to worker 0's arrays.

import { destText, vipText } from '../datapath/address-text.js';
import { Counter, Gauge, Registry } from 'prom-client';
import { isDraining, listedDests, listedServices } from '../control/listed.js';
import type { RateSampler } from '../control/rates.js';
import type { DataPlane } from '../datapath/data-plane.js';
import { DropReason } from '../datapath/drop-reasons.js';
import type { TrafficCounters, TrafficReading } from '../datapath/identities.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import type { RateReading } from '../ipvs/rate-estimator.js';
import { ParseError } from '../native/layout.generated.js';
import type { PortCounters } from '../native/types.js';
import { plusTraffic, type WorkerSums } from '../workers/worker-totals.js';

export interface MetricsSource {
  readonly plane: DataPlane;
  readonly rates: RateSampler;
  /** Whether a real server's health checks pass (true when it has none). */
  up(dest: RuntimeDest): boolean;
  /** Workers 1..N-1's counters summed, read once per scrape; absent with one worker. */
  others?: () => WorkerSums;
}

/** The content type of the text the registry renders: Prometheus text exposition format 0.0.4. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

type Labels = Record<string, string | number>;
type Emit = (labels: Labels, value: number) => void;
type Fill = (emit: Emit) => void;

const METHOD_NAMES = ['dr', 'nat', 'tun', 'fnat'];
const SERVICE_LABELS = ['protocol', 'vip', 'port'];
const DEST_LABELS = [...SERVICE_LABELS, 'server_address', 'server_port', 'method'];
const DIRECTIONS = ['in', 'out'] as const;

/** A registry of its own (never prom-client's global one): several directors in one process never collide. */
export function createMetricsRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  const add = (kind: 'counter' | 'gauge', name: string, help: string, labelNames: string[], fill: Fill): void =>
    family(registry, kind, name, help, labelNames, fill);
  const table = (): ServiceTable => source.plane.table;
  // One sum per scrape: the first family to ask builds it, the others of that scrape reuse it.
  let sums: { at: number; value: WorkerSums } | null = null;
  const others = source.others === undefined ? null : (): WorkerSums => {
    const now = performance.now();
    if (sums === null || now - sums.at > SUMS_REUSE_MS) sums = { at: now, value: source.others!() };
    return sums.value;
  };
  serviceFamilies(add, table, source.rates, others);
  destFamilies(add, table, source, others);
  planeFamilies(add, source.plane, others);
  portFamilies(add, source.plane, others);
  return registry;
}

/** A scrape reads every family within this; workers report once a second anyway. */
const SUMS_REUSE_MS = 100;

type Others = (() => WorkerSums) | null;

type Add = (kind: 'counter' | 'gauge', name: string, help: string, labelNames: string[], fill: Fill) => void;

/**
 * One metric family whose values collect() sets at scrape time: reset first, so series of
 * identities no longer listed disappear.
 */
function family(registry: Registry, kind: 'counter' | 'gauge', name: string, help: string, labelNames: string[], fill: Fill): void {
  const config = { name, help, labelNames, registers: [registry] };
  if (kind === 'counter') {
    const metric: Counter = new Counter({ ...config, collect() { metric.reset(); fill((labels, v) => metric.inc(labels, v)); } });
  } else {
    const metric: Gauge = new Gauge({ ...config, collect() { metric.reset(); fill((labels, v) => metric.set(labels, v)); } });
  }
}

/** A mark service (all of them at 0.0.0.0:0) is told apart by protocol "fwm" and its mark as port. */
function serviceLabels(svc: RuntimeService): Labels {
  if (svc.fwmark !== 0) return { protocol: 'fwm', vip: '0.0.0.0', port: svc.fwmark };
  return { protocol: svc.config.protocol, vip: vipText(svc), port: svc.vport };
}

function destLabels(table: ServiceTable, dest: RuntimeDest): Labels | null {
  const svc = table.serviceById[dest.service];
  if (svc === undefined) return null;
  return { ...serviceLabels(svc), server_address: destText(dest), server_port: dest.port, method: METHOD_NAMES[dest.method] ?? '?' };
}

/** Traffic counters and estimator rates of one kind of identity (service or real server). */
function trafficFamilies<T extends { id: number }>(add: Add, prefix: string, what: string, labelNames: string[],
  each: (visit: (item: T, labels: Labels) => void) => void, counters: () => TrafficCounters, rate: (item: T) => RateReading,
  other: ((item: T) => TrafficReading | undefined) | null): void {
  const total = (item: T, c: TrafficCounters): TrafficReading => (other === null ? c.total(item.id) : plusTraffic(c.total(item.id), other(item)));
  const per = (value: (t: TrafficReading) => number): Fill => (emit) => {
    const c = counters();
    each((item, labels) => emit(labels, value(total(item, c))));
  };
  const both = (value: (t: TrafficReading, d: 'in' | 'out') => number): Fill => (emit) => {
    const c = counters();
    each((item, labels) => {
      const t = total(item, c);
      for (const d of DIRECTIONS) emit({ ...labels, direction: d }, value(t, d));
    });
  };
  const rates = (value: (item: T, d: 'in' | 'out') => number): Fill => (emit) => {
    each((item, labels) => { for (const d of DIRECTIONS) emit({ ...labels, direction: d }, value(item, d)); });
  };
  const dirLabels = [...labelNames, 'direction'];
  add('counter', `${prefix}_connections_total`, `Connections scheduled to the ${what}`, labelNames, per((t) => t.conns));
  add('counter', `${prefix}_packets_total`, `Packets through the ${what}: in from clients, out from real servers (NAT, FULLNAT)`,
    dirLabels, both((t, d) => (d === 'in' ? t.inPkts : t.outPkts)));
  add('counter', `${prefix}_bytes_total`, `Bytes through the ${what}, by direction`,
    dirLabels, both((t, d) => (d === 'in' ? t.inBytes : t.outBytes)));
  add('gauge', `${prefix}_connection_rate`, `Connections per second to the ${what} (IPVS estimator, 2 s samples)`,
    labelNames, (emit) => each((item, labels) => emit(labels, rate(item).cps)));
  add('gauge', `${prefix}_packet_rate`, `Packets per second through the ${what} (IPVS estimator)`,
    dirLabels, rates((i, d) => (d === 'in' ? rate(i).inPps : rate(i).outPps)));
  add('gauge', `${prefix}_byte_rate`, `Bytes per second through the ${what} (IPVS estimator)`,
    dirLabels, rates((i, d) => (d === 'in' ? rate(i).inBps : rate(i).outBps)));
}

function serviceFamilies(add: Add, table: () => ServiceTable, rates: RateSampler, others: Others): void {
  const each = (visit: (svc: RuntimeService, labels: Labels) => void): void => {
    for (const svc of listedServices(table())) visit(svc, serviceLabels(svc));
  };
  trafficFamilies(add, 'director_service', 'virtual service', SERVICE_LABELS, each,
    () => table().registry.serviceCounters, (svc) => rates.serviceRate(svc), others === null ? null : (svc) => others().service(svc));
  const connSum = (field: 'activeConns' | 'inactConns'): Fill => (emit) => {
    const t = table();
    const o = others?.() ?? null;
    const sums = new Map<number, number>();
    for (const d of listedDests(t)) sums.set(d.service, (sums.get(d.service) ?? 0) + d[field] + (o?.dest(t, d)?.[field] ?? 0));
    each((svc, labels) => emit(labels, sums.get(svc.id) ?? 0));
  };
  add('gauge', 'director_service_active_connections', 'Established connections of the service (sum over its real servers)',
    SERVICE_LABELS, connSum('activeConns'));
  add('gauge', 'director_service_inactive_connections', 'Connections of the service in any other state', SERVICE_LABELS, connSum('inactConns'));
  add('gauge', 'director_service_local_ports_in_use', 'FULLNAT: local address and port pairs in use by the service\'s group',
    SERVICE_LABELS, (emit) => each((svc, labels) => {
      if (svc.localPorts) emit(labels, svc.localPorts.usage.reduce((a, b) => a + b, 0) + (others?.().localPortsInUse(svc) ?? 0));
    }));
}

function destFamilies(add: Add, table: () => ServiceTable, source: MetricsSource, others: Others): void {
  const each = (visit: (dest: RuntimeDest, labels: Labels) => void): void => {
    const t = table();
    for (const dest of listedDests(t)) {
      const labels = destLabels(t, dest);
      if (labels !== null) visit(dest, labels);
    }
  };
  const gauge = (name: string, help: string, value: (d: RuntimeDest) => number): void =>
    add('gauge', name, help, DEST_LABELS, (emit) => each((d, labels) => emit(labels, value(d))));
  trafficFamilies(add, 'director_real_server', 'real server', DEST_LABELS, each,
    () => table().registry.destCounters, (d) => source.rates.destRate(d), others === null ? null : (d) => others().dest(table(), d));
  gauge('director_real_server_active_connections', 'Established connections (ipvsadm ActiveConn)',
    (d) => d.activeConns + (others?.().dest(table(), d)?.activeConns ?? 0));
  gauge('director_real_server_inactive_connections', 'Connections in any other state (ipvsadm InActConn)',
    (d) => d.inactConns + (others?.().dest(table(), d)?.inactConns ?? 0));
  gauge('director_real_server_up', '1 while its health checks pass (always 1 without checks), 0 while down', (d) => (source.up(d) ? 1 : 0));
  gauge('director_real_server_weight', 'Current weight (after health, slow start and load feedback)', (d) => d.weight);
  gauge('director_real_server_configured_weight', 'Weight in the configuration', (d) => d.configWeight);
  gauge('director_real_server_draining', '1 when removed from the configuration and finishing its connections',
    (d) => (isDraining(table(), d) ? 1 : 0));
}

/**
 * Worker 0's counters, each with the other workers' sum added. The hold queue's and fragment
 * cache's sizes and the source rate are settings every worker has alike: shown once, as stats()
 * shows them. The connection table's capacity is summed, as stats() does: each worker has a table.
 */
function planeFamilies(add: Add, plane: DataPlane, others: Others): void {
  const one = (kind: 'counter' | 'gauge', name: string, help: string, value: () => number): void =>
    add(kind, name, help, [], (emit) => emit({}, value()));
  const o = (value: (s: WorkerSums) => number): number => (others === null ? 0 : value(others()));
  add('counter', 'director_drops_total', 'Frames not forwarded, by reason (docs/datapath.md)', ['reason'], (emit) => {
    const more = others?.().drops;
    for (const [name, code] of Object.entries(DropReason)) {
      const reason = name.toLowerCase();
      emit({ reason }, (plane.drops.counts[code] ?? 0) + (more?.[reason] ?? 0));
    }
  });
  add('counter', 'director_parse_errors_total', 'Frames the parser refused (drops reason parse_error), by parse error', ['error'], (emit) => {
    const more = others?.().parseErrors;
    for (const [name, code] of Object.entries(ParseError)) {
      const error = name.toLowerCase();
      if (name !== 'OK' && name !== 'COUNT') emit({ error }, (plane.drops.parse[code] ?? 0) + (more?.[error] ?? 0));
    }
  });
  one('gauge', 'director_connections', 'Entries in the connection table', () => plane.conns.size + o((s) => s.connections));
  one('gauge', 'director_connection_table_capacity', 'Size of the connection table', () => plane.conns.capacity + o((s) => s.capacity));
  one('counter', 'director_arp_requests_sent_total', "ARP requests the director's resolver sent",
    () => plane.arp.counters.requestsSent + o((s) => s.arp.requestsSent));
  one('counter', 'director_arp_replies_learned_total', 'ARP replies the resolver learned a next hop from',
    () => plane.arp.counters.repliesLearned + o((s) => s.arp.repliesLearned));
  one('counter', 'director_arp_failures_total', 'Next hops that did not answer ARP', () => plane.arp.counters.failures + o((s) => s.arp.failures));
  one('counter', 'director_nd_solicits_sent_total', "Neighbour solicitations the director's resolver sent (IPv6)",
    () => plane.arp.counters6.solicitsSent + o((s) => s.nd.solicitsSent));
  one('counter', 'director_nd_learned_total', 'IPv6 neighbours the resolver learned or re-confirmed from an advertisement or solicitation',
    () => plane.arp.counters6.learned + o((s) => s.nd.learned));
  one('counter', 'director_nd_failures_total', 'IPv6 next hops that did not answer neighbour solicitations',
    () => plane.arp.counters6.failures + o((s) => s.nd.failures));
  one('counter', 'director_nd_solicits_answered_total', 'Neighbour solicitations for owned IPv6 addresses the director answered',
    () => plane.nd.counters.solicitsAnswered + o((s) => s.nd.solicitsAnswered));
  one('gauge', 'director_hold_queue_frames', "Frames waiting for a next hop's MAC", () => plane.hold.held + o((s) => s.heldFrames));
  one('gauge', 'director_hold_queue_capacity', 'Frames the hold queue can keep', () => plane.hold.capacity);
  one('gauge', 'director_frag_cache_slots', 'First fragments the fragment cache can remember (frag_cache_size)', () => plane.frags.slots);
  one('counter', 'director_frag_cache_evictions_total', 'Live datagrams the fragment cache forgot for a newer one',
    () => plane.frags.evicted + o((s) => s.fragEvicted));
  one('gauge', 'director_source_conn_rate', 'New connections per second allowed per source (source_conn_rate; 0 = unlimited)',
    () => plane.sourceRate?.options.rate ?? 0);
  add('counter', 'director_icmp_sent_total', 'ICMP the director answered with itself, by type', ['type'], (emit) => {
    const r = plane.replies;
    const more = others?.().icmpSent;
    emit({ type: 'time_exceeded' }, r.timeExceeded + (more?.timeExceeded ?? 0));
    emit({ type: 'frag_needed' }, r.fragNeeded + (more?.fragNeeded ?? 0));
    emit({ type: 'echo_reply' }, r.echo + (more?.echoReplies ?? 0));
  });
  add('counter', 'director_syn_proxy_total', 'SYN proxy events, by kind (docs/security.md); its drops are in director_drops_total',
    ['event'], (emit) => {
      const p = plane.proxy.stats();
      const more = others?.().synProxy;
      const sum = (k: 'synAcks' | 'proven' | 'serverAnswered' | 'held' | 'synRetries'): number => p[k] + (more?.[k] ?? 0);
      emit({ event: 'syn_ack' }, sum('synAcks'));
      emit({ event: 'cookie_proven' }, sum('proven'));
      emit({ event: 'server_answered' }, sum('serverAnswered'));
      emit({ event: 'held' }, sum('held'));
      emit({ event: 'syn_retry' }, sum('synRetries'));
    });
}

/** The attached port's counters, one family each, labelled with the port and its kind. */
const PORT_COUNTERS: ReadonlyArray<[keyof PortCounters, string, string]> = [
  ['rxFrames', 'rx_frames', 'Frames received'],
  ['rxBytes', 'rx_bytes', 'Bytes received'],
  ['rxBatches', 'rx_batches', 'Receive batches handed to the classifier'],
  ['rxParseErrors', 'rx_parse_errors', 'Frames the parser rejected'],
  ['rxRingDrops', 'rx_ring_drops', 'Frames the kernel dropped because the receive ring was full'],
  ['rxRingSwitches', 'rx_ring_switches', 'Adaptive receive ring: moves between its per-frame and block rings'],
  ['rxTruncated', 'rx_truncated', 'Frames cut short by the ring (dropped)'],
  ['rxErrors', 'rx_errors', 'Receive errors (read, poll)'],
  ['txFrames', 'tx_frames', 'Frames sent'],
  ['txBytes', 'tx_bytes', 'Bytes sent'],
  ['txErrors', 'tx_errors', 'Frames the kernel refused or that found the socket full'],
  ['verdictErrors', 'verdict_errors', 'Verdicts that could not be applied'],
];

/** With workers, every member socket is on the same interface: one series, the members' sum. */
function portFamilies(add: Add, plane: DataPlane, others: Others): void {
  for (const [field, name, help] of PORT_COUNTERS) {
    add('counter', `director_port_${name}_total`, help, ['port', 'kind'], (emit) => {
      emit({ port: plane.portInfo.name, kind: plane.portInfo.kind }, plane.portCounters[field] + (others?.().port[field] ?? 0));
    });
  }
}
