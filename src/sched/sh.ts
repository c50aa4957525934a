// Source hashing (ip_vs_sh.c): a 256-bucket table where each dest owns `weight` consecutive
// buckets in turn, indexed by a hash of the client address (an IPv6 one folded to 32 bits as the
// kernel does) and, with sh-port, the client port; sh-fallback
// walks on to another bucket when the owner cannot take the connection. O(1) (fallback O(256)).
import { DestFlags } from './types.js';
import type { Dest, Scheduler, SchedPacket, SchedService } from './types.js';
import { sourceKey } from './util.js';

const OVERLOAD = DestFlags.OVERLOAD;
// Local, not imported: called once per dest in the loop, so it must inline on every loader.
function usable(d: Dest): boolean {
  return d.weight > 0 && (d.flags & OVERLOAD) === 0;
}


export const SH_TAB_BITS = 8;
export const SH_TAB_SIZE = 1 << SH_TAB_BITS;

interface ShState {
  buckets: (Dest | null)[];
}

/** ip_vs_sh_hashkey: (offset + hash_32(port + addr, 8)) & 255, hash_32 = golden-ratio multiply. */
export function shHash(addr: number, port: number, offset: number): number {
  const v = (port + addr) >>> 0;
  const h = Math.imul(v, 0x61c88647) >>> (32 - SH_TAB_BITS);
  return (offset + h) & (SH_TAB_SIZE - 1);
}

/** Weight tiling as ip_vs_sh_reassign: a dest with weight w gets w buckets (at least one). */
function assign(service: SchedService): (Dest | null)[] {
  const dests = service.dests;
  const buckets = new Array<Dest | null>(SH_TAB_SIZE).fill(null);
  if (dests.length === 0) return buckets;
  let p = 0;
  let count = 0;
  for (let i = 0; i < SH_TAB_SIZE; i++) {
    const d = dests[p]!;
    buckets[i] = d;
    if (++count >= d.weight) {
      p = (p + 1) % dests.length;
      count = 0;
    }
  }
  return buckets;
}

function lookup(state: ShState, service: SchedService, packet: SchedPacket): Dest | null {
  const port = service.schedFlags.has('sh-port') ? packet.srcPort : 0;
  const addr = sourceKey(packet);
  const ihash = shHash(addr, port, 0);
  const d = state.buckets[ihash] ?? null;
  if (d === null) return null;
  if (usable(d)) return d;
  if (!service.schedFlags.has('sh-fallback')) return null;
  for (let off = 0; off < SH_TAB_SIZE; off++) {
    const alt = state.buckets[shHash(addr, port, (off + ihash) % SH_TAB_SIZE)] ?? null;
    if (alt !== null && usable(alt)) return alt;
  }
  return null;
}

export const sh: Scheduler<ShState> = {
  name: 'sh',
  init: (service) => ({ buckets: assign(service) }),
  update(state, service) {
    state.buckets = assign(service);
    return state;
  },
  schedule: lookup,
};
