// Turns a checked vrrp_instance from the config into the spec the state machine runs: units
// (seconds to centiseconds and ms), tracker names, and the instance's own interface tracked
// unless dont_track_primary, as keepalived does.

import type { GlobalDefsConfig, VrrpInstanceConfig } from '../config/model.js';
import { parseIpv4 } from '../net/addr.js';
import { parseIpv6 } from '../net/addr6.js';
import { ipv6FromBytes } from './vrrp-packet6.js';
import type { TrackerSpec, VrrpAddr, VrrpInstanceSpec } from './vrrp-types.js';

/** An instance's virtual_ipaddress values in its family's form (IPv4 host order, IPv6 bigints). */
export function instanceAddresses(i: VrrpInstanceConfig): VrrpAddr[] {
  return i.virtualAddresses.map((v) => (i.family === 6 ? ipv6FromBytes(parseIpv6(v.address)) : parseIpv4(v.address)));
}

/**
 * `primaryIp`: the advert source, unicast_src_ip or the interface's address (IPv6: link-local);
 * `tableSync`: connection sync follows this instance, so a preemption can wait for the table.
 */
export function instanceSpec(c: VrrpInstanceConfig, globals: GlobalDefsConfig, primaryIp: VrrpAddr, tableSync = false): VrrpInstanceSpec {
  const trackers: TrackerSpec[] = [
    ...c.trackInterfaces.map((t) => ({ name: `if:${t.name}`, weight: t.weight, reverse: t.reverse })),
    ...c.trackScripts.map((t) => ({ name: `script:${t.name}`, weight: t.weight, reverse: t.reverse })),
  ];
  const own = `if:${c.interface}`;
  if (!c.dontTrackPrimary && !trackers.some((t) => t.name === own)) trackers.unshift({ name: own, weight: 0, reverse: false });
  return {
    name: c.name,
    version: c.version,
    vrid: c.vrid,
    priority: c.priority,
    intervalCs: Math.round(c.advertInt * 100),
    initialState: c.state,
    preempt: c.preempt,
    preemptDelayMs: Math.round(c.preemptDelay * 1000),
    primaryIp,
    trackers,
    garp: {
      masterRepeat: c.garp.masterRepeat,
      masterDelayMs: c.garp.masterDelay * 1000,
      masterRefreshMs: c.garp.masterRefresh * 1000,
      masterRefreshRepeat: c.garp.masterRefreshRepeat,
      lowerPrioRepeat: c.garp.lowerPrioRepeat,
      lowerPrioDelayMs: c.garp.lowerPrioDelay * 1000,
    },
    lowerPrioNoAdvert: globals.vrrpLowerPrioNoAdvert,
    higherPrioSendAdvert: globals.vrrpHigherPrioSendAdvert,
    preemptHoldMs: tableSync ? Math.round(c.preemptSyncWait * 1000) : 0,
  };
}
