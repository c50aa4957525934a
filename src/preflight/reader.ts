// The narrow view of the system preflight reads through: files under /proc and /sys, directory
// listings and interface addresses, for the current network namespace or a named one (node run
// through `ip netns exec`, which also remounts /sys for that namespace). Only "does not exist" is
// an answer; every other failure to read throws, so no check passes on what it could not see.

import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface InterfaceAddress {
  ifname: string;
  address: string;
  prefixlen: number;
}

export interface SystemReader {
  /** A file's contents, or null when it does not exist; any other failure throws ReadError. */
  readFile(path: string): string | null;
  /** A directory's entries, or null when it does not exist; any other failure throws ReadError. */
  listDir(path: string): string[] | null;
  /** Every IPv4 address configured in the namespace; throws ReadError when they cannot be listed. */
  addresses(): InterfaceAddress[];
}

/**
 * Something could not be read for another reason than not existing (permissions, `ip` failing,
 * output it cannot parse): a check that depends on it cannot pass, so preflight reports it.
 */
export class ReadError extends Error {
  override name = 'ReadError';
}

/** Reads the namespace this process runs in. */
export function localReader(): SystemReader {
  return {
    readFile: (path) => unlessMissing(path, () => fs.readFileSync(path, 'utf8')),
    listDir: (path) => unlessMissing(path, () => fs.readdirSync(path).sort()),
    addresses: () => parseIpAddrJson(run(['ip', '-j', '-4', 'addr', 'show'])),
  };
}

/**
 * Prints a file, or a directory's entries one a line; run by node inside the namespace. A missing
 * path says "ENOENT: PATH" on stderr, which nothing else prints (`ip netns exec` failing does not).
 */
const READ_IN_NS = "const fs = require('node:fs'); const [what, p] = process.argv.slice(1); " +
  "try { process.stdout.write(what === 'dir' ? fs.readdirSync(p).join('\\n') : fs.readFileSync(p)); } " +
  "catch (e) { process.stderr.write(`${e.code ?? e.message}: ${p}`); process.exit(1); }";

/**
 * Reads the named namespace. /proc/sys/net and /sys/class/net show the namespace of the reading
 * process, so reads run node inside it (the director needs no tool beyond ip and node); /proc/self
 * stays ours (our capabilities).
 */
export function netnsReader(ns: string): SystemReader {
  const local = localReader();
  const inNs = (what: 'file' | 'dir', path: string): string | null => {
    try {
      return run(['ip', 'netns', 'exec', ns, process.execPath, '-e', READ_IN_NS, what, path]);
    } catch (err) {
      if (err instanceof ReadError && err.message.endsWith(`ENOENT: ${path}`)) return null;
      throw err;
    }
  };
  return {
    readFile: (path) => (path.startsWith('/proc/self/') ? local.readFile(path) : inNs('file', path)),
    listDir: (path) => inNs('dir', path)?.split('\n').filter((l) => l !== '').sort() ?? null,
    addresses: () => parseIpAddrJson(run(['ip', '-n', ns, '-j', '-4', 'addr', 'show'])),
  };
}

function unlessMissing<T>(path: string, read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ReadError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Runs a command for its output; a failure is a ReadError naming the command and what it said. */
function run(argv: string[]): string {
  const [cmd = '', ...args] = argv;
  try {
    // C locale: the messages above are matched in English.
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new ReadError(`${argv.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}

/** Parses `ip -j addr show` output; output that is not that is a ReadError. */
export function parseIpAddrJson(text: string, family: 'inet' | 'inet6' = 'inet'): InterfaceAddress[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReadError(`ip -j addr show printed something that is not JSON: ${text.slice(0, 80)}`);
  }
  if (!Array.isArray(parsed)) throw new ReadError(`ip -j addr show printed no list: ${text.slice(0, 80)}`);
  const out: InterfaceAddress[] = [];
  for (const link of parsed as Array<{ ifname?: unknown; addr_info?: unknown }>) {
    if (typeof link.ifname !== 'string' || !Array.isArray(link.addr_info)) continue;
    for (const a of link.addr_info as Array<{ family?: unknown; local?: unknown; prefixlen?: unknown }>) {
      if (a.family !== family || typeof a.local !== 'string') continue;
      const prefixlen = typeof a.prefixlen === 'number' ? a.prefixlen : family === 'inet' ? 32 : 128;
      out.push({ ifname: link.ifname, address: a.local, prefixlen });
    }
  }
  return out;
}
