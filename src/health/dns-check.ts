// DNS_CHECK: one query (type, name, recursion desired) over UDP to connect_ip:connect_port. As in
// keepalived, an answer with another id or without QR is not ours and is waited past; ours passes
// when its rcode is NOERROR. Unlike keepalived, it must also echo our question, or it fails.

import { randomInt } from 'node:crypto';
import { DNS_TYPES } from '../config/keepalived-checker-options.js';
import { exchangeDatagram } from './udp-check.js';
import { failed, type CheckResult, type DnsCheckSpec } from './types.js';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** The query datagram: header (id, RD, one question) and the question (name, type, class IN). */
export function dnsQuery(id: number, name: string, type: string): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const labels = name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_TYPES[type] ?? 0, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, qname, tail]);
}

/**
 * Judges one datagram against our query: null when it is not a reply to it (keep waiting),
 * else the verdict (ok, or why it fails).
 */
export function judgeDnsReply(query: Buffer, reply: Buffer): { ok: boolean; detail: string } | null {
  if (reply.length < 12 || reply.readUInt16BE(0) !== query.readUInt16BE(0)) return null;
  const flags = reply.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return null;
  const question = query.subarray(12);
  const qdcount = reply.readUInt16BE(4);
  const echoed = qdcount === 1 && reply.length >= 12 + question.length &&
    reply.subarray(12, 12 + question.length).toString('latin1').toLowerCase() === question.toString('latin1').toLowerCase();
  if (!echoed) return { ok: false, detail: 'the reply does not carry our question' };
  const rcode = flags & 0x0f;
  if (rcode !== 0) return { ok: false, detail: `rcode ${RCODES[rcode] ?? rcode}` };
  return { ok: true, detail: `NOERROR, ${reply.readUInt16BE(6)} answer(s)` };
}

export async function dnsCheck(spec: DnsCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const what = `DNS ${spec.type} ${spec.name} @${spec.connectIp}:${spec.connectPort}`;
  const query = dnsQuery(randomInt(0x10000), spec.name, spec.type);
  const silence = { ok: false, detail: `no reply within ${spec.connectTimeout} s` };
  const v = await exchangeDatagram(spec, query, spec.connectTimeout * 1000, (msg) => judgeDnsReply(query, msg), silence);
  if (!v.ok) return failed(`${what}: ${v.detail}`, started);
  return { ok: true, detail: `${what}: ${v.detail}`, latencyMs: Math.round(performance.now() - started) };
}
