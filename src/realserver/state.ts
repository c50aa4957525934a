// Remembers, per VIP, what `realserver setup` changed (previous sysctl values, whether it added
// the address), so `teardown` restores exactly that. Kept in DIRECTOR_STATE_DIR or /run/director.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RealServerState {
  vip: string;
  mode: string;
  interface: string | null;
  /** sysctl key -> value before director changed it. */
  previous: Record<string, string>;
  addedAddress: boolean;
}

export interface StateStore {
  load(vip: string): RealServerState | null;
  save(state: RealServerState): void;
  remove(vip: string): void;
  /** VIPs that still have state (other real server setups sharing the same sysctls). */
  list(): string[];
}

export function defaultStateDir(): string {
  return process.env.DIRECTOR_STATE_DIR ?? '/run/director';
}

export function fileStateStore(dir = defaultStateDir()): StateStore {
  const file = (vip: string) => path.join(dir, `realserver-${vip}.json`);
  return {
    load(vip) {
      try {
        return JSON.parse(fs.readFileSync(file(vip), 'utf8')) as RealServerState;
      } catch {
        return null;
      }
    },
    save(state) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file(state.vip), JSON.stringify(state, null, 2) + '\n');
    },
    remove(vip) {
      fs.rmSync(file(vip), { force: true });
    },
    list() {
      try {
        return fs.readdirSync(dir)
          .map((n) => /^realserver-(.+)\.json$/.exec(n)?.[1])
          .filter((v): v is string => v !== undefined);
      } catch {
        return [];
      }
    },
  };
}
