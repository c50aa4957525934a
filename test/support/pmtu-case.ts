// The path MTU case of the e2e suites (every mode): the router's link to the client is narrowed
// to 1280 bytes while the real servers keep sending full 1500-byte segments (the client's SYN
// still announces MSS 1460). The router answers each with ICMP fragmentation-needed addressed to
// the VIP, the source of every reply, so the error reaches the director, which must hand it to
// the real server that sent the segment, translated as that server's packets are (NAT: quoted
// source back to the real server; FULLNAT: to the local address; DR and TUN: unchanged, to the
// server's MAC or through the tunnel). With syn_proxy on (NAT and FULLNAT) the server's sequence
// numbers differ from the client's view, so the quoted number must be moved back too: Linux
// drops an error quoting a number outside its window. Only then does the server lower its path
// MTU and resend smaller; otherwise the download stalls (a PMTU black hole) and the case fails
// on its timeout, as it did with the error dropped, or with the quoted number left as it came.

import assert from 'node:assert/strict';
import type { ForwardMethod } from '../../src/config/model.js';
import { ipIn } from '../../src/lab/netns.js';
import { HTTP_PORT, runClient } from '../../src/lab/services.js';
import type { LabFixture } from './netns.js';

const NARROW_MTU = 1280;
const BYTES = 4_000_000;

/** The real servers' route exceptions that carry a learned path MTU ("... mtu 1280"). */
async function learnedMtus(fx: LabFixture): Promise<string[]> {
  const out: string[] = [];
  for (const rs of fx.lab.realServers) {
    const cache = await ipIn(rs.ns, ['-4', '-o', 'route', 'show', 'cache']);
    for (const line of cache.split('\n')) if (/\bmtu \d+/.test(line)) out.push(`${rs.name}: ${line.trim()}`);
  }
  return out;
}

/** Registers the case on a suite whose lab (fx) has its director running. */
export function pmtuCase(fx: LabFixture, mode: ForwardMethod): void {
  it(`completes a download through a ${NARROW_MTU}-byte client link: the router's frag-needed reaches the real server through the director (${mode.toUpperCase()})`, async function () {
    const { lab } = fx;
    const narrow = lab.routerClientSide;
    // Nothing learned earlier may stand in for what this case must make happen.
    for (const rs of lab.realServers) await ipIn(rs.ns, ['route', 'flush', 'cache']);
    await ipIn(narrow.ns, ['link', 'set', 'dev', narrow.ifname, 'mtu', String(NARROW_MTU)]);
    try {
      const r = await runClient(lab.client.ns, 'http-client.js',
        ['download', '--target', `${lab.vip}:${HTTP_PORT}`, '--bytes', String(BYTES), '--seed', '31', '--timeout', '30000'], 40_000);
      assert.ok(r.ok, `the download stalled or failed (a path MTU black hole?): ${JSON.stringify(r.result)}`);
      assert.equal(r.result.bytes, BYTES);
      const learned = await learnedMtus(fx);
      assert.ok(learned.some((l) => l.includes(`mtu ${NARROW_MTU}`)), `no real server learned MTU ${NARROW_MTU}: ${JSON.stringify(learned)}`);
      console.log(`      ${String(r.result.mbitps)} Mbit/s via ${String(r.result.server)}; ${learned.join('; ')}`);
    } finally {
      await ipIn(narrow.ns, ['link', 'set', 'dev', narrow.ifname, 'mtu', '1500']);
      for (const rs of lab.realServers) await ipIn(rs.ns, ['route', 'flush', 'cache']);
    }
  });
}
