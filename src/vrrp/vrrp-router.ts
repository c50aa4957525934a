// One configured vrrp_instance at run time: its state machine, what it expects of its peers'
// adverts, and its transport. IPv4: adverts out of the VRRP socket to 224.0.0.18 or each unicast
// peer, gratuitous ARP for its virtual addresses out of the data plane's port. IPv6 (VRRPv3):
// adverts out of the IPv6 VRRP socket to ff02::12 or each unicast peer, from the interface's
// link-local address, and unsolicited neighbour advertisements for its virtual addresses.

import type { GlobalDefsConfig, VrrpInstanceConfig } from '../config/model.js';
import { parseIpv4 } from '../net/addr.js';
import { parseIpv6 } from '../net/addr6.js';
import type { Clock } from '../sched/types.js';
import { buildVrrpIpv4 } from './vrrp-frame.js';
import { VrrpInstance } from './vrrp-instance.js';
import { AuthType, passwordBytes, VRRP_GROUP, type VrrpAdvert } from './vrrp-packet.js';
import { buildVrrpIpv6, ipv6FromBytes, VRRP_GROUP6 } from './vrrp-packet6.js';
import type { AdvertExpectation } from './vrrp-receive.js';
import { instanceSpec } from './vrrp-spec.js';
import type { VrrpAddr, VrrpNotify, VrrpTransport } from './vrrp-types.js';

/** Where a router's frames go: the raw sockets for adverts, the engine's port for ARP and NA. */
export interface RouterWire {
  sendIpv4(packet: Uint8Array, dst: number): void;
  sendGratuitousArp(addr: number): void;
  /** One IPv6 advert (whole packet: the socket applies its source, destination and hop limit). */
  sendIpv6(packet: Uint8Array): void;
  /** One round of unsolicited neighbour advertisements, one per address. */
  announceIpv6(addresses: readonly bigint[]): void;
  /** Asks the master at masterIp for its connection table on behalf of instance (sync-aware preemption). */
  requestTable(instance: string, masterIp: VrrpAddr): void;
  /** instance, MASTER until now, yields to masterIp: hand it the connection table. */
  handOver(instance: string, masterIp: VrrpAddr): void;
}

/** The director's own addresses on the interface, the advert sources unless unicast_src_ip. */
export interface LocalAddresses {
  /** Host order; 0 when the interface has none. */
  ipv4: number;
  /** The interface's link-local address; null when unknown (no IPv6 socket). */
  ipv6LinkLocal: bigint | null;
}

const parse6 = (text: string): bigint => ipv6FromBytes(parseIpv6(text));

export class VrrpRouter {
  readonly instance: VrrpInstance;
  readonly expectation: AdvertExpectation;
  readonly family: 4 | 6;
  /** virtual_ipaddress in config order: IPv4 host order, or IPv6 bigints. */
  readonly addresses: readonly VrrpAddr[];
  /** The advert source: unicast_src_ip, or the director's address on the interface (IPv6: link-local). */
  readonly primaryIp: VrrpAddr;
  private readonly destinations: readonly VrrpAddr[];
  private ipId = 0;

  /** tableSync: connection sync follows this instance, so its preemptions wait for the master's table. */
  constructor(readonly config: VrrpInstanceConfig, globals: GlobalDefsConfig, local: LocalAddresses, clock: Clock,
              private readonly wire: RouterWire, notify: VrrpNotify, tableSync: boolean) {
    this.family = config.family;
    const parse: (text: string) => VrrpAddr = this.family === 6 ? parse6 : parseIpv4;
    this.primaryIp = config.unicastSrcIp !== null ? parse(config.unicastSrcIp) : this.localPrimary(local);
    this.addresses = config.virtualAddresses.map((v) => parse(v.address));
    const peers = config.unicastPeers.map(parse);
    this.destinations = peers.length > 0 ? peers : [this.family === 6 ? VRRP_GROUP6 : VRRP_GROUP];
    const spec = instanceSpec(config, globals, this.primaryIp, tableSync && this.family === 4);
    this.expectation = {
      vrid: config.vrid, version: config.version,
      authType: config.authPass === null ? AuthType.NONE : AuthType.PASS,
      authData: passwordBytes(config.authPass ?? ''),
      intervalCs: spec.intervalCs, unicast: peers.length > 0, unicastPeers: peers,
      checkUnicastSource: false, addresses: this.addresses,
    };
    this.instance = new VrrpInstance(spec, clock, this.family === 6 ? this.transport6() : this.transport4(), notify);
  }

  private localPrimary(local: LocalAddresses): VrrpAddr {
    const c = this.config;
    if (this.family === 6) {
      if (local.ipv6LinkLocal === null) throw new Error(`vrrp_instance ${c.name}: interface ${c.interface} has no IPv6 link-local address to send VRRPv3 adverts from`);
      return local.ipv6LinkLocal;
    }
    if (local.ipv4 === 0) throw new Error(`vrrp_instance ${c.name}: interface ${c.interface} has no IPv4 address to send adverts from (set unicast_src_ip)`);
    return local.ipv4;
  }

  private shared(): Pick<VrrpTransport, 'requestTable' | 'handOver'> {
    return {
      requestTable: (masterIp) => this.wire.requestTable(this.config.name, masterIp),
      handOver: (masterIp) => this.wire.handOver(this.config.name, masterIp),
    };
  }

  private transport4(): VrrpTransport {
    const src = this.primaryIp as number;
    return {
      sendAdvert: (priority) => {
        const advert = this.advert4(priority);
        for (const dstIp of this.destinations as number[]) {
          this.ipId = (this.ipId + 1) & 0xffff;
          this.wire.sendIpv4(buildVrrpIpv4({ advert, srcIp: src, dstIp, ipId: this.ipId }), dstIp);
        }
      },
      sendGratuitousArps: (rounds) => {
        for (let r = 0; r < rounds; r++) for (const addr of this.addresses as number[]) this.wire.sendGratuitousArp(addr);
      },
      ...this.shared(),
    };
  }

  /** VRRPv3 only (the config forces it for IPv6, as keepalived does). */
  private transport6(): VrrpTransport {
    const src = this.primaryIp as bigint;
    const addresses = this.addresses as bigint[];
    return {
      sendAdvert: (priority) => {
        const advert = { version: 3 as const, vrid: this.config.vrid, priority, addresses: [...addresses], intervalCs: this.expectation.intervalCs };
        for (const dst of this.destinations as bigint[]) this.wire.sendIpv6(buildVrrpIpv6({ advert, src, dst }));
      },
      sendGratuitousArps: (rounds) => {
        for (let r = 0; r < rounds; r++) this.wire.announceIpv6(addresses);
      },
      ...this.shared(),
    };
  }

  private advert4(priority: number): VrrpAdvert {
    const e = this.expectation;
    const head = { vrid: e.vrid, priority, addresses: [...this.addresses as number[]] };
    if (e.version === 3) return { version: 3, ...head, intervalCs: e.intervalCs };
    return { version: 2, ...head, authType: e.authType, intervalSeconds: Math.round(e.intervalCs / 100), authData: e.authData };
  }
}
