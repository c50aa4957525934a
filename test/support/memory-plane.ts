// A data plane on an in-memory port for data-path tests: the native batch code of real ports,
// driven frame by frame, with a fake clock and neighbours that answer its ARP requests (and,
// given neighbours6, its neighbour solicitations). It is
// composed as Director.start() composes it, minus the timers: tests call tick() themselves.
import { defaultGlobalDefs, type DirectorConfig, type ForwardMethod, type VirtualServerConfig } from '../../src/config/model.js';
import { DataPlane, type DataPlaneOptions } from '../../src/datapath/data-plane.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import type { PortShare } from '../../src/fullnat/lport-allocator.js';
import { collectStats, type DirectorStats } from '../../src/director-stats.js';
import { vrrpAddresses } from '../../src/vrrp/vrrp-runtime.js';
import { loadAddon } from '../../src/native/binding.js';
import { parseIpv4 } from '../../src/net/addr.js';
import type { Route } from '../../src/net/routes.js';
import { arpReply, decodeFrame, tcpFrame } from './packets.js';
import { buildNd, ICMP6_NA, ICMP6_NS, NA_OVERRIDE, NA_SOLICITED, parseNd } from '../../src/nd/nd-frames.js';
import { formatIpv6, ipv6FromWords } from '../../src/net/addr6.js';

export const DIRECTOR_MAC = '02:00:00:00:0d:01';
export const DIRECTOR_IP = '198.19.0.2';
export const ROUTER_MAC = '02:00:00:00:00:fe';
export const ROUTER_IP = '198.19.0.1';
export const CLIENT = '198.18.1.10';
export const VIP = '198.19.0.100';
export const RS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'];
export const RS_MAC = ['02:00:00:00:01:11', '02:00:00:00:01:12', '02:00:00:00:01:13'];
export const LIPS = ['198.19.1.1', '198.19.1.2'];
/** A fourth real server that answers ARP too, for tables rebuilt with one more. */
export const SPARE_RS = '198.19.0.14';
export const SPARE_RS_MAC = '02:00:00:00:01:14';
/** A client's TCP segment to the VIP's port 80, as the router hands it to the director. */
export const clientSegment = (cport: number, flags: number, client = CLIENT): Buffer => tcpFrame({
  eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: client, dst: VIP },
  tcp: { srcPort: cport, dstPort: 80, flags, seq: 100 },
});

const NEIGHBOURS: Record<string, string> = {
  [ROUTER_IP]: ROUTER_MAC, [SPARE_RS]: SPARE_RS_MAC, ...Object.fromEntries(RS.map((ip, i) => [ip, RS_MAC[i]!])),
};

export class FakeClock {
  ms = 5_000_000;
  now(): number { return this.ms; }
}

/** A virtual server on VIP:80/tcp over the three real servers (NAT/FNAT map to port 8080). */
export function service(method: ForwardMethod, o: Partial<VirtualServerConfig> = {}): VirtualServerConfig {
  return {
    vip: VIP, port: 80, protocol: 'tcp', scheduler: 'rr', schedFlags: [], method, delayLoop: 6,
    persistenceTimeout: 0, persistenceGranularity: '255.255.255.255', laddrGroup: method === 'fnat' ? 'lips' : null,
    slowStart: 0, synProxy: false, line: 1,
    realServers: RS.map((address, i) => ({
      address, port: method === 'nat' || method === 'fnat' ? 8080 : 80, weight: 1, method, upperThreshold: 0,
      lowerThreshold: 0, line: 2 + i,
    })),
    ...o,
  };
}

export interface MemoryLab {
  plane: DataPlane;
  /** The table the plane started with. */
  table: ServiceTable;
  clock: FakeClock;
  stats(): DirectorStats;
  inject(...frames: Buffer[]): void;
  /** One frame with its virtio-net header (CHECKSUM_PARTIAL, GSO super-frames). */
  injectVnet(frame: Buffer, vnet: Buffer): void;
  /** The same for one prebuilt batch, without the rest-parameter array (allocation tests). */
  injectBatch(frames: Buffer[]): void;
  /** Frames the director sent since the last call. */
  drain(): Buffer[];
  /** Answers the director's ARP requests, lets held frames go, returns everything else it sent. */
  settle(): Promise<Buffer[]>;
}

export const ROUTES: Route[] = [
  { network: parseIpv4('198.19.0.0'), prefixLen: 24, gateway: 0, dev: 'mem0' },
  { network: 0, prefixLen: 0, gateway: parseIpv4(ROUTER_IP), dev: 'mem0' },
];

/** The config memoryLab runs: these virtual servers, and the LIPS group when one is FULLNAT. */
export function labConfig(vs: VirtualServerConfig | VirtualServerConfig[]): DirectorConfig {
  const virtualServers = [vs].flat();
  const fnat = virtualServers.some((v) => v.laddrGroup === 'lips');
  return {
    virtualServers, localAddressGroups: fnat ? { lips: LIPS } : {}, globalDefs: defaultGlobalDefs(),
    vrrp: { instances: [], scripts: [], syncGroups: [] }, warnings: [],
  };
}

/** What a test may set of the plane beyond its services: table size, flood defences, resource caps. */
export type PlaneOptions = Pick<DataPlaneOptions, 'connCapacity' | 'flood' | 'limits' | 'sloppyTcp' | 'routes6' | 'localIp6' | 'isn'> & {
  /** IPv6 neighbours (RFC 5952 text -> MAC) that answer the director's neighbour solicitations in settle(). */
  neighbours6?: Record<string, string>;
  /** The FULLNAT local ports of one worker of several (default: all). */
  share?: PortShare;
};

/** Starts a data plane for vs on a memory port; its real servers resolve once settle() runs. */
export function memoryLab(vs: VirtualServerConfig | VirtualServerConfig[], clock = new FakeClock(),
                          options: PlaneOptions = {}): Promise<MemoryLab> {
  return memoryLabFor(labConfig(vs), clock, ROUTES, options);
}

/** memoryLab for a whole config (a keepalived.conf, say), over routes (default ROUTES). */
export async function memoryLabFor(config: DirectorConfig, clock = new FakeClock(), routes: readonly Route[] = ROUTES,
                                   options: PlaneOptions = {}): Promise<MemoryLab> {
  const { share, neighbours6 = {}, ...planeOptions } = options;
  const table = ServiceTable.build(config, clock, undefined, share);
  const engine = new (loadAddon().Engine)();
  const port = engine.addMemoryPort('mem0', DIRECTOR_MAC, 1500, { ipv4: parseIpv4(DIRECTOR_IP) });
  let plane: DataPlane;
  try {
    plane = new DataPlane({ engine, port, table, routes, clock, timeouts: config.globalDefs.lvsTimeouts, vrrpAddresses: vrrpAddresses(config), ...planeOptions });
  } catch (err) {
    engine.close();
    throw err;
  }
  const inject = (...frames: Buffer[]) => engine.inject(port, frames);
  const drain = () => engine.drain(port).map((o) => Buffer.from(o.frame));
  const settle = async () => {
    const others: Buffer[] = [];
    for (let round = 0; round < 3; round++) {
      let answered = 0;
      for (const f of drain()) {
        const arp = decodeFrame(f).arp;
        const mac = arp?.op === 1 ? NEIGHBOURS[arp.targetIp] : undefined;
        const nd = parseNd(f);
        const mac6 = nd?.type === ICMP6_NS ? neighbours6[formatIpv6(ipv6FromWords(nd.target))] : undefined;
        if (nd && mac6) {
          inject(buildNd({
            type: ICMP6_NA, ethDst: nd.ethSrc, ethSrc: mac6, src: nd.target, dst: nd.src, flags: NA_SOLICITED | NA_OVERRIDE, target: nd.target, lla: mac6,
          }));
          answered++;
        } else if (arp && mac) {
          inject(arpReply({ senderMac: mac, senderIp: arp.targetIp, targetMac: DIRECTOR_MAC, targetIp: arp.senderIp }));
          answered++;
        } else {
          others.push(f);
        }
      }
      await new Promise((r) => setImmediate(r));
      if (!answered) break;
    }
    return others.concat(drain());
  };
  return { plane, table, clock, stats: () => collectStats(plane, clock.now()), inject, injectVnet: (frame, vnet) => engine.inject(port, [frame], [vnet]),
    injectBatch: (frames) => engine.inject(port, frames), drain, settle };
}
