// `adm -L -c` read from a running director a page at a time: connections straight from the
// connection table's typed arrays, then persistence templates (state NONE, client port 0), as
// IPVS lists both. Each step of the generator does bounded work, so a caller that yields to the
// event loop between pages never holds up the data path, however large the table.

import type { AdmConnection, AdmEndpoint } from '../adm/model.js';
import type { Protocol } from '../config/model.js';
import { ADDR6_WORDS, Addr6, ConnFlag, type ConnTable } from '../conntable/conn-table.js';
import type { DataPlane } from '../datapath/data-plane.js';
import { PERSIST_GROUP, PERSIST_MARK, PROTO_TCP, type RuntimeDest, type RuntimeService } from '../datapath/service-table.js';
import { TCP_STATE_NAMES } from '../ipvs/tcp-state.js';
import { clientOfKey6, type Template } from '../ipvs/persistence.js';
import { formatIpv4 } from '../net/addr.js';
import { formatIpv6, ipv6FromWords } from '../net/addr6.js';

export interface PageLimits {
  /** Rows per page at most. */
  rows: number;
  /** Table entries looked at per page at most (a sparse table gives short or empty pages). */
  scan: number;
}

export const DEFAULT_PAGE_LIMITS: PageLimits = { rows: 1000, scan: 65536 };

function endpoint(addr: number, port: number): AdmEndpoint {
  return { address: formatIpv4(addr), port };
}

function endpoint6(words: ArrayLike<number>, at: number, port: number): AdmEndpoint {
  return { address: formatIpv6(ipv6FromWords(words, at)), port };
}

/** Address `which` (Addr6) of IPv6 entry e. */
function entry6(c: ConnTable, e: number, which: number, port: number): AdmEndpoint {
  return endpoint6(c.addr6, e * ADDR6_WORDS + which, port);
}

/** The service whose copy of the real server a template names (templates hold run-time servers). */
function serviceOf(plane: DataPlane, tpl: Template): RuntimeService | undefined {
  return plane.table.serviceById[(tpl.dest as RuntimeDest).service];
}

function groupMember(plane: DataPlane, tpl: Template): AdmEndpoint {
  const svc = serviceOf(plane, tpl);
  if (svc?.vip6) return endpoint6(svc.vip6, 0, svc.vport);
  return svc === undefined ? endpoint(0, 0) : endpoint(svc.vip, svc.vport);
}

function protocolOf(proto: number): Protocol {
  return proto === PROTO_TCP ? 'tcp' : 'udp';
}

/**
 * Pages of rows until the table has been walked once. A connection that lives through the whole
 * walk appears exactly once (entries do not move); one made or ended meanwhile may or may not.
 */
export function* connectionPages(plane: DataPlane, limits: PageLimits = DEFAULT_PAGE_LIMITS): Generator<AdmConnection[]> {
  const c = plane.conns;
  let e = 0;
  while (e < c.capacity) {
    const page: AdmConnection[] = [];
    const end = Math.min(c.capacity, e + limits.scan);
    const now = plane.seconds();
    for (; e < end && page.length < limits.rows; e++) if (c.isLive(e)) page.push(connectionRow(plane, e, now));
    yield page;
  }
  yield* templatePages(plane, limits.rows);
}

/** One connection-table entry as adm -L -c lists it. */
export function connectionRow(plane: DataPlane, e: number, now: number): AdmConnection {
  const c = plane.conns;
  const proto = c.proto[e]!;
  const v6 = (c.flags[e]! & ConnFlag.V6) !== 0;
  const fnat = (c.flags[e]! & ConnFlag.OUT_TO_LIP) !== 0;
  if (v6) {
    return {
      protocol: protocolOf(proto),
      expires: Math.max(0, c.wheel.deadline[e]! - now),
      state: proto === PROTO_TCP ? TCP_STATE_NAMES[c.state[e]!] ?? 'CLOSE' : 'UDP',
      client: entry6(c, e, Addr6.C, c.cport[e]!),
      virtual: entry6(c, e, Addr6.V, c.vport[e]!),
      destination: entry6(c, e, Addr6.D, c.dport[e]!),
      local: fnat ? entry6(c, e, Addr6.L, c.lport[e]!) : null,
    };
  }
  return {
    protocol: protocolOf(proto),
    expires: Math.max(0, c.wheel.deadline[e]! - now),
    state: proto === PROTO_TCP ? TCP_STATE_NAMES[c.state[e]!] ?? 'CLOSE' : 'UDP',
    client: endpoint(c.caddr[e]!, c.cport[e]!),
    virtual: endpoint(c.vaddr[e]!, c.vport[e]!),
    destination: endpoint(c.daddr[e]!, c.dport[e]!),
    local: c.flags[e]! & ConnFlag.OUT_TO_LIP ? endpoint(c.laddr[e]!, c.lport[e]!) : null,
  };
}

/** Templates by walking the template maps live (a Map iterator survives changes between pages). */
function* templatePages(plane: DataPlane, rows: number): Generator<AdmConnection[]> {
  let page: AdmConnection[] = [];
  for (const inner of plane.templates.byService.values()) {
    for (const tpl of inner.values()) {
      page.push(templateRow(plane, tpl));
      if (page.length < rows) continue;
      yield page;
      page = [];
    }
  }
  yield page;
}

function templateRow(plane: DataPlane, tpl: Template): AdmConnection {
  const { service, client } = tpl.key;
  if (typeof client === 'string') return templateRow6(plane, tpl, client);
  return {
    // Mark and group templates hold for TCP and UDP alike (0): the listing names the service's.
    protocol: client % 256 !== 0 ? protocolOf(client % 256) : serviceOf(plane, tpl)?.config.protocol ?? 'tcp',
    expires: Math.max(0, Math.ceil((tpl.expires - plane.clock.now()) / 1000)),
    state: 'NONE',
    client: endpoint(Math.floor(client / 256), 0),
    // A mark template shows the mark as its address, port 0, as /proc/net/ip_vs_conn does; a
    // group's, the member whose real server it names.
    virtual: service >= PERSIST_GROUP ? groupMember(plane, tpl)
      : service >= PERSIST_MARK ? endpoint(service - PERSIST_MARK, 0) : endpoint(Math.floor(service / 65536), service % 65536),
    destination: endpoint(tpl.dest.addr, tpl.dest.port),
    local: null,
  };
}

/** An IPv6 service's template: the client network by its prefix, the service's VIP:port. */
function templateRow6(plane: DataPlane, tpl: Template, client: string): AdmConnection {
  const { words, proto } = clientOfKey6(client);
  const svc = serviceOf(plane, tpl);
  return {
    protocol: proto !== 0 ? protocolOf(proto) : svc?.config.protocol ?? 'tcp',
    expires: Math.max(0, Math.ceil((tpl.expires - plane.clock.now()) / 1000)),
    state: 'NONE',
    client: endpoint6(words, 0, 0),
    virtual: groupMember(plane, tpl),
    destination: tpl.dest.addr6 ? endpoint6(tpl.dest.addr6, 0, tpl.dest.port) : endpoint(tpl.dest.addr, tpl.dest.port),
    local: null,
  };
}
