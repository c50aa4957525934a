// Converts one `vrrp_instance NAME { ... }` block into a VrrpInstanceConfig draft with keepalived's
// defaults; what depends on other blocks (script weights, version, sync groups) is settled by
// keepalived-vrrp-validate.ts.

import type {
  ConfigWarning, GarpConfig, GlobalDefsConfig, TrackConfig, VirtualAddressConfig, VrrpInstanceConfig,
} from './model.js';
import type { Statement } from './keepalived-parser.js';
import { ignored, warn } from './keepalived-keywords.js';
import { emptyNotify, MAX_TRACK_WEIGHT, notifyKeyword } from './keepalived-vrrp-script.js';
import * as v from './keepalived-values.js';

/** vrrp_instance keywords keepalived knows that director does not act on (yet). */
const UNSUPPORTED_INSTANCE = new Set([
  'use_vmac', 'vmac_xmit_base', 'mcast_src_ip', 'virtual_ipaddress_excluded',
  'virtual_routes', 'virtual_rules', 'track_file', 'track_process', 'track_bfd', 'smtp_alert',
  'strict_mode', 'accept', 'no_accept', 'skip_check_adv_addr', 'check_unicast_src', 'debug',
  'garp_extra_if', 'notify_master_rx_lower_pri', 'notify_priority_changes',
  'unicast_ttl', 'unicast_fault_no_peer', 'down_timer_adverts', 'kernel_rx_buf_size', 'promote_secondaries',
  'old_unicast_checksum', 'linkbeat_use_polling', 'ipsets', 'iptables', 'nftables', 'higher_prio_send_advert',
  'lower_prio_no_advert', 'owner_ignore_adverts', 'track_src_ip', 'mcast_dst_ip',
]);

const MAX_DELAY = 86400;
const MAX_REPEAT = 1_000_000;
/** The VRRPv2 authentication data field holds 8 bytes. */
const AUTH_PASS_BYTES = 8;

/** What the validator still needs beyond the config: where things were said. */
export interface InstanceDraft {
  config: VrrpInstanceConfig;
  stmt: Statement;
  /** An instance `version` keyword (null: global vrrp_version). */
  versionSaid: Statement | null;
  /** `native_ipv6`: the instance is IPv6 whatever its addresses say. */
  nativeIpv6: boolean;
  /** Where each unicast peer was said (a peer of the other family is dropped with a warning there). */
  peerStmts: Statement[];
  prioritySaid: boolean;
  stateSaid: boolean;
  advertStmt: Statement | null;
  /** track_script entries without their own weight take the script's (settled later). */
  scriptWeightSaid: Set<TrackConfig>;
  authStmt: Statement | null;
  said: Map<string, Statement>;
}

/**
 * Seconds a preempting backup waits for the master's connection table: a dump of a large table
 * over a LAN takes well under a second, and the wait only bounds a master that never answers.
 */
export const DEFAULT_PREEMPT_SYNC_WAIT = 5;

export function convertVrrpInstance(stmt: Statement, globals: GlobalDefsConfig, warnings: ConfigWarning[]): InstanceDraft {
  const name = v.name(stmt);
  if (!stmt.block) v.fail(stmt, "expects a block '{ ... }' after the instance name");
  const d: InstanceDraft = {
    config: {
      name, state: 'BACKUP', interface: '', vrid: 0, priority: 100, version: globals.vrrpVersion, family: 4, advertInt: 1,
      preempt: true, preemptDelay: 0, preemptSyncWait: DEFAULT_PREEMPT_SYNC_WAIT, virtualAddresses: [], authPass: null, unicastSrcIp: null, unicastPeers: [],
      trackInterfaces: [], trackScripts: [], dontTrackPrimary: false, notify: emptyNotify(),
      garp: { ...globals.garp }, line: stmt.line,
    },
    stmt, versionSaid: null, nativeIpv6: false, peerStmts: [], prioritySaid: false, stateSaid: false, advertStmt: null,
    scriptWeightSaid: new Set(), authStmt: null, said: new Map(),
  };
  // As keepalived: a keyword said twice takes the later value; list blocks add up.
  for (const s of stmt.block) {
    d.said.set(s.keyword, s);
    // The pre-2.0 form of global lvs_sync_daemon: settled with the globals (keepalived-vrrp-validate.ts).
    if (s.keyword === 'lvs_sync_daemon_interface') {
      v.interfaceName(s, oneWord(s, 'IF'));
      continue;
    }
    if (!basicKeyword(d, s, warnings) && !listKeyword(d, s, warnings) && !notifyKeyword(d.config.notify, s) && !garpKeyword(d.config.garp, s)) {
      ignored(s, UNSUPPORTED_INSTANCE, warnings);
    }
  }
  if (!d.said.has('interface')) v.fail(stmt, 'needs interface (the interface the instance advertises on)');
  if (!d.said.has('virtual_router_id')) v.fail(stmt, 'needs virtual_router_id (1..255)');
  // keepalived: priority follows the state when not given (MASTER: owner), and the state the priority.
  if (!d.prioritySaid && d.config.state === 'MASTER') d.config.priority = 255;
  if (!d.stateSaid && d.config.priority === 255) d.config.state = 'MASTER';
  return d;
}

function basicKeyword(d: InstanceDraft, s: Statement, warnings: ConfigWarning[]): boolean {
  const c = d.config;
  switch (s.keyword) {
    case 'state': {
      const state = oneArg(s, 'MASTER|BACKUP').toUpperCase();
      if (state !== 'MASTER' && state !== 'BACKUP') v.fail(s, `'${s.args[0]}' is not MASTER or BACKUP`);
      c.state = state;
      d.stateSaid = true;
      return true;
    }
    case 'interface': c.interface = v.interfaceName(s, oneArg(s, 'IF')); return true;
    case 'virtual_router_id': c.vrid = v.uint(s, oneArg(s, 'VRID'), 1, 255); return true;
    case 'priority': c.priority = v.uint(s, oneArg(s, 'PRIORITY'), 1, 255); d.prioritySaid = true; return true;
    case 'advert_int': c.advertInt = v.seconds(s, oneArg(s, 'SECONDS'), 255); d.advertStmt = s; return true;
    case 'version': c.version = v.uint(s, oneArg(s, '2|3'), 2, 3) === 2 ? 2 : 3; d.versionSaid = s; return true;
    case 'nopreempt': c.preempt = !v.optionalBool(s); return true;
    case 'preempt_delay': c.preemptDelay = delaySeconds(s); return true;
    case 'preempt_sync_wait': c.preemptSyncWait = delaySeconds(s); return true;
    case 'dont_track_primary': c.dontTrackPrimary = v.optionalBool(s); return true;
    case 'unicast_src_ip': c.unicastSrcIp = v.address(s, oneArg(s, 'IP')).text; return true;
    case 'native_ipv6': v.expectArgs(s, 0); d.nativeIpv6 = true; return true;
    case 'authentication': authentication(d, s, warnings); return true;
    default: return false;
  }
}

function listKeyword(d: InstanceDraft, s: Statement, warnings: ConfigWarning[]): boolean {
  const c = d.config;
  switch (s.keyword) {
    case 'virtual_ipaddress':
      for (const e of entries(s)) c.virtualAddresses.push(virtualAddress(e, warnings));
      return true;
    case 'unicast_peer':
      for (const e of entries(s)) {
        if (e.args.length > 0 && !/^(min_ttl|max_ttl)$/.test(e.args[0] as string)) v.fail(e, 'expects an address and at most min_ttl/max_ttl');
        c.unicastPeers.push(v.address(e, e.keyword).text);
        d.peerStmts.push(e);
      }
      return true;
    case 'track_interface':
      for (const e of entries(s)) c.trackInterfaces.push(track(e, d, false));
      return true;
    case 'track_script':
      for (const e of entries(s)) c.trackScripts.push(track(e, d, true));
      return true;
    default:
      return false;
  }
}

function garpKeyword(g: GarpConfig, s: Statement): boolean {
  switch (s.keyword) {
    case 'garp_master_delay': g.masterDelay = v.uint(s, oneArg(s, 'SECONDS'), 0, MAX_DELAY); return true;
    case 'garp_master_repeat': g.masterRepeat = v.uint(s, oneArg(s, 'COUNT'), 1, MAX_REPEAT); return true;
    case 'garp_master_refresh': g.masterRefresh = v.uint(s, oneArg(s, 'SECONDS'), 0, MAX_DELAY); return true;
    case 'garp_master_refresh_repeat': g.masterRefreshRepeat = v.uint(s, oneArg(s, 'COUNT'), 1, MAX_REPEAT); return true;
    case 'garp_lower_prio_delay': g.lowerPrioDelay = v.uint(s, oneArg(s, 'SECONDS'), 0, MAX_DELAY); return true;
    case 'garp_lower_prio_repeat': g.lowerPrioRepeat = v.uint(s, oneArg(s, 'COUNT'), 0, MAX_REPEAT); return true;
    default: return false;
  }
}

function oneArg(s: Statement, shape: string): string {
  v.expectArgs(s, 1, 1, shape);
  return s.args[0] as string;
}

function delaySeconds(s: Statement): number {
  const text = oneArg(s, 'SECONDS');
  return text === '0' ? 0 : v.seconds(s, text, 1000);
}

function entries(s: Statement): Statement[] {
  v.expectArgs(s, 0);
  if (!s.block) v.fail(s, `expects a block '{ ... }'`);
  for (const e of s.block) if (e.block) v.fail(e, 'an entry cannot have a block');
  return s.block;
}

/**
 * `IP[/PREFIX] [dev IF] [label L] [brd IP] [scope S] [no_track]`, IPv4 or IPv6 (RFC 5952 text);
 * other options are warned about.
 */
function virtualAddress(e: Statement, warnings: ConfigWarning[]): VirtualAddressConfig {
  const [address, prefixText] = e.keyword.split('/') as [string, string | undefined];
  const { text, v6 } = v.address(e, address);
  const bits = v6 ? 128 : 32;
  const out: VirtualAddressConfig = {
    address: text, prefix: prefixText === undefined ? bits : v.uint(e, prefixText, 0, bits),
    dev: null, label: null, line: e.line,
  };
  for (let i = 0; i < e.args.length; i++) {
    const option = e.args[i] as string;
    if (option === 'no_track') continue;
    const value = e.args[++i];
    if (value === undefined) v.fail(e, `${option} needs a value`);
    if (option === 'dev') out.dev = v.interfaceName(e, value);
    else if (option === 'label') out.label = value;
    else if (option !== 'brd' && option !== 'scope') warn(e, `virtual_ipaddress option ${option} ignored`, warnings);
  }
  return out;
}

/** `NAME [weight N [reverse|noreverse]]` in track_interface and track_script blocks. */
function track(e: Statement, d: InstanceDraft, script: boolean): TrackConfig {
  const name = script ? e.keyword : v.interfaceName(e, e.keyword);
  const out: TrackConfig = { name, weight: 0, reverse: false, line: e.line };
  if (e.args.length === 0) return out;
  if (e.args[0] !== 'weight' || e.args.length < 2 || e.args.length > 3) v.fail(e, `expects ${e.keyword} [weight N [reverse]]`);
  out.weight = v.int(e, e.args[1] as string, -MAX_TRACK_WEIGHT, MAX_TRACK_WEIGHT);
  const flag = e.args[2];
  if (flag !== undefined && flag !== 'reverse' && !(script && flag === 'noreverse')) v.fail(e, `'${flag}' is not reverse`);
  out.reverse = flag === 'reverse';
  if (script) d.scriptWeightSaid.add(out);
  return out;
}

/** `authentication { auth_type PASS; auth_pass SECRET }`: PASS only (AH is not supported). */
function authentication(d: InstanceDraft, s: Statement, warnings: ConfigWarning[]): void {
  let type: string | null = null;
  let pass: Statement | null = null;
  for (const e of entries(s)) {
    if (e.keyword === 'auth_type') type = oneArg(e, 'PASS').toUpperCase();
    else if (e.keyword === 'auth_pass') pass = e;
    else v.fail(e, 'expects auth_type or auth_pass');
    if (type !== null && type !== 'PASS') v.fail(e, `'${e.args[0]}' is not supported (only PASS: IPsec AH is not implemented)`);
  }
  if (type === null || pass === null) v.fail(s, 'needs auth_type PASS and auth_pass');
  if (pass.args.length !== 1) v.fail(pass, 'expects one password (up to 8 characters)');
  let password = pass.args[0] as string;
  if (Buffer.byteLength(password, 'latin1') > AUTH_PASS_BYTES) {
    warn(pass, `password longer than ${AUTH_PASS_BYTES} characters, truncated (as keepalived does)`, warnings);
    password = password.slice(0, AUTH_PASS_BYTES);
  }
  d.config.authPass = password;
  d.authStmt = pass;
}

function oneWord(s: Statement, shape: string): string {
  v.expectArgs(s, 1, 1, shape);
  return s.args[0] as string;
}
