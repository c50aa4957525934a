// Connection sync between two `director run --workers 2` processes in a netns lab (needs root:
// creates network namespaces), in each mode (DR, NAT, TUN, FULLNAT): a held download from
// each of eight client addresses through the master, both of its workers carrying some; the
// backup learns every one of them, each in the worker that owns its packets (both workers hold
// some, `adm -L -c` over the control socket lists all eight clients); then the traffic moves to
// the backup by hand (as in conn-sync.test.ts), the master is SIGKILLed, and every download
// completes byte for byte.
// Then the same in DR with VRRP driving the roles and the VIP (as vrrp-sync-failover.test.ts):
// the backup's workers become senders and carry every download on after the master's SIGKILL;
// the old master comes back, takes the new master's table (a dump of both its workers) before it
// preempts, and two downloads held idle all along (one per worker) complete through it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { admMain } from '../../src/cli/adm.js';
import { NO_NAMES } from '../../src/adm/names.js';
import type { ForwardMethod } from '../../src/config/model.js';
import { CONTROL_DIR } from '../../src/control/socket-path.js';
import type { NsProcess } from '../../src/lab/process.js';
import { runInNamespace } from '../../src/lab/process.js';
import { HTTP_PORT, runClient } from '../../src/lab/services.js';
import { workerOfClient } from '../../src/workers/steering.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { capture } from '../support/adm-director.js';
import { activeByServer, haConfig, startDirector, statsOf, steerTo, until } from '../support/ha-lab.js';
import { withLab, type LabFixture } from '../support/netns.js';
import { HaPair, waitFor } from '../../src/lab/ha.js';
import { unexpectedDrops } from '../support/routed-e2e.js';

/** Four client addresses of each of two workers (the steering hash), added beside the lab's client (.10). */
const SOURCES = [0, 1].flatMap((w) => Array.from({ length: 40 }, (_, i) => `198.18.1.${30 + i}`)
  .filter((a) => workerOfClient(parseIpv4(a), 2) === w).slice(0, 4));
/**
 * More than the socket buffers of both ends hold (client receive up to 6 MB, server send up to 4
 * MB): a FULLNAT server could otherwise send everything, FIN included, before the hold.
 */
const BYTES = 24_000_000;
const ARGS = ['--workers', '2', '--rx-ring', 'block'];

/** Connections per worker in a director's latest stats line. */
function perWorker(p: NsProcess): number[] {
  return (statsOf(p).workers ?? []).map((w) => w.connections);
}

/** until(), failing with what both directors' latest stats showed. */
async function waitShowing(what: string, cond: () => boolean, timeoutMs: number, ...shown: NsProcess[]): Promise<void> {
  try {
    await until(what, cond, timeoutMs);
  } catch (err) {
    const show = shown.map((p) => {
      const s = statsOf(p);
      return JSON.stringify({ workers: s.workers, rs: s.services?.[0]?.realServers.map((r) => [r.address, r.activeConns, r.inactConns]), drops: s.drops, sync: s.sync?.workers });
    });
    const io = capture();
    await admMain(['-L', '-n', '-c', '--control', path.join(CONTROL_DIR, `${shown[0]!.ns}.sock`)], io, NO_NAMES);
    throw new Error(`${(err as Error).message}: ${show.join(' | ')} ${io.stdout.join('\n')} ${io.stderr.join('\n')}`);
  }
}

/** A download from each source, held after 1 MB until the hold file exists. */
function heldDownloads(fx: LabFixture, hold: string, sources = SOURCES, seed = 1): Array<ReturnType<typeof runClient>> {
  return sources.map((source, i) => runClient(fx.lab.client.ns, 'http-client.js', ['download', '--target', `${fx.lab.vip}:${HTTP_PORT}`,
    '--bytes', String(BYTES), '--seed', String(i + seed), '--hold', hold, '--hold-at', '1000000', '--source', source, '--timeout', '100000'], 110_000)
    .then((r) => { if (!r.ok) console.log(`      early end of ${source}: ${JSON.stringify(r.result)}`); return r; }));
}

/** Releases the held downloads and checks each one ends with every byte. */
async function releaseAndCheck(hold: string, downloads: Array<ReturnType<typeof runClient>>): Promise<void> {
  writeFileSync(hold, '');
  for (const r of await Promise.all(downloads)) {
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.equal(r.result.bytes, BYTES);
  }
}

/** Adds the sources to the client, and removes the directors' control sockets at the end (a SIGKILLed one leaves its socket). */
async function addSources(fx: LabFixture): Promise<void> {
  for (const d of fx.lab.directors) fx.cleanup.atEnd(() => rmSync(path.join(CONTROL_DIR, `${d.ns}.sock`), { force: true }));
  for (const ip of SOURCES) {
    const r = await runInNamespace(fx.lab.client.ns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', fx.lab.client.ifname], 10_000);
    assert.equal(r.status.code, 0, r.stderr);
  }
}

function total(p: NsProcess): number {
  return Object.values(activeByServer(p)).reduce((a, b) => a + b, 0);
}

for (const mode of ['dr', 'nat', 'tun', 'fnat'] as ForwardMethod[]) {
  describe(`connection sync with two workers on each director, ${mode.toUpperCase()}: every worker's connections reach the backup and survive the takeover (needs root)`, function () {
    this.timeout(180_000);
    const fx = withLab({ mode, servers: 2, directors: 2 });
    let dir = '';
    let master: NsProcess;
    let backup: NsProcess;

    before(async function () {
      this.timeout(60_000);
      assert.equal(SOURCES.length, 8, 'four sources of each worker');
      dir = mkdtempSync(path.join(os.tmpdir(), `director-wsync-${fx.lab.prefix}-`));
      fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
      await addSources(fx);
      const config = haConfig(fx.lab, dir, { sync: true });
      await steerTo(fx.lab, 0);
      master = await startDirector(fx.lab, 0, config, ['--sync-role', 'master', ...ARGS], fx.cleanup);
      backup = await startDirector(fx.lab, 1, config, ['--sync-role', 'backup', ...ARGS], fx.cleanup);
    });

    it('the backup holds all of them, on both of its workers; after the move every download completes intact', async () => {
      const hold = path.join(dir, 'release');
      const downloads = heldDownloads(fx, hold);
      await waitShowing('the master to hold all eight, each of its workers some',
        () => total(master) === SOURCES.length && perWorker(master).length === 2 && perWorker(master).every((n) => n >= 1), 30_000, master);
      await waitShowing('the backup to learn all eight',
        () => (statsOf(backup).sync?.received.conns ?? 0) >= SOURCES.length && total(backup) === SOURCES.length, 30_000, master, backup);
      await waitShowing('the backup\'s workers to report theirs', () => perWorker(backup).reduce((a, b) => a + b, 0) === SOURCES.length, 10_000, master, backup);
      const m = statsOf(master);
      const b = statsOf(backup);
      assert.deepEqual(perWorker(master), [4, 4], 'each master worker carries its four clients');
      assert.deepEqual(perWorker(backup), [4, 4], 'each connection is on the same worker index on both (same worker count)');
      assert.ok(perWorker(backup).every((n) => n >= 1), `both backup workers hold some: ${JSON.stringify(perWorker(backup))}`);
      assert.deepEqual(b.sync?.received.drops, {}, JSON.stringify(b.sync));
      assert.ok((m.sync?.workers ?? []).every((w) => w.sent >= 1), `both master workers sent: ${JSON.stringify(m.sync?.workers)}`);
      assert.equal(m.sync?.sent.dropped ?? 0, 0);
      assert.deepEqual(JSON.stringify(activeByServer(backup)), JSON.stringify(activeByServer(master)), 'the same real servers');
      if (mode === 'fnat') assert.equal(b.services?.[0]?.localPortsInUse, SOURCES.length, 'every local pair is reserved on the backup');

      // adm -L -c over the backup's control socket lists both workers' tables: every client.
      const socket = path.join(CONTROL_DIR, `${fx.lab.directors[1]!.ns}.sock`);
      const io = capture();
      assert.equal(await admMain(['-L', '-n', '-c', '--control', socket], io, NO_NAMES), 0, io.stderr.join('\n'));
      const listing = io.stdout.join('\n').split('\n').filter((l) => l.startsWith('TCP '));
      const clients = new Set(listing.map((l) => /\s(198\.18\.1\.\d+):\d+\s/.exec(l)?.[1]));
      assert.deepEqual([...clients].sort(), [...SOURCES].sort(), listing.join('\n'));

      await steerTo(fx.lab, 1);
      process.kill(master.pid, 'SIGKILL');
      await master.exited;
      await releaseAndCheck(hold, downloads);
      // Stats lines come once a second: wait for one that shows the backup carried the rest (it carried nothing before the move).
      const forwarded = (): number => (statsOf(backup).services ?? []).reduce((n, s) => n + s.inPkts, 0);
      await until('the backup\'s stats to show it forwarded the rest', () => forwarded() > 0, 20_000);
      const after = statsOf(backup);
      assert.equal(after.drops?.no_conn ?? 0, 0, 'no segment went unrecognised on the backup');
      assert.deepEqual(unexpectedDrops(after as Record<string, unknown>), {}, JSON.stringify(after.drops));
      console.log(`      ${mode}: master workers ${JSON.stringify(perWorker(master))}, backup workers ${JSON.stringify(perWorker(backup))}; ` +
        `sync sent ${JSON.stringify(m.sync?.workers)}, received ${b.sync?.received.conns}`);
    });
  });
}

describe('connection sync with two workers on each director, VRRP driving the roles (DR): the backup\'s workers carry every download on after a SIGKILL of the master, and the old master preempts back with both workers\' tables (needs root)', function () {
  this.timeout(180_000);
  const fx = withLab({ mode: 'dr', servers: 2, directors: 2 });

  it('the new master forwards every synced flow on both of its workers; after the failback dump the old master carries the idle ones', async () => {
    await addSources(fx);
    const dir = mkdtempSync(path.join(os.tmpdir(), `director-wsyncv-${fx.lab.prefix}-`));
    fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
    const ha = new HaPair(fx.lab, fx.cleanup, { scheduler: 'sh', udp: false, args: ARGS });
    const d1 = ha.start(0);
    await waitFor('dir1 MASTER', () => d1.state() === 'MASTER', 30_000);
    const d2 = ha.start(1);
    await waitFor('dir2 BACKUP', () => d2.state() === 'BACKUP', 30_000);
    const master = d1.director.process!;
    const backup = d2.director.process!;
    const hold = path.join(dir, 'release');
    const downloads = heldDownloads(fx, hold);
    // Held until after the failback: one client of each worker (SOURCES has four of each, in order).
    const idleHold = path.join(dir, 'release-idle');
    const idle = heldDownloads(fx, idleHold, [SOURCES[0]!, SOURCES[4]!], 20);
    const flows = SOURCES.length + 2;
    await waitShowing('dir2 to hold all ten on its two workers',
      () => total(master) === flows && perWorker(backup).length === 2 && perWorker(backup).every((n) => n === flows / 2), 30_000, master, backup);
    assert.equal(statsOf(backup).sync?.role, 'backup');
    await ha.crash(0);
    await waitFor('dir2 MASTER', () => d2.state() === 'MASTER', 20_000);
    await releaseAndCheck(hold, downloads);
    const forwarded = (): number => (statsOf(backup).services ?? []).reduce((n, s) => n + s.inPkts, 0);
    await until('dir2\'s stats to show it forwarded the rest as master', () => forwarded() > 0 && statsOf(backup).sync?.role === 'master', 20_000);
    const after = statsOf(backup);
    assert.equal(after.drops?.no_conn ?? 0, 0, 'no segment went unrecognised on dir2');
    assert.ok(perWorker(backup).every((n) => n >= 1), `both of dir2's workers carried flows: ${JSON.stringify(after.workers)}`);

    // Failback: dir1 (150) comes back, asks dir2 for its table (both workers'), and only then preempts.
    const d1b = ha.start(0);
    await waitFor('dir1 to preempt back', () => d1b.state() === 'MASTER', 30_000);
    const log1 = d1b.director.process?.stderr ?? '';
    const dumped = /sync: table dump from (\S+) complete: (\d+) entries in (\d+) messages/.exec(log1);
    assert.ok(dumped, `dir1 preempted with the table: ${log1.split('\n').filter((l) => /vrrp:|sync:/.test(l)).join(' | ')}`);
    assert.ok(Number(dumped[2]) >= flows, `the dump held every flow of both workers: ${dumped[0]}`);
    assert.ok(log1.indexOf(dumped[0]) < log1.indexOf('-> MASTER ('), 'the dump was complete before dir1 became MASTER');
    const again = d1b.director.process!;
    await waitShowing('dir1\'s workers to hold the idle flows', () => perWorker(again).length === 2 && perWorker(again).every((n) => n >= 1), 15_000, again);
    writeFileSync(idleHold, '');
    for (const r of await Promise.all(idle)) {
      assert.ok(r.ok, `an idle download failed after the failback: ${JSON.stringify(r.result)}`);
      assert.equal(r.result.bytes, BYTES);
    }
    await until('dir1\'s stats to show it forwarded the idle flows as master', () => (statsOf(again).services ?? []).reduce((n, s) => n + s.inPkts, 0) > 0 && statsOf(again).sync?.role === 'master', 20_000);
    assert.equal(statsOf(again).drops?.no_conn ?? 0, 0, 'no segment went unrecognised on dir1 after the failback');
    console.log(`      vrrp: dir2 workers ${JSON.stringify(perWorker(backup))}, sync ${JSON.stringify(after.sync?.workers)}; failback dump ${dumped[2]} entries in ${dumped[3]} messages`);
  });
});
