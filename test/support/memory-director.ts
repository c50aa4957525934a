// A director on an in-memory port for data-path tests: the native batch code of real ports,
// driven frame by frame, with a fake clock and neighbours that answer its ARP requests.
import { defaultGlobalDefs, type DirectorConfig, type ForwardMethod, type VirtualServerConfig } from '../../src/config/model.js';
import { Director } from '../../src/director.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { arpReply, decodeFrame } from './packets.js';

export const DIRECTOR_MAC = '02:00:00:00:0d:01';
export const DIRECTOR_IP = '198.19.0.2';
export const ROUTER_MAC = '02:00:00:00:00:fe';
export const ROUTER_IP = '198.19.0.1';
export const CLIENT = '198.18.1.10';
export const VIP = '198.19.0.100';
export const RS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'];
export const RS_MAC = ['02:00:00:00:01:11', '02:00:00:00:01:12', '02:00:00:00:01:13'];
export const LIPS = ['198.19.1.1', '198.19.1.2'];
const NEIGHBOURS: Record<string, string> = { [ROUTER_IP]: ROUTER_MAC, ...Object.fromEntries(RS.map((ip, i) => [ip, RS_MAC[i]!])) };

export class FakeClock {
  ms = 5_000_000;
  now(): number { return this.ms; }
}

/** A virtual server on VIP:80/tcp over the three real servers (NAT/FNAT map to port 8080). */
export function service(method: ForwardMethod, o: Partial<VirtualServerConfig> = {}): VirtualServerConfig {
  return {
    vip: VIP, port: 80, protocol: 'tcp', scheduler: 'rr', schedFlags: [], method, delayLoop: 6,
    persistenceTimeout: 0, persistenceGranularity: '255.255.255.255', laddrGroup: method === 'fnat' ? 'lips' : null,
    slowStart: 0, line: 1,
    realServers: RS.map((address, i) => ({
      address, port: method === 'nat' || method === 'fnat' ? 8080 : 80, weight: 1, method, upperThreshold: 0,
      lowerThreshold: 0, line: 2 + i,
    })),
    ...o,
  };
}

export interface MemoryLab {
  director: Director;
  clock: FakeClock;
  inject(...frames: Buffer[]): void;
  /** Frames the director sent since the last call. */
  drain(): Buffer[];
  /** Answers the director's ARP requests, lets held frames go, returns everything else it sent. */
  settle(): Promise<Buffer[]>;
}

/** Starts a director for vs on a memory port and resolves its real servers. */
export async function memoryLab(vs: VirtualServerConfig | VirtualServerConfig[], clock = new FakeClock()): Promise<MemoryLab> {
  const virtualServers = [vs].flat();
  const fnat = virtualServers.some((v) => v.laddrGroup === 'lips');
  const config: DirectorConfig = {
    virtualServers, localAddressGroups: fnat ? { lips: LIPS } : {}, globalDefs: defaultGlobalDefs(),
    vrrp: { instances: [], scripts: [], syncGroups: [] }, warnings: [],
  };
  const director = new Director({
    config, memory: { name: 'mem0', mac: DIRECTOR_MAC, mtu: 1500 }, localAddress: DIRECTOR_IP, clock,
    routes: [
      { network: parseIpv4('198.19.0.0'), prefixLen: 24, gateway: 0, dev: 'mem0' },
      { network: 0, prefixLen: 0, gateway: parseIpv4(ROUTER_IP), dev: 'mem0' },
    ],
  });
  await director.start();
  const engine = director.nativeEngine;
  const port = director.portIndex;
  const inject = (...frames: Buffer[]) => engine.inject(port, frames);
  const drain = () => engine.drain(port).map((o) => Buffer.from(o.frame));
  const settle = async () => {
    const others: Buffer[] = [];
    for (let round = 0; round < 3; round++) {
      let answered = 0;
      for (const f of drain()) {
        const arp = decodeFrame(f).arp;
        const mac = arp && arp.op === 1 ? NEIGHBOURS[arp.targetIp] : undefined;
        if (mac) {
          inject(arpReply({ senderMac: mac, senderIp: arp!.targetIp, targetMac: DIRECTOR_MAC, targetIp: arp!.senderIp }));
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
  return { director, clock, inject, drain, settle };
}
