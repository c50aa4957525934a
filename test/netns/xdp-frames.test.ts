// UMEM frame accounting of the AF_XDP port: with the smallest UMEM (256 frames), tens of times
// more frames than it has pass through with mixed verdicts (forwarded back out in place, dropped,
// echo requests answered in place, ARP answered through a transmit frame, and traffic the XDP
// program leaves to the kernel); every forwarded frame reaches the wire and, once quiet, every
// frame is back where it started.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { Cleanup } from '../../src/lab/cleanup.js';
import { addAddress } from '../../src/lab/netns.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { loadAddon } from '../../src/native/binding.js';
import { Action, FrameKind, Meta as M, Method, Verdict as V } from '../../src/native/layout.generated.js';
import type { NativeEngine, XdpFrames } from '../../src/native/types.js';
import { buildLine, nsPath, type Line } from '../support/native-lab.js';
import { macHiLo } from '../support/packets.js';
import { ping } from '../support/ping.js';
import { needsRoot, requireXdp } from '../support/prerequisites.js';
import { waitUntil } from '../support/wait.js';

const OWNED = '198.19.0.100';
const D0_IP = '198.19.0.2';
const FORWARD_PORT = 9;
const DROP_PORT = 10;
const DATAGRAMS = 12_000;

/** Sends count UDP datagrams from ns to ip, alternating the forward and drop ports (the engine
 *  keeps polling meanwhile: this process is not blocked). */
async function burst(ns: string, ip: string, count: number): Promise<void> {
  const src = `const s=require('dgram').createSocket('udp4');let n=0;const b=Buffer.alloc(32,7);` +
    `const go=()=>{if(n<${count}){const p=n++%2?${DROP_PORT}:${FORWARD_PORT};s.send(b,p,'${ip}',go);}else s.close();};go();`;
  await promisify(execFile)('ip', ['netns', 'exec', ns, process.execPath, '-e', src], { timeout: 60_000 });
}

/** Frames a0 has received (the kernel's link counter: forwarded frames land there and are dropped). */
function rxPackets(ns: string, dev: string): number {
  return Number(execFileSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/statistics/rx_packets`], { encoding: 'utf8' }).trim());
}

function atRest(f: XdpFrames): boolean {
  return f.withKernel === f.receive && f.held === 0 && f.sendingInPlace === 0 && f.waitingFill === 0 &&
    f.txInFlight === 0 && f.txFree === f.transmit;
}

describe('AF_XDP port UMEM frame accounting (needs root: creates network namespaces, attaches XDP)', function () {
  this.timeout(120_000);
  const cleanup = new Cleanup();
  let line: Line;
  let engine: NativeEngine | null = null;
  let port = -1;
  const verdicts = { forward: 0, drop: 0, echo: 0, arp: 0 };

  needsRoot();
  before(async function () {
    requireXdp(this);
    line = await buildLine(cleanup);
    await addAddress(line.d, 'd0', `${D0_IP}/24`);
    const e = new (loadAddon().Engine)();
    engine = e;
    cleanup.first(async () => { e.close(); });
    port = e.addXdpPort('d0', { netns: nsPath(line.d), frameCount: 256 });
    e.setXdpAddresses(port, { owned: [parseIpv4(OWNED)] });
    const toA = macHiLo(line.macA0);
    e.onBatch((_p, n) => {
      for (let i = 0; i < n; i++) {
        const m = i * M.WORDS;
        const v = i * V.WORDS;
        if (e.meta[m + M.KIND] === FrameKind.ARP && e.meta[m + M.ARP_OP] === 1 && e.meta[m + M.DST_IP] === parseIpv4(OWNED)) {
          // ARP comes from the packet socket beside the XDP socket: the reply is copied out.
          e.verdict[v + V.ACTION] = Action.ARP_REPLY;
          verdicts.arp++;
          continue;
        }
        if (e.meta[m + M.KIND] !== FrameKind.IPV4 || e.meta[m + M.ERROR] !== 0) continue;
        const proto = e.meta[m + M.PROTO];
        if (proto === 1) {
          e.verdict[v + V.ACTION] = Action.ICMP_ECHO_REPLY;
          verdicts.echo++;
        } else if (proto === 17 && e.meta[m + M.DST_PORT] === FORWARD_PORT) {
          // DR back out the same port: the frame leaves from its own receive frame.
          e.verdict[v + V.ACTION] = Action.FORWARD;
          e.verdict[v + V.METHOD] = Method.DR;
          e.verdict[v + V.PORT] = port;
          e.verdict[v + V.DST_MAC_HI] = toA.hi;
          e.verdict[v + V.DST_MAC_LO] = toA.lo;
          verdicts.forward++;
        } else {
          verdicts.drop++;  // the zeroed record is DROP
        }
      }
    });
    e.start();
  });
  after(async function () {
    this.timeout(30_000);
    await cleanup.run();
  });

  it('starts with every receive frame on the fill ring and every transmit frame free', async function () {
    const f = engine!.xdpStatus(port).frames;
    assert.equal(f.receive + f.transmit, 256);
    assert.ok(atRest(f), JSON.stringify(f));
  });

  it(`forwards in place, drops and answers ${DATAGRAMS} datagrams and pings through 256 frames, losing none`, async function () {
    const a0Before = rxPackets(line.a, 'a0');
    const before = engine!.xdpStatus(port).frames;
    assert.ok(await ping(line.a, OWNED), 'ARP and echo answered by the port');
    await burst(line.a, OWNED, DATAGRAMS);
    assert.ok(await ping(line.a, OWNED), 'echo answered after the burst');
    assert.ok(await ping(line.a, D0_IP), 'the kernel still answers for its own address');
    await waitUntil('the port to take every datagram and ping', () => verdicts.forward + verdicts.drop >= DATAGRAMS - engine!.counters(port).rxRingDrops);
    await waitUntil('every frame back home', () => atRest(engine!.xdpStatus(port).frames));
    const f = engine!.xdpStatus(port).frames;
    const inPlace = f.sentInPlace - before.sentInPlace;
    const drops = engine!.counters(port).rxRingDrops;
    console.log(`      ${JSON.stringify(verdicts)}, ring drops ${drops}, sent in place ${inPlace}, copied ${f.sentCopied - before.sentCopied}`);
    assert.ok(verdicts.forward >= 10 * f.receive, `${verdicts.forward} forwarded: the receive frames must go round many times`);
    assert.ok(verdicts.drop > 0 && verdicts.echo > 0 && verdicts.arp > 0, JSON.stringify(verdicts));
    assert.equal(inPlace, verdicts.forward + verdicts.echo, 'forwarded frames and echo replies left from their own receive frames');
    assert.equal(f.sentCopied - before.sentCopied, verdicts.arp, 'ARP replies went through transmit frames');
    assert.equal(engine!.counters(port).txErrors, 0);
    await waitUntil('a0 to count every forwarded frame', () => rxPackets(line.a, 'a0') - a0Before >= verdicts.forward);
    assert.ok(atRest(f), JSON.stringify(f));
  });
});
