// The scheduler contract: what a scheduler sees of a service and its real servers, and the small
// record of functions every scheduler is (the shape of IPVS's struct ip_vs_scheduler).

/** Destination flags, as IPVS's IP_VS_DEST_F_*. */
export const DestFlags = {
  /** Part of the service (not removed / not waiting for its last connection to end). */
  AVAILABLE: 1,
  /** Over its upper connection threshold: no new connections until below the lower one. */
  OVERLOAD: 2,
} as const;

/**
 * A real server as schedulers see it. The connection table keeps the counters current; the
 * control plane keeps weight (the effective weight, after slow start and load feedback) and
 * flags current. Schedulers read, never write, except through their own state.
 */
export interface Dest {
  /** Stable id of the real server's identity (service, address, port): survives table rebuilds. */
  readonly id: number;
  /** IPv4 address, host byte order (0 for an IPv6 real server). */
  readonly addr: number;
  /**
   * IPv6 real server: the 16 bytes as four host-order words (word 0 = the first four bytes);
   * null for an IPv4 one.
   */
  readonly addr6: Uint32Array | null;
  readonly port: number;
  /** Effective weight the scheduler uses (0 = quiescent: no new connections). */
  weight: number;
  /** Connections in ESTABLISHED (IPVS activeconns). */
  activeConns: number;
  /** Connections in any other state (IPVS inactconns). */
  inactConns: number;
  /** Persistence templates pointing at this server (IPVS persistconns). */
  persistConns: number;
  /** DestFlags bits. */
  flags: number;
}

/** Scheduler flags a service may carry (ipvsadm -b / keepalived lb_algo flags). */
export type SchedFlag = 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port';

/** The service as a scheduler sees it. */
export interface SchedService {
  /** Real servers in list order (the order of the config / ipvsadm -a calls). */
  readonly dests: readonly Dest[];
  readonly schedFlags: ReadonlySet<SchedFlag>;
  /** Scheduler-specific options (e.g. { mhTableSize: 65537 }). */
  readonly schedOptions: Readonly<Record<string, number | string>>;
}

/** What a scheduler may key on for one new connection. */
export interface SchedPacket {
  proto: number;
  /** Which of the address fields hold the packet's addresses. */
  family: 4 | 6;
  /** Client address and port, host byte order (IPv4). */
  srcAddr: number;
  srcPort: number;
  /** Virtual address and port (IPv4). */
  dstAddr: number;
  dstPort: number;
  /**
   * IPv6 client and virtual addresses: four host-order words each (2001:db8::1 is 0x20010db8, 0,
   * 0, 1). An IPv4 packet leaves them zero; callers reuse one pair of arrays for every packet.
   */
  srcAddr6: Uint32Array;
  dstAddr6: Uint32Array;
}

/** Gives schedulers that keep time (lblc, lblcr) the current time; tests inject a fake. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
}

/**
 * One scheduler: a small record of functions. State is whatever the scheduler needs per
 * service (rr's cursor, a Maglev table); the service owns it and passes it back.
 */
export interface Scheduler<State = unknown> {
  readonly name: string;
  /** Builds per-service state for the current dests. */
  init(service: SchedService, clock: Clock): State;
  /**
   * Dests were added, removed or re-weighted (IPVS add_dest/del_dest/upd_dest): rebuild what
   * depends on them. Returns the new state (may be the same object).
   */
  update(state: State, service: SchedService, clock: Clock): State;
  /** Picks a real server for a new connection, or null when none can take it. */
  schedule(state: State, service: SchedService, packet: SchedPacket, clock: Clock): Dest | null;
}
