// IPv6 end to end in a dual-stack netns lab: real HTTP and UDP from the client to the IPv6 VIP
// through a director in every forwarding method (DR, NAT, FULLNAT, TUN as ip6ip6), the spread
// over the real servers and the director's counters; then one director serving the IPv4 and the
// IPv6 VIP at once with the same real servers, its connection table listed by director adm.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NO_NAMES } from '../../src/adm/names.js';
import { admMain } from '../../src/cli/adm.js';
import { CONTROL_DIR } from '../../src/control/socket-path.js';
import type { DirectorStats, ServiceStats } from '../../src/director-stats.js';
import type { ForwardMethod } from '../../src/config/model.js';
import type { LabDirector } from '../../src/lab/director-runner.js';
import { ipIn } from '../../src/lab/netns.js';
import { DEFAULT_LIPS6 } from '../../src/lab/keepalived.js';
import { countHttp, hostPort, HTTP_PORT, runClient, UDP_PORT } from '../../src/lab/services.js';
import { capture } from '../support/adm-director.js';
import { assertDemoSpread, runDemo } from '../support/demo.js';
import { withDirector } from '../support/director.js';
import { withLab, type LabFixture } from '../support/netns.js';
import { needsRoot } from '../support/prerequisites.js';
import { BLOB, statsOf, unexpectedDrops } from '../support/routed-e2e.js';
import { waitUntil } from '../support/wait.js';

/**
 * unexpectedDrops, less Neighbour Discovery the director only learns from or that asks for
 * others (router solicitations, the real servers' own solicitations): IPv6's arp_consumed.
 */
function unexpectedDrops6(stats: Record<string, unknown>): Record<string, number> {
  const out = unexpectedDrops(stats);
  delete out['drops.nd_consumed'];
  return out;
}

const TITLE: Record<ForwardMethod, string> = { dr: 'DR', nat: 'NAT', fnat: 'FULLNAT', tun: 'TUN (ip6ip6)' };
const EVEN = { rs1: 10, rs2: 10, rs3: 10 };

/** The director's service on vip:port/protocol in its stats (a process reports once a second). */
function service(d: LabDirector, vip: string, port: number, protocol = 'tcp'): ServiceStats | undefined {
  const stats = statsOf(d) as unknown as Partial<DirectorStats>;
  return stats.services?.find((s) => s.vip === vip && s.port === port && s.protocol.toLowerCase() === protocol);
}

/** The source addresses a real server should see over IPv6: the client's, or for FULLNAT only local addresses. */
function expectedSources6(fx: LabFixture, mode: ForwardMethod): string[] {
  return mode === 'fnat' ? [...DEFAULT_LIPS6] : [fx.lab.client.address6!];
}

function modeSuite(mode: ForwardMethod): void {
  describe(`${TITLE[mode]} over IPv6 end to end (needs root: creates network namespaces)`, function () {
    this.timeout(120_000);
    const fx = withLab({ mode, servers: 3, udp: true, ipv6: true });
    const dir = withDirector(fx, 'embedded');
    /** Downloads and uploads started: each one more connection in the stats, whatever its fate. */
    let transfers = 0;

    it("answers neighbour solicitations for the IPv6 VIP with the director's MAC", function () {
      assert.equal(dir.vipMac6, fx.lab.directors[0]!.mac);
    });

    it('spreads 30 HTTP connections to [2001:db8::100]:80 over three real servers 10/10/10 with rr', async function () {
      const r = await countHttp(fx.lab, fx.lab.vip6!, 30);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.counts, EVEN);
      const peers = Object.keys(r.result.peers as Record<string, number>);
      const allowed = expectedSources6(fx, mode);
      assert.ok(peers.every((p) => allowed.includes(p)), `real servers saw ${peers.join(', ')}; expected only ${allowed.join(', ')}`);
    });

    it('spreads 30 UDP flows to [2001:db8::100]:5353 (a new source port each) 10/10/10', async function () {
      const r = await runClient(fx.lab.client.ns, 'udp-client.js', ['--target', hostPort(fx.lab.vip6!, UDP_PORT), '--count', '30']);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.result.counts, EVEN);
    });

    it('carries a 20 MB download over IPv6 intact, byte for byte', async function () {
      transfers++;
      const r = await runClient(fx.lab.client.ns, 'http-client.js',
        ['download', '--target', hostPort(fx.lab.vip6!, HTTP_PORT), '--bytes', String(BLOB), '--seed', '7', '--timeout', '60000'], 70_000);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.equal(r.result.bytes, BLOB);
      console.log(`      download ${String(r.result.mbitps)} Mbit/s via ${String(r.result.server)}`);
    });

    it('carries a 20 MB upload over IPv6 intact (sha256 checked by the real server)', async function () {
      transfers++;
      const r = await runClient(fx.lab.client.ns, 'http-client.js',
        ['upload', '--target', hostPort(fx.lab.vip6!, HTTP_PORT), '--bytes', String(BLOB), '--seed', '9', '--timeout', '60000'], 70_000);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.equal(r.result.bytes, BLOB);
    });

    it('counts the IPv6 connections per real server in the director stats, none on the IPv4 VIP', function () {
      const tcp6 = service(dir.director, fx.lab.vip6!, HTTP_PORT);
      assert.ok(tcp6, `no service ${hostPort(fx.lab.vip6!, HTTP_PORT)} in ${JSON.stringify(statsOf(dir.director).services)}`);
      // 30 counted, then the download and upload.
      assert.equal(tcp6.conns, 30 + transfers);
      assert.deepEqual(tcp6.realServers.map((rs) => rs.address).sort(), fx.lab.realServers.map((rs) => rs.address6!).sort());
      for (const rs of tcp6.realServers) assert.ok(rs.conns >= 10 && rs.inPkts > 0, JSON.stringify(rs));
      assert.equal(service(dir.director, fx.lab.vip6!, UDP_PORT, 'udp')?.conns, 30);
      assert.equal(service(dir.director, fx.lab.vip, HTTP_PORT)?.conns, 0);
    });

    // Last, so it covers everything the cases above sent.
    it('shows no unexpected drops or port errors in the director stats', function () {
      const stats = statsOf(dir.director);
      console.log(`      drops ${JSON.stringify(stats.drops)}`);
      assert.deepEqual(unexpectedDrops6(stats), {}, JSON.stringify(stats));
    });
  });
}

for (const mode of ['dr', 'nat', 'fnat', 'tun'] as const) modeSuite(mode);

describe('TUN (ip6ip6) over IPv6 with offloads off (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  // Without GSO super-frames every segment is tunnelled once Packet Too Big has lowered the
  // client's path MTU: tells the tunnel's MTU handling from its (missing) GSO segmentation.
  const fx = withLab({ mode: 'tun', servers: 1, ipv6: true, offloads: false });
  const dir = withDirector(fx, 'embedded', { udp: false });

  it('carries a 20 MB upload intact after Packet Too Big lowers the path MTU to 1460', async function () {
    const r = await runClient(fx.lab.client.ns, 'http-client.js',
      ['upload', '--target', hostPort(fx.lab.vip6!, HTTP_PORT), '--bytes', String(BLOB), '--seed', '9', '--timeout', '60000'], 70_000);
    assert.ok(r.ok, JSON.stringify(r.result));
    const route = await ipIn(fx.lab.client.ns, ['-6', 'route', 'get', fx.lab.vip6!]);
    assert.match(route, /mtu 1460/, route);
    assert.deepEqual(unexpectedDrops6(statsOf(dir.director)), {}, JSON.stringify(statsOf(dir.director)));
  });
});

/** `director adm ARGV` against the control socket of a director process in ns; its stdout. */
async function adm(ns: string, ...argv: string[]): Promise<string> {
  const io = capture();
  const code = await admMain([...argv, '--control', path.join(CONTROL_DIR, `${ns}.sock`)], io, NO_NAMES);
  assert.equal(code, 0, `adm ${argv.join(' ')}: ${io.stderr.join('\n')}`);
  return io.stdout.join('\n');
}

/** Connection rows of `adm -L -n -c` from client to vip:80 per real server address. */
function connectionsTo(listing: string, client: string, vip: string): Record<string, number> {
  const out: Record<string, number> = {};
  const from = client.includes(':') ? `[${client}]:` : `${client}:`;
  for (const line of listing.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'TCP' || !words[3]?.startsWith(from) || words[4] !== hostPort(vip, HTTP_PORT)) continue;
    const dest = words[5] ?? '?';
    out[dest] = (out[dest] ?? 0) + 1;
  }
  return out;
}

describe('dual-stack service: one NAT director serves the IPv4 and the IPv6 VIP at once (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'nat', servers: 3, udp: true, ipv6: true });
  const dir = withDirector(fx, 'process');

  it('spreads 30 connections to each VIP, sent side by side, 10/10/10 over the same real servers', async function () {
    const [v4, v6] = await Promise.all([countHttp(fx.lab, fx.lab.vip, 30), countHttp(fx.lab, fx.lab.vip6!, 30)]);
    assert.ok(v4.ok, JSON.stringify(v4.result));
    assert.ok(v6.ok, JSON.stringify(v6.result));
    assert.deepEqual(v4.counts, EVEN);
    assert.deepEqual(v6.counts, EVEN);
    assert.deepEqual(v4.result.peers, { [fx.lab.client.address]: 30 });
    assert.deepEqual(v6.result.peers, { [fx.lab.client.address6!]: 30 });
  });

  it('lists both families side by side in director adm -L -n -c: 10 connections per real server and VIP', async function () {
    const { lab } = fx;
    const ns = lab.directors[0]!.ns;
    await waitUntil('the control socket', () => existsSync(path.join(CONTROL_DIR, `${ns}.sock`)));
    const listing = await adm(ns, '-L', '-n', '-c');
    const per = (address: string, port: number): string => hostPort(address, port);
    assert.deepEqual(connectionsTo(listing, lab.client.address, lab.vip),
      Object.fromEntries(lab.realServers.map((rs) => [per(rs.address, HTTP_PORT), 10])), listing);
    assert.deepEqual(connectionsTo(listing, lab.client.address6!, lab.vip6!),
      Object.fromEntries(lab.realServers.map((rs) => [per(rs.address6!, HTTP_PORT), 10])), listing);
    const services = await adm(ns, '-L', '-n');
    assert.match(services, /^TCP {2}198\.19\.0\.100:80 rr/m, services);
    assert.match(services, /^TCP {2}\[2001:db8::100\]:80 rr/m, services);
  });

  it('counts 30 connections on each VIP in the stats, and no unexpected drops', async function () {
    await waitUntil('the stats of both services', () => service(dir.director, fx.lab.vip6!, HTTP_PORT)?.conns === 30
      && service(dir.director, fx.lab.vip, HTTP_PORT)?.conns === 30);
    assert.deepEqual(unexpectedDrops6(statsOf(dir.director)), {}, JSON.stringify(statsOf(dir.director)));
  });
});

describe('director lab demo --ipv6 (needs root: creates network namespaces)', function () {
  this.timeout(150_000);
  needsRoot();

  /** The demo's counts for the IPv6 VIP: the HTTP table and the UDP line after its heading. */
  function assertIpv6Spread(out: string): void {
    const v6 = out.slice(out.indexOf('to [2001:db8::100]:80'));
    assert.match(v6, /^ {2}rs1\s+10 [^]*^ {2}rs2\s+10 [^]*^ {2}rs3\s+10 /m, out);
    assert.match(out, /UDP echo to \[2001:db8::100\]:5353, a new source port each: \{"rs1":10,"rs2":10,"rs3":10\}/, out);
  }

  it('DR, embedded: prints 10/10/10 for HTTP and UDP on both VIPs and removes the lab', async function () {
    const out = await runDemo(['--ipv6', '--connections', '30'], 120_000);
    await assertDemoSpread(out, 10);
    assertIpv6Spread(out);
    assert.match(out, /director owns 2001:db8::100 after/);
    assert.match(out, /TCP \[2001:db8::100\]:80 rr\s+30/);
  });

  it('FULLNAT, director process: prints 10/10/10 on both VIPs and removes the lab', async function () {
    const out = await runDemo(['--ipv6', '--mode', 'fnat', '--process', '--connections', '30'], 120_000);
    await assertDemoSpread(out, 10);
    assertIpv6Spread(out);
  });
});
