// FULLNAT local addresses of a service table: one port allocator per local_address_group, the
// ports of every address shared by all groups listing it and by the tables before and after a
// reload, IPv4 addresses by their value and IPv6 ones by a handle (Local6Handles).

import type { DirectorConfig } from '../config/model.js';
import { LocalAddressPorts, LocalPortAllocator, type PortShare } from '../fullnat/lport-allocator.js';
import { parseIpv4 } from '../net/addr.js';
import { ipv6Words, parseIpv6 } from '../net/addr6.js';
import type { ServiceTable } from './service-table.js';

/** FULLNAT local addresses of a plan: the groups, and every address's ports (kept ones shared with the old table). */
export interface LocalPlan {
  readonly allocators: ReadonlyMap<string, LocalPortAllocator>;
  readonly ports: ReadonlyMap<number, LocalAddressPorts>;
  /** IPv6 local addresses' ports, by handle (Local6Handles). */
  readonly ports6: ReadonlyMap<number, LocalAddressPorts>;
  readonly handles6: Local6Handles;
  readonly share: PortShare;
  /** The groups of IPv6 addresses. */
  readonly groups6: ReadonlySet<string>;
}

/**
 * Numbers for IPv6 local addresses (1, 2, ...), kept by every table built from this one: what a
 * FULLNAT allocator hands out as `laddr` and an IPv6 connection keeps, its words in words(h).
 */
export class Local6Handles {
  private readonly byText = new Map<string, number>();
  private readonly list: Uint32Array[] = [new Uint32Array(4)];

  handleOf(text: string): number {
    const words = ipv6Words(parseIpv6(text));
    const key = words.join(':');
    let h = this.byText.get(key);
    if (h === undefined) {
      h = this.list.length;
      this.byText.set(key, h);
      this.list.push(Uint32Array.from(words));
    }
    return h;
  }

  /** The address words of handle h. */
  words(h: number): Uint32Array {
    return this.list[h] ?? this.list[0]!;
  }
}

/**
 * One allocator per local address group; a group with the same addresses as before is kept (its
 * round-robin position too). Ports belong to the address: every group listing it, before and
 * after a reload, shares one LocalAddressPorts, so no pair is handed out twice; an address no
 * group lists any more stays while connections hold ports on it (their replies come to it).
 */
export function localPlan(config: DirectorConfig, previous: ServiceTable | undefined, share: PortShare): LocalPlan {
  const ports = new Map<number, LocalAddressPorts>();
  const ports6 = new Map<number, LocalAddressPorts>();
  const handles6 = previous?.localHandles6 ?? new Local6Handles();
  const portsOf = (mine: Map<number, LocalAddressPorts>, before: ReadonlyMap<number, LocalAddressPorts> | undefined) => (addr: number): LocalAddressPorts => {
    const p = mine.get(addr) ?? before?.get(addr) ?? new LocalAddressPorts(addr, share);
    mine.set(addr, p);
    return p;
  };
  const allocators = new Map<string, LocalPortAllocator>();
  const groups6 = new Set<string>();
  for (const [name, group] of Object.entries(config.localAddressGroups)) {
    const v6 = group.some((a) => a.includes(':'));
    if (v6 && !group.every((a) => a.includes(':'))) throw new Error(`local_address_group '${name}' mixes IPv4 and IPv6 addresses`);
    if (v6) groups6.add(name);
    // An IPv6 address is known by its handle: ports are per handle, as per IPv4 address.
    const lips = v6 ? group.map((a) => handles6.handleOf(a)) : group.map(parseIpv4);
    const mine = v6 ? ports6 : ports;
    const old = previous?.allocators.get(name);
    const oldV6 = previous?.localAddresses6.has(old?.addresses[0] ?? -1) === true && !previous.localAddresses.has(old?.addresses[0] ?? -1);
    if (old !== undefined && oldV6 === v6 && old.addresses.length === lips.length && old.addresses.every((a, i) => a === lips[i])) {
      for (const p of old.portsByAddress) mine.set(p.addr, p);
      allocators.set(name, old);
    } else {
      allocators.set(name, new LocalPortAllocator(lips, portsOf(mine, v6 ? previous?.localAddresses6 : previous?.localAddresses)));
    }
  }
  for (const p of previous?.localAddresses.values() ?? []) {
    if (!ports.has(p.addr) && p.inUse > 0) ports.set(p.addr, p);
  }
  for (const p of previous?.localAddresses6.values() ?? []) {
    if (!ports6.has(p.addr) && p.inUse > 0) ports6.set(p.addr, p);
  }
  return { allocators, ports, ports6, handles6, share, groups6 };
}
