// Maglev hashing (ip_vs_mh.c): each dest walks its own offset/skip permutation of a prime-sized
// lookup table, taking slots in proportion to weight until the table is full; a connection
// takes the slot of hsiphash(client address [+ port]), an IPv6 address (client's and real
// server's alike) folded to 32 bits as the kernel does. O(1) per decision; rebuild O(M log M).
import { DestFlags } from './types.js';
import type { Dest, Scheduler, SchedPacket, SchedService } from './types.js';
import { destAddrKey, destKey, gcdOfWeights, sourceKey, type DestKey } from './util.js';
import { hsiphashU32, repeatedKey } from './hsiphash.js';

const OVERLOAD = DestFlags.OVERLOAD;
// Local, not imported: called once per dest in the loop, so it must inline on every loader.
function usable(d: Dest): boolean {
  return d.weight > 0 && (d.flags & OVERLOAD) === 0;
}

/** IPVS default (CONFIG_IP_VS_MH_TAB_INDEX 12), and the sizes schedOptions.mhTableSize takes. */
export const MH_DEFAULT_TABLE_SIZE = 4093;
export const MH_TABLE_SIZES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 65537, 131071];
/** IP_VS_MH_TAB_BITS: weights are shifted down to at most this many significant bits. */
const MH_TAB_BITS = 6;
const HASH1 = repeatedKey(2654435761);
const HASH2 = repeatedKey(2654446892);

interface MhState {
  size: number;
  /** Slot -> index into lookupDests. */
  lookup: Int32Array;
  lookupDests: Dest[];
  /** Last non-zero weight per dest key: a quiesced (weight 0) dest keeps its slots. */
  lastWeight: Map<DestKey, number>;
}

export function mhHash(addr: number, port: number, offset: number, key = HASH1): number {
  return hsiphashU32((offset + port + addr) >>> 0, key);
}

function tableSize(service: SchedService): number {
  const raw = service.schedOptions['mhTableSize'];
  if (raw === undefined) return MH_DEFAULT_TABLE_SIZE;
  const n = Number(raw);
  if (!MH_TABLE_SIZES.includes(n)) {
    throw new Error(`mh: mhTableSize ${String(raw)} is not one of ${MH_TABLE_SIZES.join(', ')}`);
  }
  return n;
}

function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** ip_vs_mh_permutate + ip_vs_mh_populate: fill every slot, dests taking `turns` each round. */
function populate(state: MhState, dests: readonly Dest[], lw: number[]): void {
  const M = state.size;
  state.lookup.fill(-1);
  const g = gcdOfWeights(lw);
  if (g < 1) return;
  const shift = Math.max(0, fls(Math.trunc(Math.max(...lw) / g)) - MH_TAB_BITS);
  const n = dests.length;
  const perm = new Uint32Array(n);
  const skip = new Uint32Array(n);
  const turns = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const d = dests[i]!;
    const addr = destAddrKey(d);
    perm[i] = mhHash(addr, d.port, 0, HASH1) % M;
    skip[i] = (mhHash(addr, d.port, 0, HASH2) % (M - 1)) + 1;
    turns[i] = (Math.trunc(lw[i]! / g) >> shift) || (lw[i] !== 0 ? 1 : 0);
  }
  const taken = new Uint8Array(M);
  let filled = 0;
  while (filled < M) {
    for (let i = 0; i < n && filled < M; i++) {
      for (let t = 0; t < turns[i]! && filled < M; t++) {
        let c = perm[i]!;
        while (taken[c]) {
          c += skip[i]!;
          if (c >= M) c -= M;
        }
        perm[i] = c;
        taken[c] = 1;
        state.lookup[c] = i;
        filled++;
      }
    }
  }
}

function rebuild(state: MhState, service: SchedService): MhState {
  const dests = service.dests;
  if (dests.length > state.size) throw new Error(`mh: ${dests.length} dests exceed table size ${state.size}`);
  const seen = new Map<DestKey, number>();
  const lw = dests.map((d) => {
    const k = destKey(d);
    // As __ip_vs_update_dest: last_weight follows every non-zero weight (and a new dest's 0).
    const w = d.weight !== 0 || !state.lastWeight.has(k) ? d.weight : state.lastWeight.get(k)!;
    seen.set(k, w);
    return w;
  });
  state.lastWeight = seen;
  state.lookupDests = dests.slice();
  populate(state, dests, lw);
  return state;
}

function lookup(state: MhState, service: SchedService, packet: SchedPacket): Dest | null {
  const port = service.schedFlags.has('mh-port') ? packet.srcPort : 0;
  const M = state.size;
  const addr = sourceKey(packet);
  const ihash = mhHash(addr, port, 0) % M;
  const first = state.lookup[ihash]!;
  if (first < 0) return null;
  const d = state.lookupDests[first]!;
  if (usable(d)) return d;
  if (!service.schedFlags.has('mh-fallback')) return null;
  for (let off = 0; off < M; off++) {
    const slot = state.lookup[mhHash(addr, port, (off + ihash) % M) % M]!;
    if (slot < 0) return null;
    const alt = state.lookupDests[slot]!;
    if (usable(alt)) return alt;
  }
  return null;
}

export const mh: Scheduler<MhState> = {
  name: 'mh',
  init(service) {
    const size = tableSize(service);
    const state: MhState = { size, lookup: new Int32Array(size), lookupDests: [], lastWeight: new Map() };
    return rebuild(state, service);
  },
  update: (state, service) => rebuild(state, service),
  schedule: lookup,
};
