// FULLNAT's client-side sequence numbers through a data plane on a memory port: the ISN clock,
// a connection a SYN opens numbered from it (its delta kept per connection), every segment of
// the flow moved both ways, a mid-flow opener (sloppy_tcp) left alone, the delta carried by a
// sync entry (IN_SEQ) to a peer that goes on translating, and local port cursors that start at
// a random port, and ICMP errors whose quoted segment goes back to its sender's numbering (src/fullnat,
// docs/datapath.md#fullnat-sequence-numbers).
import assert from 'node:assert/strict';
import { ConnFlag } from '../../src/conntable/conn-table.js';
import { isnAt } from '../../src/fullnat/isn-clock.js';
import { LocalAddressPorts, LOWEST_FIRST, SOLE_WORKER } from '../../src/fullnat/lport-allocator.js';
import { decodeMessage, encodeMessage, ConnFlag as SyncFlag } from '../../src/sync/ipvs-sync-codec.js';
import { connToSync } from '../../src/sync/sync-entries.js';
import { tableAdopter } from '../../src/sync/conn-sync.js';
import { CLIENT, DIRECTOR_MAC, FakeClock, memoryLab, ROUTER_MAC, RS_MAC, service, VIP, type MemoryLab } from '../support/memory-plane.js';
import { l4ChecksumOk, verifyIpv4Checksum } from '../support/packet-checksum.js';
import { decodeFrame, ETH_IPV4, ethernet, icmpErrorFrame, ipPacketOf, TCP_FLAGS, tcpFrame, type TcpOptions } from '../support/packets.js';

const ISN = 0x7654_3210;
const CLIENT_ISN = 0xc000_0000;
const TIMESTAMPS = Buffer.from([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 1, 3, 3, 7]);

const fromClient = (t: Omit<TcpOptions, 'srcPort' | 'dstPort'>, cport = 40000) =>
  tcpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP }, tcp: { srcPort: cport, dstPort: 80, ...t } });

/** The one TCP segment the director sent toward the real servers. */
function sentTcp(lab: MemoryLab, settled: Buffer[]) {
  const frames = settled.concat(lab.drain()).map((f) => decodeFrame(f)).filter((d) => d.ip?.tcp !== undefined);
  assert.equal(frames.length, 1, `${frames.length} TCP frames out`);
  return { ip: frames[0]!.ip!, tcp: frames[0]!.ip!.tcp!, mac: frames[0]!.dstMac };
}

/** The one TCP frame the director sent (raw). */
function sentFrame(lab: MemoryLab, settled: Buffer[]): Buffer {
  const frames = settled.concat(lab.drain()).filter((f) => decodeFrame(f).ip?.tcp !== undefined);
  assert.equal(frames.length, 1, `${frames.length} TCP frames out`);
  return frames[0]!;
}

/**
 * A frag-needed (MTU 1400) from `from` about `sent` (a frame the director sent), quoting its IP
 * header + 8 bytes or all of it; what the director passes on: its addresses, the quoted
 * segment's ends and sequence number, with both checksums checked from scratch.
 */
async function fragNeeded(lab: MemoryLab, sent: Buffer, from: { mac: string; ip: string }, whole: boolean) {
  const quote = ipPacketOf(sent);
  const to = decodeFrame(sent).ip!.src;
  lab.inject(icmpErrorFrame({ eth: { src: from.mac, dst: DIRECTOR_MAC }, ip: { src: from.ip, dst: to },
    error: { type: 3, code: 4, mtu: 1400, quote, quoteBytes: whole ? quote.length : 28 } }));
  const out = (await lab.settle()).filter((f) => decodeFrame(f).ip?.icmp !== undefined);
  assert.equal(out.length, 1, `${out.length} ICMP frames out`);
  const f = out[0]!;
  assert.ok(verifyIpv4Checksum(f) && l4ChecksumOk(f), 'outer IP and ICMP checksums');
  const d = decodeFrame(f);
  const at = d.l3Offset + 20 + 8;  // the quoted IP header
  const q = d.ip!.icmp!.quoted!;
  if (whole) assert.ok(l4ChecksumOk(ethernet({}, ETH_IPV4, f.subarray(at))), 'the quoted segment\'s own checksum');
  return { src: d.ip!.src, dst: d.ip!.dst, quoted: [q.src, q.ports!.src, q.dst, q.ports!.dst], seq: f.readUInt32BE(at + 20 + 4) };
}

async function fnatLab(o: { sloppyTcp?: boolean } = {}): Promise<MemoryLab> {
  return memoryLab(service('fnat', { realServers: service('fnat').realServers.slice(0, 1) }), new FakeClock(), { isn: () => ISN, ...o });
}

describe('FULLNAT client-side sequence numbers', () => {
  it('the ISN clock counts microseconds of the wall clock, modulo 2^32, as int32', () => {
    const t = 1_764_000_000_000;
    assert.equal((isnAt(t + 1) - isnAt(t)) | 0, 1000);
    assert.equal((isnAt(t + 0.001) - isnAt(t)) | 0, 1);
    assert.equal((isnAt(t + 60_000) - isnAt(t)) | 0, 60_000_000, 'a minute later: 60 M numbers on');
    assert.deepEqual([isnAt(2 ** 32), isnAt(2 ** 32 + 1)], [0, 1000], 'wraps every 2^32 µs (2^32 ms is a multiple)');
    for (const x of [0, t, t + 123.456, 2 ** 40]) assert.ok(Number.isInteger(isnAt(x)) && isnAt(x) === (isnAt(x) | 0));
  });

  it('a SYN opens a connection numbered from the clock; both directions translate, the timestamps go', async () => {
    const lab = await fnatLab();
    await lab.settle();
    lab.inject(fromClient({ seq: CLIENT_ISN, flags: TCP_FLAGS.SYN, options: TIMESTAMPS }));
    const syn = sentTcp(lab, await lab.settle());
    assert.equal(syn.tcp.seq, ISN);
    assert.deepEqual([...syn.tcp.options.subarray(6, 16)], Array(10).fill(1), 'timestamps replaced by NOPs');
    const c = lab.plane.conns;
    const e = c.liveEntries()[0]!;
    assert.ok(c.flags[e]! & ConnFlag.CLIENT_SEQ);
    assert.equal(c.seqDelta[e]! >>> 0, (ISN - CLIENT_ISN) >>> 0);
    // The real server's SYN-ACK acknowledges ISN + 1: the client sees its own ISN + 1.
    lab.inject(tcpFrame({ eth: { src: RS_MAC[0]!, dst: DIRECTOR_MAC }, ip: { src: syn.ip.dst, dst: syn.ip.src },
      tcp: { srcPort: syn.tcp.dstPort, dstPort: syn.tcp.srcPort, seq: 5000, ack: ISN + 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK } }));
    const synAck = sentTcp(lab, []);
    assert.equal(synAck.tcp.ack, CLIENT_ISN + 1);
    assert.equal(synAck.tcp.seq, 5000, "the real server's numbers pass unchanged");
    lab.inject(fromClient({ seq: CLIENT_ISN + 1, ack: 5001, flags: TCP_FLAGS.ACK, payload: Buffer.from('GET /') }));
    const data = sentTcp(lab, []);
    assert.deepEqual([data.tcp.seq, data.tcp.ack], [ISN + 1, 5001]);
    // A connection on another client port gets the same clock value, its own delta.
    lab.inject(fromClient({ seq: 77, flags: TCP_FLAGS.SYN }, 40001));
    assert.equal(sentTcp(lab, []).tcp.seq, ISN);
  });

  it('a connection sloppy_tcp opens mid-flow keeps the client\'s numbers (the real server has them already)', async () => {
    const lab = await fnatLab({ sloppyTcp: true });
    await lab.settle();
    lab.inject(fromClient({ seq: CLIENT_ISN + 100, ack: 9, flags: TCP_FLAGS.ACK, payload: Buffer.from('x') }));
    assert.equal(sentTcp(lab, await lab.settle()).tcp.seq, CLIENT_ISN + 100);
    assert.equal(lab.plane.conns.flags[lab.plane.conns.liveEntries()[0]!]! & ConnFlag.CLIENT_SEQ, 0);
  });

  it('a SYN-proxied FULLNAT connection: the SYN to the real server carries the clock ISN, both deltas compose', async () => {
    const lab = await memoryLab(service('fnat', { synProxy: true, realServers: service('fnat').realServers.slice(0, 1) }), new FakeClock(), { isn: () => ISN });
    await lab.settle();
    lab.inject(fromClient({ seq: CLIENT_ISN, flags: TCP_FLAGS.SYN, options: TIMESTAMPS }));
    const cookie = sentTcp(lab, await lab.settle()).tcp.seq;
    lab.inject(fromClient({ seq: CLIENT_ISN + 1, ack: (cookie + 1) >>> 0, flags: TCP_FLAGS.ACK }));
    const syn = sentTcp(lab, await lab.settle());
    assert.deepEqual([syn.tcp.flags, syn.tcp.seq], [TCP_FLAGS.SYN, ISN]);
    const SERVER_ISN = 0x0000_5000;
    lab.inject(tcpFrame({ eth: { src: RS_MAC[0]!, dst: DIRECTOR_MAC }, ip: { src: syn.ip.dst, dst: syn.ip.src },
      tcp: { srcPort: syn.tcp.dstPort, dstPort: syn.tcp.srcPort, seq: SERVER_ISN, ack: ISN + 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK } }));
    const ack = sentTcp(lab, await lab.settle());
    assert.deepEqual([ack.tcp.flags, ack.tcp.seq, ack.tcp.ack], [TCP_FLAGS.ACK, ISN + 1, SERVER_ISN + 1], 'the handshake ACK, in the real server\'s numbering');
    lab.inject(fromClient({ seq: CLIENT_ISN + 1, ack: (cookie + 1) >>> 0, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload: Buffer.from('GET /') }));
    const data = sentTcp(lab, await lab.settle());
    assert.deepEqual([data.tcp.seq, data.tcp.ack], [ISN + 1, SERVER_ISN + 1], 'seq by the client delta, ack by the cookie delta');
    lab.inject(tcpFrame({ eth: { src: RS_MAC[0]!, dst: DIRECTOR_MAC }, ip: { src: syn.ip.dst, dst: syn.ip.src },
      tcp: { srcPort: syn.tcp.dstPort, dstPort: syn.tcp.srcPort, seq: SERVER_ISN + 1, ack: ISN + 6, flags: TCP_FLAGS.ACK } }));
    const back = sentTcp(lab, await lab.settle());
    assert.deepEqual([back.tcp.seq, back.tcp.ack], [(cookie + 1) >>> 0, CLIENT_ISN + 6]);
  });

  it('an ICMP frag-needed from the real server leg reaches the client quoting its own sequence number', async () => {
    const lab = await fnatLab();
    await lab.settle();
    lab.inject(fromClient({ seq: CLIENT_ISN, flags: TCP_FLAGS.SYN }));
    const syn = sentTcp(lab, await lab.settle());
    lab.inject(tcpFrame({ eth: { src: RS_MAC[0]!, dst: DIRECTOR_MAC }, ip: { src: syn.ip.dst, dst: syn.ip.src },
      tcp: { srcPort: syn.tcp.dstPort, dstPort: syn.tcp.srcPort, seq: 5000, ack: ISN + 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK } }));
    sentTcp(lab, await lab.settle());
    lab.inject(fromClient({ seq: CLIENT_ISN + 1, ack: 5001, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload: Buffer.alloc(600, 7) }));
    const data = sentFrame(lab, await lab.settle());
    assert.equal(decodeFrame(data).ip!.tcp!.seq, ISN + 1, 'the real server leg numbers from the director\'s ISN');
    for (const whole of [false, true]) {
      const e = await fragNeeded(lab, data, { mac: RS_MAC[0]!, ip: syn.ip.dst }, whole);
      assert.deepEqual([e.src, e.dst], [VIP, CLIENT]);
      assert.deepEqual(e.quoted, [CLIENT, 40000, VIP, 80]);
      assert.equal(e.seq, CLIENT_ISN + 1, `${whole ? 'whole' : 'cut'} quote: the client's own number (Linux ignores an error outside snd_una..snd_nxt)`);
    }
  });

  it('a SYN-proxied FULLNAT connection: an error from either leg quotes the numbers its receiver sent', async () => {
    const lab = await memoryLab(service('fnat', { synProxy: true, realServers: service('fnat').realServers.slice(0, 1) }), new FakeClock(), { isn: () => ISN });
    await lab.settle();
    lab.inject(fromClient({ seq: CLIENT_ISN, flags: TCP_FLAGS.SYN }));
    const cookie = sentTcp(lab, await lab.settle()).tcp.seq;
    lab.inject(fromClient({ seq: CLIENT_ISN + 1, ack: (cookie + 1) >>> 0, flags: TCP_FLAGS.ACK }));
    const syn = sentTcp(lab, await lab.settle());
    const SERVER_ISN = 0x0000_5000;
    const rs = { mac: RS_MAC[0]!, ip: syn.ip.dst };
    const fromRs = (t: Omit<TcpOptions, 'srcPort' | 'dstPort'>) => tcpFrame({ eth: { src: rs.mac, dst: DIRECTOR_MAC }, ip: { src: rs.ip, dst: syn.ip.src },
      tcp: { srcPort: syn.tcp.dstPort, dstPort: syn.tcp.srcPort, ...t } });
    lab.inject(fromRs({ seq: SERVER_ISN, ack: ISN + 1, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK }));
    sentTcp(lab, await lab.settle());
    lab.inject(fromClient({ seq: CLIENT_ISN + 1, ack: (cookie + 1) >>> 0, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload: Buffer.from('GET /') }));
    const request = sentFrame(lab, await lab.settle());
    lab.inject(fromRs({ seq: SERVER_ISN + 1, ack: ISN + 6, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload: Buffer.alloc(600, 3) }));
    const reply = sentFrame(lab, await lab.settle());
    assert.equal(decodeFrame(reply).ip!.tcp!.seq, (cookie + 1) >>> 0);
    for (const whole of [false, true]) {
      const toClient = await fragNeeded(lab, request, rs, whole);
      assert.deepEqual([toClient.dst, toClient.quoted, toClient.seq], [CLIENT, [CLIENT, 40000, VIP, 80], CLIENT_ISN + 1], 'from the real server leg: the client\'s numbers');
      const toRs = await fragNeeded(lab, reply, { mac: ROUTER_MAC, ip: '198.18.0.1' }, whole);
      assert.deepEqual([toRs.src, toRs.dst, toRs.quoted, toRs.seq], [syn.ip.src, rs.ip, [rs.ip, syn.tcp.dstPort, syn.ip.src, syn.tcp.srcPort], SERVER_ISN + 1],
        'from the client leg: the real server\'s numbers');
    }
  });

  it('a sync entry carries the delta as IN_SEQ; the peer that adopts it translates the same way', async () => {
    const master = await fnatLab();
    await master.settle();
    master.inject(fromClient({ seq: CLIENT_ISN, flags: TCP_FLAGS.SYN }));
    await master.settle();
    const entry = connToSync(master.plane.conns, master.plane.conns.liveEntries()[0]!, 300);
    assert.ok(entry.flags & SyncFlag.IN_SEQ);
    assert.equal(entry.seq?.in.delta, (ISN - CLIENT_ISN) >>> 0);
    const wire = decodeMessage(encodeMessage({ syncId: 1, conns: [entry] })).conns[0]!;
    const backup = await memoryLab(service('fnat', { realServers: service('fnat').realServers.slice(0, 1) }), new FakeClock(), { isn: () => 1 });
    await backup.settle();
    assert.equal(tableAdopter(backup.plane).adoptConn(wire, 300), null);
    backup.inject(fromClient({ seq: CLIENT_ISN + 1, ack: 5001, flags: TCP_FLAGS.ACK, payload: Buffer.from('GET /') }));
    assert.equal(sentTcp(backup, await backup.settle()).tcp.seq, ISN + 1, 'the backup moves the client\'s numbers by the master\'s delta');
  });

  it('each local address starts at a random port; LOWEST_FIRST and DIRECTOR_FIRST_LOCAL_PORT pin it', () => {
    const starts = new Set(Array.from({ length: 8 }, () => new LocalAddressPorts(1, SOLE_WORKER).take()));
    assert.ok(starts.size > 1, `8 addresses all started at ${[...starts].join()}`);
    assert.equal(new LocalAddressPorts(1, LOWEST_FIRST).take(), 1024);
    process.env.DIRECTOR_FIRST_LOCAL_PORT = '20000';
    try {
      assert.equal(new LocalAddressPorts(1, SOLE_WORKER).take(), 20000);
      process.env.DIRECTOR_FIRST_LOCAL_PORT = '80';
      assert.throws(() => new LocalAddressPorts(1, SOLE_WORKER), /DIRECTOR_FIRST_LOCAL_PORT must be a port from 1024 to 65535, got '80'/);
    } finally {
      delete process.env.DIRECTOR_FIRST_LOCAL_PORT;
    }
  });
});
