// Applies the kept set of plan.ts to the running daemon (through the addon, on every thread) and
// reads back from /proc what every thread holds afterwards: the report that is logged and shown
// in stats, and the proof that the drop took (a thread left with more fails it).

import { readdirSync, readFileSync } from 'node:fs';
import { loadAddon } from '../native/binding.js';
import type { UserDb } from '../script/users.js';
import { capabilityNamesOf, capabilityNumbers, type KeptCapability } from './plan.js';

export interface PrivilegeReport {
  /** The user the daemon runs as (uid:gid when it has no name here). */
  user: string;
  uid: number;
  gid: number;
  /** Capabilities the main thread holds (effective = permitted), by name. */
  capabilities: string[];
  /** Why each kept capability is kept. */
  kept: KeptCapability[];
  /** Threads checked; all hold at most the kept set. */
  threads: number;
}

export interface DropRequest {
  kept: KeptCapability[];
  /** --user NAME[:GROUP]; undefined: stay uid 0 with only the kept capabilities. */
  user?: string;
  users: UserDb;
}

interface ThreadStatus { uid: number; gid: number; capEff: string; capPrm: string }

function threadStatus(text: string): ThreadStatus {
  const field = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return {
    uid: Number(field('Uid').split(/\s+/)[1]), gid: Number(field('Gid').split(/\s+/)[1]),
    capEff: field('CapEff'), capPrm: field('CapPrm'),
  };
}

/** The uid, gid and groups of NAME[:GROUP] (GROUP: the account's own by default). */
export function resolveUser(spec: string, users: UserDb): { uid: number; gid: number; groups: number[]; label: string } {
  const [name, group] = spec.split(':') as [string, string | undefined];
  const account = users.user(name);
  if (account === null) throw new Error(`--user ${spec}: no user '${name}' in /etc/passwd`);
  let gid = account.gid;
  if (group !== undefined && group !== '') {
    const found = users.groupId(group);
    if (found === null) throw new Error(`--user ${spec}: no group '${group}' in /etc/group`);
    gid = found;
  }
  return { uid: account.uid, gid, groups: [gid, ...users.supplementaryGroups(account).filter((g) => g !== gid)], label: group ? `${name}:${group}` : name };
}

/** Drops to the kept set (and user), then checks every thread; throws when any step or thread fails. */
export function dropPrivileges(r: DropRequest): PrivilegeReport {
  const who = r.user === undefined ? null : resolveUser(r.user, r.users);
  const keep = capabilityNumbers(r.kept.map((k) => k.name));
  loadAddon().dropPrivileges(who === null ? { keep } : { keep, uid: who.uid, gid: who.gid, groups: who.groups });
  const allowed = keep.reduce((m, n) => m | (1n << BigInt(n)), 0n);
  let threads = 0;
  for (const task of readdirSync('/proc/self/task')) {
    let status: ThreadStatus;
    try {
      status = threadStatus(readFileSync(`/proc/self/task/${task}/status`, 'utf8'));
    } catch {
      continue; // the thread ended meanwhile
    }
    threads++;
    for (const mask of [status.capEff, status.capPrm]) {
      if ((BigInt(`0x${mask}`) & ~allowed) !== 0n) {
        throw new Error(`thread ${task} still holds ${capabilityNamesOf(mask).join(', ')} after dropping privileges`);
      }
    }
  }
  const main = threadStatus(readFileSync('/proc/self/status', 'utf8'));
  return {
    user: who?.label ?? (main.uid === 0 ? 'root' : `${main.uid}:${main.gid}`), uid: main.uid, gid: main.gid,
    capabilities: capabilityNamesOf(main.capEff), kept: r.kept, threads,
  };
}

/** The log line of a drop. */
export function describePrivileges(p: PrivilegeReport): string {
  const caps = p.capabilities.length > 0 ? p.capabilities.join(', ') : 'none';
  return `privileges dropped: running as ${p.user} (uid ${p.uid}, gid ${p.gid}), capabilities kept: ${caps}` +
    (p.kept.length > 0 ? ` (${p.kept.map((k) => `${k.name}: ${k.why}`).join('; ')})` : '');
}
