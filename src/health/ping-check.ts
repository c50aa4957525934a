// PING_CHECK: one ICMP echo to connect_ip answered within connect_timeout. Node has no ICMP
// sockets, so the addon sends it: from a datagram ICMP socket when net.ipv4.ping_group_range
// admits our group (unlike keepalived, director never widens that range), else from a raw one
// (CAP_NET_RAW). An ICMP error about the echo fails at once.

import { randomInt } from 'node:crypto';
import { loadAddon } from '../native/binding.js';
import { nativeSource } from './check-socket.js';
import { failed, type CheckResult, type PingCheckSpec } from './types.js';

let sequence = randomInt(0x10000);

export function pingCheck(spec: PingCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const what = `ICMP echo to ${spec.connectIp}`;
  sequence = (sequence + 1) & 0xffff;
  return new Promise((resolve) => {
    try {
      loadAddon().icmpEcho({
        dst: spec.connectIp, id: randomInt(0x10000), seq: sequence, timeoutMs: spec.connectTimeout * 1000,
        ...(spec.source ? nativeSource(spec.source) : {}),
      }, (r) => {
        const detail = `${what}: ${r.detail} (${r.mode} socket)`;
        if (r.ok) resolve({ ok: true, detail, latencyMs: Math.round(performance.now() - started) });
        else resolve(failed(detail, started));
      });
    } catch (err) {
      resolve(failed(`${what}: ${(err as Error).message}`, started));
    }
  });
}
