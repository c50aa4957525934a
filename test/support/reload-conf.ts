// keepalived.conf text for reload tests over the memory lab's addresses, and the client frames
// and server names those tests send and read.
import { CLIENT, DIRECTOR_MAC, ROUTER_MAC, RS_MAC, SPARE_RS_MAC, VIP } from './memory-plane.js';
import { decodeFrame, tcpFrame, udpFrame } from './packets.js';

export interface RsSpec {
  addr: string;
  port?: number;
  /** Lines inside real_server { }: weight, lb_kind, uthreshold, checkers... */
  body?: string;
}

export interface VsSpec {
  vip?: string;
  port?: number;
  protocol?: 'TCP' | 'UDP';
  sched?: string;
  kind?: string;
  /** Lines inside virtual_server { } before the real servers. */
  body?: string;
  rs: Array<string | RsSpec>;
}

/** One virtual_server block. */
export function vsBlock(v: VsSpec): string {
  const port = v.port ?? 80;
  const servers = v.rs.map((r) => (typeof r === 'string' ? { addr: r } : r))
    .map((r) => ` real_server ${r.addr} ${r.port ?? port} {\n  ${r.body ?? 'weight 1'}\n }`);
  return [
    `virtual_server ${v.vip ?? VIP} ${port} {`, ` protocol ${v.protocol ?? 'TCP'}`, ` lb_algo ${v.sched ?? 'rr'}`,
    ` lb_kind ${v.kind ?? 'DR'}`, ...(v.body ? [` ${v.body}`] : []), ...servers, '}',
  ].join('\n');
}

/** A whole config: global_defs lines (if any) and the virtual servers. */
export function conf(services: VsSpec | VsSpec[], globals = ''): string {
  const head = globals ? `global_defs {\n ${globals}\n}\n` : '';
  return head + [services].flat().map(vsBlock).join('\n') + '\n';
}

/** A TCP segment from the client to VIP:80 (or vip:port). */
export function segment(cport: number, flags: number, vip = VIP, port = 80): Buffer {
  return tcpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: vip }, tcp: { srcPort: cport, dstPort: port, flags, seq: 1 } });
}

/** A UDP datagram from the client to VIP:port. */
export function datagram(cport: number, port: number): Buffer {
  return udpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP }, udp: { srcPort: cport, dstPort: port, payload: Buffer.from('q') } });
}

const NAMES: Record<string, string> = { [RS_MAC[0]!]: 'rs1', [RS_MAC[1]!]: 'rs2', [RS_MAC[2]!]: 'rs3', [SPARE_RS_MAC]: 'spare' };

/** Where each frame went, by destination MAC: rs1..rs3, spare, or the MAC. */
export function servers(frames: Buffer[]): string[] {
  return frames.map((f) => NAMES[decodeFrame(f).dstMac] ?? decodeFrame(f).dstMac);
}
