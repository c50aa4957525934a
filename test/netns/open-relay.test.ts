// The director is no open relay, in each forwarding mode, on a real bridged LAN: raw frames
// injected from the router's and a real server's namespaces (to other MACs, to the director's
// MAC with foreign addresses, spoofed real-server "replies" for no connection or with wrong
// ports, ICMP errors quoting unknown connections) make nothing leave the director on any other
// segment (tcpdump on the router and every real server), and each one is counted under a drop
// reason. A legitimate datagram injected the same way is forwarded and captured, which shows
// that the injector and the captures work.

import assert from 'node:assert/strict';
import path from 'node:path';
import { DEFAULT_LIPS } from '../../src/lab/keepalived.js';
import { UDP_PORT } from '../../src/lab/services.js';
import type { LabHandle, LabHost } from '../../src/lab/topology.js';
import { startCapture, type Capture } from '../support/capture.js';
import { withDirector } from '../support/director.js';
import { nodeIn } from '../support/native-lab.js';
import { withLab, type LabFixture } from '../support/netns.js';
import { icmpErrorFrame, ipv4, PROTO, tcpFrame, TCP_FLAGS, udp, udpFrame } from '../support/packets.js';
import { waitUntil } from '../support/wait.js';

const PROBE = Buffer.from('relay-probe');
const CONTROL = Buffer.from('relay-control');
/** Locally administered and unknown to the bridge, so the bridge floods it to every port. */
const OTHER_MAC = '02:00:00:00:ee:01';
const FOREIGN_IP = '198.19.0.250';
const CLIENT_PORT = 47000;

type Reason = 'other_host' | 'not_ours' | 'no_service' | 'icmp_unknown';

interface Probe {
  what: string;
  /** The namespace it is sent from: the router's, or the first real server's (spoofed replies). */
  from: 'router' | 'rs';
  frame: Buffer;
  reason: Reason;
}

const ADDON = path.resolve(__dirname, '..', '..', 'build', 'Release', 'director_native.node');
// Sends the frames given as hex arguments on one interface through the addon's AF_PACKET port.
const SENDER = `
const { Engine } = require(${JSON.stringify(ADDON)});
const [ifname, ...frames] = process.argv.slice(1);
const e = new Engine();
const port = e.addPacketPort(ifname);
for (const hex of frames) e.send(port, Buffer.from(hex, 'hex'));
e.close();
process.stdout.write('sent ' + frames.length + '\\n');
`;

function probes(lab: LabHandle): Probe[] {
  const dirMac = lab.directors[0]!.mac;
  const router = { src: lab.router.mac, dst: dirMac };
  const rs = lab.realServers[0]!;
  const fromRs = { src: rs.mac, dst: dirMac };
  const client = lab.client.address;
  const udpTo = (eth: { src: string; dst: string }, src: string, sport: number, dst: string, dport: number): Buffer =>
    udpFrame({ eth, ip: { src, dst }, udp: { srcPort: sport, dstPort: dport, payload: PROBE } });
  const ackTo = (eth: { src: string; dst: string }, src: string, sport: number, dst: string, dport: number): Buffer =>
    tcpFrame({ eth, ip: { src, dst }, tcp: { srcPort: sport, dstPort: dport, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload: PROBE } });
  // An ICMP error quoting a whole packet that carries the probe mark (so a forwarded copy would show it).
  const icmpAbout = (eth: { src: string; dst: string }, src: string, dst: string, quoted: Buffer): Buffer =>
    icmpErrorFrame({ eth, ip: { src, dst }, error: { type: 3, code: 3, quote: quoted, quoteBytes: quoted.length } });
  const quotedUdp = (src: string, sport: number, dst: string, dport: number): Buffer =>
    ipv4({ src, dst }, PROTO.UDP, udp(src, dst, { srcPort: sport, dstPort: dport, payload: PROBE }));
  const list: Probe[] = [
    { what: 'UDP to the VIP service, unicast to another MAC', from: 'router', frame: udpTo({ src: lab.router.mac, dst: OTHER_MAC }, client, 40001, lab.vip, UDP_PORT), reason: 'other_host' },
    { what: 'TCP SYN to the VIP service, unicast to another MAC', from: 'router',
      frame: tcpFrame({ eth: { src: lab.router.mac, dst: OTHER_MAC }, ip: { src: client, dst: lab.vip }, tcp: { srcPort: 40002, dstPort: 80, flags: TCP_FLAGS.SYN, payload: PROBE } }), reason: 'other_host' },
    { what: 'UDP to a foreign address, unicast to another MAC', from: 'router', frame: udpTo({ src: lab.router.mac, dst: OTHER_MAC }, client, 40003, FOREIGN_IP, UDP_PORT), reason: 'other_host' },
    { what: "UDP to a foreign address, to the director's MAC", from: 'router', frame: udpTo(router, client, 40004, FOREIGN_IP, UDP_PORT), reason: 'not_ours' },
    { what: "UDP to a real server's address, to the director's MAC", from: 'router', frame: udpTo(router, client, 40005, rs.address, UDP_PORT), reason: 'not_ours' },
    { what: "TCP SYN to a real server's address, to the director's MAC", from: 'router',
      frame: tcpFrame({ eth: router, ip: { src: client, dst: rs.address }, tcp: { srcPort: 40006, dstPort: 80, flags: TCP_FLAGS.SYN, payload: PROBE } }), reason: 'not_ours' },
    { what: 'spoofed UDP reply from a real server to a client with no connection', from: 'rs', frame: udpTo(fromRs, rs.address, UDP_PORT, client, 40007), reason: 'not_ours' },
    { what: 'spoofed TCP reply from a real server to a client with no connection', from: 'rs', frame: ackTo(fromRs, rs.address, 80, client, 40008), reason: 'not_ours' },
    { what: 'ICMP error to the VIP quoting an unknown connection', from: 'router',
      frame: icmpAbout(router, client, lab.vip, quotedUdp(lab.vip, UDP_PORT, client, 40009)), reason: 'icmp_unknown' },
    { what: 'ICMP error from a real server quoting an unknown connection', from: 'rs',
      frame: icmpAbout(fromRs, rs.address, client, quotedUdp(client, 40010, rs.address, UDP_PORT)), reason: 'icmp_unknown' },
  ];
  // The control's connection exists (client:CLIENT_PORT -> VIP:UDP_PORT): replies from every
  // real server with one port wrong must still find none.
  for (const server of lab.realServers) {
    list.push(
      { what: `reply from ${server.name} with the wrong source port`, from: 'rs', frame: udpTo(fromRs, server.address, UDP_PORT + 1, client, CLIENT_PORT), reason: 'not_ours' },
      { what: `reply from ${server.name} with the wrong destination port`, from: 'rs', frame: udpTo(fromRs, server.address, UDP_PORT, client, CLIENT_PORT + 1), reason: 'not_ours' },
    );
  }
  if (lab.mode === 'fnat') {
    // Replies come back to a local address there: to a LIP port no connection holds.
    for (const lip of DEFAULT_LIPS) {
      list.push({ what: `spoofed reply from a real server to ${lip}, no connection`, from: 'rs', frame: udpTo(fromRs, rs.address, UDP_PORT, lip, 61000), reason: 'no_service' });
      list.push({ what: `ICMP error to ${lip} quoting an unknown connection`, from: 'rs',
        frame: icmpAbout(fromRs, rs.address, lip, quotedUdp(lip, 61001, rs.address, UDP_PORT)), reason: 'icmp_unknown' });
    }
  }
  return list;
}

async function send(fx: LabFixture, host: LabHost, frames: Buffer[]): Promise<void> {
  if (frames.length === 0) return;
  const p = nodeIn(fx.cleanup, host.ns, SENDER, [host.ifname, ...frames.map((f) => f.toString('hex'))]);
  const status = await p.exited;
  assert.equal(status.code, 0, `frame sender in ${host.ns}: ${p.stderr}`);
}

const drops = (stats: unknown): Record<string, number> => (stats as { drops?: Record<string, number> }).drops ?? {};
const contains = (frames: Buffer[], mark: Buffer): number => frames.filter((f) => f.includes(mark)).length;

function relaySuite(mode: 'dr' | 'nat' | 'tun' | 'fnat'): void {
  describe(`not an open relay, ${mode.toUpperCase()} (needs root: creates network namespaces)`, function () {
    this.timeout(120_000);
    const fx = withLab({ mode, servers: 2, udp: true });
    const dir = withDirector(fx, 'embedded', { udp: true });

    it('forwards none of the crafted frames to any segment, and counts each under its drop reason', async function () {
      const { lab } = fx;
      const dirMac = lab.directors[0]!.mac;
      // Everything the director itself puts on the LAN, but its ARP.
      const filter = `ether src ${dirMac} and not arp`;
      const hosts = [lab.router, ...lab.realServers];
      const captures: Capture[] = [];
      for (const h of hosts) captures.push(await startCapture(fx.cleanup, h.ns, h.ifname, filter, { maxSeconds: 100 }));

      // The control opens the connection the wrong-port replies aim at, and proves the captures.
      const connsBefore = (dir.director.stats() as { connections: number }).connections;
      await send(fx, lab.router, [udpFrame({
        eth: { src: lab.router.mac, dst: dirMac }, ip: { src: lab.client.address, dst: lab.vip },
        udp: { srcPort: CLIENT_PORT, dstPort: UDP_PORT, payload: CONTROL },
      })]);
      await waitUntil('the control datagram made its connection',
        () => (dir.director.stats() as { connections: number }).connections > connsBefore);

      const list = probes(lab);
      const before = drops(dir.director.stats());
      const expected = new Map<Reason, number>();
      for (const p of list) expected.set(p.reason, (expected.get(p.reason) ?? 0) + 1);
      await send(fx, lab.router, list.filter((p) => p.from === 'router').map((p) => p.frame));
      await send(fx, lab.realServers[0]!, list.filter((p) => p.from === 'rs').map((p) => p.frame));
      const grown = (): Record<string, number> => {
        const now = drops(dir.director.stats());
        return Object.fromEntries([...expected.keys()].map((r) => [r, (now[r] ?? 0) - (before[r] ?? 0)]));
      };
      // On a timeout the comparison below says which reason fell short.
      await waitUntil(`drops grow by ${JSON.stringify(Object.fromEntries(expected))}`,
        () => [...expected].every(([r, n]) => (grown()[r] ?? 0) >= n), 20_000).catch(() => undefined);
      // Each probe counted once under its own reason (nothing else on this quiet LAN is counted there).
      assert.deepEqual(grown(), Object.fromEntries(expected), list.map((p) => `${p.what}: ${p.reason}`).join('\n'));

      const seen = await Promise.all(captures.map((c) => c.stop()));
      seen.forEach((s, i) => assert.equal(contains(s.frames, PROBE), 0, `a probe left the director toward ${hosts[i]!.name}`));
      const control = seen.slice(1).reduce((n, s) => n + contains(s.frames, CONTROL), 0);
      assert.ok(control >= 1, `the control datagram was captured on a real server (${control})`);
      console.log(`      ${list.length} probes dropped (${JSON.stringify(grown())}), none forwarded; control forwarded`);
    });
  });
}

relaySuite('dr');
relaySuite('nat');
relaySuite('tun');
relaySuite('fnat');
