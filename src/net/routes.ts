// Next hops from the host's routing table: which neighbour a packet to an address leaves
// through (a gateway, or the address itself when on-link), by longest prefix match over the
// IPv4 routes of the namespace the director runs in.

import { execFile, execFileSync } from 'node:child_process';
import { formatIpv4, parseIpv4, prefixToMask } from './addr.js';

export interface Route {
  /** Network and prefix length (default route: 0/0). */
  network: number;
  prefixLen: number;
  /** Gateway address, or 0 when the destination is on-link. */
  gateway: number;
  dev: string;
}

function ipRouteArgs(netns?: string): string[] {
  return [...(netns ? ['-n', netns] : []), '-j', '-4', 'route', 'show', 'table', 'main'];
}

/** Reads the main table's IPv4 routes (in netns when given) as `ip -j` prints them. */
export function readRoutes(netns?: string): Route[] {
  return parseRoutes(JSON.parse(execFileSync('ip', ipRouteArgs(netns), { encoding: 'utf8' })) as unknown[]);
}

/** readRoutes without blocking the event loop (and with it the data path): for reloads. */
export function readRoutesAsync(netns?: string): Promise<Route[]> {
  return new Promise((resolve, reject) => {
    execFile('ip', ipRouteArgs(netns), { encoding: 'utf8' }, (err, text) => {
      if (err) reject(new Error(`cannot read routes: ${err.message.trim()}`));
      else {
        try {
          resolve(parseRoutes(JSON.parse(text) as unknown[]));
        } catch (e) {
          reject(new Error(`cannot read routes: ${(e as Error).message}`));
        }
      }
    });
  });
}

export function parseRoutes(json: unknown[]): Route[] {
  const routes: Route[] = [];
  for (const item of json) {
    const r = item as { dst?: string; gateway?: string; dev?: string; type?: string };
    if (!r.dst || (r.type && r.type !== 'unicast')) continue;
    const [net, len] = r.dst === 'default' ? ['0.0.0.0', '0'] : r.dst.includes('/') ? r.dst.split('/') : [r.dst, '32'];
    routes.push({
      network: parseIpv4(net!), prefixLen: Number(len), gateway: r.gateway ? parseIpv4(r.gateway) : 0, dev: r.dev ?? '',
    });
  }
  return routes;
}

export class RouteTable {
  private routes: Route[] = [];

  constructor(routes: readonly Route[]) {
    this.replace(routes);
  }

  /** Takes the routes in force now (a reload re-reads them); every holder of the table sees them. */
  replace(routes: readonly Route[]): void {
    // Longest prefix first, so the first match wins.
    this.routes = [...routes].sort((a, b) => b.prefixLen - a.prefixLen);
  }

  /** The neighbour to hand a packet for addr to, or -1 when there is no route. */
  nextHop(addr: number): number {
    for (const r of this.routes) {
      const mask = prefixToMask(r.prefixLen);
      if (((addr & mask) >>> 0) === r.network) return r.gateway || addr;
    }
    return -1;
  }

  /**
   * nextHop for the per-connection path: addr and the result as int32 (`x | 0`), 0 when there
   * is no route (no neighbour is 0.0.0.0), so no uint32 of 2^31 or more crosses a call boxed.
   */
  nextHopI32(addr: number): number {
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      const mask = r.prefixLen === 0 ? 0 : -1 << (32 - r.prefixLen);
      if ((addr & mask) === (r.network | 0)) return r.gateway === 0 ? addr | 0 : r.gateway | 0;
    }
    return 0;
  }

  describe(addr: number): string {
    const hop = this.nextHop(addr);
    return hop < 0 ? `no route to ${formatIpv4(addr)}` : `${formatIpv4(addr)} via ${formatIpv4(hop)}`;
  }
}
