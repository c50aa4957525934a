// Who answers ARP for an address, over time: asks every 100 ms from an interface in a lab
// namespace (through an engine packet port of the addon, as the lab's arping does) and records
// every reply's sender MAC with its time, until stopped. Split brain shows as two MACs.

import { buildArpRequest } from '../../src/arp/arp-frames.js';
import { netnsPath } from '../../src/lab/netns.js';
import { formatMac, parseIpv4 } from '../../src/net/addr.js';
import { loadAddon } from '../../src/native/binding.js';
import { FrameKind, Meta as M, ParseError } from '../../src/native/layout.generated.js';

const ASK_EVERY_MS = 100;
const ARP_REPLY = 2;

export interface ArpAnswer { t: number; mac: string }

export interface ArpWatch {
  /** Every reply so far, in order (t: Date.now()). */
  readonly answers: ArpAnswer[];
  /** Stops asking and closes the port; bounded by maxMs in any case. */
  stop(): Promise<void>;
}

export function watchArp(ns: string, ifname: string, address: string, maxMs: number): ArpWatch {
  const target = parseIpv4(address);
  const engine = new (loadAddon().Engine)();
  const answers: ArpAnswer[] = [];
  const port = engine.addPacketPort(ifname, { netns: netnsPath(ns), ring: 'frame', frameCount: 64 });
  const own = engine.portInfo(port);
  engine.onBatch((_port, count) => {
    const meta = engine.meta;
    for (let i = 0; i < count; i++) {
      const m = i * M.WORDS;
      if (meta[m + M.KIND] !== FrameKind.ARP || meta[m + M.ERROR] !== ParseError.OK) continue;
      if (meta[m + M.ARP_OP] !== ARP_REPLY || meta[m + M.SRC_IP] !== target) continue;
      answers.push({ t: Date.now(), mac: formatMac(meta[m + M.SRC_MAC_HI] ?? 0, meta[m + M.SRC_MAC_LO] ?? 0) });
    }
  });
  engine.start();
  const request = buildArpRequest(own.mac, own.ipv4, target);
  let stopped = false;
  const until = Date.now() + maxMs;
  const done = (async () => {
    while (!stopped && Date.now() < until) {
      engine.send(port, request);
      await new Promise((r) => setTimeout(r, ASK_EVERY_MS));
    }
    engine.close();
  })();
  return {
    answers,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}
