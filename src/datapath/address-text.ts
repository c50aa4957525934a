// Service and real server addresses as text for stats, metrics, logs and listings, whichever the
// family: dotted quads for IPv4, RFC 5952 for IPv6 (whose runtime address is four words).

import { formatIpv4 } from '../net/addr.js';
import { formatIpv6, ipv6FromWords } from '../net/addr6.js';

/** A service's VIP (IPv4 `vip`, or IPv6 `vip6`). */
export function vipText(svc: { readonly vip: number; readonly vip6: Uint32Array | null }): string {
  return svc.vip6 !== null ? formatIpv6(ipv6FromWords(svc.vip6)) : formatIpv4(svc.vip);
}

/** A real server's address (IPv4 `addr`, or IPv6 `addr6`). */
export function destText(dest: { readonly addr: number; readonly addr6: Uint32Array | null }): string {
  return dest.addr6 !== null ? formatIpv6(ipv6FromWords(dest.addr6)) : formatIpv4(dest.addr);
}

/** The addresses of local_address_group name in table, in order (none for no such group). */
export function localGroupTexts(table: {
  readonly allocators: ReadonlyMap<string, { readonly addresses: readonly number[] }>;
  readonly localGroups6: ReadonlySet<string>;
  readonly localHandles6: { words(h: number): Uint32Array };
}, name: string): string[] | undefined {
  const alloc = table.allocators.get(name);
  if (alloc === undefined) return undefined;
  return table.localGroups6.has(name)
    ? alloc.addresses.map((h) => formatIpv6(ipv6FromWords(table.localHandles6.words(h))))
    : alloc.addresses.map(formatIpv4);
}
