// keepalived's virtual_server_group (VIP PORT, VIP-range PORT and fwmark N members) and
// director's fwmark_match lists, and the expansion of `virtual_server group NAME` into one
// service per member, as keepalived adds one IPVS service per member. The members share the
// group's name, which keys their persistence templates: one client sticks to one real server
// across every address and port of the group (docs/configuration.md).

import type { ConfigWarning, FwmarkMatchConfig, Protocol, VirtualServerConfig } from './model.js';
import type { Statement } from './keepalived-parser.js';
import type { VirtualServerSource } from './keepalived-virtual-server.js';
import { warn } from './keepalived-keywords.js';
import * as v from './keepalived-values.js';
import { expandOctetRange, parseIpv4 } from '../net/addr.js';

/** IPVS marks are 32-bit; 0 means "no mark". */
export const MAX_FWMARK = 4294967295;

/** The widest fwmark_match network. */
const MIN_MATCH_PREFIX = 24;

/** One member as written: an address (one of a range) and port, or a mark. */
type GroupMember = { vip: string; port: number; stmt: Statement } | { fwmark: number; stmt: Statement };

export interface ServiceGroup {
  name: string;
  members: GroupMember[];
  stmt: Statement;
}

/** `virtual_server_group NAME { VIP PORT | A.B.C.D-E PORT | fwmark N ... }`. */
export function parseServiceGroup(stmt: Statement, known: ReadonlyMap<string, ServiceGroup>): ServiceGroup {
  const name = v.name(stmt);
  if (!stmt.block) v.fail(stmt, "expects a block '{ VIP PORT ... }' after the group name");
  const earlier = known.get(name);
  if (earlier) v.fail(stmt, `group '${name}' is already defined at ${earlier.stmt.file}:${earlier.stmt.line}`);
  const members: GroupMember[] = [];
  const seen = new Map<string, Statement>();
  const add = (key: string, member: GroupMember): void => {
    const first = seen.get(key);
    if (first) v.fail(member.stmt, `${key} is already a member of group '${name}' (line ${first.line})`);
    seen.set(key, member.stmt);
    members.push(member);
  };
  for (const entry of stmt.block) {
    if (entry.block) v.fail(entry, 'a group member cannot have a block');
    if (entry.keyword === 'fwmark') {
      v.expectArgs(entry, 1, 1, 'MARK');
      const fwmark = v.uint(entry, entry.args[0] as string, 1, MAX_FWMARK);
      add(`fwmark ${fwmark}`, { fwmark, stmt: entry });
      continue;
    }
    if (entry.args.length > 1) v.fail(entry, `expects 'VIP [PORT]', 'A.B.C.D-E [PORT]' or 'fwmark MARK', got ${entry.args.length + 1} words`);
    const port = v.port(entry, entry.args[0], true);
    for (const vip of addressRange(entry)) add(`${vip} ${port}`, { vip, port, stmt: entry });
  }
  if (members.length === 0) v.fail(stmt, `group '${name}' has no members`);
  return { name, members, stmt };
}

/** keepalived's last-octet range: 198.18.1.10-20 is .10 to .20, both included. */
function addressRange(entry: Statement): string[] {
  try {
    return expandOctetRange(entry.keyword);
  } catch (err) {
    v.fail(entry, (err as Error).message);
  }
}

/**
 * director's `fwmark_match N { tcp|udp|any ADDRESS[/LEN] [PORT[-PORT]] ... }`: the packets that
 * carry mark N, as an iptables `-j MARK --set-mark N` rule would mark them for a kernel LVS.
 */
export function parseFwmarkMatch(stmt: Statement, known: ReadonlyMap<number, Statement>): { mark: number; matches: FwmarkMatchConfig[] } {
  v.expectArgs(stmt, 1, 1, 'MARK');
  const mark = v.uint(stmt, stmt.args[0] as string, 1, MAX_FWMARK);
  if (!stmt.block) v.fail(stmt, "expects a block '{ PROTO ADDRESS[/LEN] [PORT[-PORT]] ... }' after the mark");
  const earlier = known.get(mark);
  if (earlier) v.fail(stmt, `fwmark ${mark} is already defined at ${earlier.file}:${earlier.line}`);
  const matches = stmt.block.map(matchEntry);
  if (matches.length === 0) v.fail(stmt, `fwmark ${mark} matches nothing`);
  return { mark, matches };
}

function matchEntry(entry: Statement): FwmarkMatchConfig {
  if (entry.block) v.fail(entry, 'a match cannot have a block');
  const protocol = matchProtocol(entry);
  if (entry.args.length < 1 || entry.args.length > 2) v.fail(entry, 'expects PROTO ADDRESS[/LEN] [PORT[-PORT]]');
  const [addrText, lenText] = (entry.args[0] as string).split('/');
  const address = v.ipv4(entry, addrText as string);
  const prefix = lenText === undefined ? 32 : v.uint(entry, lenText, 0, 32);
  // The director answers ARP for every address it matches, as for a VIP: a network, not the world.
  if (prefix < MIN_MATCH_PREFIX) v.fail(entry, `/${prefix} is too wide: director owns every matched address, at most /${MIN_MATCH_PREFIX} (256 addresses)`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  if ((parseIpv4(address) & ~mask) !== 0) v.fail(entry, `${entry.args[0]} has host bits set (the network is ${networkOf(address, mask)}/${prefix})`);
  const [portMin, portMax] = portRange(entry, entry.args[1]);
  return { protocol, address, prefix, portMin, portMax, line: entry.line };
}

function matchProtocol(entry: Statement): Protocol | null {
  const word = entry.keyword.toLowerCase();
  if (word === 'tcp' || word === 'udp') return word;
  if (word === 'any') return null;
  v.fail(entry, `'${entry.keyword}' is not a protocol (tcp, udp or any)`);
}

function portRange(entry: Statement, text: string | undefined): [number, number] {
  if (text === undefined) return [0, 65535];
  const [lo, hi] = text.split('-');
  const min = v.port(entry, lo, true);
  const max = hi === undefined ? min : v.port(entry, hi, true);
  if (max < min) v.fail(entry, `port range ${text} ends before it starts`);
  return [min, max];
}

function networkOf(address: string, mask: number): string {
  const n = (parseIpv4(address) & mask) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * One service per member of the group `virtual_server group NAME` names, each a copy of the
 * block with the member's address and port (or mark). A real server without a port, or one
 * forwarded by DR or TUN, takes the member's port; a mark member keeps the packet's port.
 */
export function expandGroupService(
  vs: VirtualServerConfig,
  source: VirtualServerSource,
  groups: ReadonlyMap<string, ServiceGroup>,
  marks: ReadonlySet<number>,
): Array<{ vs: VirtualServerConfig; source: VirtualServerSource }> {
  const group = groups.get(vs.group ?? '');
  if (group === undefined) {
    const defined = [...groups.keys()];
    v.fail(source.stmt, `no virtual_server_group '${vs.group}' (defined: ${defined.length ? defined.join(', ') : 'none'})`);
  }
  return group.members.map((m) => {
    const member = structuredClone(vs);
    if ('fwmark' in m) {
      if (!marks.has(m.fwmark)) v.fail(m.stmt, undefinedMark(m.fwmark));
      member.fwmark = m.fwmark;
    } else {
      member.vip = m.vip;
      member.port = m.port;
      for (const rs of member.realServers) {
        if (rs.port === 0 || rs.method === 'dr' || rs.method === 'tun') rs.port = m.port;
      }
    }
    return { vs: member, source };
  });
}

/** The error for a mark no fwmark_match defines: AF_PACKET sees no skb mark, so director must be told. */
export function undefinedMark(mark: number): string {
  return `fwmark ${mark} has no 'fwmark_match ${mark} { PROTO ADDRESS[/LEN] [PORT[-PORT]] }' block: `
    + 'director cannot read kernel marks, it marks packets itself (docs/configuration.md)';
}

/** A group nothing names is worth a word: its members serve nothing. */
export function unusedGroups(groups: ReadonlyMap<string, ServiceGroup>, used: ReadonlySet<string>, warnings: ConfigWarning[]): void {
  for (const g of groups.values()) {
    if (!used.has(g.name)) warn(g.stmt, `virtual_server_group '${g.name}' is not used by any virtual_server`, warnings);
  }
}
