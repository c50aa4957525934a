// IPv6 frames through the whole data path (memory port, native batch code, classifier): a
// barrage of malformed frames must leave the director running and count every frame under
// parse_error and under its parser reason; well-formed IPv6 to the IPv6 service beside it and
// IPv4 service go on untouched in between.
import assert from 'node:assert/strict';
import { DIRECTOR_MAC, FakeClock, labConfig, memoryLabFor, ROUTER_MAC, ROUTES, service, VIP } from '../support/memory-plane.js';
import { learnNeighbours6, PLANE6, service6 } from '../support/memory-plane6.js';
import { ethernet, TCP_FLAGS, tcpFrame } from '../support/packets.js';
import {
  ETH_IPV6, fragmentHeader, ipv6, NEXT, optionsHeader, rawHeader, routingHeader, tcp6, tcp6Frame, udp6, udp6Frame,
} from '../support/packets6.js';

const CLIENT6 = '2001:db8:1::10';
const VIP6 = '2001:db8::100';
const eth = { src: ROUTER_MAC, dst: DIRECTOR_MAC };
const bare = (chain: Parameters<typeof ipv6>[1], proto: number, upper: Uint8Array, payloadLength?: number) =>
  ethernet(eth, ETH_IPV6, ipv6({ src: CLIENT6, dst: VIP6, payloadLength }, chain, proto, upper));

/** Each malformed frame with the parse_errors name it must be counted under. */
const BARRAGE: [Buffer, string][] = [
  [tcp6Frame({ eth, ip: { src: CLIENT6, dst: VIP6 }, tcp: { srcPort: 1, dstPort: 80 } }).subarray(0, 40), 'truncated_ip'],
  [bare([], NEXT.TCP, tcp6(CLIENT6, VIP6, { srcPort: 1, dstPort: 80 }), 4000), 'bad_ip_total_len'],
  [bare([rawHeader(NEXT.ROUTING, 9, 8)], NEXT.NONE, Buffer.alloc(0)), 'ext_truncated'],
  [bare([fragmentHeader(0, true, 1), rawHeader(NEXT.DEST_OPTS, 3, 8)], NEXT.TCP, Buffer.alloc(0)), 'ext_truncated'],
  [bare([optionsHeader(NEXT.DEST_OPTS), optionsHeader(NEXT.HOP_BY_HOP)], NEXT.NONE, Buffer.alloc(0)), 'ext_order'],
  [bare(Array.from({ length: 64 }, () => optionsHeader(NEXT.DEST_OPTS)), NEXT.NONE, Buffer.alloc(0)), 'ext_repeated'],
  [bare([routingHeader(), routingHeader()], NEXT.NONE, Buffer.alloc(0)), 'ext_repeated'],
  [bare([], NEXT.ESP, Buffer.alloc(32)), 'ext_unsupported'],
  [bare([fragmentHeader(16, true, 9)], NEXT.UDP, Buffer.alloc(5)), 'bad_frag_len'],
  [udp6Frame({ eth, ip: { src: CLIENT6, dst: VIP6 }, udp: { srcPort: 1, dstPort: 53, checksum: false } }), 'udp6_zero_checksum'],
  [bare([], NEXT.UDP, udp6(CLIENT6, VIP6, { srcPort: 1, dstPort: 53 }).subarray(0, 6)), 'truncated_l4'],
  [bare([], NEXT.TCP, Buffer.alloc(20, 0x10)), 'bad_tcp_header_len'],
];

describe('data path, the malformed IPv6 frame barrage', () => {
  it('counts every malformed IPv6 frame under its parser reason and keeps serving IPv4 and IPv6', async () => {
    const { plane, stats, inject, drain, settle } = await memoryLabFor(labConfig([service('dr'), service6('dr')]), new FakeClock(), ROUTES, PLANE6);
    learnNeighbours6(plane);
    try {
      await settle();
      for (let round = 0; round < 3; round++) {
        for (const [frame] of BARRAGE) inject(frame);
        // Every truncation of every frame too: each is a counted drop, none a crash.
        for (const [frame] of BARRAGE) for (let n = 14; n < Math.min(frame.length, 120); n += 7) inject(frame.subarray(0, n));
      }
      assert.equal(drain().length, 0, 'nothing malformed is forwarded');
      const s = stats();
      const want: Record<string, number> = {};
      for (const [, name] of BARRAGE) want[name] = (want[name] ?? 0) + 3;
      for (const [name, n] of Object.entries(want)) assert.ok((s.parseErrors[name] ?? 0) >= n, `${name}: ${s.parseErrors[name]} < ${n}`);
      const total = Object.values(s.parseErrors).reduce((a, b) => a + b, 0);
      assert.equal(s.drops.parse_error, total, 'parse_error is the sum of the reasons');

      // A well-formed IPv6 SYN and an IPv4 one are both forwarded after it all.
      inject(tcp6Frame({ eth, ip: { src: CLIENT6, dst: VIP6 }, tcp: { srcPort: 40000, dstPort: 80, flags: TCP_FLAGS.SYN } }));
      inject(tcpFrame({ eth, ip: { src: '198.18.1.10', dst: VIP }, tcp: { srcPort: 40000, dstPort: 80, flags: TCP_FLAGS.SYN } }));
      const out = await settle();
      assert.equal(out.length, 2, 'both SYNs are forwarded');
      assert.equal(stats().drops.parse_error, total);
    } finally {
      plane.close();
    }
  });
});
