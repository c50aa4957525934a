// Human-readable lab output: the lab's map with names and addresses, and per-server counts.

import type { DirectorStats } from '../director-stats.js';
import { hostPort, HTTP_PORT, UDP_PORT } from './services.js';
import type { LabHandle, LabHost } from './topology.js';

/** One host's line; a dual-stack lab adds the IPv6 address as a last column. */
function row(h: LabHost, role: string): string {
  const line = `  ${role.padEnd(9)} ${h.address.padEnd(13)} ${h.ns.padEnd(18)} ${h.ifname.padEnd(5)} ${h.mac}`;
  return h.address6 === undefined ? line : `${line} ${h.address6}`;
}

export function describeLab(lab: LabHandle): string {
  const head = `  ${'role'.padEnd(9)} ${'address'.padEnd(13)} ${'namespace'.padEnd(18)} ${'if'.padEnd(5)} mac`;
  const lines = [
    lab.vip6 === undefined ? head : `${head.padEnd(head.length + 14)} address6`,
    row(lab.client, 'client'),
    row(lab.routerClientSide, 'router'),
    row(lab.router, 'router'),
    ...lab.directors.map((d) => row(d, d.name === 'dir1' ? 'director' : d.name)),
    ...lab.realServers.map((r) => row(r, r.name)),
    `  VIP ${lab.vip} (tcp ${HTTP_PORT}: HTTP, udp ${UDP_PORT}: echo), ${lab.mode.toUpperCase()} mode; LAN bridge br0 in ${lab.lanNs}`,
    ...(lab.vip6 === undefined ? [] : [`  VIP ${lab.vip6}: the same services over IPv6`]),
  ];
  return lines.join('\n');
}

export function howToReach(lab: LabHandle): string {
  const node = 'node';
  return [
    'try:',
    `  ip netns exec ${lab.client.ns} ${node} tools/lab/http-client.js count --target ${lab.vip}:${HTTP_PORT} --connections 30`,
    `  ip netns exec ${lab.client.ns} ${node} tools/lab/udp-client.js --target ${lab.vip}:${UDP_PORT} --count 30`,
    `  ip netns exec ${lab.client.ns} ${node} tools/lab/http-client.js download --target ${lab.vip}:${HTTP_PORT} --bytes 20000000`,
    ...(lab.vip6 === undefined ? [] : [
      `  ip netns exec ${lab.client.ns} ${node} tools/lab/http-client.js count --target ${hostPort(lab.vip6, HTTP_PORT)} --connections 30`,
      `  ip netns exec ${lab.client.ns} ${node} tools/lab/udp-client.js --target ${hostPort(lab.vip6, UDP_PORT)} --count 30`,
    ]),
    `  ip netns exec ${lab.router.ns} ip neigh show dev ${lab.router.ifname}`,
    `remove it: sudo ./bin/director lab down --prefix ${lab.prefix}`,
  ].join('\n');
}

/** A bar per real server, so an even spread is visible at a glance. */
export function countsTable(lab: LabHandle, counts: Record<string, number>): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const names = [...new Set([...lab.realServers.map((r) => r.name), ...Object.keys(counts)])];
  return names.map((n) => {
    const c = counts[n] ?? 0;
    const bar = '#'.repeat(total === 0 ? 0 : Math.round((c / total) * 40));
    return `  ${n.padEnd(5)} ${String(c).padStart(5)}  ${bar}`;
  }).join('\n');
}

/** The director's stats as ipvsadm -L --stats would show them, plus drops and port counters. */
export function statsSummary(raw: unknown): string {
  const s = raw as Partial<DirectorStats> | null;
  if (s === null || typeof s !== 'object' || !Array.isArray(s.services)) return `  ${JSON.stringify(raw)}`;
  const lines = [`  ${'service / real server'.padEnd(28)} ${'conns'.padStart(6)} ${'inPkts'.padStart(8)} ${'inBytes'.padStart(10)} ${'outPkts'.padStart(8)}`];
  for (const svc of s.services) {
    lines.push(`  ${`${svc.protocol.toUpperCase()} ${hostPort(svc.vip, svc.port)} ${svc.scheduler}`.padEnd(28)} ${String(svc.conns).padStart(6)}`);
    for (const rs of svc.realServers) {
      lines.push(`    -> ${`${hostPort(rs.address, rs.port)} ${rs.method}`.padEnd(22)} ${String(rs.conns).padStart(6)} ${String(rs.inPkts).padStart(8)} ${String(rs.inBytes).padStart(10)} ${String(rs.outPkts).padStart(8)}`);
    }
  }
  lines.push(`  connections in table: ${s.connections ?? '?'}`);
  lines.push(`  not forwarded (by reason): ${JSON.stringify(s.drops ?? {})}`);
  if (s.port) lines.push(`  port ${s.port.name}: rx ${s.port.rxFrames} frames in ${s.port.rxBatches} batches, tx ${s.port.txFrames}, ring drops ${s.port.rxRingDrops}, tx errors ${s.port.txErrors}`);
  return lines.join('\n');
}
