// The checksum case of the routed e2e suites: what the director transmits, captured where it is
// received (at a real server, and at the router for replies the director sends toward the
// client), must carry checksums that tshark and an independent recomputation both accept.
//
// Why the director's transmit checksum offload is switched off for this case: on veth a frame
// the director leaves CHECKSUM_PARTIAL (vnet header NEEDS_CSUM, as it should for partial frames
// it received) crosses to the receiver still partial, so any capture shows only the
// pseudo-header seed there, and the receiving kernel trusts it without checking. With "tx off"
// on the director's lan0 the kernel completes each checksum, and segments each GSO frame, from
// exactly what the director wrote (a wrong seed gives a wrong checksum), before the frame leaves.
// Everything else keeps its offloads, so the director still receives partial and GSO frames.

import assert from 'node:assert/strict';
import { setOffloads } from '../../src/lab/netns.js';
import { HTTP_PORT, runClient, UDP_PORT } from '../../src/lab/services.js';
import { startCapture, tsharkChecksums, type Capture } from './capture.js';
import { decodeFrame, l4ChecksumOk, verifyIpv4Checksum } from './packets.js';
import { requireTools } from './prerequisites.js';
import type { RoutedContext, RoutedMode } from './routed-e2e.js';

const BYTES = 1_000_000;

async function directorTxChecksum(ctx: RoutedContext, on: boolean): Promise<void> {
  const d = ctx.fx.lab.directors[0]!;
  await setOffloads(d.ns, d.ifname, { tx: on });
}

/** Our own reading of every IPv4 TCP/UDP frame: header and innermost L4 checksums from scratch. */
function ownCheck(frames: Buffer[]): { checked: number; bad: string[] } {
  let checked = 0;
  const bad: string[] = [];
  frames.forEach((f, i) => {
    let ip = decodeFrame(f).ip;
    while (ip?.inner) ip = ip.inner;
    if (ip === undefined || (ip.proto !== 6 && ip.proto !== 17) || ip.mf || ip.fragOffset !== 0) return;
    checked++;
    if (!verifyIpv4Checksum(f)) bad.push(`frame ${i + 1}: ip`);
    if (!l4ChecksumOk(f)) bad.push(`frame ${i + 1}: ${ip.proto === 6 ? 'tcp' : 'udp'} ${ip.src} > ${ip.dst}`);
  });
  return { checked, bad };
}

async function verdictOf(where: string, cap: Capture): Promise<void> {
  const { frames } = await cap.stop();
  const ts = await tsharkChecksums(cap.file);
  const own = ownCheck(frames);
  console.log(`      ${where}: ${ts.frames} frames, tshark good ip/tcp/udp ${ts.good.ip}/${ts.good.tcp}/${ts.good.udp}, own check ${own.checked}`);
  assert.deepEqual(ts.bad.slice(0, 10), [], `tshark at ${where}: ${ts.bad.length} bad checksums`);
  assert.deepEqual(own.bad.slice(0, 10), [], `recomputed at ${where}: ${own.bad.length} bad checksums`);
  assert.ok(ts.good.tcp > 100 && ts.good.udp > 0, `tshark verified too little at ${where}: ${JSON.stringify(ts.good)}`);
}

/**
 * Registers the case. Captures at rs1 (director to real server) always, and at the router's LAN
 * side (director to client) where replies pass the director (NAT, FULLNAT; in TUN the real
 * servers answer the client directly).
 */
export function checksumCase(ctx: RoutedContext, mode: RoutedMode): void {
  it('transmits checksums that tshark and a recomputation accept at the receivers', async function () {
    requireTools(this, 'tcpdump', 'tshark');
    // Six transfers and three tshark passes: minutes on a loaded machine, seconds on an idle one.
    this.timeout(300_000);
    const { lab, cleanup } = ctx.fx;
    const dirMac = lab.directors[0]!.mac;
    const rs1 = lab.realServers[0]!;
    await directorTxChecksum(ctx, false);
    try {
      const caps: Array<[string, Capture]> = [[`${rs1.name} ${rs1.ifname}`,
        await startCapture(cleanup, rs1.ns, rs1.ifname, `ether src ${dirMac} and ip`, { maxPackets: 20_000 })]];
      if (mode !== 'tun') {
        caps.push([`router ${lab.router.ifname}`,
          await startCapture(cleanup, lab.router.ns, lab.router.ifname, `ether src ${dirMac} and ip`, { maxPackets: 20_000 })]);
      }
      // Headers only, at the director's receive side: proof that GSO super-frames did arrive.
      const inbound = await startCapture(cleanup, lab.directors[0]!.ns, lab.directors[0]!.ifname,
        `ether dst ${dirMac} and tcp`, { maxPackets: 20_000, snaplen: 96 });
      // Three of each, so rr sends one of each to rs1 whatever the scheduler's position.
      for (const [kind, seed] of [['download', 3], ['upload', 4], ['download', 5], ['upload', 6], ['download', 8], ['upload', 10]] as const) {
        const r = await runClient(lab.client.ns, 'http-client.js',
          [kind, '--target', `${lab.vip}:${HTTP_PORT}`, '--bytes', String(BYTES), '--seed', String(seed), '--timeout', '20000'], 30_000);
        assert.ok(r.ok, JSON.stringify(r.result));
      }
      const u = await runClient(lab.client.ns, 'udp-client.js', ['--target', `${lab.vip}:${UDP_PORT}`, '--count', '6', '--size', '1000']);
      assert.ok(u.ok, JSON.stringify(u.result));
      for (const [where, cap] of caps) await verdictOf(where, cap);
      const largest = Math.max(0, ...(await inbound.stop()).wireLengths);
      console.log(`      largest TCP frame the director received: ${largest} bytes`);
      assert.ok(largest > 1514, 'no GSO super-frame reached the director: the case would not cover GSO');
    } finally {
      await directorTxChecksum(ctx, true);
    }
  });
}
