// The validated configuration the rest of director runs on, whatever file format it came from.

import { Limits } from '../native/layout.generated.js';

export type Protocol = 'tcp' | 'udp';

/** LVS forwarding methods (keepalived lb_kind DR | NAT | TUN | FNAT). */
export type ForwardMethod = 'dr' | 'nat' | 'tun' | 'fnat';

export interface RealServerConfig {
  /** IPv4 dotted quad; in an IPv6 service (`family` inet6) an IPv6 address, RFC 5952 text. */
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
  /** Health checkers; absent: always up, as keepalived (see also `unchecked`). */
  checks?: HealthCheckConfig[];
  /** keepalived inhibit_on_failure: when Down, keep the server at weight 0 instead of removing it. */
  inhibitOnFailure?: boolean;
  /** keepalived alpha: start Down until the checks first succeed. */
  alpha?: boolean;
  /** Why checkers of this server were dropped under --allow-unchecked (it may now be always up). */
  unchecked?: string[];
  /** notify_up: run when the server's checkers bring it Up (keepalived: no arguments added). */
  notifyUp?: ScriptConfig;
  /** notify_down: run when its checkers take it Down. */
  notifyDown?: ScriptConfig;
  /** The service's sorry_server (built from VirtualServerConfig.sorryServer), not one of its real servers. */
  sorry?: boolean;
}

/**
 * Who runs a script and under which rules: the script's own user, else global_defs script_user,
 * else keepalived_script when that user exists, else root (keepalived's order). The global part
 * travels with each script so that a script runs from its config alone (in a runner process too).
 */
export interface ScriptRunAs {
  /** The script's own user and group (null: the default above). */
  user: string | null;
  group: string | null;
  /** global_defs script_user USER [GROUP]. */
  defaultUser: { user: string; group: string | null } | null;
  /** global_defs enable_script_security: refuse scripts run as root that non-root users can change. */
  secure: boolean;
}

/** A script to run (a command line for /bin/sh -c) and who runs it. */
export interface ScriptConfig extends ScriptRunAs {
  command: string;
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

/** Where a checker's sockets start from (bindto, bind_port, bind_if); absent: the kernel picks. */
export interface CheckSource {
  /** Local address (bindto), or null. */
  address: string | null;
  /** Local port (bind_port), 0 = any. */
  port: number;
  /** Interface the socket is bound to (bind_if, SO_BINDTODEVICE), or null. */
  device: string | null;
}

/** A checker that talks to connect_ip:connect_port (default: the real server). */
interface ConnectingCheck extends CheckBase {
  connectIp: string;
  connectPort: number;
  /** Seconds for the whole check (connect_timeout, default 5). */
  connectTimeout: number;
  /** bindto / bind_port / bind_if, when any was given. */
  source?: CheckSource;
}

export interface TcpCheckConfig extends ConnectingCheck {
  kind: 'tcp';
}

/** keepalived `regex` of a url, with its options translated to a JavaScript RegExp. */
export interface HttpRegexConfig {
  pattern: string;
  /** RegExp flags from regex_options (caseless i, multiline m, dotall s, utf u). */
  flags: string;
  /** regex_no_match: a match fails the check. */
  noMatch: boolean;
  /** regex_min_offset: the match must start at or after this body offset. */
  minOffset: number;
  /** regex_max_offset: the match must start at or before this body offset; null = anywhere. */
  maxOffset: number | null;
}

export interface HttpUrlConfig {
  path: string;
  /** Accepted status codes as inclusive ranges; default [[200, 299]]. */
  statusCodes: Array<[number, number]>;
  /** md5 of the body, lowercase hex, or null. */
  digest: string | null;
  /** This url's own virtualhost (wins over the checker's). */
  virtualhost?: string;
  regex?: HttpRegexConfig;
}

/** http_protocol: 1.0 (default), 1.0C (1.0 with Connection: close) or 1.1 (with Connection: close). */
export type HttpProtocol = '1.0' | '1.0C' | '1.1';

interface HttpLikeCheck extends ConnectingCheck {
  urls: HttpUrlConfig[];
  /** Host header (virtualhost of the checker, else real server, else virtual server); null: ip:port. */
  virtualhost: string | null;
  protocol: HttpProtocol;
}

export interface HttpCheckConfig extends HttpLikeCheck {
  kind: 'http';
}

/** SSL_GET: HTTP_GET over TLS. The server's certificate is not verified, as in keepalived. */
export interface SslCheckConfig extends HttpLikeCheck {
  kind: 'ssl';
  /** enable_sni: send a server name (sni_name, else the url's or the checker's virtualhost). */
  sni: boolean;
  sniName: string | null;
}

/** DNS_CHECK: one query (type, name) over UDP; any valid reply with rcode NOERROR passes. */
export interface DnsCheckConfig extends ConnectingCheck {
  kind: 'dns';
  /** Query type name (A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG, DNSKEY). */
  type: string;
  /** Query name, '.' for the root. */
  name: string;
}

/** UDP_CHECK: bytes as lowercase hex so the spec stays JSON. */
export interface UdpCheckConfig extends ConnectingCheck {
  kind: 'udp';
  /** payload, or null: 32 random bytes as keepalived sends. */
  payload: string | null;
  /** require_reply: null = no reply needed (only an ICMP error fails). */
  reply: UdpReplyConfig | null;
}

export interface UdpReplyConfig {
  /** Expected leading bytes (hex), '' = any content. */
  data: string;
  /** Bits to ignore in data (hex, same length; 'x' nibbles), '' = none. */
  mask: string;
  minLength: number;
  maxLength: number;
}

/** PING_CHECK: one ICMP echo to connect_ip, answered within connect_timeout. */
export interface PingCheckConfig extends CheckBase {
  kind: 'ping';
  connectIp: string;
  connectTimeout: number;
  source?: CheckSource;
}

/** SMTP_CHECK: 220 greeting, HELO helo_name answered 250, QUIT. */
export interface SmtpCheckConfig extends ConnectingCheck {
  kind: 'smtp';
  heloName: string;
}

/** FILE_CHECK on a track_file: the number in the file decides health and weight. */
export interface FileCheckConfig extends CheckBase {
  kind: 'file';
  /** The track_file's name and file path. */
  trackFile: string;
  path: string;
  /** Multiplier (FILE_CHECK weight, else the track_file's, default 1); 0: any non-zero value fails. */
  weight: number;
  /** weight ... reverse: the value counts negated (with weight 0: zero fails, non-zero passes). */
  reverse: boolean;
  /** The real server's configured weight, which value * weight is added to. */
  baseWeight: number;
  /** init_file: write value when the file is missing (or always, overwrite) before the first read. */
  init: { value: number; overwrite: boolean } | null;
}

/** BFD_CHECK: the BFD session of a bfd_instance to its neighbour passes while Up. */
export interface BfdCheckConfig extends CheckBase {
  kind: 'bfd';
  /** The bfd_instance's name. */
  name: string;
  neighbor: string;
  /** source_ip, or null: the kernel's choice. */
  sourceIp: string | null;
  /** Milliseconds: required min rx, desired min tx (Up), desired tx while not Up. */
  minRxMs: number;
  minTxMs: number;
  idleTxMs: number;
  multiplier: number;
  passive: boolean;
  /** TTL of the packets sent (255 for single hop). */
  ttl: number;
}

export interface MiscCheckConfig extends CheckBase {
  kind: 'misc';
  /** Command line, run with /bin/sh -c. */
  path: string;
  /** Who runs it (MISC_CHECK `user USER [GROUP]`, else global_defs script_user ...), under which rules. */
  runAs: ScriptRunAs;
  /** Seconds before the script is killed and the check fails (misc_timeout, default delay_loop). */
  timeout: number;
  /** misc_dynamic: exit codes 2..255 set the weight to code - 2. */
  dynamic: boolean;
}

/** director extension: an HAProxy-style agent answering "75%", "up", "down", "drain". */
export interface AgentCheckConfig extends ConnectingCheck {
  kind: 'agent';
}

export type HealthCheckConfig =
  | TcpCheckConfig | HttpCheckConfig | SslCheckConfig | DnsCheckConfig | UdpCheckConfig | PingCheckConfig
  | SmtpCheckConfig | FileCheckConfig | BfdCheckConfig | MiscCheckConfig | AgentCheckConfig;

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
  /**
   * Persistence netmask (dotted quad), default 255.255.255.255; for an IPv6 service the prefix
   * length as decimal text (1..128), default 128, as keepalived's persistence_granularity.
   */
  persistenceGranularity: string;
  /**
   * 'inet6' for an IPv6 service (its VIP, or ip_family inet6 on a mark or group service; VIP and
   * real servers in RFC 5952 text); absent for IPv4. Served as docs/datapath.md#ipv6 says.
   */
  family?: 'inet6';
  /** FULLNAT: name of the local_address_group holding the LIPs. */
  laddrGroup: string | null;
  /** Slow start ramp in seconds (0 = off). */
  slowStart: number;
  /** syn_proxy (director extension, docs/security.md): handshakes answered with SYN cookies. */
  synProxy: boolean;
  realServers: RealServerConfig[];
  line: number;
  /** sorry_server: in the pool instead of the real servers while the quorum is down. */
  sorryServer?: SorryServerConfig;
  /** quorum, hysteresis, quorum_up, quorum_down; absent: keepalived's quorum 1, hysteresis 0, no scripts. */
  quorum?: QuorumConfig;
  /** omega: quorum_down and notify_down scripts also run when the director stops. */
  omega?: boolean;
  /** ha_suspend: checkers pause while VRRP does not hold the VIP here. */
  haSuspend?: boolean;
  /**
   * Firewall mark service (keepalived `virtual_server fwmark N`, ipvsadm -f N); 0 or absent: a
   * VIP:port service. A mark service has vip 0.0.0.0 and port 0; packets get the mark from the
   * config's fwmark_match lists (docs/configuration.md), as a kernel LVS gets it from iptables.
   */
  fwmark?: number;
  /**
   * The virtual_server_group this service is one member of: all members share persistence
   * templates (a client sticks to one real server across the group's addresses and ports).
   */
  group?: string;
  /** One-packet scheduling (keepalived `ops`, ipvsadm -o): each UDP datagram scheduled alone, no connection kept. */
  ops?: boolean;
}

/** keepalived sorry_server IP [PORT], sorry_server_inhibit, sorry_server_lvs_method. */
export interface SorryServerConfig {
  address: string;
  /** The virtual server's port unless given (and always it for DR and TUN). */
  port: number;
  /** sorry_server_lvs_method, default the virtual server's lb_kind. */
  method: ForwardMethod;
  /** sorry_server_inhibit: kept in the pool at weight 0 while not in use instead of removed. */
  inhibit: boolean;
  line: number;
}

/**
 * A virtual server's quorum: the sum of the weights of its alive real servers needed to run it
 * without the sorry server. Lost below quorum - hysteresis (or at 0), gained at quorum + hysteresis.
 */
export interface QuorumConfig {
  quorum: number;
  hysteresis: number;
  /** quorum_up / quorum_down scripts. */
  up: ScriptConfig | null;
  down: ScriptConfig | null;
}

/** One entry of a fwmark_match list: packets that get mark N (director's stand-in for an iptables MARK rule). */
export interface FwmarkMatchConfig {
  /** null: TCP and UDP. */
  protocol: Protocol | null;
  /** Network address and prefix length (32: one address). */
  address: string;
  prefix: number;
  /** Inclusive destination port range; 0..65535: every port. */
  portMin: number;
  portMax: number;
  line: number;
}

/** How `director check`, adm and logs name a service: `FWM 7` or `TCP 198.18.1.10:80`. */
export function serviceName(vs: Pick<VirtualServerConfig, 'protocol' | 'vip' | 'port' | 'fwmark'>): string {
  return vs.fwmark ? `FWM ${vs.fwmark}` : `${vs.protocol.toUpperCase()} ${hostPort(vs.vip, vs.port)}`;
}

/** ADDRESS:PORT as ipvsadm writes it: an IPv6 address in brackets ([2001:db8::1]:80). */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
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

/**
 * lvs_timeouts, seconds: TCP ESTABLISHED, TCP FIN_WAIT and UDP connection timeouts (ipvsadm
 * --set's three); 0 leaves that one as the running director has it.
 */
export interface LvsTimeoutsConfig {
  tcp: number;
  tcpFin: number;
  udp: number;
}

/** global_defs: one field per keyword director acts on; each sub-area may grow its own group. */
export interface GlobalDefsConfig {
  /** router_id: this director's name in logs and notifications; null: not given (keepalived: the host name). */
  routerId: string | null;
  /** lvs_timeouts: applied to the connection table at start and on every reload; null: not given. */
  lvsTimeouts: LvsTimeoutsConfig | null;
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
  /** Caps on the hold queue, fragment cache and per-source new connections (docs/security.md#limits). */
  limits: LimitsConfig;
  /**
   * director extension `expire_nodest_conn` (IPVS's sysctl of that name): a packet of a
   * connection whose real server was removed expires the connection (the packet is dropped,
   * or scheduled afresh when it may start a connection) instead of the connection draining.
   */
  expireNodestConn: boolean;
  /** conn_table_size: connection table capacity; null = the director's default (1,048,576). */
  connTableSize: number | null;
  /** SYN flood defences (director extensions, docs/security.md). */
  flood: FloodConfig;
}

/** SYN flood defences: see docs/security.md. */
export interface FloodConfig {
  /** syn_flood_rate: new connections per second above which the director is under flood; 0 = never. */
  connRate: number;
  /** unconfirmed_limit: most TCP connections not yet confirmed as a real client's (docs/security.md); 0 = half the table. */
  maxUnconfirmed: number;
  /** syn_flood_timeout: seconds an unconfirmed connection lives while under flood (not SYN_RECV's 60). */
  synTimeout: number;
  /** drop_entry: a new connection over the budget evicts the oldest unconfirmed one instead of being refused. */
  dropEntry: boolean;
  /** drop_packet: under flood, refuse the new connections of each second beyond connRate. */
  dropPacket: boolean;
}

/** The flood defences' defaults: detector at 10,000 new connections/s, half the table unconfirmed at most. */
export function defaultFloodConfig(): FloodConfig {
  return { connRate: 10_000, maxUnconfirmed: 0, synTimeout: 3, dropEntry: false, dropPacket: false };
}

/** Resource caps beside conn_table_size and the flood defences: see docs/security.md#limits. */
export interface LimitsConfig {
  /** hold_queue_size: frames that may wait for a next hop's MAC at once (at most the addon's pool). */
  holdQueue: number;
  /** hold_queue_per_address: frames that may wait on one next hop. */
  holdPerAddress: number;
  /** frag_cache_size: first fragments remembered at once (direct-mapped: a collision evicts the older). */
  fragCache: number;
  /** source_conn_rate: new connections per second per client address; 0 = unlimited. */
  sourceConnRate: number;
  /** source_conn_burst: connections a source may open at once above its rate; 0 = the rate (at least 1). */
  sourceConnBurst: number;
  /** source_table_size: buckets per row of the per-source rate sketch. */
  sourceTable: number;
}

/** The caps' defaults: the whole hold pool (16 frames per next hop), 4,096 fragments, no per-source limit. */
export function defaultLimits(): LimitsConfig {
  return { holdQueue: Limits.HOLD_SLOTS, holdPerAddress: 16, fragCache: 4096, sourceConnRate: 0, sourceConnBurst: 0, sourceTable: 65_536 };
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
  /**
   * The instance's address family, as keepalived settles it: IPv6 with `native_ipv6` or when the
   * first virtual_ipaddress is IPv6 (then always VRRPv3, over ff02::12), else IPv4. Addresses,
   * unicast peers and unicast_src_ip of the other family are dropped with a warning.
   */
  family: 4 | 6;
  /** Seconds (v2 whole seconds, v3 in 0.01 s steps up to 40.95). */
  advertInt: number;
  /** False with nopreempt. */
  preempt: boolean;
  /** Seconds, 0 = none. */
  preemptDelay: number;
  /**
   * director's preempt_sync_wait, seconds (default 5): how long a backup about to preempt a live
   * lower-priority master waits for that master's connection table (lvs_sync_daemon on this
   * instance); 0 preempts at once, as keepalived.
   */
  preemptSyncWait: number;
  virtualAddresses: VirtualAddressConfig[];
  /** v2 PASS authentication: the password (at most 8 bytes), or null for none. */
  authPass: string | null;
  /** IPv4 as written, IPv6 in RFC 5952 text (of the instance's family once settled). */
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
  /** fwmark_match N { ... }: which packets carry mark N (for `virtual_server fwmark N`); absent: none. */
  fwmarkMatches?: Record<number, FwmarkMatchConfig[]>;
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
    routerId: null, lvsTimeouts: null, vrrpVersion: 2, scriptUser: null, enableScriptSecurity: false, lvsSyncDaemon: null, garp: defaultGarp(),
    limits: defaultLimits(),
    vrrpLowerPrioNoAdvert: false, vrrpHigherPrioSendAdvert: false, expireNodestConn: false, connTableSize: null,
    flood: defaultFloodConfig(),
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
    // Line 0: about the file as a whole (it cannot be read), so no line is named.
    super(`${file}${line > 0 ? `:${line}` : ''}: ${keyword}: ${detail}`);
    this.name = 'ConfigError';
  }
}
