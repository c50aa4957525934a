// Connection sync among three directors behind ECMP (needs root: creates network namespaces and
// runs bird2 in them), with rr, a scheduler that gives a moved flow another real server, and with
// mh without sloppy_tcp: each director runs lvs_sync_daemon with --sync-role master,backup.
// Checked: a joining director pulls a peer's table before it announces the VIP, and the held
// flows ECMP hands it go on from the synced connections (0 broken); a drained director pushes its
// connections to the others first, and its held flows go on there (0 broken); then the same
// after the directors reload to mh. A second lab without sync measures the flows that break
// (logged side by side). The lab turns the client's TCP rehash on timeouts off (src/lab/ecmp.ts):
// with it, a dropped flow would try other directors until one knows it; the test logs
// TcpExtTcpTimeoutRehash of the client's namespace to show it stays 0.

import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import type { EcmpLab } from '../../src/lab/ecmp.js';
import { run } from '../../src/lab/netns.js';
import { capture } from '../support/adm-director.js';
import {
  drainOneUnderLoad, ecmpLab, freshReports, HELD, holdFlows, joinOneUnderLoad, twoRounds, verdictOf, type Verdict,
} from '../support/ecmp.js';
import { withLab, type LabFixture } from '../support/netns.js';
import { waitUntil } from '../support/wait.js';

const RR = { scheduler: 'rr', schedFlags: [] } as const;

interface SyncStats { sync?: { ownership: { takenOver: number }; dump: { complete: number; lastEntries: number }; own: number } }

function syncOf(ecmp: EcmpLab, index: number): NonNullable<SyncStats['sync']> {
  const s = (ecmp.directors[index]!.director?.stats() as SyncStats | null | undefined)?.sync;
  if (s === undefined) throw new Error(`dir${index + 1} reports no sync`);
  return s;
}

/** Broken flows of HELD, per case: printed side by side at the end. */
const broken: Record<string, number | undefined> = {};

after(() => {
  const show = (k: string) => broken[k] === undefined ? 'not run' : `${broken[k]} of ${HELD}`;
  console.log(`      broken flows: join: rr without sync ${show('join-nosync')}, rr with sync ${show('join-sync-rr')}, mh with sync ${show('join-sync-mh')}; ` +
    `drain: rr without sync ${show('drain-nosync')}, rr with sync ${show('drain-sync-rr')}, mh with sync ${show('drain-sync-mh')}`);
});

/** The client's TCP retransmission timeouts that gave a flow a new hash (so ECMP may send it elsewhere). */
async function timeoutRehashes(fx: LabFixture): Promise<number> {
  const out = await run('ip', ['netns', 'exec', fx.lab.client.ns, 'nstat', '-asz', 'TcpExtTcpTimeoutRehash']);
  return Number(/TcpExtTcpTimeoutRehash\s+(\d+)/.exec(out)?.[1] ?? 0);
}

/** A join and a drain under load with sync among all three: none of the held flows breaks. */
function syncedJoinAndDrain(name: string, fx: LabFixture, lab: () => EcmpLab): void {
  it(`${name}: a director joins under load: it announces once it holds a peer's table, and the held flows ECMP hands it go on (0 broken)`, async function () {
    const ecmp = lab();
    const { verdict } = await joinOneUnderLoad(fx, ecmp);
    const dir3 = syncOf(ecmp, 2);
    broken[`join-sync-${name}`] = verdict.failed;
    const held = /announce: holding a sync peer's connection table after (\d+) ms: announcing/.exec(ecmp.directors[2]!.director!.process!.stderr);
    console.log(`      dir3 pulled ${dir3.dump.lastEntries} entries (${held?.[1] ?? '?'} ms after it asked) before announcing, then took over ` +
      `${dir3.ownership.takenOver} flows; broken ${verdict.failed} of ${HELD}; client: ${JSON.stringify(verdict)}`);
    assert.ok(held !== null, 'dir3 announced once it held a peer\'s table');
    assert.ok(dir3.dump.complete >= 1 && dir3.dump.lastEntries > 0, `dir3 held the peers' connections before it announced: ${JSON.stringify(dir3.dump)}`);
    assert.ok(dir3.ownership.takenOver > 0, 'ECMP handed the new director some held flows');
    assert.equal(verdict.failed, 0, JSON.stringify(verdict));
    assert.equal(verdict.distinctConnections, HELD, 'no connection was lost and reopened');
  });

  it(`${name}: a director drained away under load: it hands its connections over, its held flows go on at the others (0 broken)`, async function () {
    const { moved, shared, verdict } = await drainSyncedUnderLoad(fx, lab());
    broken[`drain-sync-${name}`] = verdict.failed;
    console.log(`      dir3 sent the others ${shared} connections before its route went; they took over ${moved} flows; ` +
      `broken ${verdict.failed} of ${HELD}; client: ${JSON.stringify(verdict)}`);
    assert.ok(moved > 0, 'the drained director carried some held flows');
    assert.equal(verdict.failed, 0, JSON.stringify(verdict));
    assert.equal(verdict.distinctConnections, HELD, 'no connection was lost and reopened');
  });
}

/**
 * Holds HELD flows over the three directors, drains dir3 (which first sends the others its
 * connections), and returns the verdict with how many flows the others took over from it.
 */
async function drainSyncedUnderLoad(fx: LabFixture, ecmp: EcmpLab): Promise<{ moved: number; shared: string; verdict: Verdict }> {
  const before = [0, 1].map((i) => syncOf(ecmp, i).ownership.takenOver);
  const hold = holdFlows(fx);
  await hold.waitFor(/^ready \d+$/m, 30_000);
  // Past a sync flush (2 s) after the flows' third packet: the peers hold them before the drain.
  await freshReports(ecmp, [0, 1, 2]);
  assert.equal((await ecmp.nextHops()).length, 3, 'the router spreads over three directors');
  const io = capture();
  assert.equal(await main(['drain', '--netns', ecmp.directors[2]!.host.ns, '--timeout', '0'], io), 0, io.stderr.join('\n'));
  const out = io.stdout.join('\n');
  assert.match(out, new RegExp(`withdrawn: ${fx.lab.vip.replace(/\./g, '\\.')}`));
  await waitUntil('the router left with two next hops', async () => (await ecmp.nextHops()).length === 2, 30_000);
  await ecmp.directors[2]!.director!.process!.exited;
  await twoRounds(hold);
  await freshReports(ecmp, [0, 1]);
  const moved = [0, 1].reduce((n, i) => n + syncOf(ecmp, i).ownership.takenOver - before[i]!, 0);
  return { moved, shared: /sent the sync peers (\d+) connections/.exec(out)?.[1] ?? '0', verdict: await verdictOf(hold) };
}

describe('ECMP with connection sync among three directors, rr then mh (needs root: creates network namespaces, runs bird2)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 3, directors: 3 });
  const lab = ecmpLab(fx, { service: RR, sync: true });
  syncedJoinAndDrain('rr', fx, lab);

  it('the directors reload to mh without sloppy_tcp (consistent hashing alone breaks moved flows: ecmp-bird.test.ts)', async function () {
    const ecmp = lab();
    ecmp.writeConfig({ scheduler: 'mh', schedFlags: ['mh-port'] });
    for (const d of ecmp.directors.slice(0, 2)) {
      const io = capture();
      assert.equal(await main(['reload', '--netns', d.host.ns], io), 0, io.stderr.join('\n'));
    }
  });
  syncedJoinAndDrain('mh', fx, lab);
});

describe('ECMP without connection sync, rr: the flows ECMP moves break (needs root: creates network namespaces, runs bird2)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 3, directors: 3 });
  const lab = ecmpLab(fx, { service: RR });

  it('a director joins under load: the held flows it is handed break', async function () {
    const rehashed = await timeoutRehashes(fx);
    const { held, verdict } = await joinOneUnderLoad(fx, lab());
    broken['join-nosync'] = verdict.failed;
    console.log(`      held on dir1/dir2 ${held.join('/')}; broken ${verdict.failed} of ${HELD}; ` +
      `retransmission timeouts that rehashed a flow: ${await timeoutRehashes(fx) - rehashed}; client: ${JSON.stringify(verdict)}`);
    assert.ok(verdict.failed > 0, 'flows moved to the new director broke');
    assert.ok(verdict.failed < HELD, 'flows that stayed on their director went on');
  });

  it('a director drained away under load: its held flows break', async function () {
    const rehashed = await timeoutRehashes(fx);
    const { held, verdict } = await drainOneUnderLoad(fx, lab());
    broken['drain-nosync'] = verdict.failed;
    console.log(`      held per director ${JSON.stringify(held)}; broken ${verdict.failed} of ${HELD}; ` +
      `retransmission timeouts that rehashed a flow: ${await timeoutRehashes(fx) - rehashed}; client: ${JSON.stringify(verdict)}`);
    assert.ok(verdict.failed > 0, 'the drained director\'s flows broke');
    assert.ok(verdict.failed < HELD, 'flows that stayed on their director went on');
  });
});
