// The lab as a library: builds a network-namespace lab with its real servers serving, says where
// an embedded director attaches, pushes traffic through the VIP, and removes it all.

import type { ForwardMethod } from '../config/model.js';
import { Cleanup, makePrefix } from './cleanup.js';
import { checkPrefixFree, LAB_FAMILY } from './commands.js';
import { waitForVip, waitForVip6 } from './director-runner.js';
import { labKeepalivedConf } from './keepalived.js';
import { countHttp, hostPort, runClient, startRealServers, UDP_PORT } from './services.js';
import { buildLab, type LabHandle } from './topology.js';

/** What a lab prefix may be: namespace names are PREFIX-ROLE and must stay short and plain. */
export const LAB_PREFIX = /^[a-z][a-z0-9_]{0,11}$/;

export interface LabSpec {
  /** Forwarding method the real servers are set up for; default 'dr'. */
  mode?: ForwardMethod;
  /** Real servers, 1..40; default 3. */
  servers?: number;
  /** Leave checksum and segmentation offloads on (default) or turn them off. */
  offloads?: boolean;
  /** Namespace prefix (1-12 of a-z, 0-9, _); default a fresh one. Refused if in use. */
  prefix?: string;
  /** Dual-stack: IPv6 addresses from 2001:db8::/32 beside the IPv4 ones, services on both VIPs. */
  ipv6?: boolean;
}

/** Where an embedded director attaches: spread it into the Director's options. */
export interface LabAttachment {
  interface: string;
  netns: string;
  localAddress: string;
}

export interface Lab {
  readonly prefix: string;
  readonly vip: string;
  /** The IPv6 VIP of a dual-stack lab. */
  readonly vip6: string | undefined;
  /** Namespaces, interfaces, addresses and MACs of every host. */
  readonly topology: LabHandle;
  /** A keepalived.conf for the lab's director: TCP port 80 and UDP port 5353 on the VIP, round robin. */
  readonly keepalivedConf: string;
  readonly attachment: LabAttachment;
  /** Waits until something answers ARP for the VIP (the director owns it); resolves with its MAC. */
  waitForVip(timeoutMs?: number): Promise<string>;
  /** Dual-stack labs: waits until a neighbour advertisement answers for the IPv6 VIP; its MAC. */
  waitForVip6(timeoutMs?: number): Promise<string>;
  /** HTTP connections (Connection: close) from the client to the VIP (or vip6): answers per real server. */
  countHttp(connections: number, vip?: string): Promise<Record<string, number>>;
  /** UDP datagrams to the VIP (or vip6), each from a new source port: echoes per real server. */
  countUdp(datagrams: number, vip?: string): Promise<Record<string, number>>;
  /** Stops the lab's processes and removes its namespaces; calling it again does nothing. */
  destroy(): Promise<void>;
}

/**
 * Builds a lab and starts HTTP and UDP servers on its real servers. Needs root. Until destroy(),
 * SIGINT and SIGTERM remove the lab and end the process (as `director lab` does).
 */
export async function createLab(spec: LabSpec = {}): Promise<Lab> {
  const prefix = spec.prefix ?? makePrefix(LAB_FAMILY);
  if (!LAB_PREFIX.test(prefix)) throw new Error(`lab: prefix must be 1-12 of a-z, 0-9, _ starting with a letter, got '${prefix}'`);
  await checkPrefixFree(prefix);
  const cleanup = new Cleanup();
  try {
    const topology = await buildLab({
      prefix, mode: spec.mode ?? 'dr', servers: spec.servers ?? 3, offloads: spec.offloads !== false, ipv6: spec.ipv6 === true, cleanup,
    });
    await startRealServers(topology, cleanup, { udp: true });
    return labOf(topology, cleanup);
  } catch (err) {
    await cleanup.run().catch(() => undefined);
    throw err;
  }
}

function labOf(topology: LabHandle, cleanup: Cleanup): Lab {
  const director = topology.directors[0];
  if (director === undefined) throw new Error(`lab ${topology.prefix} has no director namespace`);
  return {
    prefix: topology.prefix,
    vip: topology.vip,
    vip6: topology.vip6,
    topology,
    keepalivedConf: labKeepalivedConf(topology),
    attachment: { interface: director.ifname, netns: director.ns, localAddress: director.address },
    waitForVip: (timeoutMs = 30_000) => waitForVip(topology, undefined, timeoutMs),
    waitForVip6: (timeoutMs = 30_000) => waitForVip6(topology, undefined, timeoutMs),
    async countHttp(connections, vip = topology.vip) {
      const r = await countHttp(topology, vip, connections);
      if (!r.ok) throw new Error(`HTTP through ${vip}: ${JSON.stringify(r.result)}`);
      return r.counts;
    },
    async countUdp(datagrams, vip = topology.vip) {
      const target = hostPort(vip, UDP_PORT);
      const r = await runClient(topology.client.ns, 'udp-client.js', ['--target', target, '--count', String(datagrams)]);
      if (!r.ok) throw new Error(`UDP through ${vip}: ${JSON.stringify(r.result)}`);
      return (r.result.counts as Record<string, number> | undefined) ?? {};
    },
    destroy: () => cleanup.run(),
  };
}
