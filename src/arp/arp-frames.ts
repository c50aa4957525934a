// ARP frames the director originates: requests to resolve real servers and next hops, and
// gratuitous ARP announcing the addresses it owns (VIPs, LIPs) on start and takeover.

import { macToBytes, parseIpv4 } from '../net/addr.js';

const ETH_P_ARP = 0x0806;
const ARP_FRAME_BYTES = 42;
const BROADCAST = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = Buffer.alloc(6);

export interface ArpFields {
  op: 1 | 2;
  ethDst: Buffer;
  ethSrc: Buffer;
  senderMac: Buffer;
  senderIp: number;
  targetMac: Buffer;
  targetIp: number;
}

export function buildArp(f: ArpFields): Buffer {
  const b = Buffer.alloc(ARP_FRAME_BYTES);
  f.ethDst.copy(b, 0);
  f.ethSrc.copy(b, 6);
  b.writeUInt16BE(ETH_P_ARP, 12);
  b.writeUInt16BE(1, 14);      // hardware: Ethernet
  b.writeUInt16BE(0x0800, 16); // protocol: IPv4
  b[18] = 6;
  b[19] = 4;
  b.writeUInt16BE(f.op, 20);
  f.senderMac.copy(b, 22);
  b.writeUInt32BE(f.senderIp >>> 0, 28);
  f.targetMac.copy(b, 32);
  b.writeUInt32BE(f.targetIp >>> 0, 38);
  return b;
}

/**
 * Who-has request. With no address of our own on the segment the sender address is 0.0.0.0
 * (an RFC 5227 probe), which Linux answers without caching us.
 */
export function buildArpRequest(ourMac: string, ourIp: number, target: number, unicastTo?: string): Buffer {
  const mac = macToBytes(ourMac);
  return buildArp({
    op: 1, ethDst: unicastTo ? macToBytes(unicastTo) : BROADCAST, ethSrc: mac,
    senderMac: mac, senderIp: ourIp, targetMac: ZERO_MAC, targetIp: target,
  });
}

/** Gratuitous ARP (request form, sender = target = the address), as keepalived sends. */
export function buildGratuitousArp(ourMac: string, address: string | number): Buffer {
  const ip = typeof address === 'number' ? address : parseIpv4(address);
  const mac = macToBytes(ourMac);
  return buildArp({ op: 1, ethDst: BROADCAST, ethSrc: mac, senderMac: mac, senderIp: ip, targetMac: ZERO_MAC, targetIp: ip });
}
