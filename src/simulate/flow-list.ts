// A flow list for `director simulate`: one flow per line (`tcp CLIENT:PORT VIP:PORT`), turned
// into the first packet of each flow as it would reach the director: a TCP SYN or a UDP
// datagram, from the client's neighbour MAC to the director's, with correct checksums.

import { internetChecksum, pseudoHeaderSum } from '../net/checksum.js';
import { ipv4Problem, macToBytes, parseIpv4 } from '../net/addr.js';

export interface Flow {
  protocol: 'tcp' | 'udp';
  client: number;
  clientPort: number;
  vip: number;
  vport: number;
  /** Line in the list, for messages. */
  line: number;
}

export class FlowListError extends Error {}

const PROTOCOLS = { tcp: 6, udp: 17 } as const;
const UDP_PAYLOAD = Buffer.from('director simulate');

function endpoint(text: string | undefined, where: string): [number, number] {
  const m = /^([0-9.]+):(\d+)$/.exec(text ?? '');
  if (m === null) throw new FlowListError(`${where}: '${text ?? ''}' is not ADDRESS:PORT`);
  const problem = ipv4Problem(m[1]!);
  if (problem !== null) throw new FlowListError(`${where}: ${problem}`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new FlowListError(`${where}: port ${port} is not 1-65535`);
  return [parseIpv4(m[1]!), port];
}

/** Parses a flow list; blank lines and '#' comments are skipped; throws naming file and line. */
export function parseFlowList(text: string, file: string): Flow[] {
  const flows: Flow[] = [];
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter((w) => w !== '' && w !== '->');
    if (words.length === 0) return;
    const protocol = words[0]!.toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') throw new FlowListError(`${where}: '${words[0]}' is not tcp or udp`);
    if (words.length !== 3) throw new FlowListError(`${where}: expected 'tcp|udp CLIENT:PORT VIP:PORT', got '${raw.trim()}'`);
    const [client, clientPort] = endpoint(words[1], where);
    const [vip, vport] = endpoint(words[2], where);
    flows.push({ protocol, client, clientPort, vip, vport, line: i + 1 });
  });
  return flows;
}

/** The flow's first packet from srcMac to dstMac: a SYN (TCP) or a short datagram (UDP). */
export function firstPacket(flow: Flow, srcMac: string, dstMac: string): Buffer {
  const l4 = flow.protocol === 'tcp' ? tcpSyn(flow) : udpDatagram(flow);
  const sum = pseudoHeaderSum(flow.client, flow.vip, PROTOCOLS[flow.protocol], l4.length);
  const at = flow.protocol === 'tcp' ? 16 : 6;
  const check = internetChecksum(l4, 0, l4.length, sum);
  l4.writeUInt16BE(check === 0 && flow.protocol === 'udp' ? 0xffff : check, at); // UDP's 0 means "none"

  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + l4.length, 2);
  ip.writeUInt16BE(0x4000, 6); // DF, as a Linux client sends
  ip[8] = 64;
  ip[9] = PROTOCOLS[flow.protocol];
  ip.writeUInt32BE(flow.client >>> 0, 12);
  ip.writeUInt32BE(flow.vip >>> 0, 16);
  ip.writeUInt16BE(internetChecksum(ip), 10);
  const eth = Buffer.alloc(14);
  macToBytes(dstMac).copy(eth, 0);
  macToBytes(srcMac).copy(eth, 6);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, l4]);
}

function tcpSyn(flow: Flow): Buffer {
  const tcp = Buffer.alloc(24);
  tcp.writeUInt16BE(flow.clientPort, 0);
  tcp.writeUInt16BE(flow.vport, 2);
  tcp.writeUInt32BE(flow.line, 4); // any initial sequence number; the line makes each one distinct
  tcp[12] = 6 << 4; // 24 bytes: the header and an MSS option
  tcp[13] = 0x02; // SYN
  tcp.writeUInt16BE(64240, 14);
  tcp[20] = 2;
  tcp[21] = 4;
  tcp.writeUInt16BE(1460, 22);
  return tcp;
}

function udpDatagram(flow: Flow): Buffer {
  const udp = Buffer.alloc(8 + UDP_PAYLOAD.length);
  udp.writeUInt16BE(flow.clientPort, 0);
  udp.writeUInt16BE(flow.vport, 2);
  udp.writeUInt16BE(udp.length, 4);
  UDP_PAYLOAD.copy(udp, 8);
  return udp;
}
