// Which owned addresses the engine answers for (ARP, ICMP echo) right now: an address named in a
// vrrp_instance's virtual_ipaddress only while that instance is MASTER, every other owned address
// (VIPs of services without VRRP, FULLNAT local addresses) always, as before VRRP.

import type { ServiceTable } from './service-table.js';

export class VipGate {
  /** Every address some vrrp_instance decides. */
  private readonly vrrp: ReadonlySet<number>;
  /** The addresses of each instance that is MASTER now. */
  private readonly masters = new Map<string, readonly number[]>();
  private mastered = new Set<number>();
  /** Told every setMaster (the other workers' gates follow this one). */
  onChange: ((instance: string, addresses: readonly number[]) => void) | null = null;

  constructor(vrrpAddresses: Iterable<number> = []) {
    this.vrrp = new Set(vrrpAddresses);
  }

  /** True when addr is answered now (ARP frames only: not on the per-packet path). */
  answers(addr: number, table: ServiceTable): boolean {
    return this.vrrp.has(addr) ? this.mastered.has(addr) : table.owns(addr);
  }

  /** True when VRRP decides addr (it is announced only by its instance's gratuitous ARP). */
  decides(addr: number): boolean {
    return this.vrrp.has(addr);
  }

  /** An instance became MASTER (its addresses answered from now) or left it (addresses: none). */
  setMaster(instance: string, addresses: readonly number[]): void {
    if (addresses.length > 0) this.masters.set(instance, addresses);
    else this.masters.delete(instance);
    this.mastered = new Set([...this.masters.values()].flat());
    this.onChange?.(instance, addresses);
  }
}
