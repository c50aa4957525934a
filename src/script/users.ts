// Looks users and groups up by name in the account files (/etc/passwd, /etc/group), the way a
// script's `USER [GROUP]` is turned into the uid, gid and supplementary groups it runs with.

import * as fs from 'node:fs';

export interface Account {
  name: string;
  uid: number;
  /** The user's primary group. */
  gid: number;
}

/** Where the account files are; tests point these at files of their own. */
export interface AccountFiles {
  passwd: string;
  group: string;
}

export const SYSTEM_ACCOUNTS: AccountFiles = { passwd: '/etc/passwd', group: '/etc/group' };

/** Name-to-id lookups over one read of the account files. */
export class UserDb {
  private readonly users = new Map<string, Account>();
  private readonly groups = new Map<string, { gid: number; members: string[] }>();

  constructor(files: AccountFiles = SYSTEM_ACCOUNTS) {
    for (const f of fields(files.passwd, 7)) {
      const uid = id(f[2]);
      const gid = id(f[3]);
      if (uid !== null && gid !== null && !this.users.has(f[0]!)) this.users.set(f[0]!, { name: f[0]!, uid, gid });
    }
    for (const f of fields(files.group, 4)) {
      const gid = id(f[2]);
      const members = (f[3] ?? '').split(',').filter((m) => m !== '');
      if (gid !== null && !this.groups.has(f[0]!)) this.groups.set(f[0]!, { gid, members });
    }
  }

  user(name: string): Account | null {
    return this.users.get(name) ?? null;
  }

  groupId(name: string): number | null {
    return this.groups.get(name)?.gid ?? null;
  }

  /** The groups a user belongs to besides its primary one (getgrouplist without the primary). */
  supplementaryGroups(user: Account): number[] {
    const out = new Set<number>();
    for (const g of this.groups.values()) if (g.members.includes(user.name) && g.gid !== user.gid) out.add(g.gid);
    return [...out].sort((a, b) => a - b);
  }
}

/** Lines of a colon-separated file with at least `min` fields; a missing file has none. */
function fields(file: string, min: number): string[][] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').map((line) => line.split(':')).filter((f) => f.length >= min && f[0] !== '' && !f[0]!.startsWith('#'));
}

function id(text: string | undefined): number | null {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}
