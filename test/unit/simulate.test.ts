// `director simulate` end to end without root: golden pcaps (input frames and the frames each
// mode must send, both built with the packet builders and checksummed from scratch) run through
// the CLI and compared byte for byte; the report's choices and spread; the pcap codec; and every
// refusal of bad input with its reason.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { isnAt } from '../../src/fullnat/isn-clock.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { parseFlowList } from '../../src/simulate/flow-list.js';
import { PcapError, readPcap, writePcap, type PcapRecord } from '../../src/simulate/pcap.js';
import { neighbourMac } from '../../src/simulate/simulation.js';
import { capture } from '../support/adm-director.js';
import { ipipFrame, ipPacketOf, makePartial, TCP_FLAGS, tcpFrame, udpFrame } from '../support/packets.js';

const DIR_MAC = '02:00:00:00:0d:01';
const DIR_IP = '198.19.0.2';
const GATEWAY = '198.19.0.1';
const ROUTER_MAC = neighbourMac(parseIpv4(GATEWAY));
const CLIENT = '198.18.1.10';
const VIP = '198.19.0.100';
const RS = ['198.19.0.11', '198.19.0.12'];
const LIP = '198.19.1.1';
const mac = (ip: string): string => neighbourMac(parseIpv4(ip));

type Mode = 'DR' | 'NAT' | 'TUN' | 'FNAT';

function conf(mode: Mode, o: { algo?: string; weights?: number[] } = {}): string {
  const port = mode === 'NAT' || mode === 'FNAT' ? 8080 : 80;
  const laddr = mode === 'FNAT' ? `local_address_group lips {\n  ${LIP}\n}\n` : '';
  const servers = RS.map((rs, i) => `  real_server ${rs} ${port} { weight ${o.weights?.[i] ?? 1} }`).join('\n');
  return `${laddr}virtual_server ${VIP} 80 {
  lb_algo ${o.algo ?? 'rr'}
  lb_kind ${mode}
  protocol TCP
${mode === 'FNAT' ? '  laddr_group_name lips\n' : ''}${servers}
}
`;
}

const seg = (eth: { src: string; dst: string }, src: string, sport: number, dst: string, dport: number,
  o: { ttl?: number; flags?: number; df?: boolean; seq?: number; ack?: number } = {}) =>
  tcpFrame({ eth, ip: { src, dst, ttl: o.ttl ?? 64, df: o.df ?? true },
    tcp: { srcPort: sport, dstPort: dport, flags: o.flags ?? TCP_FLAGS.ACK, seq: o.seq ?? 100, ack: o.ack ?? 200, payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') } });

const fromRouter = { src: ROUTER_MAC, dst: DIR_MAC };
const toRs = (i: number) => ({ src: DIR_MAC, dst: mac(RS[i]!) });
const fromRs = (i: number) => ({ src: mac(RS[i]!), dst: DIR_MAC });
const toRouter = { src: DIR_MAC, dst: ROUTER_MAC };
const SYN = { flags: TCP_FLAGS.SYN };
const SYNACK = { flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK };

interface Golden {
  input: Buffer[];
  expected: Buffer[];
}

/** Two client SYNs (rr: one to each real server), then what each mode adds, and what must go out. */
const GOLDEN: Record<Mode, () => Golden> = {
  DR: () => ({
    input: [seg(fromRouter, CLIENT, 40000, VIP, 80, SYN), seg(fromRouter, CLIENT, 40001, VIP, 80, SYN), seg(fromRouter, CLIENT, 40000, VIP, 80)],
    expected: [seg(toRs(0), CLIENT, 40000, VIP, 80, SYN), seg(toRs(1), CLIENT, 40001, VIP, 80, SYN), seg(toRs(0), CLIENT, 40000, VIP, 80)],
  }),
  NAT: () => ({
    input: [seg(fromRouter, CLIENT, 40000, VIP, 80, SYN), seg(fromRouter, CLIENT, 40001, VIP, 80, SYN), seg(fromRs(0), RS[0]!, 8080, CLIENT, 40000, SYNACK)],
    expected: [seg(toRs(0), CLIENT, 40000, RS[0]!, 8080, { ...SYN, ttl: 63 }), seg(toRs(1), CLIENT, 40001, RS[1]!, 8080, { ...SYN, ttl: 63 }),
      seg(toRouter, VIP, 80, CLIENT, 40000, { ...SYNACK, ttl: 63 })],
  }),
  TUN: () => {
    const syn = (port: number) => seg(fromRouter, CLIENT, port, VIP, 80, SYN);
    const tunnel = (i: number, inner: Buffer) => ipipFrame({ eth: toRs(i), outer: { src: DIR_IP, dst: RS[i]!, df: true, ttl: 64, id: 0 }, inner: ipPacketOf(inner) });
    return { input: [syn(40000), syn(40001)], expected: [tunnel(0, syn(40000)), tunnel(1, syn(40001))] };
  },
  // FULLNAT numbers the client's side toward the real server from the capture's clock (frame i's
  // time): the SYNs leave with that ISN, the real server's SYN-ACK comes back to the client's.
  FNAT: () => {
    const isn = (i: number) => isnAt(timeOf(i)) >>> 0;
    return {
      input: [seg(fromRouter, CLIENT, 40000, VIP, 80, SYN), seg(fromRouter, CLIENT, 40001, VIP, 80, SYN),
        seg(fromRs(0), RS[0]!, 8080, LIP, 1024, { ...SYNACK, ack: (isn(0) + 1) >>> 0 })],
      expected: [seg(toRs(0), LIP, 1024, RS[0]!, 8080, { ...SYN, ttl: 63, seq: isn(0) }), seg(toRs(1), LIP, 1025, RS[1]!, 8080, { ...SYN, ttl: 63, seq: isn(1) }),
        seg(toRouter, VIP, 80, CLIENT, 40000, { ...SYNACK, ttl: 63, ack: 101 })],
    };
  },
};

const timeOf = (i: number): number => 1_764_000_000_000 + i * 10;
const records = (frames: Buffer[]): PcapRecord[] => frames.map((frame, i) => ({ timeMs: timeOf(i), frame, wireLength: frame.length }));

describe('director simulate (no root: an in-memory port)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'director-simulate-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer): string => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  for (const mode of ['DR', 'NAT', 'TUN', 'FNAT'] as const) {
    it(`${mode}: the golden pcap's frames go out byte for byte, and the report names each flow's real server`, async () => {
      const g = GOLDEN[mode]();
      const io = capture();
      const out = path.join(dir, 'out.pcap');
      const status = await main(['simulate', '-f', file('k.conf', conf(mode)), '--pcap', file('in.pcap', writePcap(records(g.input))),
        '--out', out, '--address', DIR_IP, '--gateway', GATEWAY], io);
      assert.equal(status, 0, io.stderr.join('\n'));
      const sent = readPcap(readFileSync(out)).records;
      assert.equal(sent.length, g.expected.length, io.stdout.join('\n'));
      sent.forEach((r, i) => assert.equal(r.frame.toString('hex'), g.expected[i]!.toString('hex'), `frame ${i + 1}`));
      assert.deepEqual(sent.map((r) => r.timeMs), records(g.input).slice(0, sent.length).map((r) => r.timeMs), 'each frame at the time of its cause');
      const forward = { DR: 'Route', NAT: 'Masq', TUN: 'Tunnel', FNAT: 'FullNat' }[mode];
      const rsPort = mode === 'NAT' || mode === 'FNAT' ? 8080 : 80;
      const flowLines = io.stdout.filter((l) => l.startsWith('TCP  198.18'));
      assert.deepEqual(flowLines, [0, 1].map((i) => `TCP  ${CLIENT}:${40000 + i} -> ${VIP}:80 => ${RS[i]}:${rsPort} ${forward}${mode === 'FNAT' ? ` ${LIP}:${1024 + i}` : ''}`));
      assert.match(io.stdout[0]!, new RegExp(`^${g.input.length} frames in .* ${g.expected.length} out to .*; 2 new connections; drops: none$`));
    });
  }

  it("treats a capture's offloaded (partial) checksums as the live director does: TCP completed, UDP kept partial", async () => {
    const tcpIn = makePartial(seg(fromRouter, CLIENT, 40000, VIP, 80, SYN)).frame;
    const udpIn = makePartial(udpFrame({ eth: fromRouter, ip: { src: CLIENT, dst: VIP }, udp: { srcPort: 5353, dstPort: 80, payload: Buffer.from('q') } })).frame;
    const udpConf = conf('NAT').replace('protocol TCP', 'protocol UDP');
    const run = async (config: string, input: Buffer) => {
      const out = path.join(dir, 'out.pcap');
      const io = capture();
      assert.equal(await main(['simulate', '-f', file('k.conf', config), '--pcap', file('in.pcap', writePcap(records([input]))), '--out', out, '--gateway', GATEWAY], io), 0, io.stderr.join('\n'));
      return readPcap(readFileSync(out)).records[0]!.frame;
    };
    assert.equal((await run(conf('NAT'), tcpIn)).toString('hex'), seg(toRs(0), CLIENT, 40000, RS[0]!, 8080, { ...SYN, ttl: 63 }).toString('hex'));
    const udpOut = makePartial(udpFrame({ eth: toRs(0), ip: { src: CLIENT, dst: RS[0]!, ttl: 63 }, udp: { srcPort: 5353, dstPort: 8080, payload: Buffer.from('q') } })).frame;
    assert.equal((await run(udpConf, udpIn)).toString('hex'), udpOut.toString('hex'));
  });

  it('spreads a flow list by weight (wrr 1:2 over 300 flows) and reports it as JSON', async () => {
    const flows = Array.from({ length: 300 }, (_, i) => `tcp 198.18.${1 + (i >> 8)}.${i & 0xff}:${30000 + i} ${VIP}:80`).join('\n');
    const io = capture();
    const status = await main(['simulate', '-f', file('k.conf', conf('DR', { algo: 'wrr', weights: [1, 2] })), '--flows', file('flows.txt', `# 300 clients\n${flows}\n`), '--json'], io);
    assert.equal(status, 0, io.stderr.join('\n'));
    const report = JSON.parse(io.stdout.join('\n'));
    assert.equal(report.flows.length, 300);
    assert.deepEqual(report.services[0].realServers.map((s: { address: string; flows: number }) => [s.address, s.flows]), [[RS[0], 100], [RS[1], 200]]);
    assert.deepEqual(report.drops, {});
  });

  it('sh sends every flow of one client to one real server, whatever its port', async () => {
    const flows = Array.from({ length: 20 }, (_, i) => `tcp ${CLIENT}:${30000 + i} ${VIP}:80`).join('\n');
    const io = capture();
    assert.equal(await main(['simulate', '-f', file('k.conf', conf('DR', { algo: 'sh' })), '--flows', file('f.txt', flows), '--json'], io), 0);
    const chosen = new Set(JSON.parse(io.stdout.join('\n')).flows.map((f: { destination: { address: string } }) => f.destination.address));
    assert.equal(chosen.size, 1);
  });

  it('counts what it does not forward under its drop reason', async () => {
    const io = capture();
    const other = tcpFrame({ eth: fromRouter, ip: { src: CLIENT, dst: '198.19.0.200' }, tcp: { srcPort: 1, dstPort: 80, flags: TCP_FLAGS.SYN } });
    const status = await main(['simulate', '-f', file('k.conf', conf('DR')), '--pcap', file('in.pcap', writePcap(records([seg(fromRouter, CLIENT, 40000, VIP, 80, SYN), other]))),
      '--mac', DIR_MAC, '--json'], io);
    assert.equal(status, 0, io.stderr.join('\n'));
    const report = JSON.parse(io.stdout.join('\n'));
    assert.equal(report.output.frames, 1);
    assert.deepEqual(Object.keys(report.drops), ['not_ours']);
  });

  it('refuses bad input with its reason: usage, pcapng, link type, flow list lines, TUN without --address', async () => {
    const k = file('k.conf', conf('DR'));
    const run = async (args: string[]) => {
      const io = capture();
      return { status: await main(['simulate', '-f', k, ...args], io), err: io.stderr.join('\n') };
    };
    assert.deepEqual(await run([]), { status: 2, err: (await run([])).err });
    assert.match((await run([])).err, /exactly one of --pcap FILE and --flows FILE/);
    const pcapng = Buffer.alloc(28);
    pcapng.writeUInt32LE(0x0a0d0d0a, 0);
    let r = await run(['--pcap', file('x.pcapng', pcapng)]);
    assert.equal(r.status, 1);
    assert.match(r.err, /pcapng file; convert it/);
    const raw = writePcap([]);
    raw.writeUInt32LE(101, 20);
    r = await run(['--pcap', file('raw.pcap', raw)]);
    assert.match(r.err, /link type 101: only Ethernet/);
    r = await run(['--flows', file('bad.txt', `tcp ${CLIENT}:1 ${VIP}:80\nsctp ${CLIENT}:1 ${VIP}:80\n`)]);
    assert.equal(r.status, 1);
    assert.match(r.err, /bad\.txt:2: 'sctp' is not tcp or udp/);
    r = await run(['--flows', file('empty.txt', ''), '--mac', 'nope']);
    assert.equal(r.status, 2);
    assert.match(r.err, /--mac: 'nope' is not a MAC address/);
    const tun = file('tun.conf', conf('TUN'));
    const io = capture();
    assert.equal(await main(['simulate', '-f', tun, '--flows', file('one.txt', `tcp ${CLIENT}:1 ${VIP}:80`)], io), 2);
    assert.match(io.stderr.join('\n'), /TUN service needs --address/);
  });
});

describe('pcap files and flow lists', () => {
  it('writes what it reads back (µs stamps), and reads big-endian and nanosecond files', () => {
    const recs = records([seg(fromRouter, CLIENT, 1, VIP, 80), seg(fromRouter, CLIENT, 2, VIP, 80)]);
    const back = readPcap(writePcap(recs));
    assert.equal(back.cutTail, 0);
    assert.deepEqual(back.records.map((r) => [r.timeMs, r.frame.toString('hex'), r.wireLength]), recs.map((r) => [r.timeMs, r.frame.toString('hex'), r.wireLength]));
    const frame = recs[0]!.frame;
    const be = Buffer.alloc(24 + 16 + frame.length);
    be.writeUInt32BE(0xa1b23c4d, 0); // nanosecond stamps, big-endian
    be.writeUInt32BE(1, 20);
    be.writeUInt32BE(10, 24);
    be.writeUInt32BE(500_000_000, 28);
    be.writeUInt32BE(frame.length, 32);
    be.writeUInt32BE(frame.length, 36);
    frame.copy(be, 40);
    const read = readPcap(Buffer.concat([be, Buffer.alloc(5)]));
    assert.equal(read.records[0]!.timeMs, 10_500);
    assert.ok(read.records[0]!.frame.equals(frame));
    assert.equal(read.cutTail, 5);
    assert.throws(() => readPcap(Buffer.alloc(10)), PcapError);
    assert.throws(() => readPcap(Buffer.alloc(24)), /bad magic number 0x00000000/);
  });

  it('parses flow lists, with or without an arrow, and names the line of a bad one', () => {
    const flows = parseFlowList(`# c\n\ntcp ${CLIENT}:40000 ${VIP}:80\nUDP ${CLIENT}:5353 -> ${VIP}:53  # dns\n`, 'f.txt');
    assert.deepEqual(flows.map((f) => [f.protocol, f.clientPort, f.vport, f.line]), [['tcp', 40000, 80, 3], ['udp', 5353, 53, 4]]);
    assert.throws(() => parseFlowList(`tcp ${CLIENT}:0 ${VIP}:80`, 'f.txt'), /f\.txt:1: port 0 is not 1-65535/);
    assert.throws(() => parseFlowList(`tcp ${CLIENT} ${VIP}:80`, 'f.txt'), /f\.txt:1: '198\.18\.1\.10' is not ADDRESS:PORT/);
    assert.throws(() => parseFlowList(`tcp 198.18.1.300:1 ${VIP}:80`, 'f.txt'), /f\.txt:1: /);
    assert.throws(() => parseFlowList(`tcp ${CLIENT}:1`, 'f.txt'), /f\.txt:1: expected/);
  });
});
