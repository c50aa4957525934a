// What `director simulate` tells: the real server each new flow got, and how the flows spread
// over each service's real servers (every configured server listed, those that got none too),
// as text in ipvsadm's words or as one JSON object.

import { FwmarkMatcher } from '../datapath/fwmark-matcher.js';
import { PROTO_TCP, PROTO_UDP } from '../datapath/service-table.js';
import { parseIpv4 } from '../net/addr.js';
import type { DirectorConfig } from '../config/model.js';
import { endpointText, type FlowChoice } from './simulation.js';

const FORWARD = { dr: 'Route', nat: 'Masq', tun: 'Tunnel', fnat: 'FullNat' } as const;

export interface ServerShare {
  address: string;
  port: number;
  forward: string;
  weight: number;
  flows: number;
  /** flows over the service's flows, 0..1 (0 when the service got none). */
  share: number;
}

export interface ServiceShare {
  protocol: string;
  vip: string;
  port: number;
  scheduler: string;
  flows: number;
  realServers: ServerShare[];
}

export interface SimulationReport {
  input: { file: string; frames: number; spanSeconds: number };
  output: { file: string | null; frames: number };
  flows: Array<Pick<FlowChoice, 'protocol' | 'client' | 'virtual' | 'destination' | 'local' | 'method'>>;
  services: ServiceShare[];
  drops: Record<string, number>;
}

/** Flows per real server of every configured service (a flow to an unconfigured server is listed too). */
export function distribution(config: DirectorConfig, choices: readonly FlowChoice[]): ServiceShare[] {
  // A flow a mark service's fwmark_match marks is that service's, whatever VIP:port it went to.
  const marker = new FwmarkMatcher(config.fwmarkMatches ?? {});
  const marks = new Set(config.virtualServers.flatMap((vs) => (vs.fwmark ? [vs.fwmark] : [])));
  const markOf = (c: FlowChoice): number => marker.mark(c.protocol === 'tcp' ? PROTO_TCP : PROTO_UDP, parseIpv4(c.virtual.address), c.virtual.port);
  return config.virtualServers.map((vs) => {
    const mine = vs.fwmark ? choices.filter((c) => markOf(c) === vs.fwmark)
      : choices.filter((c) => c.protocol === vs.protocol && c.virtual.address === vs.vip && c.virtual.port === vs.port && !marks.has(markOf(c)));
    const count = (address: string, port: number): number =>
      mine.filter((c) => c.destination.address === address && c.destination.port === port).length;
    const servers: ServerShare[] = vs.realServers.map((rs) => ({
      address: rs.address, port: rs.port, forward: FORWARD[rs.method], weight: rs.weight, flows: count(rs.address, rs.port), share: 0,
    }));
    for (const c of mine) {
      if (servers.some((s) => s.address === c.destination.address && s.port === c.destination.port)) continue;
      servers.push({ address: c.destination.address, port: c.destination.port, forward: FORWARD[c.method], weight: 0, flows: count(c.destination.address, c.destination.port), share: 0 });
    }
    for (const s of servers) s.share = mine.length === 0 ? 0 : s.flows / mine.length;
    return { protocol: vs.protocol, vip: vs.vip, port: vs.port, scheduler: vs.scheduler, flows: mine.length, realServers: servers };
  });
}

/** The report as text lines: a summary, the flows (unless summaryOnly), the distribution. */
export function reportLines(r: SimulationReport, summaryOnly: boolean): string[] {
  const drops = Object.entries(r.drops).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const lines = [
    `${r.input.frames} frames in from ${r.input.file} (${r.input.spanSeconds.toFixed(3)} s of capture), ` +
      `${r.output.frames} out${r.output.file === null ? '' : ` to ${r.output.file}`}; ${r.flows.length} new connections; drops: ${drops}`,
  ];
  if (!summaryOnly && r.flows.length > 0) {
    lines.push('', 'Prot Client -> Virtual => RealServer Forward [LocalAddress]');
    for (const f of r.flows) {
      lines.push(`${f.protocol.toUpperCase().padEnd(4)} ${endpointText(f.client)} -> ${endpointText(f.virtual)} => ` +
        `${endpointText(f.destination)} ${FORWARD[f.method]}${f.local === null ? '' : ` ${endpointText(f.local)}`}`);
    }
  }
  lines.push('', 'Prot LocalAddress:Port Scheduler  Flows', '  -> RemoteAddress:Port  Forward Weight  Flows  Share');
  for (const s of r.services) {
    lines.push(`${s.protocol.toUpperCase().padEnd(4)} ${`${s.vip}:${s.port}`} ${s.scheduler}  ${s.flows}`);
    for (const rs of s.realServers) {
      lines.push(`  -> ${`${rs.address}:${rs.port}`.padEnd(21)} ${rs.forward.padEnd(7)} ${String(rs.weight).padStart(6)} ` +
        `${String(rs.flows).padStart(6)} ${(rs.share * 100).toFixed(1).padStart(5)}%`);
    }
  }
  return lines;
}
