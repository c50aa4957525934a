// Connection sync among N directors (sync role master,backup, as behind ECMP), three data planes
// on memory ports joined by an in-memory sync LAN: a director ignores its own multicast, never
// sends on what it only learnt (no echo between peers), keeps a moved flow on the real server its
// creator chose whatever its own scheduler would pick, takes the flow over when it carries it
// (and the former owner cedes it), a joining director pulls a peer's table, and a draining one
// pushes only what it carries.
import assert from 'node:assert/strict';
import { parseIpv4 } from '../../src/net/addr.js';
import { ConnSync } from '../../src/sync/conn-sync.js';
import { decodeMessage } from '../../src/sync/ipvs-sync-codec.js';
import { clientSegment as segment, memoryLab, RS, RS_MAC, service } from '../support/memory-plane.js';
import { MemorySyncBus, type SyncNode as Peer } from '../support/memory-sync.js';
import { decodeFrame, TCP_FLAGS } from '../support/packets.js';

const SYNC_ID = 7;
const [IP_A, IP_B, IP_C, IP_D] = ['198.19.0.2', '198.19.0.3', '198.19.0.4', '198.19.0.5'] as const;

async function peer(bus: MemorySyncBus, address: string): Promise<Peer> {
  const lab = await memoryLab(service('dr'));
  await lab.settle();
  const transport = bus.attach(address);
  const sync = new ConnSync({ plane: lab.plane, transport, syncId: SYNC_ID, maxLen: 1472, clock: lab.clock });
  sync.setRole('master,backup');
  return { lab, sync, transport };
}

async function send(p: Peer, ...frames: Buffer[]): Promise<Buffer[]> {
  p.lab.inject(...frames);
  return p.lab.settle();
}

/** A connection opened and carried here: SYN and two ACKs (sync_threshold 3 sends it). */
const open = (p: Peer, cport: number) => send(p, segment(cport, TCP_FLAGS.SYN), segment(cport, TCP_FLAGS.ACK), segment(cport, TCP_FLAGS.ACK));

/** Every peer sends what it has pending; the LAN carries it all. Returns the messages sent. */
function sync(bus: MemorySyncBus, peers: Peer[]): number {
  for (const p of peers) p.sync.flush();
  return bus.pump();
}

/** Which real server each client port is on, in this director's table. */
function table(p: Peer): Map<number, string> {
  const c = p.lab.plane.conns;
  const out = new Map<number, string>();
  for (const e of c.liveEntries()) out.set(c.cport[e]!, RS[RS.map((a) => parseIpv4(a)).indexOf(c.daddr[e]!)]!);
  return out;
}

async function three(): Promise<{ bus: MemorySyncBus; a: Peer; b: Peer; c: Peer; close(): void }> {
  const bus = new MemorySyncBus();
  const [a, b, c] = [await peer(bus, IP_A), await peer(bus, IP_B), await peer(bus, IP_C)];
  return { bus, a, b, c, close: () => { for (const p of [a, b, c]) p.lab.plane.close(); } };
}

describe('connection sync among N directors (master,backup)', () => {
  it('a director ignores its own multicast and never sends on what it learnt: three peers do not echo', async () => {
    const { bus, a, b, c, close } = await three();
    try {
      await open(a, 40000);
      assert.equal(sync(bus, [a, b, c]), 1, 'one message: A\'s, and nothing in answer');
      assert.equal(a.sync.stats().own, 1, 'A heard its own message back and left it');
      assert.equal(a.sync.stats().received.messages, 0);
      for (const p of [b, c]) {
        assert.deepEqual([...table(p)], [[40000, RS[0]]]);
        assert.equal(p.sync.stats().received.conns, 1);
      }
      // A goes on carrying it: packet 53 (3 + sync_period 50) refreshes the peers, who stay silent.
      await send(a, ...Array.from({ length: 50 }, () => segment(40000, TCP_FLAGS.ACK)));
      assert.equal(sync(bus, [a, b, c]), 1);
      for (const p of [b, c]) {
        assert.equal(p.sync.stats().received.conns, 2, 'refreshed by its owner');
        assert.deepEqual(p.sync.stats().sent, { conns: 0, templates: 0, messages: 0 }, 'a learnt entry is never sent on');
      }
      assert.deepEqual(a.sync.stats().ownership, { takenOver: 0, ceded: 0 });
    } finally {
      close();
    }
  });

  it('a flow moved to another director keeps the real server its creator chose, though that director\'s rr would pick another', async () => {
    const { bus, a, b, c, close } = await three();
    try {
      // A puts 40000 on RS[1] (its second connection); B's rr has had two, so it would pick RS[2] next.
      await open(a, 39999);
      await open(a, 40000);
      await open(b, 50000);
      await open(b, 50001);
      sync(bus, [a, b, c]);
      assert.equal(table(a).get(40000), RS[1]);
      const [out] = await send(b, segment(40000, TCP_FLAGS.ACK));
      assert.equal(decodeFrame(out!).dstMac, RS_MAC[1], 'B forwards the moved flow to A\'s real server');
      // B carries it now: it takes it over and sends it at its third packet here; A cedes it.
      await send(b, segment(40000, TCP_FLAGS.ACK), segment(40000, TCP_FLAGS.ACK));
      const aSent = a.sync.stats().sent.messages;
      assert.equal(sync(bus, [a, b, c]), 1, 'B\'s message, and nothing in answer');
      assert.equal(b.sync.stats().ownership.takenOver, 1);
      assert.equal(a.sync.stats().ownership.ceded, 1);
      assert.equal(a.sync.stats().sent.messages, aSent, 'A does not answer');
      assert.equal(c.sync.stats().received.conns, 5, 'C follows whoever carries the flow');
      // A new flow on B still goes where B's own scheduler says: sync only keeps existing ones.
      const [fresh] = await send(b, segment(50002, TCP_FLAGS.SYN));
      assert.equal(decodeFrame(fresh!).dstMac, RS_MAC[2]);
      // ECMP moves it back: A takes it over again.
      await send(a, segment(40000, TCP_FLAGS.ACK));
      assert.equal(a.sync.stats().ownership.takenOver, 1);
    } finally {
      close();
    }
  });

  it('a joining director asks every peer for its table and is ready once one dump is whole; it sends on nothing it learnt', async () => {
    const { bus, a, b, c, close } = await three();
    const d = await peer(bus, IP_D);
    try {
      await open(a, 40000);
      await open(b, 50000);
      sync(bus, [a, b, c]);
      let ready = 0;
      d.sync.requestPeersTable(() => ready++);
      bus.pump();
      assert.equal(ready, 1);
      assert.deepEqual([...table(d)].sort(), [[40000, RS[0]], [50000, RS[0]]]);
      const dump = d.sync.stats().dump;
      assert.deepEqual([dump.requests, dump.complete, dump.lastEntries], [1, 1, 2]);
      assert.equal([a, b, c].reduce((n, p) => n + p.sync.stats().dump.served, 0), 3, 'every peer answered the group\'s request');
      assert.deepEqual(d.sync.stats().sent, { conns: 0, templates: 0, messages: 0 });
      // A lone director (its peers silent) announces after the bound, and says why.
      const lonely = new MemorySyncBus();
      const e = await peer(lonely, IP_D);
      try {
        const r = await e.sync.pullPeersTable(30);
        assert.equal(r?.complete, false);
        assert.match(r!.why, /no peer answered 1 request/);
      } finally {
        e.lab.plane.close();
      }
    } finally {
      d.lab.plane.close();
      close();
    }
  });

  it('before a drain a director pushes the peers only the connections it carries', async () => {
    const { bus, a, b, c, close } = await three();
    try {
      await open(a, 40000);
      await send(a, segment(40001, TCP_FLAGS.SYN));
      await open(b, 50000);
      sync(bus, [a, b, c]);
      assert.equal(a.sync.shareOwnTable(), 2, 'its two connections (one not synced yet), not B\'s');
      const pushed = a.transport.sent.flatMap((m) => decodeMessage(m).conns.map((x) => x.cport));
      assert.deepEqual(pushed.sort(), [40000, 40001]);
      bus.pump();
      assert.ok(table(c).has(40001), 'the connection not synced yet reaches the peers');
      assert.deepEqual(a.sync.stats().shared, { messages: 1, entries: 2 });
    } finally {
      close();
    }
  });
});
