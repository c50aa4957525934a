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

/** A script to run and the user to run it as (keepalived `notify_master "/path args" [USER [GROUP]]`). */
export interface ScriptCommand {
  command: string;
  /** Null: global_defs script_user (or keepalived_script, else root) decides. */
  user: string | null;
  group: string | null;
}

/** notify_master / notify_backup / notify_fault / notify_stop / notify of an instance or sync group. */
export interface NotifyConfig {
  master: ScriptCommand | null;
  backup: ScriptCommand | null;
  fault: ScriptCommand | null;
  stop: ScriptCommand | null;
  /** `notify`: called with "INSTANCE"|"GROUP", name, state and priority on every change. */
  any: ScriptCommand | null;
}

/** keepalived `lvs_sync_daemon IF [INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP]`. */
export interface LvsSyncDaemonConfig {
  interface: string;
  /** The vrrp_instance whose state decides master (send) or backup (receive); null: none. */
  instance: string | null;
  /** Sync id 0..255; null: the instance's virtual_router_id (keepalived). */
  syncId: number | null;
  /** Largest sync message payload; null: from the interface MTU (IPVS). */
  maxLen: number | null;
  /** UDP port, default 8848. */
  port: number;
  /** Multicast TTL, default 1. */
  ttl: number;
  /** Multicast group, default 224.0.0.81. */
  group: string;
  line: number;
}

/** global_defs: one field per keyword director acts on; each sub-area may grow its own group. */
export interface GlobalDefsConfig {
  /** vrrp_version: 2 (default, as keepalived) or 3. */
  vrrpVersion: 2 | 3;
  /** script_user USER [GROUP]: who runs notify and track scripts by default. */
  scriptUser: { user: string; group: string | null } | null;
  enableScriptSecurity: boolean;
  lvsSyncDaemon: LvsSyncDaemonConfig | null;
  /** The vrrp_garp_* defaults every instance starts from. */
  garp: GarpConfig;
  /** vrrp_lower_prio_no_advert: a master does not answer a lower priority advert. */
  vrrpLowerPrioNoAdvert: boolean;
  /** vrrp_higher_prio_send_advert: a master sends one advert before yielding. */
  vrrpHigherPrioSendAdvert: boolean;
}

/** Gratuitous ARP timing (garp_master_* / garp_lower_prio_*), seconds. */
export interface GarpConfig {
  masterDelay: number;
  masterRepeat: number;
  masterRefresh: number;
  masterRefreshRepeat: number;
  lowerPrioDelay: number;
  lowerPrioRepeat: number;
}

/** One `virtual_ipaddress` entry: `IP[/PREFIX] [dev IF] [label LABEL] ...`. */
export interface VirtualAddressConfig {
  address: string;
  prefix: number;
  /** dev: the interface keepalived would put it on (director answers ARP on its own port). */
  dev: string | null;
  label: string | null;
  line: number;
}

/** track_interface entry or track_script reference with its weight (0 = FAULT when failed). */
export interface TrackConfig {
  name: string;
  weight: number;
  reverse: boolean;
  line: number;
}

export interface VrrpInstanceConfig {
  name: string;
  /** Initial state; keepalived's default: MASTER for priority 255, else BACKUP. */
  state: 'MASTER' | 'BACKUP';
  interface: string;
  vrid: number;
  /** 1..255, default 100 (255 when state MASTER and no priority, as keepalived). */
  priority: number;
  version: 2 | 3;
  /** Seconds (v2 whole seconds, v3 in 0.01 s steps up to 40.95). */
  advertInt: number;
  /** False with nopreempt. */
  preempt: boolean;
  /** Seconds, 0 = none. */
  preemptDelay: number;
  virtualAddresses: VirtualAddressConfig[];
  /** v2 PASS authentication: the password (at most 8 bytes), or null for none. */
  authPass: string | null;
  unicastSrcIp: string | null;
  unicastPeers: string[];
  trackInterfaces: TrackConfig[];
  trackScripts: TrackConfig[];
  /** dont_track_primary: a down `interface` is not a FAULT. */
  dontTrackPrimary: boolean;
  notify: NotifyConfig;
  garp: GarpConfig;
  line: number;
}

export interface VrrpScriptConfig {
  name: string;
  script: ScriptCommand;
  /** Seconds between runs, default 1. */
  interval: number;
  /** Seconds before a run counts as failed, default the interval. */
  timeout: number;
  /** -253..253, default 0 (a failure is a FAULT of the tracking instances). */
  weight: number;
  reverse: boolean;
  /** Successes in a row before OK, default 1. */
  rise: number;
  /** Failures in a row before KO, default 1. */
  fall: number;
  line: number;
}

export interface VrrpSyncGroupConfig {
  name: string;
  instances: string[];
  notify: NotifyConfig;
  line: number;
}

export interface VrrpConfig {
  instances: VrrpInstanceConfig[];
  scripts: VrrpScriptConfig[];
  syncGroups: VrrpSyncGroupConfig[];
}

export interface DirectorConfig {
  virtualServers: VirtualServerConfig[];
  /** local_address_group NAME { IP ... } (FULLNAT). */
  localAddressGroups: Record<string, string[]>;
  globalDefs: GlobalDefsConfig;
  vrrp: VrrpConfig;
  warnings: ConfigWarning[];
}

/** keepalived's defaults for vrrp_garp_* (5 at once, 5 more after 5 s, no refresh). */
export function defaultGarp(): GarpConfig {
  return { masterDelay: 5, masterRepeat: 5, masterRefresh: 0, masterRefreshRepeat: 1, lowerPrioDelay: 5, lowerPrioRepeat: 5 };
}

/** global_defs as keepalived starts before reading the file. */
export function defaultGlobalDefs(): GlobalDefsConfig {
  return {
    vrrpVersion: 2, scriptUser: null, enableScriptSecurity: false, lvsSyncDaemon: null, garp: defaultGarp(),
    vrrpLowerPrioNoAdvert: false, vrrpHigherPrioSendAdvert: false,
  };
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
