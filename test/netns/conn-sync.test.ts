// Connection sync between two `director run` processes in a netns lab (needs root: creates
// network namespaces), for DR, NAT and FULLNAT: a download through the master appears on the
// backup with the same real server (IPVS sync v1 over 224.0.0.81:8848 on the LAN); then the
// traffic is moved to the backup by hand (the router's neighbour entry for the VIP, NAT and
// FULLNAT routes), the master is killed, and the download completes byte for byte, no reset.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ForwardMethod } from '../../src/config/model.js';
import type { NsProcess } from '../../src/lab/process.js';
import { activeByServer, haConfig, heldDownload, startDirector, statsOf, steerTo, SYNC_ID, until } from '../support/ha-lab.js';
import { withLab } from '../support/netns.js';

const BYTES = 8_000_000;

/** A failed wait rethrown with what the directors' latest stats lines showed (real servers: address, active, inactive). */
function showing(...procs: NsProcess[]): (err: Error) => never {
  return (err) => {
    const shown = procs.map((p) => {
      const s = statsOf(p);
      return JSON.stringify({ rs: s.services?.map((v) => v.realServers.map((r) => [r.address, r.activeConns, r.inactConns])), conns: s.connections, drops: s.drops, sync: s.sync?.received });
    });
    throw new Error(`${err.message}: ${shown.join(' | ')}`);
  };
}

for (const mode of ['dr', 'nat', 'fnat'] as ForwardMethod[]) {
  describe(`connection sync, ${mode.toUpperCase()}: takeover by the backup keeps an established stream (needs root)`, function () {
    this.timeout(120_000);
    const fx = withLab({ mode, servers: 2, directors: 2 });
    let dir = '';
    let master: NsProcess;
    let backup: NsProcess;

    before(async function () {
      this.timeout(60_000);
      dir = mkdtempSync(path.join(os.tmpdir(), `director-sync-${fx.lab.prefix}-`));
      fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
      const config = haConfig(fx.lab, dir, { sync: true });
      await steerTo(fx.lab, 0);
      master = await startDirector(fx.lab, 0, config, ['--sync-role', 'master'], fx.cleanup);
      backup = await startDirector(fx.lab, 1, config, ['--sync-role', 'backup'], fx.cleanup);
    });

    it('the backup holds the master\'s connection on the same real server; after the move the download completes intact', async () => {
      const hold = path.join(dir, 'release');
      const download = heldDownload(fx.lab, hold, { bytes: BYTES, holdAt: 1_000_000, seed: 3, timeoutMs: 60_000 });
      // Bounded by the download's own 60 s: twice in parallel runs under load the FULLNAT master
      // showed no established connection within 20 s (cause not found yet; the message shows
      // both directors' stats when it happens).
      await until('the master to hold an established connection', () => Object.keys(activeByServer(master)).length === 1, 45_000)
        .catch(showing(master, backup));
      await until('the backup to learn it', () => (statsOf(backup).sync?.received.conns ?? 0) >= 1);
      // Both stats lines must show the connection: two empty ones would compare equal (a CI run
      // once passed this check that way and failed later on an undefined server).
      let server = '';
      await until('the backup to show it on the same real server', () => {
        const held = activeByServer(master);
        server = Object.keys(held)[0] ?? '';
        return server !== '' && JSON.stringify(activeByServer(backup)) === JSON.stringify(held);
      }).catch(showing(master, backup));
      const learnt = statsOf(backup).sync!;
      assert.equal(learnt.role, 'backup');
      assert.equal(learnt.syncId, SYNC_ID);
      assert.deepEqual(learnt.received.drops, {});
      if (mode === 'fnat') assert.equal(statsOf(backup).services?.[0]?.localPortsInUse, 1, 'the local pair is reserved on the backup');

      await steerTo(fx.lab, 1);
      process.kill(master.pid, 'SIGKILL');
      await master.exited;
      writeFileSync(hold, '');
      const r = await download;
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.equal(r.result.bytes, BYTES);
      // Stats lines come once a second: wait for one printed after the stream.
      const forwarded = (): number => statsOf(backup).services?.[0]?.realServers.find((rs) => rs.address === server)?.inPkts ?? 0;
      await until(`the backup's stats to show it forwarded the rest to ${server}`, () => forwarded() > 0);
      const after = statsOf(backup);
      assert.equal(after.drops?.no_conn ?? 0, 0, 'no segment of the stream went unrecognised on the backup');
    });
  });
}
