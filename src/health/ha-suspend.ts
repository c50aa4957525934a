// keepalived's ha_suspend: the checkers of a virtual server with ha_suspend run only while its
// VIP is on this node. Under keepalived that is while VRRP holds the address here; a director
// answers for a VIP no vrrp_instance carries all the time, so only VIPs some instance carries
// can be away: they are here while at least one instance carrying them is MASTER. Which
// services pause is the health manager's (HealthManager.suspendVips).

import type { VrrpInstanceConfig } from '../config/model.js';
import type { VrrpState } from '../vrrp/vrrp-types.js';
import { parseIpv4 } from '../net/addr.js';

/** The VIPs some instance carries that no MASTER instance holds. */
export function awayVips(all: readonly VrrpInstanceConfig[], masters: ReadonlySet<string>): Set<number> {
  // IPv6 instances carry no VIP of a served virtual_server yet (director run serves IPv4 only).
  const instances = all.filter((i) => i.family === 4);
  const held = new Set(instances.filter((i) => masters.has(i.name)).flatMap((i) => i.virtualAddresses.map((a) => parseIpv4(a.address))));
  return new Set(instances.flatMap((i) => i.virtualAddresses.map((a) => parseIpv4(a.address))).filter((a) => !held.has(a)));
}

/** Follows the VRRP instances' states and tells which VIPs are away after each change. */
export class HaSuspendTracker {
  private readonly masters = new Set<string>();

  constructor(
    private readonly instances: readonly VrrpInstanceConfig[],
    private readonly changed: (away: ReadonlySet<number>) => void,
  ) {}

  /** An instance's new state (VrrpRuntime's onInstanceState). */
  instanceState(name: string, state: VrrpState): void {
    const before = this.masters.has(name);
    if (state === 'MASTER') this.masters.add(name);
    else this.masters.delete(name);
    if (before !== this.masters.has(name)) this.changed(this.away());
  }

  away(): Set<number> {
    return awayVips(this.instances, this.masters);
  }
}
