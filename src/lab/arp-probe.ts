// The lab's own arping: asks who has an address from an interface inside a lab namespace, through
// an engine packet port of the addon opened there, and reports the MAC that answers. The lab
// needs it to know when a director owns the VIP; it spawns nothing.

import { buildArpRequest } from '../arp/arp-frames.js';
import { formatMac, parseIpv4 } from '../net/addr.js';
import { loadAddon } from '../native/binding.js';
import { FrameKind, Meta as M, ParseError } from '../native/layout.generated.js';
import type { PortInfo } from '../native/types.js';
import { netnsPath } from './netns.js';

/** ARP operation 2: a reply (1 is a request). */
const ARP_REPLY = 2;
/** A who-has goes out this often while nobody answers (Linux retrans_time is 1 s; a lab waits less). */
const ASK_EVERY_MS = 200;

export interface ArpQuery {
  /** Namespace and interface to ask from; the request carries that interface's MAC and IPv4. */
  ns: string;
  ifname: string;
  address: string;
  timeoutMs: number;
  /** Called between requests; a throw ends the query with that error (e.g. the director exited). */
  check?: () => void;
}

/** The MAC that answered ARP for q.address, or null when nobody did within q.timeoutMs. */
export function arpQuery(q: ArpQuery): Promise<string | null> {
  const target = parseIpv4(q.address);
  return askUntilAnswered(q, (own) => buildArpRequest(own.mac, own.ipv4, target), (meta, count) => replyFrom(meta, count, target));
}

/**
 * Sends question (built from the asking port's own MAC and address) every ASK_EVERY_MS from
 * q.ifname in q.ns until answerOf finds the answering MAC in a received batch, or q.timeoutMs
 * passes (null). Shared with nd-probe.ts, whose question is a neighbour solicitation.
 */
export async function askUntilAnswered(
  q: Omit<ArpQuery, 'address'>, question: (own: PortInfo) => Buffer, answerOf: (meta: Uint32Array, count: number) => string | null,
): Promise<string | null> {
  const engine = new (loadAddon().Engine)();
  try {
    // Per-frame ring, smallest size: an answer is handed over the moment it lands.
    const port = engine.addPacketPort(q.ifname, { netns: netnsPath(q.ns), ring: 'frame', frameCount: 64 });
    const frame = question(engine.portInfo(port));
    let answer: string | null = null;
    engine.onBatch((_port, count) => { answer ??= answerOf(engine.meta, count); });
    engine.start();
    const deadline = Date.now() + q.timeoutMs;
    while (answer === null && Date.now() < deadline) {
      engine.send(port, frame);
      const next = Math.min(Date.now() + ASK_EVERY_MS, deadline);
      while (answer === null && Date.now() < next) await new Promise((r) => setTimeout(r, 10));
      q.check?.();
    }
    return answer;
  } finally {
    engine.close();
  }
}

/** The sender MAC of the first ARP reply from target among count parsed records, or null. */
function replyFrom(meta: Uint32Array, count: number, target: number): string | null {
  for (let i = 0; i < count; i++) {
    const m = i * M.WORDS;
    if (meta[m + M.KIND] !== FrameKind.ARP || meta[m + M.ERROR] !== ParseError.OK) continue;
    if (meta[m + M.ARP_OP] !== ARP_REPLY || meta[m + M.SRC_IP] !== target) continue;
    return formatMac(meta[m + M.SRC_MAC_HI] ?? 0, meta[m + M.SRC_MAC_LO] ?? 0);
  }
  return null;
}
