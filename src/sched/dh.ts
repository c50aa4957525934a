// Destination hashing (ip_vs_dh.c): a 256-bucket table filled round robin with the dests,
// indexed by a multiplicative hash of the packet's destination address (an IPv6 one folded to
// 32 bits as the kernel does). O(1).
import type { Dest, Scheduler, SchedService } from './types.js';
import { DestFlags } from './types.js';
import { destinationKey } from './util.js';

export const DH_TAB_SIZE = 256;

interface DhState {
  buckets: (Dest | null)[];
}

/** ip_vs_dh_hashkey: (addr * 2654435761) & 255, the low bits of a u32 product. */
export function dhHash(addr: number): number {
  return Math.imul(addr | 0, 0x9e3779b1 | 0) & (DH_TAB_SIZE - 1);
}

function assign(service: SchedService): (Dest | null)[] {
  const dests = service.dests;
  const buckets = new Array<Dest | null>(DH_TAB_SIZE);
  for (let i = 0; i < DH_TAB_SIZE; i++) buckets[i] = dests.length ? dests[i % dests.length]! : null;
  return buckets;
}

export const dh: Scheduler<DhState> = {
  name: 'dh',
  init: (service) => ({ buckets: assign(service) }),
  update(state, service) {
    state.buckets = assign(service);
    return state;
  },
  schedule(state, _service, packet): Dest | null {
    const d = state.buckets[dhHash(destinationKey(packet))] ?? null;
    // No fallback in dh: an unusable bucket owner means no destination.
    if (d === null || (d.flags & DestFlags.AVAILABLE) === 0) return null;
    if (d.weight <= 0 || (d.flags & DestFlags.OVERLOAD) !== 0) return null;
    return d;
  },
};
