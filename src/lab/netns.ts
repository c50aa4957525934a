// Typed wrappers over iproute2 for lab namespaces, and over the addon for what iproute2 does not
// do (sysctls, offloads), so a lab needs no other tool: every command is an argv list passed to
// execFile (never a shell string), and every device is made inside a namespace, never the host's.

import { execFile } from 'node:child_process';
import { loadAddon, type OffloadState } from '../native/binding.js';

/** A failed command, with its argv and stderr so the message says what went wrong. */
export class CommandError extends Error {
  constructor(readonly argv: string[], readonly code: number | string | null, readonly stderr: string) {
    super(`${argv.join(' ')} failed (${code}): ${stderr.trim() || 'no output'}`);
    this.name = 'CommandError';
  }
}

/**
 * Runs a program with an argv list and a time bound; resolves with stdout. The bound only ends a
 * hung command: `ip` waits for the kernel's rtnl lock, which a busy machine may hold for seconds.
 */
export function run(file: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code ?? null;
        reject(new CommandError([file, ...args], code, String(stderr) || err.message));
      } else {
        resolve(String(stdout));
      }
    });
  });
}

/** `ip -n NS ...` */
export function ipIn(ns: string, args: string[]): Promise<string> {
  return run('ip', ['-n', ns, ...args]);
}

export async function addNamespace(ns: string): Promise<void> {
  await run('ip', ['netns', 'add', ns]);
  await ipIn(ns, ['link', 'set', 'lo', 'up']);
}

/** Deletes a namespace; a namespace that is already gone is not an error (cleanup is idempotent). */
export async function deleteNamespace(ns: string): Promise<void> {
  try {
    await run('ip', ['netns', 'del', ns]);
  } catch (e) {
    if (!(await listNamespaces()).includes(ns)) return;
    throw e;
  }
}

export async function listNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  // Lines look like "name (id: 3)" or just "name".
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '');
}

/** Pids of processes whose network namespace is ns (`ip netns pids`). */
export async function namespacePids(ns: string): Promise<number[]> {
  const out = await run('ip', ['netns', 'pids', ns]);
  return out.split(/\s+/).filter((s) => s !== '').map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/** A veth pair whose ends are created directly in their namespaces (the host never sees them). */
export async function addVethPair(nsA: string, nameA: string, nsB: string, nameB: string): Promise<void> {
  await ipIn(nsA, ['link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB]);
}

export async function addBridge(ns: string, name: string): Promise<void> {
  // No STP and no forwarding delay: a lab bridge must forward the moment a port is up.
  await ipIn(ns, ['link', 'add', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
}

export async function setMaster(ns: string, dev: string, master: string): Promise<void> {
  await ipIn(ns, ['link', 'set', dev, 'master', master]);
}

export async function linkUp(ns: string, dev: string): Promise<void> {
  await ipIn(ns, ['link', 'set', dev, 'up']);
}

/**
 * Adds an address in CIDR form ("198.19.0.2/24", "2001:db8::2/64"); nodad (IPv6) makes it usable
 * at once instead of tentative until duplicate address detection ends.
 */
export async function addAddress(ns: string, dev: string, cidr: string, o: { nodad?: boolean } = {}): Promise<void> {
  await ipIn(ns, ['addr', 'add', cidr, 'dev', dev, ...(o.nodad === true ? ['nodad'] : [])]);
}

/** Adds a route to dest ("198.18.1.0/24", "2001:db8:1::/64": ip takes the family from it) via a gateway, or on-link on a device when via is null. */
export async function addRoute(ns: string, dest: string, via: string | null, dev?: string): Promise<void> {
  const args = ['route', 'add', dest];
  if (via !== null) args.push('via', via);
  if (dev !== undefined) args.push('dev', dev);
  await ipIn(ns, args);
}

/** The path of a named namespace, as the addon's netns options take it. */
export function netnsPath(ns: string): string {
  return `/run/netns/${ns}`;
}

function sysctlFile(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/**
 * Writes a sysctl of a namespace. /proc/sys/net shows the namespace of the thread that opens it,
 * so the addon opens it from inside ns (a setns around the open): no process to spawn, and the
 * kernel's own error (ENOENT for an unknown key, EINVAL for a bad value) comes back.
 */
export async function sysctl(ns: string, key: string, value: string | number): Promise<void> {
  loadAddon().writeNetnsFile(sysctlFile(key), String(value), { netns: netnsPath(ns) });
}

/**
 * Switches checksum/segmentation offloads of a device (as `ethtool -K` would, through the same
 * ioctls); throws if the kernel did not end up where asked (a dependency kept a feature).
 */
export async function setOffloads(ns: string, dev: string, want: Partial<OffloadState>): Promise<OffloadState> {
  const now = loadAddon().setOffloads(dev, want, { netns: netnsPath(ns) });
  const missed = (Object.keys(want) as Array<keyof OffloadState>).filter((k) => want[k] !== now[k]);
  if (missed.length > 0) throw new Error(`${dev} in ${ns}: offloads ${missed.join(', ')} stayed ${JSON.stringify(now)}`);
  return now;
}

export interface LinkInfo {
  name: string;
  ifindex: number;
  mac: string;
  mtu: number;
}

export async function linkInfo(ns: string, dev: string): Promise<LinkInfo> {
  const parsed = JSON.parse(await ipIn(ns, ['-j', 'link', 'show', 'dev', dev])) as Array<{
    ifname: string; ifindex: number; address: string; mtu: number;
  }>;
  const l = parsed[0];
  if (l === undefined) throw new Error(`no link ${dev} in namespace ${ns}`);
  return { name: l.ifname, ifindex: l.ifindex, mac: l.address, mtu: l.mtu };
}

export interface Neighbour {
  address: string;
  mac: string | null;
  state: string[];
}

/** The neighbour (ARP) table of a namespace, optionally for one device. */
export async function neighbours(ns: string, dev?: string): Promise<Neighbour[]> {
  const args = ['-j', 'neigh', 'show'];
  if (dev !== undefined) args.push('dev', dev);
  const parsed = JSON.parse((await ipIn(ns, args)) || '[]') as Array<{
    dst: string; lladdr?: string; state?: string[];
  }>;
  return parsed.map((n) => ({ address: n.dst, mac: n.lladdr ?? null, state: n.state ?? [] }));
}

/** A permanent neighbour entry (a test steering frames for ip to a chosen MAC). */
export async function setNeighbour(ns: string, dev: string, ip: string, mac: string): Promise<void> {
  await ipIn(ns, ['neigh', 'replace', ip, 'lladdr', mac, 'dev', dev, 'nud', 'permanent']);
}

export async function deleteNeighbour(ns: string, dev: string, ip: string): Promise<void> {
  await ipIn(ns, ['neigh', 'del', ip, 'dev', dev]).catch(() => undefined);
}
