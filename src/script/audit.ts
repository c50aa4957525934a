// keepalived's start-up script checks, made by `director check` on this host: every script of
// a config (MISC_CHECK, notify_up/down, quorum_up/down, vrrp_script, the VRRP notify scripts)
// is resolved to its user and checked as the runner would before each run. A script that would
// not run (no such user, no default user under enable_script_security, missing, not executable,
// unsafe path under enable_script_security) is reported as keepalived reports it when it
// disables the script; a root script others could change, run because script security is off,
// gets keepalived's security warning. Both are warnings, errors under --strict.

import type { ConfigWarning, DirectorConfig, NotifyConfig, ScriptCommand, ScriptRunAs } from '../config/model.js';
import { resolveIdentity } from './identity.js';
import { checkScript } from './security.js';
import { UserDb } from './users.js';

interface Found {
  keyword: string;
  command: string;
  runAs: ScriptRunAs;
  line: number;
  /** Whose script it is, for the message. */
  owner: string;
}

/** The findings for config's scripts, as warnings on file (the config's own lines). */
export function auditScripts(config: DirectorConfig, file: string, db: UserDb = new UserDb()): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  for (const s of scriptsOf(config)) {
    const where = `${file}:${s.line}: ${s.keyword} '${s.command}' of ${s.owner}`;
    const who = resolveIdentity(s.runAs, db);
    if (!who.ok) {
      out.push(warning(file, s, `${where} will not run: ${who.reason} (keepalived disables it too)`));
      continue;
    }
    const check = checkScript(s.command, who.id, s.runAs.secure);
    if (check.refusal !== null) out.push(warning(file, s, `${where} will not run as ${who.id.label}: ${check.refusal} (keepalived disables it too)`));
    else if (check.unsafe !== null) out.push(warning(file, s, `${where}: SECURITY: runs as root though ${check.unsafe}; enable_script_security would refuse it`));
  }
  return out;
}

function warning(file: string, s: Found, message: string): ConfigWarning {
  return { file, line: s.line, keyword: s.keyword, message };
}

function scriptsOf(config: DirectorConfig): Found[] {
  const g = config.globalDefs;
  const globals = { defaultUser: g.scriptUser, secure: g.enableScriptSecurity };
  const command = (keyword: string, c: ScriptCommand, line: number, owner: string): Found =>
    ({ keyword, command: c.command, runAs: { user: c.user, group: c.group, ...globals }, line, owner });
  const found: Found[] = [];
  for (const vs of config.virtualServers) {
    const service = `VS ${vs.vip}:${vs.port}`;
    if (vs.quorum?.up) found.push({ keyword: 'quorum_up', command: vs.quorum.up.command, runAs: vs.quorum.up, line: vs.line, owner: service });
    if (vs.quorum?.down) found.push({ keyword: 'quorum_down', command: vs.quorum.down.command, runAs: vs.quorum.down, line: vs.line, owner: service });
    for (const rs of vs.realServers) {
      const owner = `real server ${rs.address}:${rs.port} in ${service}`;
      if (rs.notifyUp) found.push({ keyword: 'notify_up', command: rs.notifyUp.command, runAs: rs.notifyUp, line: rs.line, owner });
      if (rs.notifyDown) found.push({ keyword: 'notify_down', command: rs.notifyDown.command, runAs: rs.notifyDown, line: rs.line, owner });
      for (const c of rs.checks ?? []) {
        if (c.kind === 'misc') found.push({ keyword: 'MISC_CHECK', command: c.path, runAs: c.runAs, line: c.line, owner });
      }
    }
  }
  for (const s of config.vrrp.scripts) found.push(command('vrrp_script', s.script, s.line, `vrrp_script ${s.name}`));
  for (const i of config.vrrp.instances) found.push(...notifyScripts(i.notify, (k, c) => command(k, c, i.line, `vrrp_instance ${i.name}`)));
  for (const sg of config.vrrp.syncGroups) found.push(...notifyScripts(sg.notify, (k, c) => command(k, c, sg.line, `vrrp_sync_group ${sg.name}`)));
  return found;
}

function notifyScripts(n: NotifyConfig, make: (keyword: string, c: ScriptCommand) => Found): Found[] {
  const pairs: Array<[string, ScriptCommand | null]> = [
    ['notify_master', n.master], ['notify_backup', n.backup], ['notify_fault', n.fault], ['notify_stop', n.stop], ['notify', n.any],
  ];
  return pairs.flatMap(([k, c]) => (c ? [make(k, c)] : []));
}
