// The snapshot a running director serves over its control socket for `director adm` (and `top`,
// metrics): plain JSON values, versioned because they cross a process boundary.
//
// Rules for every field: addresses are IPv4 dotted quads or IPv6 addresses in RFC 5952 text
// (never bracketed), ports and counts plain integers. The
// counters are 64-bit in IPVS; here they are JSON numbers, exact up to 2^53 (9 PB of bytes).
// Counters count from the last zeroing (`adm -Z`), as IPVS keeps a zero point per stats object.
// A change that renames or re-types a field bumps ADM_MODEL_VERSION; adding an optional field
// does not.

import type { ForwardMethod, Protocol } from '../config/model.js';
import type { SchedFlag } from '../sched/types.js';

export const ADM_MODEL_VERSION = 1;

/** The default persistence granularity (ipvsadm -M): each client address on its own. */
export const HOST_NETMASK = '255.255.255.255';
/** The same for an IPv6 service: a /128 prefix. */
export const HOST_PREFIX = '128';

/** The granularity that keeps every client address apart, for the service's family. */
export function hostGranularity(svc: { family?: 'inet6' }): string {
  return svc.family === 'inet6' ? HOST_PREFIX : HOST_NETMASK;
}

/**
 * A scheduler flag as ipvsadm names it: sh-* for sh, mh-* for mh, and IPVS's generic
 * flag-1..3 (IP_VS_SVC_F_SCHED1..3) for any other scheduler, where they mean nothing.
 */
export type AdmSchedFlag = SchedFlag | 'flag-1' | 'flag-2' | 'flag-3';

/** Totals since the last zeroing (IPVS struct ip_vs_stats). */
export interface AdmCounters {
  /** Connections scheduled. */
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** Per-second rates from the IPVS estimator (src/ipvs/rate-estimator.ts), rounded as IPVS does. */
export interface AdmRates {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

export interface AdmRealServer {
  address: string;
  port: number;
  method: ForwardMethod;
  /** The configured weight (ipvsadm -w, keepalived weight): what `-S` saves. */
  weight: number;
  /**
   * The weight the scheduler uses now, after health (inhibit_on_failure), slow start and load
   * feedback: what `-L` shows, as ipvsadm shows the weight the kernel holds.
   */
  effectiveWeight: number;
  /** 0 = none (ipvsadm -x). */
  upperThreshold: number;
  /** 0 = unset (ipvsadm -y). */
  lowerThreshold: number;
  /** ESTABLISHED connections (IPVS activeconns). */
  activeConns: number;
  /** Connections in any other state (IPVS inactconns). */
  inactConns: number;
  /** Persistence templates pointing at this server (IPVS persistconns). */
  persistConns: number;
  stats: AdmCounters;
  rates: AdmRates;
}

export interface AdmService {
  protocol: Protocol;
  address: string;
  port: number;
  scheduler: string;
  /** ipvsadm's names for the scheduler (see AdmSchedFlag), in ipvsadm's order. */
  schedFlags: AdmSchedFlag[];
  /** Persistence timeout in seconds; 0 = not persistent. */
  persistence: number;
  /**
   * Persistence granularity (ipvsadm -M): a contiguous netmask, 255.255.255.255 by default; for
   * an IPv6 service a prefix length as decimal text, 128 by default.
   */
  netmask: string;
  /** FULLNAT: the local address group its FULLNAT real servers take source addresses from. */
  laddrGroup: string | null;
  /** A firewall mark service (`FWM  N`): address 0.0.0.0, port 0; absent for a VIP:port one. */
  fwmark?: number;
  /** One-packet scheduling (ipvsadm -o, shown as `ops`); absent: off. */
  ops?: boolean;
  /** An IPv6 service (its address, or a mark service made with -6); absent for IPv4. */
  family?: 'inet6';
  stats: AdmCounters;
  rates: AdmRates;
  /** In the order they were added (the order schedulers break ties in); `-L` sorts them. */
  realServers: AdmRealServer[];
}

/** ipvsadm --set tcp tcpfin udp, seconds. */
export interface AdmTimeouts {
  /** ESTABLISHED TCP connections. */
  tcp: number;
  /** TCP connections after a FIN (FIN_WAIT). */
  tcpFin: number;
  udp: number;
}

export interface AdmLocalAddress {
  address: string;
  /** Local ports in use on it, over every service of the group (FULLNAT connections). */
  conns: number;
}

/** keepalived's local_address_group: the FULLNAT source addresses (LIPs) services share. */
export interface AdmLaddrGroup {
  name: string;
  addresses: AdmLocalAddress[];
}

/** What `adm -L`, `-S` and `-G` read. */
export interface AdmSnapshot {
  version: typeof ADM_MODEL_VERSION;
  /** Entries the connection table holds at most (what the banner's `size=` shows). */
  connTableCapacity: number;
  /** In the order they were added; `-L` sorts them. */
  services: AdmService[];
  timeouts: AdmTimeouts;
  laddrGroups: AdmLaddrGroup[];
}

export interface AdmEndpoint {
  address: string;
  port: number;
}

/** One row of `adm -L -c` (IPVS /proc/net/ip_vs_conn). */
export interface AdmConnection {
  protocol: Protocol;
  /** Seconds until it expires. */
  expires: number;
  /** IPVS's state name: ESTABLISHED, SYN_RECV, ... for TCP; UDP for UDP; NONE for a template. */
  state: string;
  /** A persistence template has client port 0. */
  client: AdmEndpoint;
  virtual: AdmEndpoint;
  /** The real server. */
  destination: AdmEndpoint;
  /** FULLNAT: the local address and port the real server sees as source; null otherwise. */
  local: AdmEndpoint | null;
}

/** What `adm -L -c` reads; a daemon may send a large table as several of these in a row. */
export interface AdmConnectionList {
  version: typeof ADM_MODEL_VERSION;
  connections: AdmConnection[];
}

/** Rejects a value from the wire whose version this build does not speak. */
export function checkModelVersion(value: { version?: unknown }): void {
  if (value.version !== ADM_MODEL_VERSION) {
    throw new Error(`director speaks adm model version ${String(value.version)}, this adm speaks ${ADM_MODEL_VERSION}`);
  }
}
