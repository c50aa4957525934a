// The real server's user-space IPIP decapsulator: IPIP frames built by the test enter a
// namespace, lose their outer header in C++, and reach a UDP socket bound to the VIP on lo.

import assert from 'node:assert/strict';
import { Cleanup, makePrefix, sweepStale } from '../../src/lab/cleanup.js';
import { addAddress, addNamespace, addVethPair, linkInfo, linkUp, sysctl } from '../../src/lab/netns.js';
import { loadAddon } from '../../src/native/binding.js';
import type { NativeDecapsulator, NativeEngine } from '../../src/native/types.js';
import { ipipFrame, ipv4, PROTO, udp, udpFrame } from '../support/packets.js';
import { readInNamespace, TEST_FAMILY } from '../support/netns.js';
import { needsRoot } from '../support/prerequisites.js';
import { nodeIn, nsPath } from '../support/native-lab.js';
import { waitUntil } from '../support/wait.js';

const RS_IP = '198.19.0.11';
const VIP = '198.19.0.100';
const CLIENT = '198.18.1.10';

const UDP_RX = `
const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => process.stdout.write('rx ' + r.address + ':' + r.port + ' ' + m.toString() + '\\n'));
s.bind(5000, process.argv[1], () => process.stdout.write('ready\\n'));`;

/** The namespace's Icmp OutDestUnreachs counter (/proc/net/snmp). */
async function icmpOutDestUnreachs(ns: string): Promise<number> {
  const lines = (await readInNamespace(ns, '/proc/net/snmp'))
    .split('\n').filter((l) => l.startsWith('Icmp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf('OutDestUnreachs')]);
}

describe('IPIP decapsulator (needs root: creates network namespaces)', function () {
  this.timeout(60_000);
  const cleanup = new Cleanup();
  let rs = '';
  let sender: NativeEngine;
  let decap: NativeDecapsulator;
  let s0 = 0;
  let rsMac = '';
  let senderMac = '';

  needsRoot();
  before(async function () {
    this.timeout(60_000);
    await sweepStale(TEST_FAMILY);
    const prefix = makePrefix(TEST_FAMILY);
    const snd = `${prefix}-dcs`;
    rs = `${prefix}-dcr`;
    for (const ns of [snd, rs]) { cleanup.namespace(ns); await addNamespace(ns); }
    await addVethPair(snd, 's0', rs, 'r0');
    await linkUp(snd, 's0');
    await linkUp(rs, 'r0');
    await addAddress(rs, 'r0', `${RS_IP}/24`);
    await addAddress(rs, 'lo', `${VIP}/32`);
    await sysctl(rs, 'net.ipv4.conf.all.rp_filter', 0);
    await sysctl(rs, 'net.ipv4.conf.default.rp_filter', 0);
    rsMac = (await linkInfo(rs, 'r0')).mac;
    senderMac = (await linkInfo(snd, 's0')).mac;
    const addon = loadAddon();
    decap = new addon.Decapsulator({ interface: 'r0', tun: 'dtun0', addresses: [RS_IP], netns: nsPath(rs) });
    sender = new addon.Engine();
    cleanup.first(async () => { decap.close(); sender.close(); });
    s0 = sender.addPacketPort('s0', { netns: nsPath(snd) });
    await sysctl(rs, 'net.ipv4.conf.dtun0.rp_filter', 0);
    decap.start();
  });

  after(async function () {
    this.timeout(30_000);
    await cleanup.run();
  });

  function ipip(outerDst: string, n: number): Buffer {
    const inner = ipv4({ src: CLIENT, dst: VIP, id: n }, PROTO.UDP,
      udp(CLIENT, VIP, { srcPort: 40000 + n, dstPort: 5000, payload: Buffer.from(`inner ${n}`) }));
    return ipipFrame({ eth: { src: senderMac, dst: rsMac }, outer: { src: '198.19.0.2', dst: outerDst, df: true }, inner });
  }

  it('creates the TUN device in the namespace and rejects bad options', function () {
    assert.equal(decap.info().tun, 'dtun0');
    assert.ok(decap.info().tunIfindex > 0);
    const { Decapsulator } = loadAddon();
    assert.throws(() => new Decapsulator({ interface: 'r0', tun: 'x', addresses: [] }), TypeError);
    assert.throws(() => new Decapsulator({ interface: 'r0', tun: 'x', addresses: ['not-an-ip'] }), /not an IPv4/);
    assert.throws(() => new Decapsulator({ interface: 'nosuch0', tun: 'dtunx', addresses: [RS_IP], netns: nsPath(rs) }), /nosuch0/);
  });

  it('delivers the inner packets to a UDP socket bound to the VIP; other traffic is not decapsulated', async function () {
    const rx = nodeIn(cleanup, rs, UDP_RX, [VIP]);
    await rx.waitFor(/ready/);
    const unreachBefore = await icmpOutDestUnreachs(rs);
    const n = 20;
    for (let i = 0; i < n; i++) sender.send(s0, ipip(RS_IP, i));
    // Not ours: IPIP to another address, and a plain UDP frame to the real server.
    sender.send(s0, ipip('198.19.0.12', 99));
    sender.send(s0, udpFrame({ eth: { src: senderMac, dst: rsMac }, ip: { src: '198.19.0.2', dst: RS_IP }, udp: { srcPort: 1, dstPort: 9 } }));
    await waitUntil(`${n} datagrams at the VIP socket`, () => (rx.stdout.match(/^rx /gm) ?? []).length >= n);
    for (let i = 0; i < n; i++) assert.ok(rx.stdout.includes(`rx ${CLIENT}:${40000 + i} inner ${i}\n`), `datagram ${i}`);
    // The plain probe went last on the same wire: once its port unreachable is counted,
    // every frame before it has been handled.
    let unreach = 0;
    await waitUntil('the port unreachable for the plain UDP probe', async () => {
      unreach = await icmpOutDestUnreachs(rs) - unreachBefore;
      return unreach >= 1;
    });
    const c = decap.counters();
    assert.equal(c.decapsulated, n);
    assert.equal(c.rxFrames, n, 'the BPF filter keeps everything else off the ring');
    assert.equal(c.malformed + c.txErrors + c.truncated, 0);
    assert.ok(!rx.stdout.includes('inner 99'));
    // Without the ipip module the kernel would answer each IPIP packet with protocol-unreachable;
    // the one unreachable expected is the port-unreachable for the plain UDP probe to port 9.
    assert.equal(unreach, 1, 'the real server kernel stays quiet about IPIP');
    await rx.stop();
  });

  it('counts malformed IPIP frames instead of passing them', async function () {
    const before = decap.counters();
    const bad = ipip(RS_IP, 1);
    bad.writeUInt16BE(40, 14 + 2);  // outer total length shorter than outer + inner headers
    sender.send(s0, bad);
    await waitUntil('the malformed frame counted', () => decap.counters().malformed > before.malformed);
    assert.equal(decap.counters().decapsulated, before.decapsulated);
  });
});
