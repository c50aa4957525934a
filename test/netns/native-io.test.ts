// Native I/O on real interfaces: packet ports attached to veths inside namespaces (netns option),
// batches in and out, outgoing frames ignored, CHECKSUM_PARTIAL and GSO frames forwarded DR
// through a middle namespace to a receiver's socket, and a TAP port that receives and sends;
// once per receive ring kind.

import assert from 'node:assert/strict';
import { Cleanup } from '../../src/lab/cleanup.js';
import { addAddress, linkInfo, neighbours } from '../../src/lab/netns.js';
import { loadAddon } from '../../src/native/binding.js';
import { Action, FrameKind, Meta as M, Method, OffloadBits, Verdict as V } from '../../src/native/layout.generated.js';
import type { NativeEngine } from '../../src/native/types.js';
import { macHiLo, udpFrame, ipToU32 } from '../support/packets.js';
import { needsRoot } from '../support/prerequisites.js';
import { buildLine, nodeIn, nsPath, pinNeighbours, type Line } from '../support/native-lab.js';
import { waitUntil } from '../support/wait.js';

type Handler = (port: number, count: number) => void;

const UDP_RX = `
const s = require('dgram').createSocket('udp4');
s.on('message', (m) => process.stdout.write('rx ' + m.length + ' ' + m.toString('latin1', 0, 8) + '\\n'));
s.bind(5000, process.argv[1], () => process.stdout.write('ready\\n'));`;

const UDP_TX = `
const s = require('dgram').createSocket('udp4');
const [host, n, size] = [process.argv[1], +process.argv[2], +process.argv[3]];
let i = 0;
const next = () => { if (i >= n) { s.close(); return; }
  const b = Buffer.alloc(size, 0x61 + (i % 26)); b.write(String(i).padStart(8, '0'));
  i++; s.send(b, 5000, host, () => setTimeout(next, 1)); };
next();`;

const TCP_RX = `
const h = require('crypto').createHash('sha256'); let n = 0;
require('net').createServer((c) => { c.on('data', (d) => { h.update(d); n += d.length; });
  c.on('end', () => { process.stdout.write('done ' + n + ' ' + h.digest('hex') + '\\n'); c.end(); }); })
  .listen(5001, process.argv[1], () => process.stdout.write('ready\\n'));`;

const TCP_TX = `
const size = +process.argv[2]; const b = Buffer.alloc(size);
for (let i = 0; i < size; i++) b[i] = (i * 7 + (i >> 11)) & 255;
const c = require('net').connect(5001, process.argv[1], () => { c.end(b); });
c.on('close', () => process.stdout.write('sent ' + size + ' ' + require('crypto').createHash('sha256').update(b).digest('hex') + '\\n'));`;

function markerFrame(line: Line, dstMac: string, srcMac: string, port: number, i: number): Buffer {
  return udpFrame({
    eth: { src: srcMac, dst: dstMac },
    ip: { src: '198.19.0.200', dst: '198.19.0.201', id: i },
    udp: { srcPort: 1000 + i, dstPort: port, payload: Buffer.from(`${line.prefix} ${i}`) },
  });
}

function nativeIoSuite(ring: 'block' | 'frame' | 'adaptive'): void {
describe(`native I/O on veth and TAP, ${ring} ring (needs root: creates network namespaces)`, function () {
  this.timeout(90_000);
  const cleanup = new Cleanup();
  let line: Line;
  let d: NativeEngine;         // the "director" in D, ports on d0 and d1
  let a: NativeEngine;         // a raw peer in A, port on a0
  let d0 = 0, d1 = 0, a0 = 0;
  let onD: Handler = () => undefined;
  let onA: Handler = () => undefined;

  needsRoot();
  before(async function () {
    this.timeout(60_000);
    line = await buildLine(cleanup);
    const { Engine } = loadAddon();
    d = new Engine();
    a = new Engine();
    cleanup.first(async () => { d.close(); a.close(); });
    d0 = d.addPacketPort('d0', { netns: nsPath(line.d), ring });
    d1 = d.addPacketPort('d1', { netns: nsPath(line.d), ring });
    a0 = a.addPacketPort('a0', { netns: nsPath(line.a) });
    d.onBatch((p, c) => onD(p, c));
    a.onBatch((p, c) => onA(p, c));
    d.start();
    a.start();
  });

  after(async function () {
    this.timeout(30_000);
    await cleanup.run();
  });

  it('reads interface facts inside the namespace', async function () {
    const info = d.portInfo(d0);
    const l = await linkInfo(line.d, 'd0');
    assert.deepEqual([info.kind, info.name, info.ifindex, info.mac, info.mtu], ['packet', 'd0', l.ifindex, l.mac, l.mtu]);
    assert.throws(() => d.addPacketPort('nosuchdev0', { netns: nsPath(line.d) }), /nosuchdev0/);
    assert.throws(() => d.addPacketPort('d0', { netns: '/run/netns/does-not-exist' }), /does-not-exist/);
  });

  it('frames sent from the other side arrive as batches with parsed metadata', async function () {
    const n = 300;
    const seen: number[] = [];
    const batches: number[] = [];
    onD = (port, count) => {
      let mine = 0;
      for (let i = 0; i < count; i++) {
        const m = i * M.WORDS;
        if (port !== d0 || d.meta[m + M.DST_PORT] !== 9999) continue;
        assert.equal(d.meta[m + M.SRC_IP], ipToU32('198.19.0.200'));
        seen.push(d.meta[m + M.SRC_PORT]! - 1000);
        mine++;
      }
      if (mine > 0) batches.push(mine);
    };
    for (let i = 0; i < n; i++) a.send(a0, markerFrame(line, line.macD0, line.macA0, 9999, i));
    await waitUntil(`${n} frames on d0`, () => seen.length >= n);
    assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i), 'all frames, in order');
    console.log(`      ${n} frames in ${batches.length} batches (mean ${(n / batches.length).toFixed(1)}, max ${Math.max(...batches)})`);
    assert.ok(d.counters(d0).rxBatches >= 1);
  });

  if (ring === 'adaptive') {
    it('a queue moves the port to its block ring and back, with every frame once and in order', async function () {
      const seen: number[] = [];
      onD = (port, count) => {
        for (let i = 0; i < count; i++) {
          const m = i * M.WORDS;
          if (port === d0 && d.meta[m + M.DST_PORT] === 9997) seen.push(d.meta[m + M.SRC_PORT]! - 1000);
        }
      };
      // The port starts on its per-frame ring and every switch flips it: an even count means
      // per-frame. A quiet spell (one frame per 200 ms) brings it back there.
      const onFrameRing = async (): Promise<boolean> => {
        if (d.counters(d0).rxRingSwitches % 2 === 0) return true;
        a.send(a0, markerFrame(line, line.macD0, line.macA0, 9996, 0));
        await new Promise((r) => setTimeout(r, 200));
        return d.counters(d0).rxRingSwitches % 2 === 0;
      };
      await waitUntil('on the per-frame ring', onFrameRing, 10_000);
      const before = d.counters(d0).rxRingSwitches;
      // Not polled while 300 frames land: the first drain finds them queued (falling behind).
      d.stop();
      for (let i = 0; i < 300; i++) a.send(a0, markerFrame(line, line.macD0, line.macA0, 9997, i));
      d.start();
      await waitUntil('300 frames on d0', () => seen.length >= 300);
      assert.equal(d.counters(d0).rxRingSwitches, before + 1, 'moved to the block ring');
      // Now on the block ring, which holds the port for at least 250 ms: 300 more at once.
      for (let i = 300; i < 600; i++) a.send(a0, markerFrame(line, line.macD0, line.macA0, 9997, i));
      await waitUntil('600 frames on d0', () => seen.length >= 600);
      await waitUntil('back on the per-frame ring', onFrameRing, 10_000);
      assert.deepEqual(seen, Array.from({ length: 600 }, (_, i) => i), 'every frame once, in order');
      assert.equal(d.counters(d0).rxRingDrops, 0);
    });
  }

  it('frames sent by a port arrive, and no port sees outgoing frames (its own or the host stack\'s)', async function () {
    const n = 100;
    let got = 0;
    let ownSeen = 0;
    onA = (_port, count) => {
      for (let i = 0; i < count; i++) {
        const m = i * M.WORDS;
        const src = macHiLo(line.macA0);
        if (a.meta[m + M.SRC_MAC_HI] === src.hi && a.meta[m + M.SRC_MAC_LO] === src.lo) ownSeen++;
        if (a.meta[m + M.DST_PORT] === 9998) got++;
      }
    };
    let dOwn = 0;
    onD = (_port, count) => {
      const src = macHiLo(line.macD0);
      for (let i = 0; i < count; i++) {
        if (d.meta[i * M.WORDS + M.SRC_MAC_HI] === src.hi && d.meta[i * M.WORDS + M.SRC_MAC_LO] === src.lo) dOwn++;
      }
    };
    for (let i = 0; i < n; i++) d.send(d0, markerFrame(line, line.macA0, line.macD0, 9998, i));
    // The host stack in A sends too (to a pinned neighbour behind d0): outgoing on a0.
    await pinNeighbours(line);
    const tx = nodeIn(cleanup, line.a, UDP_TX, [line.ipB, '20', '100']);
    await tx.exited;
    await waitUntil(`${n} frames on a0`, () => got >= n);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(got, n);
    assert.equal(ownSeen, 0, 'a0 saw frames its own host stack sent');
    assert.equal(dOwn, 0, 'd0 saw frames it sent itself');
    assert.equal(d.counters(d0).txFrames, n);
  });

  /** Forwards IPv4 between d0 and d1 in DR fashion (MAC rewrite), noting offloads seen. */
  function bridgeDr(note: (meta: Uint32Array, at: number) => void): Handler {
    const toB = macHiLo(line.macB0);
    const toA = macHiLo(line.macA0);
    return (port, count) => {
      for (let i = 0; i < count; i++) {
        const m = i * M.WORDS;
        if (d.meta[m + M.KIND] !== FrameKind.IPV4 || d.meta[m + M.ERROR] !== 0) continue;
        note(d.meta, m);
        const v = i * V.WORDS;
        const mac = port === d0 ? toB : toA;
        d.verdict[v + V.ACTION] = Action.FORWARD;
        d.verdict[v + V.METHOD] = Method.DR;
        d.verdict[v + V.PORT] = port === d0 ? d1 : d0;
        d.verdict[v + V.DST_MAC_HI] = mac.hi;
        d.verdict[v + V.DST_MAC_LO] = mac.lo;
      }
    };
  }

  it('UDP from a local socket arrives CHECKSUM_PARTIAL and, forwarded DR, reaches the receiver\'s socket', async function () {
    await pinNeighbours(line);
    let partial = 0;
    onD = bridgeDr((meta, m) => {
      if (meta[m + M.PROTO] === 17 && meta[m + M.DST_PORT] === 5000 && (meta[m + M.OFFLOAD]! & OffloadBits.CSUM_PARTIAL)) partial++;
    });
    const rx = nodeIn(cleanup, line.b, UDP_RX, [line.ipB]);
    await rx.waitFor(/ready/);
    const n = 50;
    const tx = nodeIn(cleanup, line.a, UDP_TX, [line.ipB, String(n), '1000']);
    await tx.exited;
    await waitUntil(`${n} datagrams at the receiver`, () => (rx.stdout.match(/^rx 1000 /gm) ?? []).length >= n);
    assert.equal(partial, n, 'every datagram came with CHECKSUM_PARTIAL');
    await rx.stop();
  });

  it('a 4 MB TCP upload (GSO super-frames) crosses the DR forward byte for byte', async function () {
    await pinNeighbours(line);
    let maxLen = 0;
    let gso = 0;
    onD = bridgeDr((meta, m) => {
      maxLen = Math.max(maxLen, meta[m + M.LEN]!);
      if (meta[m + M.GSO_SIZE]! > 0) gso++;
    });
    const rx = nodeIn(cleanup, line.b, TCP_RX, [line.ipB]);
    await rx.waitFor(/ready/);
    const tx = nodeIn(cleanup, line.a, TCP_TX, [line.ipB, String(4 << 20)]);
    const [, sent] = await tx.waitFor(/sent \d+ (\w+)/, 60_000);
    const [, bytes, got] = await rx.waitFor(/done (\d+) (\w+)/, 60_000);
    assert.equal(Number(bytes), 4 << 20);
    assert.equal(got, sent);
    console.log(`      largest frame ${maxLen} bytes, ${gso} GSO frames, rxTruncated ${d.counters(d0).rxTruncated}`);
    assert.ok(maxLen > 1514, 'expected GSO super-frames on veth');
    assert.equal(d.counters(d0).rxTruncated, 0);
    await rx.stop();
  });

  it('a TAP port in a namespace receives (ARP, UDP) and sends (ARP reply)', async function () {
    const tap = d.addTapPort('niotap0', { netns: nsPath(line.d) });
    await addAddress(line.d, 'niotap0', '198.19.2.1/24');
    const engineMac = d.portInfo(tap).mac;
    let arps = 0;
    let udp = 0;
    let partial = 0;
    onD = (port, count) => {
      if (port !== tap) return;
      for (let i = 0; i < count; i++) {
        const m = i * M.WORDS;
        if (d.meta[m + M.KIND] === FrameKind.ARP && d.meta[m + M.ARP_OP] === 1) {
          arps++;
          d.verdict[i * V.WORDS + V.ACTION] = Action.ARP_REPLY;
        }
        if (d.meta[m + M.PROTO] === 17 && d.meta[m + M.DST_PORT] === 5000) {
          udp++;
          if (d.meta[m + M.OFFLOAD]! & OffloadBits.CSUM_PARTIAL) partial++;
        }
      }
    };
    const tx = nodeIn(cleanup, line.d, UDP_TX, ['198.19.2.2', '5', '200']);
    await tx.exited;
    await waitUntil('UDP on the TAP port', () => udp >= 5);
    assert.ok(arps >= 1, 'the kernel asked for 198.19.2.2 over the TAP');
    const neigh = (await neighbours(line.d, 'niotap0')).find((n) => n.address === '198.19.2.2');
    assert.equal(neigh?.mac, engineMac, 'the ARP reply we sent reached the kernel');
    console.log(`      TAP: ${arps} ARP request(s), ${udp} UDP (${partial} CHECKSUM_PARTIAL)`);
    assert.ok(d.counters(tap).txFrames >= 1);
  });
});
}

// Every receive ring the packet port offers: TPACKET_V3 blocks, TPACKET_V2 frames, and the
// adaptive pair of both (the director's default).
nativeIoSuite('block');
nativeIoSuite('frame');
nativeIoSuite('adaptive');
