// Loads the native addon once and checks that it was built from the same sources as this
// TypeScript: the records of native/core/records.h (src/native/layout.generated.ts) and the flow
// hash (src/native/flow-hash.ts), so a stale build fails at load rather than misreading records
// or missing every connection.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { flowHash } from './flow-hash.js';
import { LAYOUT } from './layout.generated.js';
import type { NativeAddon } from './types.js';

export type { NativeAddon, NativeEngine, NativeDecapsulator, OffloadState } from './types.js';

const ADDON_FILE = path.join('build', 'Release', 'director_native.node');
const REBUILD = 'the addon was built from other sources than this TypeScript; rebuild with `npm run build`';

let cached: NativeAddon | null = null;

/** Where the built addon is looked for: the package root, from src/ (tsx) or dist/src/ (tsc). */
function addonPath(): string {
  const roots = [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..')];
  const found = roots.map((r) => path.join(r, ADDON_FILE)).find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(`director: the native addon (${ADDON_FILE}) is not built; run \`npm install\` ` +
      '(or `npm run build`) in the package root');
  }
  return found;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * Checks the addon's `layout` export against the generated tables: the same groups, the same
 * names, the same values. Throws naming the first difference. Exported for tests.
 */
export function assertLayout(exported: unknown): void {
  if (!isTable(exported)) throw new Error(`director: the addon has no layout export; ${REBUILD}`);
  const expected: Record<string, Record<string, number>> = LAYOUT;
  const groups = new Set([...Object.keys(expected), ...Object.keys(exported)]);
  for (const group of groups) {
    const want = expected[group];
    const got = exported[group];
    if (want === undefined || !isTable(got)) throw new Error(`director: layout table ${group} is only on one side; ${REBUILD}`);
    for (const name of new Set([...Object.keys(want), ...Object.keys(got)])) {
      if (got[name] !== want[name]) {
        throw new Error(`director: layout ${group}.${name} is ${String(got[name])} in the addon and ` +
          `${String(want[name])} in TypeScript; ${REBUILD}`);
      }
    }
  }
}

/** The addon hashes flows as TypeScript does (one vector; the unit tests compare many). */
function assertFlowHash(addon: NativeAddon): void {
  const key = Uint32Array.of(0x03020100, 0x07060504);
  const native = addon.flowHash(key, 6, 0xc6120a0a, 40000, 0xc6130064, 80);
  const ours = flowHash(key[0]!, key[1]!, 6, 0xc6120a0a, 40000, 0xc6130064, 80) >>> 0;
  if (native !== ours) throw new Error(`director: the addon's flow hash gives ${native}, TypeScript's ${ours}; ${REBUILD}`);
}

/** The addon, loaded and checked on first use. */
export function loadAddon(): NativeAddon {
  if (cached !== null) return cached;
  const req = createRequire(__filename);
  const addon = req(addonPath()) as NativeAddon;
  assertLayout(addon.layout);
  assertFlowHash(addon);
  cached = addon;
  return addon;
}
