// Directors behind ECMP in a lab: the router namespace runs bird2 with a BGP session to each
// director namespace and installs the VIP as one multipath route (layer-4 hash:
// fib_multipath_hash_policy=1); each director namespace runs its own bird2, into which a
// `director run --bird-routes` process announces the VIP. All directors run the same services
// with Maglev hashing (mh, over address and port), so a flow gets the same real server whichever
// director it reaches; or, with connection sync among them, any scheduler.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { birdRoutesFile } from '../announce/bird.js';
import type { Cleanup } from './cleanup.js';
import { startProcess, type LabDirector } from './director-runner.js';
import { labKeepalivedConf } from './keepalived.js';
import { ipIn, run, sysctl } from './netns.js';
import { spawnInNamespace, type NsProcess } from './process.js';
import type { LabHandle, LabHost } from './topology.js';

/** Private AS numbers: the router's, and the one all directors share. */
const ROUTER_AS = 64512;
const DIRECTOR_AS = 64513;
/** What every director runs: Maglev over address and port, so one client's flows spread over the real servers too. */
export const ECMP_SERVICE = { scheduler: 'mh', schedFlags: ['mh-port'] } as const;
/** Short BGP timers, so a lab sees sessions come up and routes move within seconds. */
const BGP_TIMERS = 'hold time 3; keepalive time 1; connect retry time 1;';

export interface EcmpDirector {
  host: LabHost;
  /** Its `director run` process; null until started (a director that joins later). */
  director: LabDirector | null;
  bird: NsProcess;
  /** The routes file its director writes and its bird includes. */
  routes: string;
  /** bird's control socket in this lab. */
  birdSocket: string;
}

export interface EcmpOptions {
  /** Directors to start at once (the first N; default all): the others join with startDirector(). */
  running?: number;
  /** director run --sloppy-tcp: a flow moved to another director goes on (mh picks the same real server). */
  sloppyTcp?: boolean;
  /** More `director run` options for every director. */
  args?: string[];
  /** The scheduler every director runs (default ECMP_SERVICE: mh with mh-port). */
  service?: { scheduler: string; schedFlags: readonly string[] };
  /**
   * Connection sync among the directors: lvs_sync_daemon on the LAN interface and
   * --sync-role master,backup on each, so a flow ECMP moves finds its connection (any scheduler).
   */
  sync?: boolean;
}

/** The sync id the lab's directors share when they sync. */
export const ECMP_SYNC_ID = 7;

/**
 * The router's bird.conf: one BGP session per director, equal routes merged into one multipath
 * kernel route; in a dual-stack lab the same sessions carry the IPv6 VIP routes too.
 */
export function routerBirdConf(lab: LabHandle): string {
  const dual = lab.vip6 !== undefined;
  return [
    `router id ${lab.router.address};`,
    'log stderr { warning, error, fatal };',
    'protocol device {}',
    'protocol kernel { ipv4 { import none; export all; }; merge paths on; }',
    ...(dual ? ['protocol kernel { ipv6 { import none; export all; }; merge paths on; }'] : []),
    `template bgp director { local ${lab.router.address} as ${ROUTER_AS}; ${BGP_TIMERS} ipv4 { import all; export none; };` +
      `${dual ? ' ipv6 { import all; export none; };' : ''} }`,
    ...lab.directors.map((d) => `protocol bgp ${d.name} from director { neighbor ${d.address} as ${DIRECTOR_AS}; }`),
    '',
  ].join('\n');
}

/**
 * A director's bird.conf: the routes file director writes, exported to the router with itself
 * as next hop (IPv6 VIPs over the same session, with its IPv6 address as their next hop).
 */
export function directorBirdConf(lab: LabHandle, host: LabHost, routesFile: string): string {
  return [
    `router id ${host.address};`,
    'log stderr { warning, error, fatal };',
    'protocol device {}',
    `include "${routesFile}";`,
    `protocol bgp upstream { local ${host.address} as ${DIRECTOR_AS}; neighbor ${lab.router.address} as ${ROUTER_AS}; ${BGP_TIMERS}`,
    '  ipv4 { import none; export where proto = "director_vips"; next hop self; };',
    ...(host.address6 !== undefined ? [`  ipv6 { import none; export where proto = "director_vips6"; next hop address ${host.address6}; };`] : []),
    '}',
    '',
  ].join('\n');
}

export class EcmpLab {
  readonly directors: EcmpDirector[] = [];
  private readonly dir: string;
  private config = '';

  constructor(readonly lab: LabHandle, private readonly cleanup: Cleanup, private readonly o: EcmpOptions = {}) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), `director-ecmp-${lab.prefix}-`));
    cleanup.atEnd(() => rmSync(this.dir, { recursive: true, force: true }));
  }

  /** Starts the router's bird and, on every director namespace, bird; and the first directors announcing the VIP. */
  async start(): Promise<void> {
    await sysctl(this.lab.router.ns, 'net.ipv4.fib_multipath_hash_policy', 1);
    if (this.lab.vip6 !== undefined) await sysctl(this.lab.router.ns, 'net.ipv6.fib_multipath_hash_policy', 1);
    // The router's layer-4 multipath hash takes the hash the client's socket put on the packet
    // (veth keeps it), and TCP picks a new one after a retransmission timeout: a flow a director
    // drops would try the others until one knows it, which a router fed from a wire never does.
    // Without rehashing, a flow keeps its path as it would there (kernels before 5.19 have no
    // switch for it: the lab then runs with rehashing).
    if (existsSync('/proc/sys/net/core/txrehash')) await sysctl(this.lab.client.ns, 'net.core.txrehash', 0);
    await this.bird(this.lab.router.ns, 'router', routerBirdConf(this.lab));
    this.config = this.writeConfig(this.o.service ?? ECMP_SERVICE);
    for (const host of this.lab.directors) {
      const routes = this.file(`${host.name}-routes.conf`, birdRoutesFile([]));
      const birdSocket = path.join(this.dir, `${host.name}.ctl`);
      const bird = await this.bird(host.ns, host.name, directorBirdConf(this.lab, host, routes));
      this.directors.push({ host, director: null, bird, birdSocket, routes });
    }
    for (let index = 0; index < (this.o.running ?? this.lab.directors.length); index++) this.startDirector(index);
  }

  /**
   * Starts director index (it announces the VIP once its real servers are up): a director
   * joining; sync: false runs it with --sync-role none in a lab whose directors sync.
   */
  startDirector(index: number, o: { sync?: boolean } = {}): LabDirector {
    const d = this.directors[index];
    if (d === undefined) throw new Error(`the ECMP lab has no director ${index + 1}`);
    const director = startProcess(this.lab, this.config, this.cleanup, {
      index, args: ['--bird-routes', d.routes, '--birdc', d.birdSocket, ...(this.o.sloppyTcp === true ? ['--sloppy-tcp'] : []),
        ...(this.o.sync === true ? ['--sync-role', o.sync === false ? 'none' : 'master,backup'] : []), ...(this.o.args ?? [])],
    });
    this.cleanup.first(() => director.stop());
    d.director = director;
    return director;
  }

  /**
   * Rewrites the directors' config with another scheduler and returns its path: directors
   * started from now on run it, running ones once reloaded (`director reload`).
   */
  writeConfig(service: { scheduler: string; schedFlags: readonly string[] }): string {
    const lan = this.lab.directors[0]!.ifname;
    return this.file('keepalived.conf', labKeepalivedConf(this.lab, {
      scheduler: service.scheduler, schedFlags: [...service.schedFlags],
      ...(this.o.sync === true ? { globalDefs: [`lvs_sync_daemon ${lan} id ${ECMP_SYNC_ID}`] } : {}),
    }));
  }

  /** The next hops of the router's route to a VIP (default the IPv4 one): directors' addresses, in the kernel's order. */
  async nextHops(address = this.lab.vip): Promise<string[]> {
    const v6 = address.includes(':');
    const route = await ipIn(this.lab.router.ns, [v6 ? '-6' : '-4', 'route', 'show', `${address}/${v6 ? 128 : 32}`]);
    return [...route.matchAll(/via (\S+)/g)].map((m) => m[1] as string);
  }

  /** Starts bird in ns and resolves once its control socket answers; rejects with bird's words if it exits. */
  private async bird(ns: string, name: string, conf: string): Promise<NsProcess> {
    const file = this.file(`${name}-bird.conf`, conf);
    const socket = path.join(this.dir, `${name}.ctl`);
    const p = spawnInNamespace(ns, ['bird', '-f', '-c', file, '-s', socket, '-P', path.join(this.dir, `${name}.pid`)]);
    this.cleanup.process(p);
    for (let ready = false; !ready;) {
      if (!p.running) throw new Error(`bird in ${ns} exited: ${p.stderr.trim()}`);
      ready = await run('birdc', ['-s', socket, 'show', 'status'], 5000).then(() => true, () => false);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return p;
  }

  private file(name: string, content: string): string {
    const p = path.join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }
}
