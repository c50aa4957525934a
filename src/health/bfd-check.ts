// BFD_CHECK: follows the BFD session of a bfd_instance (RFC 5881 single hop: control packets to
// UDP 3784 of the neighbour, from a port in 49152-65535, TTL 255). The session runs on its own in
// the process that runs the checks, started by the first check; each check only reads its state
// (passes while Up). A session nobody asks about for a while is closed.

import { randomInt } from 'node:crypto';
import * as dgram from 'node:dgram';
import { BFD_STATE_NAMES, BfdDiag, BfdSession, BfdState, decodeBfd } from './bfd-session.js';
import { failed, type BfdCheckSpec, type CheckResult } from './types.js';

const CONTROL_PORT = 3784;
/** A session not checked for this long is closed (its director stopped or reloaded). */
const IDLE_MS = 10_000;
const DIAG_NAMES: Record<number, string> = { [BfdDiag.DetectionExpired]: 'detection time expired', [BfdDiag.NeighborDown]: 'neighbor signaled down' };

interface Entry {
  key: string;
  spec: BfdCheckSpec;
  session: BfdSession;
  discr: number;
  tx: dgram.Socket;
  timer: NodeJS.Timeout | null;
  lastQueried: number;
}

const sessions = new Map<string, Entry>();
const byDiscr = new Map<number, Entry>();
let receiver: Promise<dgram.Socket> | null = null;

export async function bfdCheck(spec: BfdCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const what = `BFD ${spec.name} to ${spec.neighbor}`;
  let entry: Entry;
  try {
    await listen();
    entry = await sessionFor(spec);
  } catch (err) {
    receiver = null;
    return failed(`${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, started);
  }
  entry.lastQueried = performance.now();
  const { state, diag } = entry.session;
  const detail = `${what}: ${BFD_STATE_NAMES[state]}${DIAG_NAMES[diag] ? ` (${DIAG_NAMES[diag]})` : ''}`;
  if (state !== BfdState.Up) return failed(detail, started);
  return { ok: true, detail, latencyMs: Math.round(performance.now() - started) };
}

/** The one socket on UDP 3784 that receives every session's control packets. */
function listen(): Promise<dgram.Socket> {
  receiver ??= new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.on('message', (msg, rinfo) => deliver(msg, rinfo.address));
    socket.bind(CONTROL_PORT, () => {
      socket.off('error', reject);
      socket.unref();
      resolve(socket);
    });
  });
  return receiver;
}

/** RFC 5880 6.8.6: by our discriminator, or (none yet) by the neighbour's address. */
function deliver(msg: Buffer, from: string): void {
  const p = decodeBfd(msg);
  if (typeof p === 'string') return;
  const entry = p.yourDiscr !== 0 ? byDiscr.get(p.yourDiscr) : [...sessions.values()].find((e) => e.spec.neighbor === from);
  if (entry === undefined || entry.spec.neighbor !== from) return;
  entry.session.receive(p, performance.now());
  schedule(entry);
}

async function sessionFor(spec: BfdCheckSpec): Promise<Entry> {
  const key = JSON.stringify([spec.name, spec.neighbor, spec.sourceIp, spec.minRxMs, spec.minTxMs, spec.idleTxMs, spec.multiplier, spec.passive, spec.ttl]);
  const known = sessions.get(key);
  if (known !== undefined) return known;
  const tx = await bindSource(spec);
  let discr = randomInt(1, 0xffffffff);
  while (byDiscr.has(discr)) discr = randomInt(1, 0xffffffff);
  const send = (packet: Buffer): void => tx.send(packet, CONTROL_PORT, spec.neighbor);
  const session = new BfdSession({
    localDiscr: discr, minRxUs: spec.minRxMs * 1000, minTxUs: spec.minTxMs * 1000,
    // RFC 5880 6.8.3: never faster than once a second while not Up.
    idleTxUs: Math.max(spec.idleTxMs, 1000) * 1000, multiplier: spec.multiplier, passive: spec.passive,
  }, send);
  const entry: Entry = { key, spec, session, discr, tx, timer: null, lastQueried: performance.now() };
  sessions.set(key, entry);
  byDiscr.set(discr, entry);
  schedule(entry);
  return entry;
}

/** A sending socket from source_ip and a free port in 49152-65535 (RFC 5881 4), TTL as configured. */
async function bindSource(spec: BfdCheckSpec): Promise<dgram.Socket> {
  for (let attempt = 0; ; attempt++) {
    const socket = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port: randomInt(49152, 65536), ...(spec.sourceIp !== null ? { address: spec.sourceIp } : {}) }, () => resolve());
      });
    } catch (err) {
      socket.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 16) throw err;
      continue;
    }
    socket.setTTL(spec.ttl);
    socket.on('error', () => undefined);
    socket.unref();
    return socket;
  }
}

function schedule(entry: Entry): void {
  if (entry.timer !== null) clearTimeout(entry.timer);
  const now = performance.now();
  if (now - entry.lastQueried > IDLE_MS) return close(entry);
  const next = entry.session.poll(now);
  entry.timer = setTimeout(() => schedule(entry), Math.max(1, Math.min(next, now + IDLE_MS) - now));
  entry.timer.unref();
}

function close(entry: Entry): void {
  if (entry.timer !== null) clearTimeout(entry.timer);
  sessions.delete(entry.key);
  byDiscr.delete(entry.discr);
  entry.tx.close();
}
