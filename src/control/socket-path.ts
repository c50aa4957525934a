// Where a director's control socket lives: /run/director/director.sock, or /run/director/NS.sock
// for a director that runs for named network namespace NS (`ip netns exec NS ...` or --netns NS),
// so several directors on one host never collide and `adm` run the same way finds the same one.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const CONTROL_DIR = '/run/director';
const NETNS_DIR = '/run/netns';

/**
 * The name under /run/netns of the network namespace this process is in, or null (the host's,
 * or one without a name). Named namespaces are nsfs bind mounts there: the same namespace has
 * the same device and inode as /proc/self/ns/net.
 */
export function currentNetnsName(netnsDir = NETNS_DIR): string | null {
  let self;
  try {
    self = statSync('/proc/self/ns/net', { bigint: true });
  } catch {
    return null;
  }
  let names: string[];
  try {
    names = readdirSync(netnsDir).sort();
  } catch {
    return null;
  }
  for (const name of names) {
    try {
      const st = statSync(path.join(netnsDir, name), { bigint: true });
      if (st.ino === self.ino && st.dev === self.dev) return name;
    } catch {
      // A namespace deleted while we looked: not ours.
    }
  }
  return null;
}

/** The socket path: --control when given, else by --netns, else by the namespace we run in. */
export function controlSocketPath(o: { control?: string | undefined; netns?: string | undefined }): string {
  if (o.control !== undefined) return o.control;
  const ns = o.netns ?? currentNetnsName();
  if (ns !== null && (ns.includes('/') || ns === '.' || ns === '..' || ns === '')) throw new Error(`'${ns}' is not a network namespace name`);
  return path.join(CONTROL_DIR, ns === null ? 'director.sock' : `${ns}.sock`);
}
