// The lab's IPv6 counterpart of arp-probe.ts: sends neighbour solicitations for an address from an
// interface inside a lab namespace, through an engine packet port of the addon opened there, and
// reports the MAC of the first neighbour advertisement for it (the solicitation is built by the
// data path's src/nd/nd-frames.ts). The lab needs it to know when a director owns the IPv6 VIP;
// it spawns nothing.

import { formatMac } from '../net/addr.js';
import { ipv6Words, parseIpv6 } from '../net/addr6.js';
import { buildNeighbourSolicitation, ICMP6_NA } from '../nd/nd-frames.js';
import { FrameKind, Meta as M, ParseError } from '../native/layout.generated.js';
import { askUntilAnswered } from './arp-probe.js';

const ICMPV6 = 58;

export interface NdQuery {
  ns: string;
  ifname: string;
  /** The asking interface's own IPv6 address: the solicitation's source. */
  source: string;
  address: string;
  timeoutMs: number;
  /** Called between solicitations; a throw ends the query with that error. */
  check?: () => void;
}

/** The MAC that advertised q.address, or null when nobody did within q.timeoutMs. */
export function ndQuery(q: NdQuery): Promise<string | null> {
  const target = ipv6Words(parseIpv6(q.address));
  return askUntilAnswered(q, (own) => buildNeighbourSolicitation(own.mac, ipv6Words(parseIpv6(q.source)), target),
    (meta, count) => advertiserOf(meta, count, target));
}

/** The Ethernet source of the first advertisement for target among count parsed records, or null. */
function advertiserOf(meta: Uint32Array, count: number, target: number[]): string | null {
  for (let i = 0; i < count; i++) {
    const m = i * M.WORDS;
    if (meta[m + M.KIND] !== FrameKind.IPV6 || meta[m + M.ERROR] !== ParseError.OK || meta[m + M.PROTO] !== ICMPV6) continue;
    if (((meta[m + M.ICMP] ?? 0) >>> 8) !== ICMP6_NA) continue;
    const t = [M.INNER_DST_IP6_0, M.INNER_DST_IP6_1, M.INNER_DST_IP6_2, M.INNER_DST_IP6_3].map((w) => meta[m + w]);
    if (t.some((w, k) => w !== target[k])) continue;
    return formatMac(meta[m + M.SRC_MAC_HI] ?? 0, meta[m + M.SRC_MAC_LO] ?? 0);
  }
  return null;
}
