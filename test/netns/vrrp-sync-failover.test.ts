// Two directors running VRRP with connection sync following it (lvs_sync_daemon lan0 VI_LAB), in
// DR and NAT (needs root: creates network namespaces): a paced download through the VIP, the
// master SIGKILLed mid-stream once the backup holds the connection, and the backup's takeover
// carries the stream on; then the old master comes back (higher priority, preempt on), asks the
// new master for its table, gets it, and only then preempts, carrying the same stream on again:
// no reset, every byte checked by the client. A second download sits idle (its client stops
// reading) across the failback: no packet of it passes while the old master is back as backup,
// so ordinary sync never re-sends it there; only the dump does, and it completes once released. Nothing is moved by hand: the router's (and in NAT
// the real servers', whose gateway is the VIP) neighbour entry for the VIP follows each new
// master's gratuitous ARP.

import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ForwardMethod } from '../../src/config/model.js';
import { latestStats } from '../../src/lab/director-runner.js';
import { HaPair, waitFor, type HaDirector } from '../../src/lab/ha.js';
import { HTTP_PORT, runClient } from '../../src/lab/services.js';
import type { DirectorStats } from '../../src/director.js';
import { heldDownload } from '../support/ha-lab.js';
import { withLab } from '../support/netns.js';

/**
 * 40 MB read at 2 MB/s: about 20 s, longer than the ~2 s run-in, a crash takeover (~3.2 s), the
 * old master's restart (a few seconds on a busy machine) and its master-down wait (~3.4 s). Once
 * the failback is checked the client reads the rest as fast as it comes (--rate-until).
 */
const BYTES = 40_000_000;
const RATE = 2_000_000;
/** The master is killed after this many of its stats lines (a second apart) showed the stream moving. */
const KILL_AFTER_LINES = 2;

function statsOf(d: HaDirector): Partial<DirectorStats> {
  return (latestStats(d.director.process?.stdout ?? '') ?? {}) as Partial<DirectorStats>;
}

/** Packets the director forwarded from clients (DR and NAT alike: the client's ACKs). */
function carried(d: HaDirector): number {
  return (statsOf(d).services ?? []).reduce((n, s) => n + s.inPkts, 0);
}

/** A condition true once `lines` stats lines of d, each after the last, showed more packets. */
function movedInLines(d: HaDirector, lines: number): () => boolean {
  let seenLines = 0;
  let last = 0;
  let moved = 0;
  return () => {
    const now = (d.director.process?.stdout ?? '').split('\n').filter((l) => l.startsWith('stats: ')).length;
    if (now === seenLines) return false;
    seenLines = now;
    const pkts = carried(d);
    if (pkts > last && last > 0) moved++;
    last = pkts;
    return moved >= lines;
  };
}

for (const mode of ['dr', 'nat', 'tun', 'fnat'] as ForwardMethod[]) {
  describe(`VRRP + connection sync, ${mode.toUpperCase()}: SIGKILL of the master mid-download (needs root)`, function () {
    this.timeout(120_000);
    const fx = withLab({ mode, servers: 2, directors: 2 });

    it('the backup takes over with the master\'s connection, the old master preempts back once it has the table: the download completes byte for byte, no reset', async () => {
      // sh: whichever director schedules a client picks the same real server (not needed with sync, but as in the demo).
      const ha = new HaPair(fx.lab, fx.cleanup, { scheduler: 'sh', udp: false });
      let d1 = ha.start(0);
      await waitFor('dir1 MASTER', () => d1.state() === 'MASTER', 30_000);
      const d2 = ha.start(1);
      await waitFor('dir2 BACKUP', () => d2.state() === 'BACKUP', 30_000);
      const holdFile = path.join(os.tmpdir(), `director-vsf-${fx.lab.prefix}-release`);
      fx.cleanup.atEnd(() => rmSync(holdFile, { force: true }));
      const idle = heldDownload(fx.lab, holdFile, { bytes: 4_000_000, holdAt: 1_000_000, seed: 6, timeoutMs: 90_000 });
      let settled = false;
      const download = runClient(fx.lab.client.ns, 'http-client.js', ['download', '--target', `${fx.lab.vip}:${HTTP_PORT}`,
        '--bytes', String(BYTES), '--rate', String(RATE), '--rate-until', holdFile, '--seed', '5', '--timeout', '60000'], 70_000)
        .finally(() => { settled = true; });
      await waitFor('dir2 to receive both connections by sync', () => (statsOf(d2).sync?.received.conns ?? 0) >= 2, 20_000);
      assert.equal(statsOf(d2).sync?.role, 'backup');
      await waitFor('the stream to move through the master', movedInLines(d1, KILL_AFTER_LINES), 20_000);
      assert.equal(settled, false, 'the download is still running when the master dies');

      const t0 = Date.now();
      await ha.crash(0);
      await waitFor('dir2 MASTER', () => d2.state() === 'MASTER', 20_000);
      const takeover = Date.now() - t0;
      assert.equal(settled, false, 'the download outlived the takeover');
      // dir2 forwards the stream as the master, recognising every segment.
      await waitFor('the stream to move through dir2', movedInLines(d2, 1), 20_000);
      assert.equal(statsOf(d2).drops?.no_conn ?? 0, 0, 'no segment of the stream went unrecognised on dir2');

      // Failback: dir1 (150) comes back while dir2 (100) is master, holds its preemption until
      // dir2's table dump is complete, then preempts.
      const t1 = Date.now();
      d1 = ha.start(0);
      await waitFor('dir1 to preempt back', () => d1.state() === 'MASTER', 30_000);
      const failback = Date.now() - t1;
      assert.equal(settled, false, 'the download outlived the failback');
      const log1 = d1.director.process?.stderr ?? '';
      const dumped = /sync: table dump from (\S+) complete: (\d+) entries in (\d+) messages, (\d+) ms/.exec(log1);
      const held = /vrrp: VI_LAB has the connection table of \S+ after (\d+) ms: preempting/.exec(log1);
      assert.ok(dumped && held, `dir1 preempted with the table: ${log1.split('\n').filter((l) => /vrrp:|sync:/.test(l)).join(' | ')}`);
      assert.equal(dumped[1], fx.lab.directors[1]!.address, 'the dump came from dir2');
      assert.ok(Number(dumped[2]) >= 2, 'the dump held both connections');
      assert.ok(log1.indexOf(dumped[0]) < log1.indexOf('-> MASTER ('), 'the dump was complete before dir1 became MASTER');
      await waitFor('dir2 to yield', () => d2.state() === 'BACKUP', 10_000);
      await waitFor('dir2\'s stats to count the dump it served', () => (statsOf(d2).sync?.dump?.served ?? 0) >= 1, 10_000);

      // The idle download goes on through dir1, which knows it only from the dump; the paced one
      // ends at full speed.
      writeFileSync(holdFile, '');
      const ri = await idle;
      assert.ok(ri.ok, `the idle download failed after the failback: ${JSON.stringify(ri.result)}`);
      assert.equal(ri.result.bytes, 4_000_000);
      const r = await download;
      console.log(`      takeover ${takeover} ms after SIGKILL; failback ${failback} ms after dir1's restart, preemption held ${held[1]} ms, ` +
        `dump ${dumped[2]} entries in ${dumped[3]} messages, ${dumped[4]} ms; download ${JSON.stringify(r.result)}`);
      assert.ok(r.ok, `the download failed across the takeover and the failback: ${JSON.stringify(r.result)}`);
      assert.equal(r.result.bytes, BYTES);

      // dir1 forwarded the rest as the master, recognising every segment: a stats line after the stream.
      await waitFor('dir1\'s stats to show the rest of the stream', () => carried(d1) > 0 && statsOf(d1).sync?.role === 'master', 10_000);
      assert.equal(statsOf(d1).drops?.no_conn ?? 0, 0, 'no segment of the stream went unrecognised on dir1 after the failback');
    });
  });
}
