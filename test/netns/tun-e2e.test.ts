// TUN (IPIP) end to end in a netns lab: the shared routed cases, then TUN's own: what a real
// server receives is IPIP from the director carrying the client's packet to the VIP, and a DF
// packet that would not fit after encapsulation is answered with frag-needed (MTU 1480).

import assert from 'node:assert/strict';
import { run } from '../../src/lab/netns.js';
import { countHttp, runClient, UDP_PORT } from '../../src/lab/services.js';
import { startCapture } from '../support/capture.js';
import {
  decodeFrame, l4ChecksumOk, l4FieldOffset, partialSeedOk, PROTO, verifyIpv4Checksum, VNET_F_NEEDS_CSUM, vnetHeader,
} from '../support/packets.js';
import { requireTools } from '../support/prerequisites.js';
import { udpProbe } from '../support/probes.js';
import { demoSuite, routedSuite, statsOf, type RoutedContext } from '../support/routed-e2e.js';

function innerSeedOk(f: Buffer): boolean {
  const inner = decodeFrame(f).ip!.inner!;
  const csumStart = inner.offset + inner.ihl * 4;
  return partialSeedOk(f, vnetHeader({ flags: VNET_F_NEEDS_CSUM, csumStart, csumOffset: l4FieldOffset(inner.proto) }));
}

const fragNeededSent = ({ dir }: RoutedContext): number =>
  (statsOf(dir.director).icmpSent as { fragNeeded: number }).fragNeeded;

routedSuite('tun', (ctx) => {
  it("delivers IPIP to the real server: outer director -> real server (proto 4), inner client -> VIP", async function () {
    requireTools(this, 'tcpdump');
    const { lab, cleanup } = ctx.fx;
    const [d, rs1] = [lab.directors[0]!, lab.realServers[0]!];
    const cap = await startCapture(cleanup, rs1.ns, rs1.ifname, 'ip proto 4', { maxPackets: 200 });
    // rr: 6 UDP flows and 3 HTTP connections give rs1 two and one, whatever came before. The
    // flows' source ports lie below the ephemeral range, so none is a flow an earlier case of
    // this suite left in the director's table (which would keep its old real server).
    const u = await runClient(lab.client.ns, 'udp-client.js', ['--target', `${lab.vip}:${UDP_PORT}`, '--count', '6', '--first-port', '20000']);
    assert.ok(u.ok, JSON.stringify(u.result));
    assert.ok((await countHttp(lab, lab.vip, 3)).ok);
    const { frames } = await cap.stop();
    const decoded = frames.map((f) => ({ f, d: decodeFrame(f) }));
    assert.ok(decoded.length >= 2 + 3, `only ${decoded.length} IPIP frames captured`);
    for (const { f, d: x } of decoded) {
      const outer = x.ip!;
      const inner = outer.inner;
      assert.deepEqual([x.srcMac, x.dstMac], [d.mac, rs1.mac]);
      assert.deepEqual([outer.src, outer.dst, outer.proto], [d.address, rs1.address, PROTO.IPIP]);
      assert.ok(inner !== undefined, 'an inner IPv4 packet');
      assert.deepEqual([inner.src, inner.dst], [lab.client.address, lab.vip]);
      // IPVS copies DF from the inner header and sets a fresh TTL on the outer one.
      assert.equal(outer.df, inner.df);
      assert.ok(outer.ttl > 1, `outer TTL ${outer.ttl}`);
      assert.equal(outer.totalLength, 20 + inner.totalLength);
      assert.ok(verifyIpv4Checksum(f), 'outer and inner IPv4 header checksums');
      // The client's stack leaves UDP checksums partial on veth and the frame stays partial all
      // the way (the checksum case covers completed ones): accept the complete sum or the exact seed.
      if (inner.udp) assert.ok(l4ChecksumOk(f) || innerSeedOk(f), 'inner UDP checksum: complete, or the partial seed');
    }
    const udp = decoded.filter(({ d: x }) => x.ip!.inner!.proto === PROTO.UDP);
    assert.equal(udp.length, 2, 'two UDP flows went to rs1');
    assert.ok(udp.every(({ d: x }) => x.ip!.inner!.udp!.dstPort === UDP_PORT));
    assert.ok(decoded.some(({ d: x }) => x.ip!.inner!.tcp !== undefined), 'TCP inside IPIP too');
  });

  it('answers a DF datagram that would not fit after encapsulation with frag-needed, MTU 1480', async function () {
    requireTools(this, 'python3');
    const { lab } = ctx.fx;
    // The TCP transfers above already taught the client the VIP's path MTU: forget it, so the
    // 1500-byte datagram really leaves the client.
    await run('ip', ['netns', 'exec', lab.client.ns, 'ip', 'route', 'flush', 'cache']);
    const sentBefore = fragNeededSent(ctx);
    // 1472 bytes of UDP payload: a 1500-byte IP packet, 1520 bytes once encapsulated.
    const r = await udpProbe(lab.client.ns, lab.vip, UDP_PORT, { size: 1472, df: true });
    assert.equal(r.sendError, undefined, JSON.stringify(r));
    assert.equal(r.reply, null, JSON.stringify(r));
    assert.deepEqual(r.icmp, { errno: 'EMSGSIZE', origin: 2, type: 3, code: 4, info: 1480, from: lab.directors[0]!.address },
      JSON.stringify(r));
    assert.equal(r.pathMtu, 1480);
    assert.equal(fragNeededSent(ctx) - sentBefore, 1);
  });

  it('forwards a DF datagram that fits after encapsulation (control: 1452 bytes of payload)', async function () {
    requireTools(this, 'python3');
    const { lab } = ctx.fx;
    const r = await udpProbe(lab.client.ns, lab.vip, UDP_PORT, { size: 1452, df: true });
    assert.equal(r.icmp, null, JSON.stringify(r));
    assert.match(r.reply ?? '', /^rs[123]$/, JSON.stringify(r));
  });
});
demoSuite('tun');
