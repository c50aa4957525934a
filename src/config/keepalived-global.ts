// Converts `global_defs { ... }` into GlobalDefsConfig: one handler per keyword director acts on,
// in one table, so a new global keyword is one entry; the rest keepalived knows are warned about.

import { defaultGlobalDefs, type ConfigWarning, type GlobalDefsConfig, type LvsSyncDaemonConfig, type LvsTimeoutsConfig } from './model.js';
import type { Statement } from './keepalived-parser.js';
import { ignored, warn } from './keepalived-keywords.js';
import * as v from './keepalived-values.js';
import { Limits } from '../native/layout.generated.js';

/**
 * keepalived's e-mail notification keywords: accepted without a word (director sends no mail;
 * docs/configuration.md says so), so a production global_defs loads clean.
 */
export const NOTIFICATION_KEYWORDS: ReadonlySet<string> = new Set([
  'notification_email', 'notification_email_from', 'smtp_server', 'smtp_helo_name', 'smtp_connect_timeout',
  'smtp_alert', 'smtp_alert_vrrp', 'smtp_alert_checker', 'no_email_faults',
]);

/** global_defs keywords keepalived knows that director does not act on (yet). */
const UNSUPPORTED_GLOBAL = new Set([
  'enable_traps', 'lvs_flush', 'lvs_flush_on_stop', 'vrrp_mcast_group4', 'vrrp_mcast_group6',
  'vrrp_strict', 'vrrp_skip_check_adv_addr', 'vrrp_check_unicast_src', 'vrrp_iptables',
  'vrrp_garp_interval', 'vrrp_gna_interval', 'vrrp_min_garp', 'vrrp_down_timer_adverts',
  'vrrp_priority', 'checker_priority', 'vrrp_no_swap', 'checker_no_swap', 'enable_snmp_vrrp',
  'enable_snmp_checker', 'enable_snmp_rfc', 'enable_dbus', 'max_auto_priority', 'dynamic_interfaces',
  'notify_fifo', 'vrrp_notify_fifo', 'lvs_notify_fifo', 'default_interface', 'vrrp_startup_delay',
]);

/** lvs_sync_daemon defaults: IPVS's port and group, TTL 1. */
const SYNC_DEFAULT_PORT = 8848;
const SYNC_DEFAULT_GROUP = '224.0.0.81';
const MAX_SYNC_LEN = 65535 - 20 - 8;
const MAX_REPEAT = 1_000_000;
const MAX_DELAY = 86400;
/** LVS_MAX_TIMEOUT: 31 days, the bound of ipvsadm --set and keepalived's lvs_timeouts. */
const MAX_LVS_TIMEOUT = 86400 * 31;
const MAX_CONN_TABLE = 1 << 26;
const MAX_RATE = 1_000_000_000;
/** 2^20 fragment slots of 20 bytes: 20 MiB, far beyond what a 30 s fragment life needs. */
const MAX_FRAG_CACHE = 1 << 20;
/** 2^24 buckets per row, two rows of 8 bytes each: 256 MiB at most. */
const MAX_SOURCE_TABLE = 1 << 24;
/** SYN_RECV's own timeout: fast aging never lengthens a life. */
const MAX_SYN_TIMEOUT = 60;

type Handler = (g: GlobalDefsConfig, s: Statement, warnings: ConfigWarning[]) => void;

const HANDLERS: Record<string, Handler> = {
  router_id: (g, s) => { g.routerId = oneArg(s, 'NAME'); },
  lvs_timeouts: (g, s) => { g.lvsTimeouts = lvsTimeouts(s, g.lvsTimeouts); },
  vrrp_version: (g, s) => {
    const n = v.uint(s, oneArg(s, '2|3'), 2, 3);
    g.vrrpVersion = n === 2 ? 2 : 3;
  },
  script_user: (g, s) => {
    v.expectArgs(s, 1, 2, 'USER [GROUP]');
    g.scriptUser = { user: s.args[0] as string, group: s.args[1] ?? null };
  },
  enable_script_security: (g, s) => {
    v.expectArgs(s, 0);
    g.enableScriptSecurity = true;
  },
  lvs_sync_daemon: (g, s, warnings) => {
    if (g.lvsSyncDaemon) v.fail(s, `already given at line ${g.lvsSyncDaemon.line}`);
    g.lvsSyncDaemon = syncDaemon(s, warnings);
  },
  vrrp_garp_master_delay: (g, s) => { g.garp.masterDelay = v.uint(s, oneArg(s, 'SECONDS'), 0, MAX_DELAY); },
  vrrp_garp_master_repeat: (g, s) => { g.garp.masterRepeat = v.uint(s, oneArg(s, 'COUNT'), 1, MAX_REPEAT); },
  vrrp_garp_master_refresh: (g, s) => { g.garp.masterRefresh = v.uint(s, oneArg(s, 'SECONDS'), 0, MAX_DELAY); },
  vrrp_garp_master_refresh_repeat: (g, s) => { g.garp.masterRefreshRepeat = v.uint(s, oneArg(s, 'COUNT'), 1, MAX_REPEAT); },
  vrrp_garp_lower_prio_delay: (g, s) => { g.garp.lowerPrioDelay = v.uint(s, oneArg(s, 'SECONDS'), 0, MAX_DELAY); },
  vrrp_garp_lower_prio_repeat: (g, s) => { g.garp.lowerPrioRepeat = v.uint(s, oneArg(s, 'COUNT'), 0, MAX_REPEAT); },
  vrrp_lower_prio_no_advert: (g, s) => { g.vrrpLowerPrioNoAdvert = v.optionalBool(s); },
  vrrp_higher_prio_send_advert: (g, s) => { g.vrrpHigherPrioSendAdvert = v.optionalBool(s); },
  // Director extensions: resource caps (docs/security.md#limits).
  hold_queue_size: (g, s) => { g.limits.holdQueue = v.uint(s, oneArg(s, 'FRAMES'), 1, Limits.HOLD_SLOTS); },
  hold_queue_per_address: (g, s) => { g.limits.holdPerAddress = v.uint(s, oneArg(s, 'FRAMES'), 1, Limits.HOLD_SLOTS); },
  frag_cache_size: (g, s) => { g.limits.fragCache = v.uint(s, oneArg(s, 'DATAGRAMS'), 1, MAX_FRAG_CACHE); },
  source_conn_rate: (g, s) => { g.limits.sourceConnRate = v.uint(s, oneArg(s, 'CONNECTIONS/S'), 0, MAX_RATE); },
  source_conn_burst: (g, s) => { g.limits.sourceConnBurst = v.uint(s, oneArg(s, 'CONNECTIONS'), 0, MAX_RATE); },
  source_table_size: (g, s) => { g.limits.sourceTable = v.uint(s, oneArg(s, 'BUCKETS'), 1, MAX_SOURCE_TABLE); },
  // A director extension: IPVS sets this with sysctl net.ipv4.vs.expire_nodest_conn.
  expire_nodest_conn: (g, s) => { g.expireNodestConn = v.optionalBool(s); },
  // Director extensions: the connection table and its SYN flood defences (docs/security.md).
  conn_table_size: (g, s) => { g.connTableSize = v.uint(s, oneArg(s, 'ENTRIES'), 1, MAX_CONN_TABLE); },
  syn_flood_rate: (g, s) => { g.flood.connRate = v.uint(s, oneArg(s, 'CONNECTIONS/S'), 0, MAX_RATE); },
  syn_flood_timeout: (g, s) => { g.flood.synTimeout = v.uint(s, oneArg(s, 'SECONDS'), 1, MAX_SYN_TIMEOUT); },
  unconfirmed_limit: (g, s) => { g.flood.maxUnconfirmed = v.uint(s, oneArg(s, 'CONNECTIONS'), 0, MAX_CONN_TABLE); },
  drop_entry: (g, s) => { g.flood.dropEntry = v.optionalBool(s); },
  drop_packet: (g, s) => { g.flood.dropPacket = v.optionalBool(s); },
};

function oneArg(s: Statement, shape: string): string {
  v.expectArgs(s, 1, 1, shape);
  return s.args[0] as string;
}

export interface ConvertedGlobals {
  globals: GlobalDefsConfig;
  /** Where lvs_sync_daemon was said, for the check of its instance once instances are read. */
  syncStmt: Statement | null;
}

/** Reads every global_defs block (keepalived allows several; later values win). */
export function convertGlobalDefs(blocks: Statement[], warnings: ConfigWarning[]): ConvertedGlobals {
  const g = defaultGlobalDefs();
  const said = new Map<string, Statement>();
  for (const block of blocks) {
    v.expectArgs(block, 0);
    for (const s of block.block ?? []) {
      const handler = HANDLERS[s.keyword];
      if (handler) {
        handler(g, s, warnings);
        said.set(s.keyword, s);
      } else if (!NOTIFICATION_KEYWORDS.has(s.keyword)) {
        ignored(s, UNSUPPORTED_GLOBAL, warnings);
      }
    }
  }
  // keepalived: the lower-priority GARP set defaults to the master one.
  if (!said.has('vrrp_garp_lower_prio_delay')) g.garp.lowerPrioDelay = g.garp.masterDelay;
  if (!said.has('vrrp_garp_lower_prio_repeat')) g.garp.lowerPrioRepeat = g.garp.masterRepeat;
  return { globals: g, syncStmt: said.get('lvs_sync_daemon') ?? null };
}

/**
 * `lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]`, at least one; a value not given stays as it
 * was (0 too, as ipvsadm --set). A second lvs_timeouts line adds to the first, as in keepalived.
 */
function lvsTimeouts(s: Statement, before: LvsTimeoutsConfig | null): LvsTimeoutsConfig {
  const shape = '[tcp SECS] [tcpfin SECS] [udp SECS]';
  if (s.args.length === 0) v.fail(s, `expects at least one timeout (lvs_timeouts ${shape})`);
  const out = before ? { ...before } : { tcp: 0, tcpFin: 0, udp: 0 };
  const fields: Record<string, keyof LvsTimeoutsConfig> = { tcp: 'tcp', tcpfin: 'tcpFin', udp: 'udp' };
  for (let i = 0; i < s.args.length; i += 2) {
    const word = s.args[i] as string;
    const field = Object.hasOwn(fields, word) ? fields[word] : undefined;
    if (field === undefined) v.fail(s, `unknown option '${word}' (lvs_timeouts ${shape})`);
    const value = s.args[i + 1];
    if (value === undefined) v.fail(s, `${word} needs a number of seconds`);
    out[field] = v.uint(s, value, 0, MAX_LVS_TIMEOUT);
  }
  return out;
}

/** Options after the interface; keepalived's older positional INSTANCE [SYNCID] also works. */
/** lvs_sync_daemon IF INSTANCE with every option at its default. */
export function defaultSyncDaemon(iface: string, instance: string | null, line: number): LvsSyncDaemonConfig {
  return { interface: iface, instance, syncId: null, maxLen: null, port: SYNC_DEFAULT_PORT, ttl: 1, group: SYNC_DEFAULT_GROUP, line };
}

function syncDaemon(s: Statement, warnings: ConfigWarning[]): LvsSyncDaemonConfig {
  if (s.args.length === 0) v.fail(s, 'expects an interface (lvs_sync_daemon IF [INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP])');
  const out = defaultSyncDaemon(v.interfaceName(s, s.args[0] as string), null, s.line);
  for (let i = 1; i < s.args.length; i++) {
    const word = s.args[i] as string;
    const value = s.args[i + 1];
    if (SYNC_OPTIONS.has(word)) {
      if (value === undefined) v.fail(s, `${word} needs a value`);
      syncOption(out, s, word, value);
      i++;
    } else if (i === 1) {
      out.instance = word;
    } else if (i === 2 && /^\d+$/.test(word)) {
      warn(s, 'a bare sync id is deprecated: write "id N" (as keepalived says)', warnings);
      out.syncId = v.uint(s, word, 0, 255);
    } else {
      v.fail(s, `unknown option '${word}' (expected inst, id, maxlen, port, ttl or group)`);
    }
  }
  return out;
}

const SYNC_OPTIONS = new Set(['inst', 'id', 'maxlen', 'port', 'ttl', 'group']);

function syncOption(out: LvsSyncDaemonConfig, s: Statement, word: string, value: string): void {
  switch (word) {
    case 'inst': out.instance = value; return;
    case 'id': out.syncId = v.uint(s, value, 0, 255); return;
    case 'maxlen': out.maxLen = v.uint(s, value, 1, MAX_SYNC_LEN); return;
    case 'port': out.port = v.port(s, value, false); return;
    case 'ttl': out.ttl = v.uint(s, value, 1, 255); return;
    default: {
      const group = v.ipv4(s, value);
      if (Number(group.split('.')[0]) >> 4 !== 0xe) v.fail(s, `group ${group} is not a multicast address`);
      out.group = group;
    }
  }
}
