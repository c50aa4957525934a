// The SYN proxy end to end over an in-memory port (the native batch code of real ports), NAT
// and FULLNAT: a SYN costs a cookie SYN-ACK and no connection; a bad cookie is a counted drop;
// a good one creates the connection and the SYN to the real server; data the client sends
// before the real server answers is parked, then released translated after the handshake ACK;
// every later segment is translated both ways, checksums right when recomputed from scratch.
import assert from 'node:assert/strict';
import { defaultLimits } from '../../src/config/model.js';
import { CLIENT, DIRECTOR_MAC, FakeClock, LIPS, memoryLab, ROUTER_MAC, RS, RS_MAC, service, VIP } from '../support/memory-plane.js';
import { decodeFrame, l4ChecksumOk, tcpFrame, TCP_FLAGS, verifyIpv4Checksum, type DecodedTcp } from '../support/packets.js';

const CLIENT_ISN = 0x7000_0000;
const SERVER_ISN = 0x0123_4567;
const REQUEST = Buffer.from('GET /file HTTP/1.1\r\nHost: vip\r\n\r\n');
const REPLY = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
const SYN_OPTIONS = Buffer.from([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);

const fromClient = (flags: number, seq: number, ack: number, o: { payload?: Buffer; options?: Buffer; cport?: number } = {}) => tcpFrame({
  eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP, ttl: 63 },
  tcp: { srcPort: o.cport ?? 40000, dstPort: 80, flags, seq, ack, window: 502, payload: o.payload, options: o.options },
});

interface Seen { dstMac: string; src: string; dst: string; tcp: DecodedTcp }

/** The first real server's segment back to whoever the proxy's SYN came from, acknowledging it. */
const fromServer = (syn: Seen, flags: number, seq: number, window?: number) => tcpFrame({
  eth: { src: RS_MAC[0]!, dst: DIRECTOR_MAC }, ip: { src: RS[0]!, dst: syn.src },
  tcp: { srcPort: 8080, dstPort: syn.tcp.srcPort, flags, seq, ack: CLIENT_ISN + 1, window },
});

function seen(f: Buffer): Seen {
  assert.ok(verifyIpv4Checksum(f), 'IPv4 header checksum');
  assert.ok(l4ChecksumOk(f), 'TCP checksum recomputed from scratch');
  const d = decodeFrame(f);
  return { dstMac: d.dstMac, src: d.ip!.src, dst: d.ip!.dst, tcp: d.ip!.tcp! };
}

for (const mode of ['nat', 'fnat'] as const) {
  describe(`SYN proxy, ${mode.toUpperCase()}, over a memory port`, () => {
    /** The address the real server sees the client as, and answers to. */
    const peer = mode === 'fnat' ? LIPS : [CLIENT];

    async function proxied() {
      // FULLNAT numbers the client's side toward the real server from the ISN clock; here it reads
      // the client's ISN, so both sides' numbers stay as this file writes them (the composition
      // of both translations: test/unit/fnat-seq.test.ts).
      const l = await memoryLab(service(mode, { synProxy: true }), new FakeClock(), { isn: () => CLIENT_ISN });
      await l.settle();
      return l;
    }

    /** A client's SYN and cookie-proven ACK: the cookie, and the SYN the real server got. */
    async function handshake({ inject, settle }: Awaited<ReturnType<typeof proxied>>): Promise<{ cookie: number; syn: Seen }> {
      inject(fromClient(TCP_FLAGS.SYN, CLIENT_ISN, 0, { options: SYN_OPTIONS }));
      const cookie = seen((await settle())[0]!).tcp.seq;
      inject(fromClient(TCP_FLAGS.ACK, CLIENT_ISN + 1, cookie + 1));
      return { cookie, syn: seen((await settle())[0]!) };
    }

    it('answers a SYN with a cookie and no connection, refuses a bad cookie, and opens on a good one', async () => {
      const { plane, inject, settle, stats } = await proxied();
      try {
        inject(fromClient(TCP_FLAGS.SYN, CLIENT_ISN, 0, { options: SYN_OPTIONS }));
        const [synAck] = (await settle()).map(seen);
        assert.equal(synAck!.dstMac, ROUTER_MAC);
        assert.deepEqual([synAck!.src, synAck!.dst, synAck!.tcp.srcPort, synAck!.tcp.dstPort], [VIP, CLIENT, 80, 40000]);
        assert.equal(synAck!.tcp.flags, TCP_FLAGS.SYN | TCP_FLAGS.ACK);
        assert.equal(synAck!.tcp.ack, CLIENT_ISN + 1);
        assert.deepEqual([...synAck!.tcp.options], [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7],
          "MSS 1460, SACK permitted, the proxy's window scale 7; no timestamps");
        assert.equal(stats().connections, 0, 'a SYN keeps no state');
        const cookie = synAck!.tcp.seq;

        inject(fromClient(TCP_FLAGS.ACK, CLIENT_ISN + 1, cookie + 2));
        inject(fromClient(TCP_FLAGS.ACK, CLIENT_ISN + 2, cookie + 1), fromClient(TCP_FLAGS.RST, CLIENT_ISN + 1, 0));
        assert.deepEqual(await settle(), []);
        assert.equal(stats().drops.synproxy_bad_cookie, 2, 'wrong cookie, wrong client ISN');
        assert.equal(stats().drops.synproxy_no_conn, 1, 'a RST without a connection');
        assert.equal(stats().connections, 0);

        inject(fromClient(TCP_FLAGS.ACK, CLIENT_ISN + 1, cookie + 1));
        const [syn] = (await settle()).map(seen);
        assert.equal(syn!.dstMac, RS_MAC[0]);
        assert.deepEqual([syn!.src, syn!.dst, syn!.tcp.dstPort], [peer[0], RS[0], 8080]);
        assert.equal(syn!.tcp.flags, TCP_FLAGS.SYN);
        assert.equal(syn!.tcp.seq, CLIENT_ISN, "the client's own ISN: its numbers need no translation");
        assert.deepEqual([...syn!.tcp.options], [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7], "the client's MSS, SACK and window scale, from the cookie");
        assert.equal(stats().connections, 1);
        assert.deepEqual(stats().synProxy, { synAcks: 1, proven: 1, serverAnswered: 0, held: 0, synRetries: 0 });
        assert.equal(stats().flood.unconfirmed, 0, 'a proven client is confirmed from the start');
      } finally {
        plane.close();
      }
    });

    it('parks early data, finishes the handshake, and translates every segment both ways', async () => {
      const l = await proxied();
      const { plane, inject, settle, stats } = l;
      try {
        const { cookie, syn } = await handshake(l);
        // The request follows at once, before the real server answered: parked.
        inject(fromClient(TCP_FLAGS.ACK | TCP_FLAGS.PSH, CLIENT_ISN + 1, cookie + 1, { payload: REQUEST }));
        assert.deepEqual(await settle(), []);
        assert.equal(stats().synProxy.held, 1);

        inject(tcpFrame({
          eth: { src: RS_MAC[0]!, dst: DIRECTOR_MAC }, ip: { src: RS[0]!, dst: syn.src },
          tcp: { srcPort: 8080, dstPort: syn.tcp.srcPort, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, seq: SERVER_ISN, ack: CLIENT_ISN + 1, window: 29200,
            options: Buffer.from([2, 4, 0x05, 0xb4, 1, 3, 3, 9]) },
        }));
        const [ack, request, ...rest] = (await settle()).map(seen);
        assert.equal(rest.length, 0, 'nothing reaches the client: it had its SYN-ACK from the proxy');
        assert.equal(ack!.dstMac, RS_MAC[0]);
        assert.deepEqual([ack!.src, ack!.dst, ack!.tcp.flags, ack!.tcp.seq, ack!.tcp.ack, ack!.tcp.window],
          [syn.src, RS[0], TCP_FLAGS.ACK, CLIENT_ISN + 1, SERVER_ISN + 1, 502]);
        assert.deepEqual([request!.dst, request!.tcp.seq, request!.tcp.ack], [RS[0], CLIENT_ISN + 1, SERVER_ISN + 1], 'released, translated');
        assert.deepEqual(request!.tcp.payload, REQUEST);

        inject(tcpFrame({
          eth: { src: RS_MAC[0]!, dst: DIRECTOR_MAC }, ip: { src: RS[0]!, dst: syn.src },
          tcp: { srcPort: 8080, dstPort: syn.tcp.srcPort, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, seq: SERVER_ISN + 1, ack: CLIENT_ISN + 1 + REQUEST.length,
            window: 1000, payload: REPLY },
        }));
        const [reply] = (await settle()).map(seen);
        assert.equal(reply!.tcp.window, 4000, "the real server's scale 9 told in the proxy's scale 7");
        assert.equal(reply!.dstMac, ROUTER_MAC);
        assert.deepEqual([reply!.src, reply!.dst, reply!.tcp.srcPort, reply!.tcp.dstPort], [VIP, CLIENT, 80, 40000]);
        assert.deepEqual([reply!.tcp.seq, reply!.tcp.ack], [(cookie + 1) >>> 0, CLIENT_ISN + 1 + REQUEST.length]);

        const sackBlock = Buffer.from([1, 1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0]);
        sackBlock.writeUInt32BE((cookie + 1 + 1000) >>> 0, 4);
        sackBlock.writeUInt32BE((cookie + 1 + 2000) >>> 0, 8);
        inject(fromClient(TCP_FLAGS.ACK, CLIENT_ISN + 1 + REQUEST.length, (cookie + 1 + REPLY.length) >>> 0, { options: sackBlock }));
        const [dupAck] = (await settle()).map(seen);
        assert.equal(dupAck!.tcp.ack, SERVER_ISN + 1 + REPLY.length);
        assert.equal(dupAck!.tcp.window, 502, "both sides scale by the client's shift: the client's window passes as it is");
        assert.deepEqual([dupAck!.tcp.options.readUInt32BE(4), dupAck!.tcp.options.readUInt32BE(8)], [SERVER_ISN + 1 + 1000, SERVER_ISN + 1 + 2000]);
        assert.equal(stats().synProxy.serverAnswered, 1);
      } finally {
        plane.close();
      }
    });

    it('rescales windows when the real server does not scale while the client does', async () => {
      const l = await proxied();
      const { plane, inject, settle } = l;
      try {
        const { cookie, syn } = await handshake(l);
        const fromRs = (flags: number, seq: number) => fromServer(syn, flags, seq, 29200);
        inject(fromRs(TCP_FLAGS.SYN | TCP_FLAGS.ACK, SERVER_ISN));
        const [ack] = (await settle()).map(seen);
        assert.equal(ack!.tcp.window, 502 << 7, "the client's scaled window, unscaled for the real server");
        inject(fromRs(TCP_FLAGS.ACK, SERVER_ISN + 1));
        const [toClient] = (await settle()).map(seen);
        assert.deepEqual([toClient!.tcp.seq, toClient!.tcp.window], [(cookie + 1) >>> 0, 29200 >> 7], "told in the proxy's scale 7");
        inject(fromClient(TCP_FLAGS.ACK, CLIENT_ISN + 1, cookie + 1));
        const [toRs] = (await settle()).map(seen);
        assert.equal(toRs!.tcp.window, 502 << 7);
      } finally {
        plane.close();
      }
    });

    it("passes the real server's refusal on as a RST in the client's window", async () => {
      const l = await proxied();
      const { plane, inject, settle, stats } = l;
      try {
        const { cookie, syn } = await handshake(l);
        const fromRs = (flags: number, seq: number) => fromServer(syn, flags, seq);
        inject(fromRs(TCP_FLAGS.ACK, 5));
        assert.deepEqual(await settle(), []);
        assert.equal(stats().drops.synproxy_handshake, 1, 'neither SYN-ACK nor RST before the handshake');
        inject(fromRs(TCP_FLAGS.RST | TCP_FLAGS.ACK, 0));
        const [rst] = (await settle()).map(seen);
        assert.deepEqual([rst!.dst, rst!.tcp.flags, rst!.tcp.seq], [CLIENT, TCP_FLAGS.RST | TCP_FLAGS.ACK, (cookie + 1) >>> 0]);
      } finally {
        plane.close();
      }
    });

    it('sends the SYN again for a client segment beyond what a connection may park', async () => {
      const l = await proxied();
      const { plane, inject, settle, stats } = l;
      try {
        const { cookie } = await handshake(l);
        for (let k = 0; k < 5; k++) inject(fromClient(TCP_FLAGS.ACK, CLIENT_ISN + 1, cookie + 1, { payload: REQUEST }));
        const [retry, ...others] = (await settle()).map(seen);
        assert.equal(others.length, 0);
        assert.deepEqual([retry!.dst, retry!.tcp.flags, retry!.tcp.seq], [RS[0], TCP_FLAGS.SYN, CLIENT_ISN]);
        assert.deepEqual([stats().synProxy.held, stats().synProxy.synRetries], [4, 1]);
      } finally {
        plane.close();
      }
    });
  });
}

describe('SYN proxy and source_conn_rate', () => {
  it('answers every SYN of a source, and holds its proven connections to the rate', async () => {
    const l = await memoryLab(service('nat', { synProxy: true }), new FakeClock(),
      { limits: { ...defaultLimits(), sourceConnRate: 2, sourceConnBurst: 2 } });
    try {
      await l.settle();
      for (let p = 0; p < 3; p++) l.inject(fromClient(TCP_FLAGS.SYN, CLIENT_ISN, 0, { cport: 41000 + p }));
      const cookies = (await l.settle()).map((f) => seen(f).tcp.seq);
      assert.equal(cookies.length, 3, 'SYNs cost nothing: no source is limited on a forgeable address');
      cookies.forEach((cookie, p) => l.inject(fromClient(TCP_FLAGS.ACK, CLIENT_ISN + 1, cookie + 1, { cport: 41000 + p })));
      const syns = (await l.settle()).map(seen);
      assert.deepEqual(syns.map((f) => f.tcp.flags), [TCP_FLAGS.SYN, TCP_FLAGS.SYN], 'the burst of 2');
      assert.equal(l.stats().drops.source_rate, 1);
      assert.equal(l.stats().connections, 2);
    } finally {
      l.plane.close();
    }
  });
});

describe('SYN proxy: a service without it', () => {
  it('still creates a connection per SYN and forwards it', async () => {
    const l = await memoryLab(service('nat'));
    try {
      await l.settle();
      l.inject(fromClient(TCP_FLAGS.SYN, CLIENT_ISN, 0));
      const [syn] = (await l.settle()).map(seen);
      assert.deepEqual([syn!.dst, syn!.tcp.seq], [RS[0], CLIENT_ISN]);
      assert.equal(l.stats().connections, 1);
      assert.equal(l.stats().synProxy.synAcks, 0);
    } finally {
      l.plane.close();
    }
  });
});
