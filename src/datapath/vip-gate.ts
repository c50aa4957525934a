// Which owned addresses the engine answers for (ARP, ND, ICMP echo) right now: an address named
// in a vrrp_instance's virtual_ipaddress only while that instance is MASTER, every other owned
// address (VIPs of services without VRRP, FULLNAT local addresses) always, as before VRRP.
// IPv4 addresses are host-order numbers, IPv6 ones bigints (vrrp-packet6.ts); ND asks by words.

import { ipv6FromWords } from '../vrrp/vrrp-packet6.js';
import type { VrrpAddr } from '../vrrp/vrrp-types.js';
import type { ServiceTable } from './service-table.js';

export class VipGate {
  /** Every address some vrrp_instance decides. */
  private readonly vrrp: ReadonlySet<VrrpAddr>;
  /** The addresses of each instance that is MASTER now. */
  private readonly masters = new Map<string, readonly VrrpAddr[]>();
  private mastered = new Set<VrrpAddr>();
  /** Told every setMaster (the other workers' gates follow this one). */
  onChange: ((instance: string, addresses: readonly VrrpAddr[]) => void) | null = null;

  constructor(vrrpAddresses: Iterable<VrrpAddr> = []) {
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

  /**
   * True when the IPv6 address at off of w (four words as meta's) is answered now (ND frames
   * only: not on the per-packet path): one a vrrp_instance decides while that instance is
   * MASTER, any other when the table owns it.
   */
  answers6(w: Uint32Array, off: number, table: { owns6(w: Uint32Array, off: number): boolean }): boolean {
    const addr = ipv6FromWords(w, off);
    return this.vrrp.has(addr) ? this.mastered.has(addr) : table.owns6(w, off);
  }

  /** True when VRRP decides the IPv6 address at off of w (announced only by its instance's unsolicited NAs). */
  decides6(w: Uint32Array, off = 0): boolean {
    return this.vrrp.has(ipv6FromWords(w, off));
  }

  /** An instance became MASTER (its addresses answered from now) or left it (addresses: none). */
  setMaster(instance: string, addresses: readonly VrrpAddr[]): void {
    if (addresses.length > 0) this.masters.set(instance, addresses);
    else this.masters.delete(instance);
    this.mastered = new Set([...this.masters.values()].flat());
    this.onChange?.(instance, addresses);
  }
}
