// keepalived's ha_suspend: the checkers of a virtual server with ha_suspend run only while its
// VIP is on this node. Under keepalived that is while VRRP holds the address here; a director
// answers for a VIP no vrrp_instance carries all the time, so only VIPs some instance carries
// can be away: they are here while at least one instance carrying them is MASTER. Which
// services pause is the health manager's (HealthManager.suspendVips).

import type { VrrpInstanceConfig } from '../config/model.js';
import type { VrrpAddr, VrrpState } from '../vrrp/vrrp-types.js';
import { instanceAddresses } from '../vrrp/vrrp-spec.js';

/** The VIPs some instance carries that no MASTER instance holds (IPv6 ones as bigints, vrrp-packet6.ts). */
export function awayVips(instances: readonly VrrpInstanceConfig[], masters: ReadonlySet<string>): Set<VrrpAddr> {
  const held = new Set(instances.filter((i) => masters.has(i.name)).flatMap(instanceAddresses));
  return new Set(instances.flatMap(instanceAddresses).filter((a) => !held.has(a)));
}

/** Follows the VRRP instances' states and tells which VIPs are away after each change. */
export class HaSuspendTracker {
  private readonly masters = new Set<string>();

  constructor(
    private readonly instances: readonly VrrpInstanceConfig[],
    private readonly changed: (away: ReadonlySet<VrrpAddr>) => void,
  ) {}

  /** An instance's new state (VrrpRuntime's onInstanceState). */
  instanceState(name: string, state: VrrpState): void {
    const before = this.masters.has(name);
    if (state === 'MASTER') this.masters.add(name);
    else this.masters.delete(name);
    if (before !== this.masters.has(name)) this.changed(this.away());
  }

  away(): Set<VrrpAddr> {
    return awayVips(this.instances, this.masters);
  }
}
