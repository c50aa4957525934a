// An in-memory real server state store, so realserver command tests touch no files.
import type { RealServerState, StateStore } from '../../src/realserver/state.js';

export function memoryStateStore(): StateStore {
  const map = new Map<string, RealServerState>();
  return {
    load: (vip) => structuredClone(map.get(vip) ?? null),
    save: (s) => void map.set(s.vip, structuredClone(s)),
    remove: (vip) => void map.delete(vip),
    list: () => [...map.keys()],
  };
}
