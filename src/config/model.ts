// The validated configuration the rest of director runs on, whatever file format it came from.

export type Protocol = 'tcp' | 'udp';

/** LVS forwarding methods (keepalived lb_kind DR | NAT | TUN | FNAT). */
export type ForwardMethod = 'dr' | 'nat' | 'tun' | 'fnat';

export interface RealServerConfig {
  /** IPv4 dotted quad. */
  address: string;
  port: number;
  /** 0..65535, default 1 (0 = quiescent). */
  weight: number;
  /** Per-real-server method; defaults to the virtual server's (ipvsadm allows mixing). */
  method: ForwardMethod;
  /** Upper connection threshold (0 = none), ipvsadm -x / keepalived uthreshold. */
  upperThreshold: number;
  /** Lower connection threshold (0 = unset: 3/4 of upper), ipvsadm -y / lthreshold. */
  lowerThreshold: number;
  /** Line in the source file, for messages. */
  line: number;
}

export interface VirtualServerConfig {
  /** IPv4 dotted quad. */
  vip: string;
  port: number;
  protocol: Protocol;
  /** Scheduler name (lb_algo / ipvsadm -s), default wlc. */
  scheduler: string;
  /** Scheduler flags (ipvsadm -b / keepalived sh-port, mh-fallback ...). */
  schedFlags: string[];
  /** Default method for real servers (lb_kind), default nat as in keepalived. */
  method: ForwardMethod;
  /** Health check interval in seconds (delay_loop), default 60 as in keepalived. */
  delayLoop: number;
  /** Persistence timeout in seconds (0 = not persistent). */
  persistenceTimeout: number;
  /** Persistence netmask (dotted quad), default 255.255.255.255. */
  persistenceGranularity: string;
  /** FULLNAT: name of the local_address_group holding the LIPs. */
  laddrGroup: string | null;
  /** Slow start ramp in seconds (0 = off). */
  slowStart: number;
  realServers: RealServerConfig[];
  line: number;
}

export interface ConfigWarning {
  file: string;
  line: number;
  keyword: string;
  message: string;
}

export interface DirectorConfig {
  virtualServers: VirtualServerConfig[];
  /** local_address_group NAME { IP ... } (FULLNAT). */
  localAddressGroups: Record<string, string[]>;
  warnings: ConfigWarning[];
}

/** A config error names the file, line, keyword and what is allowed. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly keyword: string,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${keyword}: ${detail}`);
    this.name = 'ConfigError';
  }
}
