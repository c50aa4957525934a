// Captures of offloaded traffic (tcpdump on a veth, or on the sending host) hold TCP and UDP
// packets whose checksum the NIC was left to finish: the field holds only the pseudo-header sum.
// The live director learned that from the packet socket's vnet header, which a pcap file does
// not keep; this recovers it from the bytes, so a simulated director treats such a packet as the
// live one did (completes it or keeps it partial) instead of rewriting a "bad" checksum.

import { internetChecksum, pseudoHeaderSum } from '../net/checksum.js';

const ETH_HEADER = 14;
const ETH_P_IP = 0x0800;
/** virtio_net_hdr's VIRTIO_NET_HDR_F_NEEDS_CSUM. */
const NEEDS_CSUM = 1;
const VNET_HEADER = 10;
/** Where the checksum field sits in each L4 header. */
const FIELD: Readonly<Record<number, number>> = { 6: 16, 17: 6 };

/**
 * The vnet header the packet socket would have given with this frame: NEEDS_CSUM over its L4
 * segment when the checksum field holds exactly the pseudo-header sum and the checksum does not
 * verify as complete; undefined otherwise (a whole, bad or absent checksum, or not TCP/UDP over IPv4).
 */
export function partialChecksumVnet(frame: Buffer): Buffer | undefined {
  if (frame.length < ETH_HEADER + 20 || frame.readUInt16BE(12) !== ETH_P_IP) return undefined;
  const ihl = (frame[ETH_HEADER]! & 0x0f) * 4;
  const proto = frame[ETH_HEADER + 9]!;
  const field = FIELD[proto];
  const total = frame.readUInt16BE(ETH_HEADER + 2);
  if (field === undefined || (frame.readUInt16BE(ETH_HEADER + 6) & 0x3fff) !== 0) return undefined; // a fragment
  const start = ETH_HEADER + ihl;
  const length = total - ihl;
  if (ihl < 20 || length < field + 2 || ETH_HEADER + total > frame.length) return undefined;
  const seed = pseudoHeaderSum(frame.readUInt32BE(ETH_HEADER + 12), frame.readUInt32BE(ETH_HEADER + 16), proto, length);
  const value = frame.readUInt16BE(start + field);
  if (value !== seed || internetChecksum(frame, start, start + length, seed) === 0) return undefined;
  const vnet = Buffer.alloc(VNET_HEADER);
  vnet[0] = NEEDS_CSUM;
  vnet.writeUInt16LE(start, 6);
  vnet.writeUInt16LE(field, 8);
  return vnet;
}
