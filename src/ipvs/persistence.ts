// Persistence templates (ipvsadm -p / -M, keepalived persistence_timeout/_granularity): a client
// network sticks to the real server it was first scheduled to, as ip_vs_sched_persist does.
//
// API for the connection table / data path (all times in ms from the injected clock):
//   const t = createTemplateTable();
//   const key = templateKey(proto, clientAddr, netmask, scope, anyProto)  // two exact numbers, one small object
//   let tpl = lookupTemplate(t, key, now, policy)   // valid template or null (touches its timer)
//   if (tpl === null) { dest = scheduler.schedule(...); tpl = createTemplate(t, key, dest, now, timeoutMs) }
//   attachConn(tpl) when a connection is created under it; detachConn(tpl) when that conn expires
//   expireTemplates(t, now)  // call periodically (e.g. every second); frees due templates
// Accounting as IPVS: a template counts in dest.persistConns, never in active/inactive (so not
// towards thresholds); it cannot expire while connections it controls are alive (n_control), its
// timer restarts on every use, and a template whose dest left the service (AVAILABLE cleared) or,
// with expireQuiescent, went to weight 0 is invalidated but still counted until its timer ends
// (so a removed real server stays held, by id, while templates point at it).
import { DestFlags, type Dest } from '../sched/types.js';

export interface TemplateKey {
  /** The persistence scope: vaddr * 65536 + vport (48 bits), or a mark's or group's above 2^48 (exact). */
  service: number;
  /** clientNet * 256 + proto (40 bits, exact); an IPv6 client network: templateKey6's text. */
  client: number | string;
}

export interface Template {
  readonly key: TemplateKey;
  dest: Dest;
  expires: number;
  timeoutMs: number;
  /** Connections created under this template and still alive (IPVS n_control). */
  controlled: number;
  valid: boolean;
}

export interface TemplateTable {
  byService: Map<number, Map<number | string, Template>>;
  /** Lazy timer wheel: second -> templates that were due then when filed. */
  wheel: Map<number, Template[]>;
  count: number;
}

export interface PersistPolicy {
  /** sysctl expire_quiescent_template: templates to weight-0 dests stop matching. */
  expireQuiescent: boolean;
}

/** Parses a dotted-quad netmask (-M); it must be contiguous ones then zeros. */
export function parseNetmask(mask: string): number {
  const parts = mask.split('.');
  const nums = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (parts.length !== 4 || nums.some((n) => !(n >= 0 && n <= 255))) {
    throw new Error(`persistence netmask "${mask}" is not a dotted quad`);
  }
  const m = nums.reduce((acc, n) => acc * 256 + n, 0);
  const inv = ~m >>> 0;
  if ((inv & (inv + 1)) !== 0) throw new Error(`persistence netmask "${mask}" is not contiguous`);
  return m;
}

/** An IPv6 service's persistence prefix (ipvsadm -M, keepalived persistence_granularity): 1..128. */
export function parsePersistencePrefix(text: string): number {
  const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 128)) throw new Error(`persistence prefix length "${text}" is not a whole number in 1..128`);
  return n;
}

/**
 * The client network an IPv6 persistence template is keyed on, as ip_vs_sched_persist takes it
 * (ipv6_addr_prefix): the first `prefix` bits of the address (four host-order words), the rest
 * zero. Writes `out` (which may be `addr` itself) and returns it; allocates nothing, so the data
 * path calls it per new connection with one reused array.
 */
export function maskIpv6(addr: Uint32Array, prefix: number, out: Uint32Array): Uint32Array {
  if (!(prefix >= 0 && prefix <= 128) || !Number.isInteger(prefix)) throw new RangeError(`IPv6 prefix length ${prefix} is not in 0..128`);
  for (let i = 0; i < 4; i++) {
    const bits = prefix - 32 * i;
    const mask = bits >= 32 ? 0xffffffff : bits <= 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    out[i] = (addr[i]! & mask) >>> 0;
  }
  return out;
}

/**
 * The key of a template: the client network (and protocol unless anyProto) in a persistence
 * scope, vaddr * 65536 + vport for one VIP:port service, or a mark's or a
 * virtual_server_group's scope (RuntimeService.persistScope), where TCP and UDP share it.
 */
export function templateKey(proto: number, clientAddr: number, netmask: number, scope: number, anyProto: boolean): TemplateKey {
  const net = (clientAddr & netmask) >>> 0;
  return { service: scope, client: net * 256 + (anyProto ? 0 : proto & 0xff) };
}

/**
 * templateKey for an IPv6 client: its network (maskIpv6 of addr by prefix, into scratch) and
 * protocol as text, `w0:w1:w2:w3/proto` (decimal words, proto 0 when anyProto): exact, and
 * readable back by clientOfKey6. One string per new connection under persistence.
 */
export function templateKey6(proto: number, addr: Uint32Array, prefix: number, scope: number, anyProto: boolean, scratch: Uint32Array): TemplateKey {
  const n = maskIpv6(addr, prefix, scratch);
  return { service: scope, client: `${n[0]}:${n[1]}:${n[2]}:${n[3]}/${anyProto ? 0 : proto & 0xff}` };
}

/** The client network words and protocol of a templateKey6 client. */
export function clientOfKey6(client: string): { words: number[]; proto: number } {
  const [net, proto] = client.split('/');
  return { words: (net ?? '').split(':').map(Number), proto: Number(proto) };
}

export function createTemplateTable(): TemplateTable {
  return { byService: new Map(), wheel: new Map(), count: 0 };
}

function file(t: TemplateTable, tpl: Template): void {
  const slot = Math.ceil(tpl.expires / 1000);
  let list = t.wheel.get(slot);
  if (list === undefined) t.wheel.set(slot, (list = []));
  list.push(tpl);
}

function unlink(t: TemplateTable, tpl: Template): void {
  const inner = t.byService.get(tpl.key.service);
  if (inner !== undefined && inner.get(tpl.key.client) === tpl) {
    inner.delete(tpl.key.client);
    if (inner.size === 0) t.byService.delete(tpl.key.service);
  }
}

/** ip_vs_check_template: the dest must still be in the service (and not quiesced, by policy). */
function stillValid(tpl: Template, policy: PersistPolicy): boolean {
  const d = tpl.dest;
  if ((d.flags & DestFlags.AVAILABLE) === 0) return false;
  return !(policy.expireQuiescent && d.weight === 0);
}

/** The valid template for key, its timer restarted; an invalid one is unlinked (kept counted). */
export function lookupTemplate(t: TemplateTable, key: TemplateKey, now: number, policy: PersistPolicy): Template | null {
  const tpl = t.byService.get(key.service)?.get(key.client);
  if (tpl === undefined) return null;
  if (!stillValid(tpl, policy)) {
    tpl.valid = false;
    unlink(t, tpl);
    return null;
  }
  tpl.expires = now + tpl.timeoutMs;
  return tpl;
}

export function createTemplate(t: TemplateTable, key: TemplateKey, dest: Dest, now: number, timeoutMs: number): Template {
  if (!(timeoutMs > 0)) throw new Error(`persistence timeout must be > 0 ms, got ${timeoutMs}`);
  const old = t.byService.get(key.service)?.get(key.client);
  if (old !== undefined) {
    old.valid = false;
    unlink(t, old);
  }
  const tpl: Template = { key, dest, expires: now + timeoutMs, timeoutMs, controlled: 0, valid: true };
  let inner = t.byService.get(key.service);
  if (inner === undefined) t.byService.set(key.service, (inner = new Map()));
  inner.set(key.client, tpl);
  dest.persistConns++;
  t.count++;
  file(t, tpl);
  return tpl;
}

export function attachConn(tpl: Template): void {
  tpl.controlled++;
}

export function detachConn(tpl: Template): void {
  if (tpl.controlled > 0) tpl.controlled--;
}

/** Frees every template due by now that controls no connection; returns how many were freed. */
export function expireTemplates(t: TemplateTable, now: number): number {
  let freed = 0;
  const due = Math.floor(now / 1000);
  for (const [slot, list] of t.wheel) {
    if (slot > due) continue;
    t.wheel.delete(slot);
    for (const tpl of list) {
      if (tpl.expires > now) { file(t, tpl); continue; } // touched since: file again
      if (tpl.controlled > 0) { tpl.expires = now + tpl.timeoutMs; file(t, tpl); continue; }
      unlink(t, tpl);
      tpl.dest.persistConns--;
      t.count--;
      freed++;
    }
  }
  return freed;
}
