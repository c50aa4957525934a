// Word indices of the per-frame metadata record, read from the addon's layout once, so the
// classifier indexes the shared Uint32Array directly.

import type { NativeLayout } from '../native/types.js';
import { req } from './verdict-writer.js';

export class MetaIndex {
  readonly words: number;
  readonly LEN: number;
  readonly ERROR: number;
  readonly KIND: number;
  readonly PROTO: number;
  readonly SRC_IP: number;
  readonly DST_IP: number;
  readonly SRC_PORT: number;
  readonly DST_PORT: number;
  readonly TCP_FLAGS: number;
  readonly FRAG: number;
  readonly TTL: number;
  readonly IP_ID: number;
  readonly IP_LEN: number;
  readonly ICMP: number;
  readonly INNER_PROTO: number;
  readonly INNER_SRC_IP: number;
  readonly INNER_DST_IP: number;
  readonly INNER_SRC_PORT: number;
  readonly INNER_DST_PORT: number;
  readonly ARP_OP: number;
  readonly SRC_MAC_HI: number;
  readonly SRC_MAC_LO: number;
  readonly GSO_SIZE: number;
  readonly L3_OFF: number;
  readonly PAYLOAD_OFF: number;
  readonly ICMP_EXTRA: number;
  readonly kindArp: number;
  readonly kindIpv4: number;
  readonly fragNonFirst: number;
  readonly fragMore: number;
  readonly fragDf: number;

  constructor(layout: NativeLayout) {
    const m = layout.meta;
    this.words = req(m, 'WORDS');
    this.LEN = req(m, 'LEN');
    this.ERROR = req(m, 'ERROR');
    this.KIND = req(m, 'KIND');
    this.PROTO = req(m, 'PROTO');
    this.SRC_IP = req(m, 'SRC_IP');
    this.DST_IP = req(m, 'DST_IP');
    this.SRC_PORT = req(m, 'SRC_PORT');
    this.DST_PORT = req(m, 'DST_PORT');
    this.TCP_FLAGS = req(m, 'TCP_FLAGS');
    this.FRAG = req(m, 'FRAG');
    this.TTL = req(m, 'TTL');
    this.IP_ID = req(m, 'IP_ID');
    this.IP_LEN = req(m, 'IP_LEN');
    this.ICMP = req(m, 'ICMP');
    this.INNER_PROTO = req(m, 'INNER_PROTO');
    this.INNER_SRC_IP = req(m, 'INNER_SRC_IP');
    this.INNER_DST_IP = req(m, 'INNER_DST_IP');
    this.INNER_SRC_PORT = req(m, 'INNER_SRC_PORT');
    this.INNER_DST_PORT = req(m, 'INNER_DST_PORT');
    this.ARP_OP = req(m, 'ARP_OP');
    this.SRC_MAC_HI = req(m, 'SRC_MAC_HI');
    this.SRC_MAC_LO = req(m, 'SRC_MAC_LO');
    this.GSO_SIZE = req(m, 'GSO_SIZE');
    this.L3_OFF = req(m, 'L3_OFF');
    this.PAYLOAD_OFF = req(m, 'PAYLOAD_OFF');
    this.ICMP_EXTRA = req(m, 'ICMP_EXTRA');
    this.kindArp = req(layout.frameKind, 'ARP');
    this.kindIpv4 = req(layout.frameKind, 'IPV4');
    this.fragNonFirst = req(layout.fragBits, 'NONFIRST');
    this.fragMore = req(layout.fragBits, 'MF');
    this.fragDf = req(layout.fragBits, 'DF');
  }
}
