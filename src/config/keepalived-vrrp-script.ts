// Converts `vrrp_script NAME { ... }` and `vrrp_sync_group NAME { ... }` blocks, and the notify
// keywords instances and sync groups share (notify_master, notify_backup, notify_fault,
// notify_stop, notify), keeping keepalived's defaults.

import type { ConfigWarning, NotifyConfig, VrrpScriptConfig, VrrpSyncGroupConfig } from './model.js';
import type { Statement } from './keepalived-parser.js';
import { ignored, warn } from './keepalived-keywords.js';
import * as v from './keepalived-values.js';

const UNSUPPORTED_SCRIPT = new Set(['init_fail']);
const UNSUPPORTED_GROUP = new Set([
  'track_interface', 'track_script', 'track_file', 'track_process', 'track_bfd', 'smtp_alert',
  'global_tracking', 'sync_group_tracking_weight', 'notify_priority_changes',
]);
/** keepalived accepts weights in -253..253 (254 would cross the whole priority range). */
export const MAX_TRACK_WEIGHT = 253;
const MAX_INTERVAL = 86400;
const MAX_RISE_FALL = 1_000_000;

export function emptyNotify(): NotifyConfig {
  return { master: null, backup: null, fault: null, stop: null, any: null };
}

const NOTIFY_KEYWORDS: Record<string, keyof NotifyConfig> = {
  notify_master: 'master', notify_backup: 'backup', notify_fault: 'fault', notify_stop: 'stop', notify: 'any',
};

/** Reads a notify keyword into `n`; false when `s` is not one. */
export function notifyKeyword(n: NotifyConfig, s: Statement): boolean {
  const slot = NOTIFY_KEYWORDS[s.keyword];
  if (slot === undefined) return false;
  n[slot] = v.scriptCommand(s);
  return true;
}

export function convertVrrpScript(stmt: Statement, warnings: ConfigWarning[]): VrrpScriptConfig {
  const name = v.name(stmt);
  if (!stmt.block) v.fail(stmt, "expects a block '{ script ... }' after the name");
  const out: VrrpScriptConfig = { name, script: { command: '', user: null, group: null }, interval: 1, timeout: 0, weight: 0, reverse: false, rise: 1, fall: 1, line: stmt.line };
  for (const s of stmt.block) scriptKeyword(out, s, warnings);
  if (out.script.command === '') v.fail(stmt, 'needs script (the command to run)');
  // keepalived: no timeout (or 0) means the interval.
  if (out.timeout === 0) out.timeout = out.interval;
  return out;
}

function scriptKeyword(out: VrrpScriptConfig, s: Statement, warnings: ConfigWarning[]): void {
  switch (s.keyword) {
    case 'script': out.script = { ...out.script, command: oneArg(s, '"/path/to/script ARGS"') }; return;
    case 'interval': out.interval = v.seconds(s, oneArg(s, 'SECONDS'), MAX_INTERVAL); return;
    case 'timeout': out.timeout = v.seconds(s, oneArg(s, 'SECONDS'), MAX_INTERVAL); return;
    case 'weight': {
      v.expectArgs(s, 1, 2, 'N [reverse]');
      out.weight = v.int(s, s.args[0] as string, -MAX_TRACK_WEIGHT, MAX_TRACK_WEIGHT);
      if (s.args[1] !== undefined && s.args[1] !== 'reverse') v.fail(s, `'${s.args[1]}' is not reverse`);
      out.reverse = s.args[1] === 'reverse';
      return;
    }
    case 'rise': out.rise = v.uint(s, oneArg(s, 'COUNT'), 1, MAX_RISE_FALL); return;
    case 'fall': out.fall = v.uint(s, oneArg(s, 'COUNT'), 1, MAX_RISE_FALL); return;
    case 'user':
      v.expectArgs(s, 1, 2, 'USER [GROUP]');
      out.script = { ...out.script, user: s.args[0] as string, group: s.args[1] ?? null };
      return;
    default:
      ignored(s, UNSUPPORTED_SCRIPT, warnings);
  }
}

/** A vrrp_sync_group; null (warned) when it names no instance, which keepalived also ignores. */
export function convertSyncGroup(stmt: Statement, warnings: ConfigWarning[]): VrrpSyncGroupConfig | null {
  const name = v.name(stmt);
  if (!stmt.block) v.fail(stmt, "expects a block '{ group { ... } }' after the name");
  const out: VrrpSyncGroupConfig = { name, instances: [], notify: emptyNotify(), line: stmt.line };
  for (const s of stmt.block) {
    if (s.keyword === 'group') {
      v.expectArgs(s, 0);
      for (const e of s.block ?? []) {
        v.expectArgs(e, 0);
        if (out.instances.includes(e.keyword)) v.fail(e, `instance ${e.keyword} is listed twice`);
        out.instances.push(e.keyword);
      }
    } else if (!notifyKeyword(out.notify, s)) {
      ignored(s, UNSUPPORTED_GROUP, warnings);
    }
  }
  if (out.instances.length === 0) {
    warn(stmt, `vrrp_sync_group ${name} has no group { INSTANCE ... } block with an instance: ignored, as keepalived does`, warnings);
    return null;
  }
  return out;
}

function oneArg(s: Statement, shape: string): string {
  v.expectArgs(s, 1, 1, shape);
  return s.args[0] as string;
}
