// Connection sync between two data planes on memory ports: the master's sender (sync_threshold,
// sync_period, state changes, templates, FULLNAT pairs) and the backup's receiver (the table it
// builds, the real server it keeps, bad messages as counted drops), with an in-memory transport.
import assert from 'node:assert/strict';
import type { VirtualServerConfig } from '../../src/config/model.js';
import { TcpState } from '../../src/ipvs/tcp-state.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { ConnSync } from '../../src/sync/conn-sync.js';
import { ConnFlag, decodeMessage, encodeMessage, type SyncConn } from '../../src/sync/ipvs-sync-codec.js';
import { CLIENT, clientSegment as segment, LIPS, memoryLab, RS, RS_MAC, service, VIP } from '../support/memory-plane.js';
import { controlMessage } from '../../src/sync/dump-wire.js';
import { MemorySyncTransport, type SyncNode as Node } from '../support/memory-sync.js';
import { decodeFrame, TCP_FLAGS } from '../support/packets.js';

const SYNC_ID = 9;

async function node(vs: VirtualServerConfig, role: 'master' | 'backup'): Promise<Node> {
  const lab = await memoryLab(vs);
  await lab.settle();
  const transport = new MemorySyncTransport();
  const sync = new ConnSync({ plane: lab.plane, transport, syncId: SYNC_ID, maxLen: 1472, clock: lab.clock });
  sync.setRole(role);
  return { lab, sync, transport };
}

/** A master and a backup with the same services. */
async function pair(vs: VirtualServerConfig): Promise<{ master: Node; backup: Node; close(): void }> {
  const master = await node(vs, 'master');
  const backup = await node(vs, 'backup');
  return { master, backup, close: () => { master.lab.plane.close(); backup.lab.plane.close(); } };
}

/** Sends the master's pending entries and decodes every message it sent. */
function shipped(master: Node): SyncConn[] {
  master.sync.flush();
  return master.transport.sent.flatMap((m) => decodeMessage(m).conns);
}

/** Delivers everything the master sent to the backup. */
function deliver(master: Node, backup: Node): void {
  master.sync.flush();
  for (const m of master.transport.take()) backup.transport.deliver(m);
}

/** Injects client segments and returns what the director sent on (ARP settled). */
async function send(n: Node, ...frames: Buffer[]): Promise<Buffer[]> {
  n.lab.inject(...frames);
  return n.lab.settle();
}

function conns(n: Node): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const rs of n.lab.stats().services[0]!.realServers) {
    if (rs.activeConns || rs.inactConns) out[rs.address] = [rs.activeConns, rs.inactConns];
  }
  return out;
}

describe('connection sync: the master side', () => {
  it('sends a TCP connection at its 3rd inbound packet, then every 50th, and a FIN at once', async () => {
    const { master, close } = await pair(service('dr'));
    try {
      await send(master, segment(40000, TCP_FLAGS.SYN), segment(40000, TCP_FLAGS.ACK));
      assert.deepEqual(shipped(master), [], 'two packets: below sync_threshold 3');
      await send(master, segment(40000, TCP_FLAGS.ACK));
      const first = shipped(master);
      assert.deepEqual(first, [{
        protocol: 6, flags: ConnFlag.DROUTE | ConnFlag.NOOUTPUT, state: TcpState.ESTABLISHED, cport: 40000, vport: 80,
        dport: 80, fwmark: 0, timeoutSeconds: 900, caddr: parseIpv4(CLIENT), vaddr: parseIpv4(VIP), daddr: parseIpv4(RS[0]!),
      }]);
      master.transport.take();
      await send(master, ...Array.from({ length: 49 }, () => segment(40000, TCP_FLAGS.ACK)));
      assert.equal(shipped(master).length, 0, 'packets 4..52 send nothing');
      await send(master, segment(40000, TCP_FLAGS.ACK));
      assert.equal(shipped(master).length, 1, 'packet 53 = 3 + 50');
      master.transport.take();
      await send(master, segment(40000, TCP_FLAGS.FIN | TCP_FLAGS.ACK));
      assert.deepEqual(shipped(master).map((c) => [c.state, c.timeoutSeconds]), [[TcpState.FIN_WAIT, 120]]);
      assert.deepEqual(master.sync.stats().sent, { conns: 3, templates: 0, messages: 3 });
    } finally {
      close();
    }
  });

  it('sends nothing as backup or none, and batches many connections into one message', async () => {
    const { master, close } = await pair(service('dr'));
    try {
      master.sync.setRole('none');
      await send(master, segment(40000, TCP_FLAGS.SYN), segment(40000, TCP_FLAGS.ACK), segment(40000, TCP_FLAGS.ACK));
      assert.deepEqual(shipped(master), []);
      master.sync.setRole('master');
      const frames = [];
      for (let p = 0; p < 20; p++) frames.push(segment(41000 + p, TCP_FLAGS.SYN), segment(41000 + p, TCP_FLAGS.ACK), segment(41000 + p, TCP_FLAGS.ACK));
      await send(master, ...frames);
      master.sync.flush();
      assert.equal(master.transport.sent.length, 1);
      assert.equal(decodeMessage(master.transport.sent[0]!).conns.length, 20);
    } finally {
      close();
    }
  });
});

describe('connection sync: the backup side', () => {
  it('holds the master\'s connections with the same real server and forwards their mid-flow packets', async () => {
    const { master, backup, close } = await pair(service('dr'));
    try {
      // Two connections, so the second lands on RS[1] and a scheduler on the backup would differ.
      for (const p of [40000, 40001]) await send(master, segment(p, TCP_FLAGS.SYN), segment(p, TCP_FLAGS.ACK), segment(p, TCP_FLAGS.ACK));
      deliver(master, backup);
      assert.deepEqual(conns(backup), { [RS[0]!]: [1, 0], [RS[1]!]: [1, 0] });
      assert.deepEqual(conns(backup), conns(master));
      const [out] = await send(backup, segment(40001, TCP_FLAGS.ACK));
      assert.equal(decodeFrame(out!).dstMac, RS_MAC[1], 'the mid-flow segment goes to the real server the master chose');
      await send(master, segment(40001, TCP_FLAGS.FIN | TCP_FLAGS.ACK));
      deliver(master, backup);
      assert.deepEqual(conns(backup), { [RS[0]!]: [1, 0], [RS[1]!]: [0, 1] }, 'FIN_WAIT counts inactive');
      assert.deepEqual(backup.sync.stats().received, { messages: 2, conns: 3, templates: 0, drops: {} });
    } finally {
      close();
    }
  });

  it('FULLNAT: keeps the local address and port and reserves it in the backup\'s port map', async () => {
    const { master, backup, close } = await pair(service('fnat'));
    try {
      const [m] = await send(master, segment(40000, TCP_FLAGS.SYN));
      await send(master, segment(40000, TCP_FLAGS.ACK), segment(40000, TCP_FLAGS.ACK));
      const fromMaster = decodeFrame(m!).ip!;
      const sent = shipped(master);
      assert.deepEqual(sent[0]!.fullnat, { laddr: parseIpv4(fromMaster.src), lport: fromMaster.tcp!.srcPort });
      deliver(master, backup);
      assert.equal(backup.lab.stats().services[0]!.localPortsInUse, 1);
      const [b] = await send(backup, segment(40000, TCP_FLAGS.ACK));
      const fromBackup = decodeFrame(b!).ip!;
      assert.deepEqual([fromBackup.src, fromBackup.tcp!.srcPort, fromBackup.dst], [fromMaster.src, fromMaster.tcp!.srcPort, fromMaster.dst]);
      // A new connection on the backup never takes the reserved pair.
      const [n] = await send(backup, segment(40100, TCP_FLAGS.SYN));
      const fresh = decodeFrame(n!).ip!;
      assert.notDeepEqual([fresh.src, fresh.tcp!.srcPort], [fromMaster.src, fromMaster.tcp!.srcPort]);
      assert.ok(LIPS.includes(fresh.src));
    } finally {
      close();
    }
  });

  it('persistence: the template travels with its connection and steers the client\'s next one', async () => {
    const { master, backup, close } = await pair(service('dr', { persistenceTimeout: 300 }));
    try {
      const other = '198.18.1.77';
      // Another client takes RS[0] first, so CLIENT's template points at RS[1].
      for (const [client, port] of [[other, 40000], [CLIENT, 40001]] as const) {
        await send(master, segment(port, TCP_FLAGS.SYN, client), segment(port, TCP_FLAGS.ACK, client), segment(port, TCP_FLAGS.ACK, client));
      }
      const sent = shipped(master);
      const templates = sent.filter((c) => c.flags & ConnFlag.TEMPLATE);
      assert.deepEqual(templates.map((t) => [t.caddr, t.cport, t.daddr, t.timeoutSeconds]),
        [[parseIpv4(other), 0, parseIpv4(RS[0]!), 300], [parseIpv4(CLIENT), 0, parseIpv4(RS[1]!), 300]]);
      deliver(master, backup);
      assert.equal(backup.sync.stats().received.templates, 2);
      const [out] = await send(backup, segment(40500, TCP_FLAGS.SYN));
      assert.equal(decodeFrame(out!).dstMac, RS_MAC[1], 'a new connection of CLIENT follows its synced template');
    } finally {
      close();
    }
  });

  it('counts bad messages, other sync ids and unknown services as drops, never throws, and goes on', async () => {
    const { master, backup, close } = await pair(service('dr'));
    try {
      await send(master, segment(40000, TCP_FLAGS.SYN), segment(40000, TCP_FLAGS.ACK), segment(40000, TCP_FLAGS.ACK));
      master.sync.flush();
      const good = master.transport.take()[0]!;
      let seed = 12345;
      const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
      for (let i = 0; i < 2000; i++) {
        const m = Buffer.from(good);
        for (let k = rand() % 6; k >= 0; k--) m[rand() % m.length] = rand() & 0xff;
        backup.transport.deliver(i % 3 === 0 ? m.subarray(0, rand() % m.length) : m);
      }
      for (let i = 0; i < 200; i++) backup.transport.deliver(Buffer.from(Array.from({ length: rand() % 80 }, () => rand() & 0xff)));
      const before = backup.sync.stats().received.drops;
      assert.ok(Object.values(before).reduce((a, b) => a + (b ?? 0), 0) > 1000, JSON.stringify(before));
      backup.transport.deliver(encodeMessage({ syncId: SYNC_ID + 1, conns: decodeMessage(good).conns }));
      const unknown = { ...decodeMessage(good).conns[0]!, vport: 81 };
      backup.transport.deliver(encodeMessage({ syncId: SYNC_ID, conns: [unknown] }));
      const after = backup.sync.stats().received.drops;
      assert.equal(after['other-sync-id'], (before['other-sync-id'] ?? 0) + 1);
      assert.equal(after['no-service'], (before['no-service'] ?? 0) + 1);
      // The good message still applies afterwards.
      backup.transport.deliver(good);
      const [out] = await send(backup, segment(40000, TCP_FLAGS.ACK));
      assert.equal(decodeFrame(out!).dstMac, RS_MAC[0]);
    } finally {
      close();
    }
  });

  it('ignores messages while master or none', async () => {
    const { master, backup, close } = await pair(service('dr'));
    try {
      await send(master, segment(40000, TCP_FLAGS.SYN), segment(40000, TCP_FLAGS.ACK), segment(40000, TCP_FLAGS.ACK));
      backup.sync.setRole('none');
      deliver(master, backup);
      assert.deepEqual(conns(backup), {});
      assert.equal(backup.sync.stats().ignored, 1);
    } finally {
      close();
    }
  });
});

describe('connection sync: the table dump a preempting backup asks for', () => {
  const MASTER_IP = '198.19.0.2';
  const BACKUP_IP = '198.19.0.3';

  /** 100 connections on the master; those with two packets were never sent by ordinary sync. */
  async function loaded(): Promise<Awaited<ReturnType<typeof pair>>> {
    const p = await pair(service('dr'));
    const frames = [];
    for (let i = 0; i < 100; i++) {
      frames.push(segment(42000 + i, TCP_FLAGS.SYN), segment(42000 + i, TCP_FLAGS.ACK));
      if (i % 2 === 0) frames.push(segment(42000 + i, TCP_FLAGS.ACK));
    }
    await send(p.master, ...frames);
    p.master.transport.take();
    return p;
  }

  /** The backup's request reaches the master (a second after its last dump); returns what the master sent back. */
  function answer(master: Node, backup: Node): Buffer[] {
    master.lab.clock.ms += 1000;
    const asked = backup.transport.sentTo.splice(0);
    for (const r of asked) {
      assert.equal(r.to, MASTER_IP);
      master.transport.deliver(r.message, BACKUP_IP);
    }
    return master.transport.sentTo.splice(0).map((s) => {
      assert.equal(s.to, BACKUP_IP, 'the dump goes to the asker only');
      return s.message;
    });
  }

  it('the master answers with its whole table in v1 messages and an end; the backup applies it and is ready', async () => {
    const { master, backup, close } = await loaded();
    try {
      let ready = 0;
      backup.sync.requestTable(parseIpv4(MASTER_IP), () => ready++);
      const dump = answer(master, backup);
      // A kernel reads the parts as ordinary messages (the block after the entries is never read)
      // and the end as a message without entries.
      const decoded = dump.map((m) => decodeMessage(m));
      assert.ok(decoded.every((d) => d.error === null && d.syncId === SYNC_ID));
      assert.equal(decoded.reduce((n, d) => n + d.conns.length, 0), 100);
      assert.equal(decoded.at(-1)!.conns.length, 0);
      assert.ok(dump.every((m) => m.length <= 1472));
      for (const m of dump) backup.transport.deliver(m, MASTER_IP);
      assert.equal(ready, 1);
      // A flood of requests is not a flood of dumps: at most one per DUMP_MIN_GAP_MS.
      for (let i = 0; i < 50; i++) master.transport.deliver(controlMessage(SYNC_ID, { kind: 'request', nonce: i }), BACKUP_IP);
      assert.equal(master.sync.stats().dump.limited, 50);
      assert.deepEqual(master.transport.sentTo, []);
      assert.deepEqual(conns(backup), conns(master));
      assert.equal(Object.values(conns(backup)).reduce((n, [active]) => n + active, 0), 100);
      const s = backup.sync.stats().dump;
      assert.deepEqual([s.requests, s.complete, s.incomplete, s.lastEntries], [1, 1, 0, 100]);
      assert.deepEqual([master.sync.stats().dump.served, master.sync.stats().dump.servedEntries], [1, 100]);
      assert.equal(master.sync.stats().dump.servedParts, dump.length - 1);
    } finally {
      close();
    }
  });

  it('a lost part is noticed at the end: the backup asks again and is ready only with a whole dump', async () => {
    const { master, backup, close } = await loaded();
    try {
      let ready = 0;
      backup.sync.requestTable(parseIpv4(MASTER_IP), () => ready++);
      const first = answer(master, backup);
      assert.ok(first.length >= 3, `${first.length} messages`);
      for (const m of first.filter((_, i) => i !== 1)) backup.transport.deliver(m, MASTER_IP);
      assert.equal(ready, 0);
      assert.match(backup.sync.tablePending(), /1 dumps arrived with parts missing/);
      // Parts of the first answer arriving late no longer count; the second answer does.
      backup.transport.deliver(first[1]!, MASTER_IP);
      backup.transport.deliver(first.at(-1)!, MASTER_IP);
      assert.equal(ready, 0);
      for (const m of answer(master, backup)) backup.transport.deliver(m, MASTER_IP);
      assert.equal(ready, 1);
      assert.deepEqual(conns(backup), conns(master));
      assert.deepEqual([backup.sync.stats().dump.requests, backup.sync.stats().dump.incomplete], [2, 1]);
    } finally {
      close();
    }
  });

  it('only a master answers; a dump from another address, or after a cancel, releases nothing', async () => {
    const { master, backup, close } = await loaded();
    try {
      let ready = 0;
      backup.sync.requestTable(parseIpv4(MASTER_IP), () => ready++);
      master.sync.setRole('none');
      assert.deepEqual(answer(master, backup), []);
      assert.equal(master.sync.stats().ignored, 1);
      assert.match(backup.sync.tablePending(), /no answer/);
      master.sync.setRole('master');
      backup.sync.requestTable(parseIpv4(MASTER_IP), () => ready++);
      const dump = answer(master, backup);
      for (const m of dump) backup.transport.deliver(m, '198.19.0.99');
      assert.equal(ready, 0);
      backup.sync.cancelTableRequest();
      for (const m of dump) backup.transport.deliver(m, MASTER_IP);
      assert.equal(ready, 0);
    } finally {
      close();
    }
  });
});

describe('connection sync: a partition heals, the yielding master hands over its table', () => {
  const YIELDER_IP = '198.19.0.3';
  const WINNER_IP = '198.19.0.2';

  it("the new master adds the connections it lacks and keeps its own; nobody else's dump is merged", async () => {
    // Both were MASTER while apart: 30 flows went through the yielder, 5 through the winner, one (42000) through both.
    const { master: yielder, backup: winner, close } = await pair(service('dr'));
    try {
      winner.sync.setRole('master');
      const flows = (n: Node, from: number, count: number) => send(n, ...Array.from({ length: count }, (_, i) => [
        segment(from + i, TCP_FLAGS.SYN), segment(from + i, TCP_FLAGS.ACK), segment(from + i, TCP_FLAGS.ACK)]).flat());
      await flows(yielder, 42000, 30);
      await flows(winner, 43000, 5);
      await send(winner, segment(42000, TCP_FLAGS.SYN));
      yielder.transport.take();
      winner.transport.take();
      const total = (n: Node) => Object.values(conns(n)).reduce((sum, [active, inactive]) => sum + active + inactive, 0);
      assert.deepEqual([total(yielder), total(winner)], [30, 6]);
      yielder.sync.handOver(WINNER_IP);
      const handed = yielder.transport.sentTo.splice(0);
      assert.ok(handed.length >= 2 && handed.every((h) => h.to === WINNER_IP), 'the table, then the end, to the new master only');
      for (const h of handed) winner.transport.deliver(h.message, YIELDER_IP);
      assert.equal(total(winner), 35, '5 of its own, 42000 once, and the 29 it lacked');
      const merged = winner.sync.stats().handover.received;
      assert.deepEqual([merged.conns, merged.drops.kept], [29, 1]);
      assert.equal(Object.values(conns(winner)).reduce((n, [, inactive]) => n + inactive, 0), 1, "its own 42000 stays as it was (SYN_RECV), not the yielder's");
      assert.equal(yielder.sync.stats().handover.sent, 1);
      // The ordinary sync stream of another master is still not merged, and a backup hands nothing over.
      winner.transport.deliver(encodeMessage({ syncId: SYNC_ID, conns: shipped(yielder).slice(0, 1) }), YIELDER_IP);
      assert.equal(winner.sync.stats().handover.received.messages, handed.length - 1);
      yielder.sync.setRole('backup');
      yielder.sync.handOver(WINNER_IP);
      assert.deepEqual(yielder.transport.sentTo, []);
    } finally {
      close();
    }
  });
});
