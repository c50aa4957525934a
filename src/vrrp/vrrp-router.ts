// One configured vrrp_instance at run time: its state machine, what it expects of its peers'
// adverts, and its transport (adverts out of the VRRP socket to 224.0.0.18 or each unicast peer,
// gratuitous ARP for its virtual addresses out of the data plane's port).

import type { GlobalDefsConfig, VrrpInstanceConfig } from '../config/model.js';
import { parseIpv4 } from '../net/addr.js';
import type { Clock } from '../sched/types.js';
import { buildVrrpIpv4 } from './vrrp-frame.js';
import { VrrpInstance } from './vrrp-instance.js';
import { AuthType, passwordBytes, VRRP_GROUP, type VrrpAdvert } from './vrrp-packet.js';
import type { AdvertExpectation } from './vrrp-receive.js';
import { instanceSpec } from './vrrp-spec.js';
import type { VrrpNotify, VrrpTransport } from './vrrp-types.js';

/** Where a router's frames go: the raw socket for adverts, the engine's port for ARP. */
export interface RouterWire {
  sendIpv4(packet: Uint8Array, dst: number): void;
  sendGratuitousArp(addr: number): void;
  /** Asks the master at masterIp for its connection table on behalf of instance (sync-aware preemption). */
  requestTable(instance: string, masterIp: number): void;
  /** instance, MASTER until now, yields to masterIp: hand it the connection table. */
  handOver(instance: string, masterIp: number): void;
}

export class VrrpRouter {
  readonly instance: VrrpInstance;
  readonly expectation: AdvertExpectation;
  /** virtual_ipaddress, host order, config order. */
  readonly addresses: readonly number[];
  /** The advert source: unicast_src_ip, or the director's address on the interface. */
  readonly primaryIp: number;
  private readonly destinations: readonly number[];
  private ipId = 0;

  /** tableSync: connection sync follows this instance, so its preemptions wait for the master's table. */
  constructor(readonly config: VrrpInstanceConfig, globals: GlobalDefsConfig, localIp: number, clock: Clock,
              private readonly wire: RouterWire, notify: VrrpNotify, tableSync: boolean) {
    this.primaryIp = config.unicastSrcIp !== null ? parseIpv4(config.unicastSrcIp) : localIp;
    if (this.primaryIp === 0) {
      throw new Error(`vrrp_instance ${config.name}: interface ${config.interface} has no IPv4 address to send adverts from (set unicast_src_ip)`);
    }
    this.addresses = config.virtualAddresses.map((v) => parseIpv4(v.address));
    const peers = config.unicastPeers.map(parseIpv4);
    this.destinations = peers.length > 0 ? peers : [VRRP_GROUP];
    const spec = instanceSpec(config, globals, this.primaryIp, tableSync);
    this.expectation = {
      vrid: config.vrid, version: config.version,
      authType: config.authPass === null ? AuthType.NONE : AuthType.PASS,
      authData: passwordBytes(config.authPass ?? ''),
      intervalCs: spec.intervalCs, unicast: peers.length > 0, unicastPeers: peers,
      checkUnicastSource: false, addresses: this.addresses,
    };
    this.instance = new VrrpInstance(spec, clock, this.transport(), notify);
  }

  private transport(): VrrpTransport {
    return {
      sendAdvert: (priority) => {
        const advert = this.advert(priority);
        for (const dstIp of this.destinations) {
          this.ipId = (this.ipId + 1) & 0xffff;
          this.wire.sendIpv4(buildVrrpIpv4({ advert, srcIp: this.primaryIp, dstIp, ipId: this.ipId }), dstIp);
        }
      },
      sendGratuitousArps: (rounds) => {
        for (let r = 0; r < rounds; r++) for (const addr of this.addresses) this.wire.sendGratuitousArp(addr);
      },
      requestTable: (masterIp) => this.wire.requestTable(this.config.name, masterIp),
      handOver: (masterIp) => this.wire.handOver(this.config.name, masterIp),
    };
  }

  private advert(priority: number): VrrpAdvert {
    const e = this.expectation;
    const head = { vrid: e.vrid, priority, addresses: [...this.addresses] };
    if (e.version === 3) return { version: 3, ...head, intervalCs: e.intervalCs };
    return { version: 2, ...head, authType: e.authType, intervalSeconds: Math.round(e.intervalCs / 100), authData: e.authData };
  }
}
