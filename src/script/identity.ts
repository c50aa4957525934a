// Decides who runs a script, by keepalived's rules: the script's own `USER [GROUP]`, else
// global_defs script_user, else the user keepalived_script when it exists, else the director's
// own user (root) — which enable_script_security forbids.

import type { ScriptRunAs } from '../config/model.js';
import type { Account, UserDb } from './users.js';

/** keepalived's default script user, used when it exists and nothing else is said. */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

export interface ScriptIdentity {
  uid: number;
  gid: number;
  /** Supplementary groups to set (only with keepalived's ':GROUP' form); empty: none. */
  groups: number[];
  /** user:group as said, for messages. */
  label: string;
}

export type IdentityAnswer = { ok: true; id: ScriptIdentity } | { ok: false; reason: string };

/** The director's own ids: who runs a script when nothing names a user. */
export interface OwnIds {
  uid: number;
  gid: number;
}

export function ownIds(): OwnIds {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

export function resolveIdentity(runAs: ScriptRunAs, db: UserDb, own: OwnIds = ownIds()): IdentityAnswer {
  if (runAs.user !== null) return named(runAs.user, runAs.group, db, 'script user');
  if (runAs.defaultUser !== null) return named(runAs.defaultUser.user, runAs.defaultUser.group, db, 'script_user');
  const fallback = db.user(DEFAULT_SCRIPT_USER);
  if (fallback !== null) return { ok: true, id: idOf(fallback, fallback.gid, [], DEFAULT_SCRIPT_USER) };
  if (runAs.secure) {
    return { ok: false, reason: `enable_script_security: no script_user and no user ${DEFAULT_SCRIPT_USER}, so no default user for scripts (as keepalived refuses)` };
  }
  return { ok: true, id: { uid: own.uid, gid: own.gid, groups: [], label: `${own.uid}:${own.gid}` } };
}

/**
 * `USER [GROUP]`: GROUP defaults to the user's own; keepalived's ':GROUP' also sets the user's
 * supplementary groups, and ':' alone does that with the user's own group.
 */
function named(user: string, group: string | null, db: UserDb, what: string): IdentityAnswer {
  const account = db.user(user);
  if (account === null) return { ok: false, reason: `${what} '${user}' does not exist` };
  const supplementary = group !== null && group.startsWith(':');
  const groupName = supplementary ? group.slice(1) : group;
  let gid = account.gid;
  if (groupName !== null && groupName !== '') {
    const found = db.groupId(groupName);
    if (found === null) return { ok: false, reason: `${what} group '${groupName}' does not exist` };
    gid = found;
  }
  const groups = supplementary ? db.supplementaryGroups(account) : [];
  return { ok: true, id: idOf(account, gid, groups, group === null ? user : `${user}:${groupName}`) };
}

function idOf(account: Account, gid: number, groups: number[], label: string): ScriptIdentity {
  return { uid: account.uid, gid, groups, label };
}
