// The narrow view of the system preflight and realserver checks read through: files under /proc
// and /sys, directory listings and interface addresses, for the current network namespace or a
// named one (through `ip netns exec`, which also remounts /sys for that namespace).

import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface InterfaceAddress {
  ifname: string;
  address: string;
  prefixlen: number;
}

export interface SystemReader {
  /** A file's contents, or null when it is missing or unreadable. */
  readFile(path: string): string | null;
  /** A directory's entries, or null when it is missing. */
  listDir(path: string): string[] | null;
  /** Every IPv4 address configured in the namespace. */
  addresses(): InterfaceAddress[];
}

/** Reads the namespace this process runs in. */
export function localReader(): SystemReader {
  return {
    readFile(path) {
      try {
        return fs.readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    },
    listDir(path) {
      try {
        return fs.readdirSync(path).sort();
      } catch {
        return null;
      }
    },
    addresses: () => parseIpAddrJson(run('ip', ['-j', '-4', 'addr', 'show'])),
  };
}

/**
 * Reads the named namespace. /proc/sys/net and /sys/class/net show the namespace of the reading
 * process, so reads run `cat`/`ls` inside it; /proc/self stays ours (our capabilities).
 */
export function netnsReader(ns: string): SystemReader {
  const local = localReader();
  const inNs = (cmd: string, args: string[]): string | null => run('ip', ['netns', 'exec', ns, cmd, ...args]);
  return {
    readFile: (path) => (path.startsWith('/proc/self/') ? local.readFile(path) : inNs('cat', [path])),
    listDir: (path) => inNs('ls', ['-1', path])?.split('\n').filter((l) => l !== '').sort() ?? null,
    addresses: () => parseIpAddrJson(run('ip', ['-n', ns, '-j', '-4', 'addr', 'show'])),
  };
}

function run(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** Parses `ip -j addr show` output; anything unparsable yields no addresses. */
export function parseIpAddrJson(text: string | null): InterfaceAddress[] {
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const out: InterfaceAddress[] = [];
  for (const link of parsed as Array<{ ifname?: unknown; addr_info?: unknown }>) {
    if (typeof link.ifname !== 'string' || !Array.isArray(link.addr_info)) continue;
    for (const a of link.addr_info as Array<{ family?: unknown; local?: unknown; prefixlen?: unknown }>) {
      if (a.family !== 'inet' || typeof a.local !== 'string') continue;
      out.push({ ifname: link.ifname, address: a.local, prefixlen: typeof a.prefixlen === 'number' ? a.prefixlen : 32 });
    }
  }
  return out;
}
