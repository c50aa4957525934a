// The lab's IPv6 counterpart of arp-probe.ts: sends neighbour solicitations for an address from an
// interface inside a lab namespace, through an engine packet port of the addon opened there, and
// reports the MAC of the first neighbour advertisement for it. The lab needs it to know when a
// director owns the IPv6 VIP; it spawns nothing.

import { macToBytes, formatMac } from '../net/addr.js';
import { ipv6Words, parseIpv6 } from '../net/addr6.js';
import { internetChecksum } from '../net/checksum.js';
import { loadAddon } from '../native/binding.js';
import { FrameKind, Meta as M, ParseError } from '../native/layout.generated.js';
import { netnsPath } from './netns.js';

const ICMPV6 = 58;
const NEIGHBOUR_SOLICITATION = 135;
const NEIGHBOUR_ADVERTISEMENT = 136;
/** Ethernet 14 + IPv6 40 + NS 24 + source link-layer address option 8. */
const NS_FRAME_BYTES = 86;
const ASK_EVERY_MS = 200;

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

/** A neighbour solicitation (RFC 4861 4.3) from mac/source for target, to its solicited-node group. */
export function buildNeighbourSolicitation(mac: string, source: string, target: string): Buffer {
  const t = parseIpv6(target);
  const group = Buffer.from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13]!, t[14]!, t[15]!]);
  const b = Buffer.alloc(NS_FRAME_BYTES);
  Buffer.from([0x33, 0x33, 0xff, t[13]!, t[14]!, t[15]!]).copy(b, 0);
  macToBytes(mac).copy(b, 6);
  b.writeUInt16BE(0x86dd, 12);
  b.writeUInt32BE(0x60000000, 14);
  b.writeUInt16BE(32, 18); // payload: the solicitation and its option
  b[20] = ICMPV6;
  b[21] = 255; // hop limit 255: receivers drop ND that crossed a router
  Buffer.from(parseIpv6(source)).copy(b, 22);
  group.copy(b, 38);
  b[54] = NEIGHBOUR_SOLICITATION;
  Buffer.from(t).copy(b, 62);
  b[78] = 1; // source link-layer address option, 8 bytes
  b[79] = 1;
  macToBytes(mac).copy(b, 80);
  // Checksum over the pseudo-header (addresses, length, next header) and the message.
  const pseudo = Buffer.alloc(40 + 32);
  b.copy(pseudo, 0, 22, 54);
  pseudo.writeUInt32BE(32, 32);
  pseudo[39] = ICMPV6;
  b.copy(pseudo, 40, 54, 86);
  b.writeUInt16BE(internetChecksum(pseudo), 56);
  return b;
}

/** The MAC that advertised q.address, or null when nobody did within q.timeoutMs. */
export async function ndQuery(q: NdQuery): Promise<string | null> {
  const target = ipv6Words(parseIpv6(q.address));
  const engine = new (loadAddon().Engine)();
  try {
    const port = engine.addPacketPort(q.ifname, { netns: netnsPath(q.ns), ring: 'frame', frameCount: 64 });
    const own = engine.portInfo(port);
    let answer: string | null = null;
    engine.onBatch((_port, count) => { answer ??= advertiserOf(engine.meta, count, target); });
    engine.start();
    const solicitation = buildNeighbourSolicitation(own.mac, q.source, q.address);
    const deadline = Date.now() + q.timeoutMs;
    while (answer === null && Date.now() < deadline) {
      engine.send(port, solicitation);
      const next = Math.min(Date.now() + ASK_EVERY_MS, deadline);
      while (answer === null && Date.now() < next) await new Promise((r) => setTimeout(r, 10));
      q.check?.();
    }
    return answer;
  } finally {
    engine.close();
  }
}

/** The Ethernet source of the first advertisement for target among count parsed records, or null. */
function advertiserOf(meta: Uint32Array, count: number, target: number[]): string | null {
  for (let i = 0; i < count; i++) {
    const m = i * M.WORDS;
    if (meta[m + M.KIND] !== FrameKind.IPV6 || meta[m + M.ERROR] !== ParseError.OK || meta[m + M.PROTO] !== ICMPV6) continue;
    if (((meta[m + M.ICMP] ?? 0) >>> 8) !== NEIGHBOUR_ADVERTISEMENT) continue;
    const t = [M.INNER_DST_IP6_0, M.INNER_DST_IP6_1, M.INNER_DST_IP6_2, M.INNER_DST_IP6_3].map((w) => meta[m + w]);
    if (t.some((w, k) => w !== target[k])) continue;
    return formatMac(meta[m + M.SRC_MAC_HI] ?? 0, meta[m + M.SRC_MAC_LO] ?? 0);
  }
  return null;
}
