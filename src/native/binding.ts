// Loads the native addon once, checks its exported record layout against the names TypeScript
// uses (present, distinct, inside the record), and exposes typed constant tables derived from it.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { NativeAddon, NativeLayout } from './types.js';

export type { NativeAddon, NativeEngine, NativeLayout, NativeDecapsulator } from './types.js';

const ADDON_FILE = path.join('build', 'Release', 'director_native.node');

/** Names TypeScript relies on; the addon must export each one. */
const META_NAMES = [
  'LEN', 'ERROR', 'KIND', 'VLAN', 'L3_OFF', 'L4_OFF', 'PROTO', 'SRC_IP', 'DST_IP', 'SRC_PORT',
  'DST_PORT', 'TCP_FLAGS', 'FRAG', 'IP_ID', 'TTL', 'IP_LEN', 'ICMP', 'ICMP_EXTRA', 'INNER_PROTO',
  'INNER_SRC_IP', 'INNER_DST_IP', 'INNER_SRC_PORT', 'INNER_DST_PORT', 'ARP_OP', 'SRC_MAC_HI',
  'SRC_MAC_LO', 'DST_MAC_HI', 'DST_MAC_LO', 'OFFLOAD', 'GSO_SIZE', 'HASH', 'PAYLOAD_OFF', 'WORDS',
] as const;
const VERDICT_NAMES = [
  'ACTION', 'METHOD', 'PORT', 'DST_MAC_HI', 'DST_MAC_LO', 'SRC_IP', 'SRC_PORT', 'DST_IP',
  'DST_PORT', 'TUN_SRC', 'TUN_DST', 'MTU', 'SLOT', 'REASON', 'WORDS',
] as const;
const ACTION_NAMES = ['DROP', 'FORWARD', 'ARP_REPLY', 'HOLD', 'ICMP_FRAG_NEEDED', 'ICMP_TIME_EXCEEDED', 'ICMP_ECHO_REPLY'] as const;
const METHOD_NAMES = ['DR', 'NAT_IN', 'NAT_OUT', 'TUN', 'FNAT_IN', 'FNAT_OUT', 'ICMP_NAT_IN', 'ICMP_NAT_OUT'] as const;
const FRAME_KIND_NAMES = ['OTHER', 'ARP', 'IPV4', 'IPV6'] as const;
const PARSE_ERROR_NAMES = [
  'OK', 'TRUNCATED_ETH', 'TRUNCATED_VLAN', 'TRUNCATED_ARP', 'BAD_ARP', 'TRUNCATED_IP',
  'BAD_IP_VERSION', 'BAD_IP_HEADER_LEN', 'BAD_IP_TOTAL_LEN', 'BAD_IP_CHECKSUM', 'TRUNCATED_L4',
  'BAD_TCP_HEADER_LEN', 'COUNT',
] as const;
const FRAG_BIT_NAMES = ['DF', 'MF', 'NONFIRST'] as const;
const OFFLOAD_BIT_NAMES = ['CSUM_PARTIAL', 'GSO_TCPV4', 'GSO_UDP', 'GSO_OTHER', 'DATA_VALID'] as const;

type Table<N extends string> = Readonly<Record<N, number>>;

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

function requireNames(group: string, table: Record<string, number> | undefined, names: readonly string[]): void {
  if (table === undefined) throw new Error(`director: addon layout has no "${group}" table; rebuild with \`npm install\``);
  for (const n of names) {
    if (!Number.isInteger(table[n])) {
      throw new Error(`director: addon layout.${group} lacks ${n}; the addon and TypeScript disagree, rebuild with \`npm install\``);
    }
  }
}

/** Word indices must be distinct and inside the record, or records would overlap silently. */
function checkWords(group: string, table: Record<string, number>): void {
  const words = table.WORDS!;
  const seen = new Map<number, string>();
  for (const [name, index] of Object.entries(table)) {
    if (name === 'WORDS') continue;
    if (index < 0 || index >= words) throw new Error(`director: layout.${group}.${name} = ${index} is outside 0..${words - 1}`);
    const other = seen.get(index);
    if (other !== undefined) throw new Error(`director: layout.${group}.${name} and ${other} share word ${index}`);
    seen.set(index, name);
  }
}

/** Checks a layout object; throws naming the first problem. Exported for tests. */
export function assertLayout(layout: NativeLayout): void {
  requireNames('meta', layout.meta, META_NAMES);
  requireNames('verdict', layout.verdict, VERDICT_NAMES);
  requireNames('action', layout.action, ACTION_NAMES);
  requireNames('method', layout.method, METHOD_NAMES);
  requireNames('frameKind', layout.frameKind, FRAME_KIND_NAMES);
  requireNames('parseError', layout.parseError, PARSE_ERROR_NAMES);
  requireNames('fragBits', layout.fragBits, FRAG_BIT_NAMES);
  requireNames('offloadBits', layout.offloadBits, OFFLOAD_BIT_NAMES);
  checkWords('meta', layout.meta);
  checkWords('verdict', layout.verdict);
  for (const key of ['batchMax', 'holdSlots', 'holdSlotBytes'] as const) {
    if (!Number.isInteger(layout[key]) || layout[key] <= 0) throw new Error(`director: layout.${key} is missing`);
  }
}

/** The addon, loaded and checked on first use. */
export function loadAddon(): NativeAddon {
  if (cached !== null) return cached;
  const req = createRequire(__filename);
  const addon = req(addonPath()) as NativeAddon;
  assertLayout(addon.layout);
  cached = addon;
  materialize(addon.layout);
  return addon;
}

const pending: Array<(layout: NativeLayout) => void> = [];

/** Replaces every lazy getter with the plain value once the addon is loaded. */
function materialize(layout: NativeLayout): void {
  for (const fill of pending.splice(0)) fill(layout);
}

/**
 * A constant table filled from the addon: the first property read loads the addon, after
 * which every property is a plain frozen value (hot loops pay nothing).
 */
function lazyTable<N extends string>(pick: (l: NativeLayout) => Record<string, number>, names: readonly N[]): Table<N> {
  const table = {} as Record<N, number>;
  const fill = (layout: NativeLayout): void => {
    const src = pick(layout);
    for (const n of names) Object.defineProperty(table, n, { value: src[n], enumerable: true, writable: false, configurable: false });
  };
  for (const n of names) {
    Object.defineProperty(table, n, {
      enumerable: true,
      configurable: true,
      get: () => { loadAddon(); return table[n]; },
    });
  }
  pending.push(fill);
  return table;
}

/** Metadata word indices (M.SRC_IP, ..., M.WORDS). */
export const M = lazyTable((l) => l.meta, META_NAMES);
/** Verdict word indices (V.ACTION, ..., V.WORDS). */
export const V = lazyTable((l) => l.verdict, VERDICT_NAMES);
export const Action = lazyTable((l) => l.action, ACTION_NAMES);
export const Method = lazyTable((l) => l.method, METHOD_NAMES);
export const FrameKind = lazyTable((l) => l.frameKind, FRAME_KIND_NAMES);
export const ParseError = lazyTable((l) => l.parseError, PARSE_ERROR_NAMES);
export const FragBits = lazyTable((l) => l.fragBits, FRAG_BIT_NAMES);
export const OffloadBits = lazyTable((l) => l.offloadBits, OFFLOAD_BIT_NAMES);
/** batchMax, holdSlots, holdSlotBytes. */
export const Limits = lazyTable((l) => l as unknown as Record<string, number>, ['batchMax', 'holdSlots', 'holdSlotBytes'] as const);
