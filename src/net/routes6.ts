// IPv6 next hops from the host's routing table, as routes.ts does for IPv4: which neighbour a
// packet to an IPv6 address leaves through (a gateway, or the address itself when on-link), by
// longest prefix match over the main table's IPv6 unicast routes.

import { execFileSync } from 'node:child_process';
import { ipv6Words, parseIpv6 } from './addr6.js';

export interface Route6 {
  /** Network (four words, as meta's) and prefix length (default route: ::/0). */
  network: readonly number[];
  prefixLen: number;
  /** Gateway (four words), or null when the destination is on-link. */
  gateway: readonly number[] | null;
  dev: string;
}

function args(family: '-6', what: string[], netns?: string): string[] {
  return [...(netns ? ['-n', netns] : []), '-j', family, ...what];
}

/** Reads the main table's IPv6 routes (in netns when given); none when IPv6 is off. */
export function readRoutes6(netns?: string): Route6[] {
  try {
    return parseRoutes6(JSON.parse(execFileSync('ip', args('-6', ['route', 'show', 'table', 'main'], netns), { encoding: 'utf8' })) as unknown[]);
  } catch {
    return [];
  }
}

/** The first global IPv6 address of dev (in netns when given), as four words; null if none. */
export function readAddress6(dev: string, netns?: string): number[] | null {
  try {
    const json = JSON.parse(execFileSync('ip', args('-6', ['addr', 'show', 'dev', dev, 'scope', 'global'], netns), { encoding: 'utf8' })) as
      Array<{ addr_info?: Array<{ local?: string; family?: string }> }>;
    const local = json.flatMap((i) => i.addr_info ?? []).find((a) => a.local !== undefined)?.local;
    return local === undefined ? null : ipv6Words(parseIpv6(local));
  } catch {
    return null;
  }
}

export function parseRoutes6(json: unknown[]): Route6[] {
  const routes: Route6[] = [];
  for (const item of json) {
    const r = item as { dst?: string; gateway?: string; dev?: string; type?: string };
    if (!r.dst || (r.type && r.type !== 'unicast')) continue;
    const [net, len] = r.dst === 'default' ? ['::', '0'] : r.dst.includes('/') ? r.dst.split('/') : [r.dst, '128'];
    // Link-local routes (fe80::/64) lead to no client or real server the director serves.
    if (net!.toLowerCase().startsWith('fe80')) continue;
    routes.push({
      network: ipv6Words(parseIpv6(net!)), prefixLen: Number(len), gateway: r.gateway ? ipv6Words(parseIpv6(r.gateway)) : null, dev: r.dev ?? '',
    });
  }
  return routes;
}

/** A prefix as four masks, for the per-connection match. */
function masksOf(prefixLen: number): Uint32Array {
  const m = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = prefixLen - 32 * i;
    m[i] = bits >= 32 ? 0xffffffff : bits <= 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
  return m;
}

export class RouteTable6 {
  /** Longest prefix first: network, masks and gateway words of route k at 4k (gateway all 0: on-link). */
  private nets = new Uint32Array(0);
  private masks = new Uint32Array(0);
  private gates = new Uint32Array(0);
  private count = 0;

  constructor(routes: readonly Route6[] = []) {
    this.replace(routes);
  }

  /** Takes the routes in force now. */
  replace(routes: readonly Route6[]): void {
    const sorted = [...routes].sort((a, b) => b.prefixLen - a.prefixLen);
    this.count = sorted.length;
    this.nets = new Uint32Array(4 * sorted.length);
    this.masks = new Uint32Array(4 * sorted.length);
    this.gates = new Uint32Array(4 * sorted.length);
    sorted.forEach((r, k) => {
      this.nets.set(r.network, 4 * k);
      this.masks.set(masksOf(r.prefixLen), 4 * k);
      if (r.gateway) this.gates.set(r.gateway, 4 * k);
    });
  }

  /**
   * The neighbour for a packet to the address at a[at..at+3]: written into out[0..3] (the
   * gateway, or the address when on-link); false when no route matches. Allocates nothing.
   */
  nextHop(a: ArrayLike<number>, at: number, out: Uint32Array): boolean {
    const { nets, masks, gates } = this;
    for (let k = 0; k < this.count; k++) {
      const b = 4 * k;
      let hit = true;
      for (let i = 0; i < 4 && hit; i++) hit = ((a[at + i]! & masks[b + i]!) >>> 0) === nets[b + i];
      if (!hit) continue;
      const onLink = (gates[b]! | gates[b + 1]! | gates[b + 2]! | gates[b + 3]!) === 0;
      for (let i = 0; i < 4; i++) out[i] = onLink ? a[at + i]! : gates[b + i]!;
      return true;
    }
    return false;
  }
}
