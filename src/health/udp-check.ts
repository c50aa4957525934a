// UDP_CHECK: send payload (or 32 random bytes, as keepalived) from a connected UDP socket to
// connect_ip:connect_port. An ICMP error (port unreachable ...) fails. Without require_reply
// silence until connect_timeout passes; with it, a reply within the length limits whose leading
// bytes match the expected ones (x nibbles ignored) must come back.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:dgram';
import type { UdpReplyConfig } from '../config/model.js';
import { openDatagram, type CheckTarget } from './check-socket.js';
import { failed, type CheckResult, type UdpCheckSpec } from './types.js';

const RANDOM_PAYLOAD = 32;

export interface DatagramVerdict {
  ok: boolean;
  detail: string;
}

/**
 * Sends one datagram and waits for the verdict: `judge` says what a received datagram means
 * (null: not ours, keep waiting); an ICMP error fails; `onSilence` is the verdict at the timeout.
 */
export async function exchangeDatagram(
  target: CheckTarget, payload: Buffer, timeoutMs: number, judge: (msg: Buffer) => DatagramVerdict | null, onSilence: DatagramVerdict,
): Promise<DatagramVerdict> {
  let socket: Socket;
  try {
    socket = await openDatagram(target);
  } catch (err) {
    return { ok: false, detail: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
  const verdict = await new Promise<DatagramVerdict>((resolve) => {
    const done = (v: DatagramVerdict): void => {
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(() => done(onSilence), timeoutMs);
    socket.on('message', (msg: Buffer) => {
      const v = judge(msg);
      if (v !== null) done(v);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, detail: err.code ?? err.message }));
    socket.send(payload);
  });
  socket.close();
  return verdict;
}

/** Why a reply does not meet require_reply, or null when it does. */
export function judgeUdpReply(want: UdpReplyConfig, reply: Buffer): string | null {
  if (reply.length < want.minLength || reply.length > want.maxLength) {
    return `reply of ${reply.length} bytes, expected ${want.minLength}..${want.maxLength}`;
  }
  const data = Buffer.from(want.data, 'hex');
  const mask = want.mask === '' ? Buffer.alloc(data.length) : Buffer.from(want.mask, 'hex');
  const n = Math.min(reply.length, data.length);
  for (let i = 0; i < n; i++) {
    if (((reply[i]! ^ data[i]!) & ~mask[i]!) !== 0) return `reply byte ${i} is ${reply[i]!.toString(16).padStart(2, '0')}, expected ${data[i]!.toString(16).padStart(2, '0')}`;
  }
  return null;
}

export async function udpCheck(spec: UdpCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const what = `UDP ${spec.connectIp}:${spec.connectPort}`;
  const payload = spec.payload === null ? randomBytes(RANDOM_PAYLOAD) : Buffer.from(spec.payload, 'hex');
  const reply = spec.reply;
  const silence = reply === null
    ? { ok: true, detail: `no ICMP error within ${spec.connectTimeout} s` }
    : { ok: false, detail: `no reply within ${spec.connectTimeout} s` };
  const judge = (msg: Buffer): DatagramVerdict => {
    const why = reply === null ? null : judgeUdpReply(reply, msg);
    return why === null ? { ok: true, detail: `reply of ${msg.length} bytes` } : { ok: false, detail: why };
  };
  const v = await exchangeDatagram(spec, payload, spec.connectTimeout * 1000, judge, silence);
  if (!v.ok) return failed(`${what}: ${v.detail}`, started);
  return { ok: true, detail: `${what}: ${v.detail}`, latencyMs: Math.round(performance.now() - started) };
}
