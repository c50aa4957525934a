// The end-to-end cases every routed forwarding method (NAT, FULLNAT, TUN) must pass in a netns
// lab, registered as one mocha suite per mode around one shared lab and embedded director; a
// mode's own test file adds its specific cases to the same suite through `extra`.

import assert from 'node:assert/strict';
import type { ForwardMethod } from '../../src/config/model.js';
import type { LabDirector } from '../../src/lab/director-runner.js';
import { DEFAULT_LIPS } from '../../src/lab/keepalived.js';
import { countHttp, HTTP_PORT, runClient, UDP_PORT } from '../../src/lab/services.js';
import { checksumCase } from './checksum-case.js';
import { assertDemoSpread, runDemo } from './demo.js';
import { withDirector, type DirectorFixture } from './director.js';
import { withLab, type LabFixture } from './netns.js';
import { pmtuCase } from './pmtu-case.js';
import { needsRoot } from './prerequisites.js';

export const BLOB = 20_000_000;

/** Drop reasons a healthy run may show: IPv6 chatter, ARP we only learn from, frames not for us, the segment's multicast (MLD reports). */
const EXPECTED_DROPS = new Set(['not_ip', 'nd_consumed', 'icmp6_unhandled', 'arp_consumed', 'not_ours', 'multicast']);

export interface RoutedContext {
  readonly fx: LabFixture;
  readonly dir: DirectorFixture;
}

export type RoutedMode = Exclude<ForwardMethod, 'dr'>;

const TITLE: Record<RoutedMode, string> = { nat: 'NAT', fnat: 'FULLNAT', tun: 'TUN (IPIP)' };

/** The director's stats as plain JSON (embedded directors hand out live counter objects). */
export function statsOf(d: LabDirector): Record<string, unknown> {
  return JSON.parse(JSON.stringify(d.stats() ?? {})) as Record<string, unknown>;
}

/** Drop counters outside EXPECTED_DROPS and port error counters, each non-zero one by name. */
export function unexpectedDrops(stats: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries((stats.drops ?? {}) as Record<string, number>)) {
    if (!EXPECTED_DROPS.has(k) && v !== 0) out[`drops.${k}`] = v;
  }
  const port = (stats.port ?? {}) as Record<string, number>;
  for (const k of ['rxParseErrors', 'rxRingDrops', 'rxTruncated', 'rxErrors', 'txErrors', 'verdictErrors']) {
    if ((port[k] ?? 0) !== 0) out[`port.${k}`] = port[k]!;
  }
  return out;
}

/** The source addresses a real server should see: the client, or for FULLNAT only local addresses. */
function expectedSources(fx: LabFixture, mode: RoutedMode): string[] {
  return mode === 'fnat' ? [...DEFAULT_LIPS] : [fx.lab.client.address];
}

/**
 * The shared suite of one mode; `extra` registers mode-specific cases on the same lab. With
 * synProxy the lab's TCP service has syn_proxy on (NAT and FULLNAT).
 */
export function routedSuite(mode: RoutedMode, extra: (ctx: RoutedContext) => void = () => undefined, o: { synProxy?: boolean } = {}): void {
  const variant = o.synProxy ? ', syn_proxy on' : '';
  describe(`${TITLE[mode]} end to end${variant} (needs root: creates network namespaces)`, function () {
    this.timeout(120_000);
    const fx = withLab({ mode, servers: 3, udp: true });
    const dir = withDirector(fx, 'embedded', { synProxy: o.synProxy === true });

    it('spreads 30 HTTP connections over three real servers 10/10/10 with rr', async function () {
      const r = await countHttp(fx.lab, fx.lab.vip, 30);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.counts, { rs1: 10, rs2: 10, rs3: 10 });
      const peers = Object.keys(r.result.peers as Record<string, number>);
      const allowed = expectedSources(fx, mode);
      assert.ok(peers.every((p) => allowed.includes(p)), `real servers saw ${peers.join(', ')}; expected only ${allowed.join(', ')}`);
    });

    it('spreads 30 UDP flows (a new source port each) 10/10/10', async function () {
      const r = await runClient(fx.lab.client.ns, 'udp-client.js', ['--target', `${fx.lab.vip}:${UDP_PORT}`, '--count', '30']);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.result.counts, { rs1: 10, rs2: 10, rs3: 10 });
    });

    it('carries a 20 MB download through the VIP intact, byte for byte', async function () {
      const r = await transfer(fx, 'download', 7);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.equal(r.result.bytes, BLOB);
      console.log(`      download ${String(r.result.mbitps)} Mbit/s via ${String(r.result.server)}`);
    });

    it('carries a 20 MB upload through the VIP intact (sha256 checked by the real server)', async function () {
      const r = await transfer(fx, 'upload', 9);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.equal(r.result.bytes, BLOB);
      console.log(`      upload ${String(r.result.mbitps)} Mbit/s via ${String(r.result.server)}`);
    });

    checksumCase({ fx, dir }, mode);
    pmtuCase(fx, mode);
    extra({ fx, dir });

    // Last, so it covers everything the cases above sent.
    it('shows no unexpected drops or port errors in the director stats', function () {
      const stats = statsOf(dir.director);
      console.log(`      drops ${JSON.stringify(stats.drops)}, ICMP sent ${JSON.stringify(stats.icmpSent)}`);
      assert.deepEqual(unexpectedDrops(stats), {}, JSON.stringify(stats));
    });
  });
}

function transfer(fx: LabFixture, kind: 'download' | 'upload', seed: number): ReturnType<typeof runClient> {
  return runClient(fx.lab.client.ns, 'http-client.js',
    [kind, '--target', `${fx.lab.vip}:${HTTP_PORT}`, '--bytes', String(BLOB), '--seed', String(seed), '--timeout', '60000'], 70_000);
}

/** `director lab demo --mode NAME` through bin/director spreads 30 connections 10/10/10 and cleans up. */
export function demoSuite(mode: string): void {
  describe(`director lab demo --mode ${mode} (needs root: creates network namespaces)`, function () {
    this.timeout(150_000);
    needsRoot();

    it('prints 10/10/10 for HTTP and UDP and removes the lab', async function () {
      await assertDemoSpread(await runDemo(['--mode', mode, '--connections', '30'], 120_000), 10);
    });
  });
}
