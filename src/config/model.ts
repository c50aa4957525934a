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
  /** Health checkers (TCP_CHECK, HTTP_GET, MISC_CHECK, AGENT_CHECK); absent: always up, as keepalived. */
  checks?: HealthCheckConfig[];
  /** keepalived inhibit_on_failure: when Down, keep the server at weight 0 instead of removing it. */
  inhibitOnFailure?: boolean;
  /** keepalived alpha: start Down until the checks first succeed. */
  alpha?: boolean;
}

/** When a checker runs and how its results are dampened (keepalived semantics, resolved). */
export interface CheckTiming {
  /** Seconds between checks (delay_loop: the checker's, else the real server's, else the VS's). */
  delayLoop: number;
  /** Failed retries before Down (keepalived retry; Down after retry + 1 failures in a row). */
  retry: number;
  /** Seconds between retries after a failure (delay_before_retry). */
  delayBeforeRetry: number;
  /** Seconds: the first check runs after a random delay up to this (warmup, default delay_loop). */
  warmup: number;
  /** Successes in a row before Up again (director extension `rise`, default 1 as keepalived). */
  rise: number;
}

interface CheckBase {
  timing: CheckTiming;
  line: number;
}

/** A checker that opens a TCP connection (to connect_ip:connect_port, default the real server). */
interface ConnectingCheck extends CheckBase {
  connectIp: string;
  connectPort: number;
  /** Seconds for the whole check (connect_timeout, default 5). */
  connectTimeout: number;
}

export interface TcpCheckConfig extends ConnectingCheck {
  kind: 'tcp';
}

export interface HttpUrlConfig {
  path: string;
  /** Accepted status codes as inclusive ranges; default [[200, 299]]. */
  statusCodes: Array<[number, number]>;
  /** md5 of the body, lowercase hex, or null. */
  digest: string | null;
}

export interface HttpCheckConfig extends ConnectingCheck {
  kind: 'http';
  urls: HttpUrlConfig[];
  /** Host header (virtualhost), default the connect address. */
  virtualhost: string | null;
}

export interface MiscCheckConfig extends CheckBase {
  kind: 'misc';
  /** Command line, run with /bin/sh -c. */
  path: string;
  /** Seconds before the script is killed and the check fails (misc_timeout, default delay_loop). */
  timeout: number;
  /** misc_dynamic: exit codes 2..255 set the weight to code - 2. */
  dynamic: boolean;
}

/** director extension: an HAProxy-style agent answering "75%", "up", "down", "drain". */
export interface AgentCheckConfig extends ConnectingCheck {
  kind: 'agent';
}

export type HealthCheckConfig = TcpCheckConfig | HttpCheckConfig | MiscCheckConfig | AgentCheckConfig;

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
