// The AF_XDP port in network namespaces: attaching through the netns option, owned traffic in
// batches, everything else still the kernel's (ping to the interface's own address), partial
// checksums from veth senders detected, the auto fallback with its reason, and DR end to end
// (HTTP spread, 20 MB each way byte for byte) with the director on AF_XDP.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { Director } from '../../src/director.js';
import { waitForVip, type LabDirector } from '../../src/lab/director-runner.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import { addAddress, ipIn } from '../../src/lab/netns.js';
import { Cleanup } from '../../src/lab/cleanup.js';
import { countHttp, HTTP_PORT, runClient } from '../../src/lab/services.js';
import { formatIpv4, parseIpv4 } from '../../src/net/addr.js';
import { loadAddon } from '../../src/native/binding.js';
import { FrameKind, Limits, Meta } from '../../src/native/layout.generated.js';
import type { NativeEngine } from '../../src/native/types.js';
import { buildLine, nsPath, type Line } from '../support/native-lab.js';
import { withLab } from '../support/netns.js';
import { ping } from '../support/ping.js';
import { needsRoot, requireTools, requireXdp } from '../support/prerequisites.js';
import { waitUntil } from '../support/wait.js';

const OWNED = '198.19.0.100';
const D0_IP = '198.19.0.2';
const BLOB = 20_000_000;

/** Sends count UDP datagrams from ns to ip:9, blocking this process so frames queue up. */
function burst(ns: string, ip: string, count: number): void {
  const src = `const s=require('dgram').createSocket('udp4');let n=0;const b=Buffer.alloc(32,7);` +
    `const go=()=>{if(n++<${count})s.send(b,9,'${ip}',go);else s.close();};go();`;
  execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', src], { timeout: 30_000 });
}

/** Destinations of the IPv4 frames of a batch (ARP frames also reach the port, from its tap). */
function dstIps(engine: NativeEngine, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (engine.meta[i * Meta.WORDS + Meta.KIND] === FrameKind.IPV4) out.push(engine.meta[i * Meta.WORDS + Meta.DST_IP]! >>> 0);
  }
  return out;
}

function drConfig(vip: string, rs: string): ReturnType<typeof parseKeepalivedConfig> {
  return parseKeepalivedConfig(`virtual_server ${vip} 80 {\n lb_algo rr\n lb_kind DR\n protocol TCP\n` +
    ` real_server ${rs} 80 {\n weight 1\n }\n}\n`, 'xdp-test.conf');
}

describe('AF_XDP port on a veth (needs root: creates network namespaces, attaches XDP)', function () {
  this.timeout(60_000);
  const cleanup = new Cleanup();
  let line: Line;
  let engine: NativeEngine | null = null;
  let port = -1;
  const batches: number[] = [];
  const seen: number[] = [];

  needsRoot();
  before(async function () {
    requireXdp(this);
    requireTools(this, 'python3');
    line = await buildLine(cleanup);
    await addAddress(line.d, 'd0', `${D0_IP}/24`);
    engine = new (loadAddon().Engine)();
    cleanup.first(async () => { engine?.close(); });
    port = engine.addXdpPort('d0', { netns: nsPath(line.d) });
    engine.setXdpAddresses(port, { owned: [parseIpv4(OWNED)] });
    engine.onBatch((_p, n) => { batches.push(n); seen.push(...dstIps(engine!, n)); });
    engine.start();
    await ipIn(line.a, ['neigh', 'replace', OWNED, 'lladdr', line.macD0, 'dev', 'a0', 'nud', 'permanent']);
  });
  after(async function () {
    this.timeout(30_000);
    await cleanup.run();
  });

  it('attaches in the namespace as an xdp port, native XDP in copy mode on veth', function () {
    const info = engine!.portInfo(port);
    assert.equal(info.kind, 'xdp');
    assert.equal(info.mac, line.macD0);
    assert.equal(formatIpv4(info.ipv4), D0_IP);
    const st = engine!.xdpStatus(port);
    console.log(`      attach ${st.attach}, mode ${st.mode}`);
    assert.equal(st.mode, 'copy', 'veth has no zero-copy AF_XDP');
    assert.equal(st.attach, 'native');
  });

  it('delivers 300 datagrams to an owned address in batches of up to batchMax', async function () {
    batches.length = 0;
    seen.length = 0;
    burst(line.a, OWNED, 300);  // blocks this event loop: the frames wait in the RX ring
    await waitUntil('300 frames to the owned address', () => seen.filter((a) => a === parseIpv4(OWNED)).length >= 300);
    const max = Math.max(...batches);
    assert.ok(max > 1 && max <= Limits.BATCH_MAX, `batches ${JSON.stringify(batches)}`);
    assert.ok(batches.length < 300, `${batches.length} batches for 300 frames`);
  });

  it('marks the veth sender\'s partial UDP checksums (the frames carry no vnet header)', function () {
    const st = engine!.xdpStatus(port);
    console.log(`      partial checksums detected: ${st.partialChecksums}`);
    assert.ok(st.partialChecksums >= 300, JSON.stringify(st));
  });

  it('leaves other traffic to the kernel: ping to the interface address works, the port sees none of it', async function () {
    seen.length = 0;
    assert.ok(await ping(line.a, D0_IP), 'ping to d0 while the XDP port is attached');
    burst(line.a, D0_IP, 20);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(seen.filter((a) => a === parseIpv4(D0_IP)).length, 0);
  });

  it('refuses a queue the interface does not have, naming it', function () {
    const other = new (loadAddon().Engine)();
    try {
      assert.throws(() => other.addXdpPort('d1', { netns: nsPath(line.d), queue: 7 }), /queue 7/);
      assert.throws(() => other.addXdpPort('d1', { netns: nsPath(line.d), frameSize: 1000 }), /frameSize/);
      assert.throws(() => engine!.setXdpAddresses(port, { owned: [-1] }), RangeError);
    } finally {
      other.close();
    }
  });

  it("io 'auto' falls back to AF_PACKET with the reason logged when XDP cannot attach; io 'xdp' fails", async function () {
    // d0 already carries this suite's XDP program, so a second attach is refused.
    const logs: string[] = [];
    const config = drConfig(OWNED, line.ipA);
    const auto = await Director.start({ config, interface: 'd0', netns: line.d, io: 'auto', log: (l) => logs.push(l) });
    try {
      assert.equal(auto.stats().port.kind, 'packet');
      const reason = logs.find((l) => l.includes('AF_XDP unavailable'));
      assert.ok(reason !== undefined && /cannot attach XDP/.test(reason), logs.join('\n'));
      console.log(`      ${reason}`);
    } finally {
      await auto.stop();
    }
    await assert.rejects(Director.start({ config, interface: 'd0', netns: line.d, io: 'xdp' }), /addXdpPort\(d0\): cannot attach XDP/);
  });
});

describe('DR end to end with the director on AF_XDP (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  needsRoot();
  before(function () {
    requireXdp(this);
    requireTools(this, 'python3');
  });
  const fx = withLab({ mode: 'dr', servers: 3, udp: true });
  let director: Director | null = null;

  before(async function () {
    this.timeout(60_000);
    const lab = fx.lab;
    const host = lab.directors[0]!;
    const config = parseKeepalivedConfig(labKeepalivedConf(lab, {}), 'lab.conf');
    const d = await Director.start({ config, interface: host.ifname, netns: host.ns, localAddress: host.address, io: 'xdp' });
    director = d;
    fx.cleanup.first(() => d.stop());
    const handle: LabDirector = { kind: 'embedded', host, stats: () => d.stats(), stop: async () => { await d.stop(); return ''; } };
    await waitForVip(lab, handle);
  });

  it('runs on an xdp port', function () {
    assert.equal(director!.stats().port.kind, 'xdp');
  });

  it('spreads 30 HTTP connections over three real servers 10/10/10 with rr', async function () {
    const r = await countHttp(fx.lab, fx.lab.vip, 30);
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.deepEqual(r.counts, { rs1: 10, rs2: 10, rs3: 10 });
  });

  it("keeps the director host reachable: the router pings the director's own address", async function () {
    assert.ok(await ping(fx.lab.router.ns, fx.lab.directors[0]!.address));
  });

  it('a reload steers a new VIP to the port (its pings answered) and gives a removed one back to the kernel', async function () {
    const lab = fx.lab;
    const base = labKeepalivedConf(lab, {});
    const extra = `virtual_server 198.19.0.101 80 {\n lb_algo rr\n lb_kind DR\n protocol TCP\n real_server ${lab.realServers[0]!.address} 80\n}\n`;
    assert.equal(await ping(lab.router.ns, '198.19.0.101', 1000), false, 'nobody has it yet');
    const added = await director!.reload(parseKeepalivedConfig(base + extra, 'lab.conf'));
    assert.deepEqual(added.changes.map((c) => c.action), ['added', 'added']);
    assert.ok(await ping(lab.router.ns, '198.19.0.101'), 'the director answers for the new VIP through its XDP port');
    const removed = await director!.reload(parseKeepalivedConfig(base, 'lab.conf'));
    assert.deepEqual(removed.changes.map((c) => c.action), ['removed', 'removed']);
    assert.equal(await ping(lab.router.ns, '198.19.0.101', 1000), false);
    assert.deepEqual((await countHttp(lab, lab.vip, 9)).counts, { rs1: 3, rs2: 3, rs3: 3 }, 'the first VIP as before');
  });

  it('carries a 20 MB download through the VIP intact, byte for byte', async function () {
    const r = await runClient(fx.lab.client.ns, 'http-client.js',
      ['download', '--target', `${fx.lab.vip}:${HTTP_PORT}`, '--bytes', String(BLOB), '--seed', '7', '--timeout', '60000'], 70_000);
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.equal(r.result.bytes, BLOB);
    console.log(`      download ${r.result.mbitps} Mbit/s via ${r.result.server}`);
  });

  it('carries a 20 MB upload through the VIP intact (sha256 checked by the real server)', async function () {
    const r = await runClient(fx.lab.client.ns, 'http-client.js',
      ['upload', '--target', `${fx.lab.vip}:${HTTP_PORT}`, '--bytes', String(BLOB), '--seed', '9', '--timeout', '60000'], 70_000);
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.equal(r.result.bytes, BLOB);
    const c = director!.stats().port;
    const st = c.xdp;
    assert.ok(st, 'an xdp port reports its attach mode');
    console.log(`      upload ${r.result.mbitps} Mbit/s via ${r.result.server}; ${st.attach}/${st.mode}, ` +
      `${st.partialChecksums} partial checksums completed, rx ${c.rxFrames} tx ${c.txFrames} txErrors ${c.txErrors} ringDrops ${c.rxRingDrops}`);
  });
});
