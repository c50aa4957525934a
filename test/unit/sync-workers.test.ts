// Connection sync across workers, in memory: a master of two workers (two data planes on memory
// ports, each with its FULLNAT port share) sends both workers' connections through the main
// thread's transport; a backup of two workers applies each to the worker that owns its packets
// (by client, FULLNAT by local port) and forwards them after a takeover; templates reach the
// worker(s) that look them up and keep the client on its real server; N directors (master,backup)
// keep ownership per worker; dumps gather every worker; the outbox toward the main thread is
// bounded with a counted drop; the counters add up over workers. Worker 1 runs in-process behind
// the SyncWorkers interface.
import assert from 'node:assert/strict';
import type { VirtualServerConfig } from '../../src/config/model.js';
import { formatIpv4, parseIpv4 } from '../../src/net/addr.js';
import { controlMessage } from '../../src/sync/dump-wire.js';
import { ConnSync, type SyncRole } from '../../src/sync/conn-sync.js';
import { ConnFlag, decodeMessage, type SyncConn } from '../../src/sync/ipvs-sync-codec.js';
import { DEFAULT_SYNC_SYSCTLS } from '../../src/sync/ipvs-sync-policy.js';
import { mergeDumps, RoutedAdopter, workerOfEntry, type SyncWorkers } from '../../src/sync/sync-routing.js';
import type { ConnAdopter } from '../../src/sync/sync-receiver.js';
import { SyncOutbox, WorkerSync, type AdoptMode } from '../../src/sync/worker-sync.js';
import { workerOfClient } from '../../src/workers/steering.js';
import { clientSegment as segment, memoryLab, RS, RS_MAC, service, type MemoryLab } from '../support/memory-plane.js';
import { MemorySyncTransport } from '../support/memory-sync.js';
import { decodeFrame, TCP_FLAGS } from '../support/packets.js';

const SYNC_ID = 5;
const WORKERS = 2;

/** Two client addresses of 198.18.1.0/24 for each worker of two (the steering hash of the address). */
const CLIENTS = [0, 1].map((w) => Array.from({ length: 60 }, (_, i) => `198.18.1.${10 + i}`)
  .filter((a) => workerOfClient(parseIpv4(a), WORKERS) === w).slice(0, 2));

/** A client of worker 1 outside 198.18.1.0/24. */
const OTHER_NET_CLIENT = Array.from({ length: 60 }, (_, i) => `198.18.2.${10 + i}`).find((a) => workerOfClient(parseIpv4(a), WORKERS) === 1)!;

/** Worker 1 of a director, in-process: its plane and its sync side, behind the pool's interface. */
interface Director {
  planes: MemoryLab[];
  sync: ConnSync;
  transport: MemorySyncTransport;
  side: WorkerSync;
  close(): void;
}

async function director(vs: VirtualServerConfig, role: SyncRole): Promise<Director> {
  const planes = [await memoryLab(vs, undefined, { share: { workers: WORKERS, index: 0 } }), await memoryLab(vs, undefined, { share: { workers: WORKERS, index: 1 } })];
  for (const p of planes) await p.settle();
  const transport = new MemorySyncTransport();
  let send: (m: Buffer) => void = () => {};
  const inFlight = new SharedArrayBuffer(4 * WORKERS);
  const setup = { syncId: SYNC_ID, maxLen: 1472, sysctls: DEFAULT_SYNC_SYSCTLS, inFlight };
  const side = new WorkerSync(planes[1]!.plane, planes[1]!.clock, setup, 1, (messages) => {
    for (const m of messages) send(m);
    Atomics.sub(new Int32Array(inFlight), 1, messages.length);
  });
  const workers: SyncWorkers = {
    size: WORKERS,
    setRole: (r) => side.setRole(r),
    adopt: (shares, mode: AdoptMode) => side.adopt(shares[1] ?? [], mode),
    dump: (own) => Promise.resolve(side.dump(own)),
    flush: () => side.flush(),
    reports: () => [{ index: 1, sync: side.report() }],
    onMessages: (s) => { send = s; },
  };
  const sync = new ConnSync({ plane: planes[0]!.plane, transport, syncId: SYNC_ID, maxLen: 1472, clock: planes[0]!.clock, workers });
  sync.setRole(role);
  return { planes, sync, transport, side, close: () => planes.forEach((p) => p.plane.close()) };
}

/** Opens a connection from client:cport on the worker its address steers to (three packets: sync_threshold). */
async function connect(d: Director, client: string, cport: number): Promise<Buffer[]> {
  const lab = d.planes[workerOfClient(parseIpv4(client), WORKERS)]!;
  lab.inject(segment(cport, TCP_FLAGS.SYN, client));
  const first = await lab.settle();
  lab.inject(segment(cport, TCP_FLAGS.ACK, client), segment(cport, TCP_FLAGS.ACK, client));
  await lab.settle();
  return first;
}

/** The real server a worker's table holds for this client's connection. */
function chosenServer(lab: MemoryLab, client: string): number {
  const c = lab.plane.conns;
  const e = [...c.liveEntries()].find((x) => c.caddr[x] === parseIpv4(client));
  assert.ok(e !== undefined, `no connection of ${client}`);
  return c.daddr[e]!;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Flushes the master (worker 1's messages come a turn later) and hands everything it sent to the backup. */
async function deliver(master: Director, backup: Director): Promise<SyncConn[]> {
  master.sync.flush();
  await turn();
  const messages = master.transport.take();
  for (const m of messages) backup.transport.deliver(m);
  await turn();
  return messages.flatMap((m) => decodeMessage(m).conns);
}

const clientsOf = (lab: MemoryLab): string[] => [...lab.plane.conns.liveEntries()].map((e) => {
  const a = lab.plane.conns.caddr[e]!;
  return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
}).sort();

describe('connection sync with workers', function () {
  // Four planes (FULLNAT: each with its local port maps) on a shared machine.
  this.timeout(60_000);
  for (const method of ['dr', 'fnat'] as const) {
    it(`${method.toUpperCase()}: the master sends every worker's connections; the backup's workers each adopt those whose packets they own, and forward them after a takeover`, async () => {
      const master = await director(service(method), 'master');
      const backup = await director(service(method), 'backup');
      try {
        let port = 40000;
        for (const client of CLIENTS.flat()) await connect(master, client, port++);
        assert.deepEqual(master.planes.map((p) => p.plane.conns.size), [2, 2], 'each master worker holds its two clients');
        const sent = await deliver(master, backup);
        assert.equal(sent.length, 4, 'both workers\' connections went out through the main thread');
        if (method === 'fnat') for (const e of sent) assert.equal(workerOfEntry(e, WORKERS), workerOfClient(e.caddr, WORKERS), 'a worker\'s local ports are its share');
        assert.deepEqual(backup.planes.map(clientsOf), CLIENTS.map((c) => [...c].sort()));
        if (method === 'fnat') assert.deepEqual(backup.planes.map((p) => p.stats().services[0]!.localPortsInUse), [2, 2], 'the pairs are reserved in their worker\'s share');
        const ms = master.sync.stats();
        assert.deepEqual([ms.sent.conns, ms.sent.messages, ms.sent.dropped], [4, 2, 0]);
        assert.deepEqual(ms.workers?.map((w) => w.sent), [2, 2]);
        const bs = backup.sync.stats();
        assert.deepEqual([bs.received.conns, bs.received.drops], [4, {}]);
        assert.deepEqual(bs.workers?.map((w) => w.received), [2, 2]);

        // Takeover: the backup's worker 1 forwards a mid-flow segment of its client to the master's choice, and now sends.
        backup.sync.setRole('master');
        const client = CLIENTS[1]![0]!;
        const lab = backup.planes[1]!;
        lab.inject(segment(40002, TCP_FLAGS.ACK, client));
        const [out] = await lab.settle();
        assert.ok(out, 'the segment was forwarded');
        assert.equal(lab.stats().drops.no_conn ?? 0, 0);
        const chosen = RS.indexOf(formatIpv4(chosenServer(master.planes[1]!, client)));
        if (method === 'dr') assert.equal(decodeFrame(out).dstMac, RS_MAC[chosen], 'to the master\'s real server');
        else assert.equal(decodeFrame(out).ip!.dst, RS[chosen], 'to the master\'s real server');
        for (let i = 0; i < 50; i++) lab.inject(segment(40002, TCP_FLAGS.ACK, client));
        await lab.settle();
        backup.sync.flush();
        await turn();
        assert.equal(backup.transport.take().flatMap((m) => decodeMessage(m).conns).length, 1, 'the new master\'s worker 1 syncs its flow (at its 3rd packet here)');
      } finally {
        master.close();
        backup.close();
      }
    });
  }

  for (const [granularity, want] of [['255.255.255.255', [0, 2]], ['255.255.255.0', [2, 2]]] as const) {
    it(`a persistence template (granularity ${granularity}) reaches ${want[0] ? 'every worker' : 'its client\'s worker only'}`, async () => {
      const vs = service('dr', { persistenceTimeout: 300, persistenceGranularity: granularity });
      const master = await director(vs, 'master');
      const backup = await director(vs, 'backup');
      try {
        // Another network's client of worker 1 first, so rr gives CLIENTS[1][0] the second real server.
        await connect(master, OTHER_NET_CLIENT, 42000);
        await connect(master, CLIENTS[1]![0]!, 42000);
        const sent = await deliver(master, backup);
        assert.deepEqual(sent.map((e) => (e.flags & ConnFlag.TEMPLATE) !== 0).sort(), [false, false, true, true]);
        assert.deepEqual(backup.planes.map((p) => [...p.plane.factory.liveTemplates()].length), want);
        assert.equal(backup.sync.stats().received.templates, 2, 'each counted once');
        // The client's next connection, scheduled on the backup's worker 1, sticks to the master's real server.
        backup.sync.setRole('master');
        const first = await connect(backup, CLIENTS[1]![0]!, 42001);
        const chosen = RS.indexOf(formatIpv4(chosenServer(master.planes[1]!, CLIENTS[1]![0]!)));
        assert.equal(chosen, 1, 'the master gave it the second real server');
        assert.equal(decodeFrame(first.find((f) => decodeFrame(f).ip?.tcp !== undefined)!).dstMac, RS_MAC[1], 'not the first, which rr would give');
      } finally {
        master.close();
        backup.close();
      }
    });
  }

  it('master,backup (N directors): a worker never re-sends a peer\'s entry, takes it over at its first packet, and shares what it carries before a drain', async () => {
    const a = await director(service('dr'), 'master,backup');
    const b = await director(service('dr'), 'master,backup');
    try {
      const client = CLIENTS[1]![0]!;
      await connect(a, client, 43000);
      await deliver(a, b);
      assert.equal(b.planes[1]!.plane.conns.size, 1, 'b\'s worker 1 learnt it');
      b.sync.flush();
      await turn();
      assert.equal(b.transport.take().length, 0, 'a learnt entry is not sent on');
      assert.equal(b.sync.shareOwnTable(), 0);
      await turn();
      assert.equal(b.sync.stats().shared.entries, 0, 'nor shared: it is the peer\'s');
      const lab = b.planes[1]!;
      for (let i = 0; i < 3; i++) lab.inject(segment(43000, TCP_FLAGS.ACK, client));
      await lab.settle();
      b.sync.flush();
      await turn();
      assert.equal(b.transport.take().flatMap((m) => decodeMessage(m).conns).length, 1, 'sent once its packets come here');
      assert.equal(b.sync.stats().ownership.takenOver, 1);
      b.sync.shareOwnTable();
      await turn();
      assert.equal(b.sync.stats().shared.entries, 1, 'worker 1\'s own entry is shared before a drain');
    } finally {
      a.close();
      b.close();
    }
  });

  it('a table dump a backup asks for holds every worker\'s connections, templates first', async () => {
    const master = await director(service('dr'), 'master');
    try {
      let port = 41000;
      for (const client of CLIENTS.flat()) await connect(master, client, port++);
      master.transport.deliver(controlMessage(SYNC_ID, { kind: 'request', nonce: 7 }), '198.19.0.3');
      await turn();
      const parts = master.transport.sentTo.filter((m) => m.to === '198.19.0.3');
      assert.equal(parts.flatMap((m) => decodeMessage(m.message).conns).length, 4);
      assert.deepEqual(master.sync.stats().dump.servedEntries, 4);
      const t: SyncConn = { protocol: 6, flags: ConnFlag.TEMPLATE, state: 0, cport: 0, vport: 80, dport: 80, fwmark: 0, timeoutSeconds: 300, caddr: 1, vaddr: 2, daddr: 3 };
      const c: SyncConn = { ...t, flags: 0, cport: 5 };
      assert.deepEqual(mergeDumps([c, t], [c, t]).map((e) => e.flags), [ConnFlag.TEMPLATE, ConnFlag.TEMPLATE, 0, 0]);
    } finally {
      master.close();
    }
  });
});

describe('connection sync with workers: routing and the outbox', () => {
  const entry = (o: Partial<SyncConn>): SyncConn => ({
    protocol: 6, flags: 0, state: 1, cport: 1000, vport: 80, dport: 80, fwmark: 0, timeoutSeconds: 60, caddr: parseIpv4('198.18.1.10'), vaddr: parseIpv4('198.19.0.100'), daddr: parseIpv4('198.19.0.11'), ...o,
  });

  function routed(size: number, oneClient: boolean): { adopter: RoutedAdopter; main: SyncConn[]; handed: Array<Array<Array<[SyncConn, number]>>>; run: () => void } {
    const main: SyncConn[] = [];
    const handed: Array<Array<Array<[SyncConn, number]>>> = [];
    const later: Array<() => void> = [];
    const mainAdopter: ConnAdopter = { adoptConn: (e) => { main.push(e); return null; }, adoptTemplate: (e) => { main.push(e); return null; } };
    const workers = { size, adopt: (shares: ReadonlyArray<Array<[SyncConn, number]>>) => { handed.push([...shares]); } } as unknown as SyncWorkers;
    const adopter = new RoutedAdopter(mainAdopter, workers, 'refresh', () => oneClient, (fn) => later.push(fn));
    return { adopter, main, handed, run: () => later.splice(0).forEach((fn) => fn()) };
  }

  it('routes a connection by its client, a FULLNAT one by its local port, and hands each worker its share once per message', () => {
    const r = routed(4, true);
    const clients = ['198.18.1.10', '198.18.1.11', '198.18.1.12', '198.18.1.13', '198.18.1.14'].map(parseIpv4);
    for (const caddr of clients) r.adopter.adoptConn(entry({ caddr }), 60);
    for (const lport of [1025, 1026, 1027, 1028]) r.adopter.adoptConn(entry({ caddr: clients[0]!, flags: ConnFlag.MASQ, fullnat: { laddr: 1, lport } }), 60);
    assert.equal(r.handed.length, 0, 'nothing goes until the message is applied');
    r.run();
    assert.equal(r.handed.length, 1, 'one hand-out for the whole message');
    const expect = (w: number): number => clients.filter((c) => workerOfClient(c, 4) === w).length + [1025, 1026, 1027, 1028].filter((p) => p % 4 === w).length;
    assert.equal(r.main.length, expect(0));
    for (let w = 1; w < 4; w++) assert.equal(r.handed[0]![w]?.length ?? 0, expect(w), `worker ${w}`);
    for (const [e] of r.handed[0]![1] ?? []) assert.ok(e.fullnat ? e.fullnat.lport % 4 === 1 : workerOfClient(e.caddr, 4) === 1);
    assert.equal(r.adopter.handed.conns, 9 - expect(0));
  });

  it('a /32 template goes to its client\'s worker; a coarser one to every worker', () => {
    const one = routed(2, true);
    const a = CLIENTS[1]![0]!;
    one.adopter.adoptTemplate(entry({ flags: ConnFlag.TEMPLATE, caddr: parseIpv4(a), cport: 0 }), 300);
    one.run();
    assert.deepEqual([one.main.length, one.handed[0]![1]!.length, one.adopter.handed.templates], [0, 1, 1]);
    const net = routed(3, false);
    net.adopter.adoptTemplate(entry({ flags: ConnFlag.TEMPLATE, caddr: parseIpv4('198.18.1.0'), cport: 0 }), 300);
    net.run();
    assert.deepEqual([net.main.length, net.handed[0]![1]!.length, net.handed[0]![2]!.length, net.adopter.handed.templates], [1, 1, 1, 2]);
  });

  it('the outbox posts once per turn, and past its bound (queued plus in flight) drops and counts', () => {
    const inFlight = new Int32Array(new SharedArrayBuffer(8));
    const posts: Buffer[][] = [];
    const turns: Array<() => void> = [];
    const box = new SyncOutbox({ limit: 3, inFlight, slot: 1, post: (m) => posts.push(m), schedule: (fn) => turns.push(fn) });
    box.push(Buffer.from([1]));
    box.push(Buffer.from([2]));
    assert.equal(turns.length, 1, 'one post scheduled for the turn');
    turns.shift()!();
    assert.deepEqual([posts.length, posts[0]!.length, Atomics.load(inFlight, 1)], [1, 2, 2]);
    box.push(Buffer.from([3]));
    box.push(Buffer.from([4]));
    assert.deepEqual(box.counters, { posted: 2, dropped: 1 }, 'two in flight and one queued fill the bound');
    Atomics.sub(inFlight, 1, 2);
    box.push(Buffer.from([5]));
    turns.shift()!();
    assert.deepEqual(posts[1]!.map((b) => b[0]), [3, 5]);
    assert.deepEqual(box.counters, { posted: 4, dropped: 1 });
  });
});
