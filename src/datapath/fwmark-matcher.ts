// The director's stand-in for the kernel's firewall marks: AF_PACKET frames carry no skb mark,
// so the fwmark_match lists of the config say which packets carry which mark, as the iptables
// MARK rules in front of a kernel LVS would. Evaluated only for a packet without a connection
// (the first of each flow), over typed arrays: no allocation.

import type { FwmarkMatchConfig } from '../config/model.js';
import { formatIpv4, parseIpv4 } from '../net/addr.js';
import { PROTO_TCP, PROTO_UDP } from './service-table.js';

/** Any protocol (a match written `any`). */
const ANY = 0;

export class FwmarkMatcher {
  private readonly proto: Uint8Array;
  private readonly net: Uint32Array;
  private readonly mask: Uint32Array;
  private readonly portMin: Uint16Array;
  private readonly portMax: Uint16Array;
  private readonly marks: Uint32Array;

  /** Entries in ascending mark order, each mark's in file order: the first that matches wins. */
  constructor(lists: Readonly<Record<number, readonly FwmarkMatchConfig[]>> = {}) {
    const entries = Object.entries(lists)
      .map(([mark, list]) => [Number(mark), list] as const)
      .sort((a, b) => a[0] - b[0])
      .flatMap(([mark, list]) => list.map((m) => ({ mark, m })));
    const n = entries.length;
    this.proto = new Uint8Array(n);
    this.net = new Uint32Array(n);
    this.mask = new Uint32Array(n);
    this.portMin = new Uint16Array(n);
    this.portMax = new Uint16Array(n);
    this.marks = new Uint32Array(n);
    entries.forEach(({ mark, m }, i) => {
      this.proto[i] = m.protocol === 'tcp' ? PROTO_TCP : m.protocol === 'udp' ? PROTO_UDP : ANY;
      this.mask[i] = prefixMask(m.prefix);
      this.net[i] = (parseIpv4(m.address) & prefixMask(m.prefix)) >>> 0;
      this.portMin[i] = m.portMin;
      this.portMax[i] = m.portMax;
      this.marks[i] = mark;
    });
  }

  get size(): number {
    return this.marks.length;
  }

  /** The mark of a packet to addr:port, 0 when no entry matches. */
  mark(proto: number, addr: number, port: number): number {
    for (let i = 0; i < this.marks.length; i++) {
      const p = this.proto[i]!;
      if ((p === ANY || p === proto) && ((addr & this.mask[i]!) >>> 0) === this.net[i]
        && port >= this.portMin[i]! && port <= this.portMax[i]!) {
        return this.marks[i]!;
      }
    }
    return 0;
  }
}

/**
 * Every address the entries of the given marks cover: the director owns them (answers ARP,
 * lets them through XDP) as it owns a VIP. Config parsing keeps prefixes at /24 or longer.
 */
export function markedAddresses(lists: Readonly<Record<number, readonly FwmarkMatchConfig[]>>, marks: Iterable<number>): string[] {
  const out = new Set<string>();
  for (const mark of marks) {
    for (const m of lists[mark] ?? []) {
      const first = (parseIpv4(m.address) & prefixMask(m.prefix)) >>> 0;
      const count = 2 ** (32 - m.prefix);
      for (let i = 0; i < count; i++) out.add(formatIpv4(first + i));
    }
  }
  return [...out];
}

function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}
