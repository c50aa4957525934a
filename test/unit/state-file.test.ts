// Lossless restart over memory ports: the state file a stopping director writes (its layout, the
// freshness rule, refusals) and the table a starting one rebuilds from it; and sloppy_tcp, which
// schedules a mid-flow segment without a connection (sh: the same real server again).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dumpTable, tableAdopter } from '../../src/sync/conn-sync.js';
import { decodeMessage } from '../../src/sync/ipvs-sync-codec.js';
import { loadStateFile, writeStateFile } from '../../src/sync/state-file.js';
import { clientSegment as segment, memoryLab, type MemoryLab, RS_MAC, service } from '../support/memory-plane.js';
import { decodeFrame, TCP_FLAGS } from '../support/packets.js';

async function send(lab: MemoryLab, ...frames: Buffer[]): Promise<Buffer[]> {
  lab.inject(...frames);
  return lab.settle();
}

async function resolved(...args: Parameters<typeof memoryLab>): Promise<MemoryLab> {
  const lab = await memoryLab(...args);
  await lab.settle();
  return lab;
}

describe('state file (lossless restart)', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'director-state-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the header and sync messages, and a new director forwards the old flows to the same servers', async () => {
    const file = path.join(dir, 'state');
    const old = await resolved(service('dr', { persistenceTimeout: 120 }));
    const restarted = await resolved(service('dr', { persistenceTimeout: 120 }));
    try {
      for (const p of [40000, 40001, 40002]) await send(old, segment(p, TCP_FLAGS.SYN), segment(p, TCP_FLAGS.ACK));
      old.clock.ms += 30_000;
      old.plane.tick();
      const wall = Date.UTC(2026, 0, 1);
      writeStateFile(file, dumpTable(old.plane, old.clock), wall);
      const b = readFileSync(file);
      assert.equal(b.subarray(0, 12).toString('hex'), Buffer.from('DIRSTATE').toString('hex') + '00010000');
      assert.equal(b.readDoubleBE(12), wall);
      assert.equal(b.readUInt32BE(20), 1);
      const entries = decodeMessage(b.subarray(24)).conns;
      assert.equal(entries.length, 4, 'one template (one client network) first, then three connections');
      assert.equal(entries[0]!.timeoutSeconds, 90, 'the template had 120 - 30 s left');
      assert.deepEqual(entries.slice(1).map((c) => c.timeoutSeconds), [870, 870, 870], 'ESTABLISHED 900 s less 30');

      const load = loadStateFile(file, tableAdopter(restarted.plane), wall + 5_000);
      assert.deepEqual(load, { refused: null, ageMs: 5_000, conns: 3, templates: 1, drops: {} });
      // Persistence put every connection of CLIENT on the first real server.
      const [out] = await send(restarted, segment(40002, TCP_FLAGS.ACK));
      assert.equal(decodeFrame(out!).dstMac, RS_MAC[0]);
      assert.equal(restarted.stats().services[0]!.realServers[0]!.activeConns, 3);
    } finally {
      old.plane.close();
      restarted.plane.close();
    }
  });

  it('drops entries whose time ran out while the file waited', async () => {
    const file = path.join(dir, 'state');
    const old = await resolved(service('dr'));
    const restarted = await resolved(service('dr'));
    try {
      await send(old, segment(40000, TCP_FLAGS.SYN), segment(40000, TCP_FLAGS.ACK)); // ESTABLISHED, 900 s
      await send(old, segment(40001, TCP_FLAGS.SYN)); // SYN_RECV, 60 s
      writeStateFile(file, dumpTable(old.plane, old.clock), 1_000_000);
      const load = loadStateFile(file, tableAdopter(restarted.plane), 1_000_000 + 59_500, 120_000);
      assert.deepEqual([load.conns, load.drops], [1, { expired: 1 }]);
    } finally {
      old.plane.close();
      restarted.plane.close();
    }
  });

  it('refuses stale, future, foreign, newer-version and truncated files, loading nothing', async () => {
    const lab = await resolved(service('dr'));
    try {
      const file = path.join(dir, 'state');
      await send(lab, segment(40000, TCP_FLAGS.SYN), segment(40000, TCP_FLAGS.ACK));
      writeStateFile(file, dumpTable(lab.plane, lab.clock), 1_000_000);
      const good = readFileSync(file);
      const adopter = tableAdopter(lab.plane);
      const refused = (bytes: Buffer | null, wall: number) => {
        if (bytes) writeFileSync(file, bytes);
        return loadStateFile(bytes ? file : path.join(dir, 'missing'), adopter, wall).refused;
      };
      assert.match(refused(good, 1_000_000 + 61_000) ?? '', /written 61 s ago \(must be 0\.\.60 s\)/);
      assert.match(refused(good, 1_000_000 - 1) ?? '', /must be 0\.\.60 s/);
      assert.match(refused(Buffer.from('not a state file at all, no'), 1_000_000) ?? '', /not a director state file/);
      const v2 = Buffer.from(good);
      v2.writeUInt16BE(2, 8);
      assert.match(refused(v2, 1_000_000) ?? '', /format version 2, this director reads 1/);
      assert.match(refused(good.subarray(0, good.length - 3), 1_000_000) ?? '', /truncated/);
      assert.match(refused(null, 1_000_000) ?? '', /cannot read .*ENOENT/);
      assert.equal(lab.plane.conns.size, 1, 'nothing was added by any refused file');
    } finally {
      lab.plane.close();
    }
  });
});

describe('sloppy_tcp', () => {
  it('off (default): a mid-flow segment without a connection is dropped as no_conn', async () => {
    const lab = await resolved(service('dr', { scheduler: 'sh' }));
    try {
      assert.deepEqual(await send(lab, segment(40000, TCP_FLAGS.ACK)), []);
      assert.equal(lab.stats().drops.no_conn, 1);
    } finally {
      lab.plane.close();
    }
  });

  it('on: it is scheduled (sh: to the same real server a SYN of that client gets), a RST still is not', async () => {
    const before = await resolved(service('dr', { scheduler: 'sh' }));
    const after = await resolved(service('dr', { scheduler: 'sh' }), undefined, { sloppyTcp: true });
    try {
      const [syn] = await send(before, segment(40000, TCP_FLAGS.SYN));
      const [mid] = await send(after, segment(40000, TCP_FLAGS.ACK | TCP_FLAGS.PSH));
      assert.equal(decodeFrame(mid!).dstMac, decodeFrame(syn!).dstMac);
      assert.deepEqual(await send(after, segment(40001, TCP_FLAGS.RST)), []);
      assert.equal(after.stats().drops.no_conn, 1);
    } finally {
      before.plane.close();
      after.plane.close();
    }
  });
});
