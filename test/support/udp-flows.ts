// UDP flows of one datagram each from a lab namespace, each from its own source port (firstPort,
// firstPort + 1, ...), so every datagram is a new connection for the director whatever ran
// before; paced at a given rate. Prints one JSON line: datagrams sent and milliseconds taken.

import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';

const SENDER = String.raw`
const dgram = require('node:dgram');
const [target, first, count, size, pps] = process.argv.slice(1);
const [host, port] = target.split(':');
const total = Number(count);
const payload = Buffer.alloc(Number(size), 0x61);
const perTick = Math.max(1, Math.round(Number(pps) / 100));
let sent = 0;
let next = 0;
const t0 = Date.now();
function one(i) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.on('error', () => { s.close(); resolve(); });
    s.bind(Number(first) + i, () => s.send(payload, Number(port), host, () => { sent++; s.close(); resolve(); }));
  });
}
async function tick() {
  const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * Number(pps)) + perTick);
  const batch = [];
  for (; next < due; next++) batch.push(one(next));
  await Promise.all(batch);
  if (next >= total) {
    process.stdout.write(JSON.stringify({ sent, ms: Date.now() - t0 }) + '\n');
    process.exit(0);
  }
  setTimeout(tick, 10);
}
setTimeout(() => { process.stdout.write(JSON.stringify({ sent, ms: Date.now() - t0, error: 'timeout' }) + '\n'); process.exit(1); }, 120000).unref();
tick();
`;

export interface UdpFlows {
  target: string;
  firstPort: number;
  count: number;
  /** UDP payload bytes. */
  size: number;
  /** Datagrams a second. */
  pps: number;
}

export function startUdpFlows(ns: string, o: UdpFlows): NsProcess {
  return spawnInNamespace(ns, [process.execPath, '-e', SENDER, o.target, String(o.firstPort), String(o.count), String(o.size), String(o.pps)]);
}

/** Waits for the sender to finish and reads its line; throws if it did not send everything. */
export async function flowsSent(p: NsProcess): Promise<{ sent: number; ms: number }> {
  await p.exited;
  const r = JSON.parse(p.stdout.trim().split('\n').pop() ?? '{}') as { sent: number; ms: number; error?: string };
  if (r.error !== undefined || r.sent === undefined || p.stderr.trim() !== '') throw new Error(`UDP flows: ${p.stdout}${p.stderr}`);
  return r;
}
