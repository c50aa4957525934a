// `director lab demo --ha`: two directors in one lab run VRRP for the VIP; the demo shows which is
// master, starts a long paced download through the VIP, waits for connection sync to give the
// backup that connection, SIGKILLs the master mid-transfer, shows the backup taking over and
// whether the download completed intact, then removes everything.

import { Cleanup } from './cleanup.js';
import { latestStats } from './director-runner.js';
import { HaPair, waitFor, type HaDirector } from './ha.js';
import { describeLab } from './report.js';
import { HTTP_PORT, runClient, startRealServers } from './services.js';
import type { LabHandle } from './topology.js';

/** A stream long enough to be cut by a takeover: 24 MB read at 3 MB/s, about 8 s. */
const STREAM_BYTES = 24_000_000;
const STREAM_RATE = 3_000_000;
/** The master is killed once the stream has run this long and the backup holds its connection. */
const KILL_AFTER_MS = 2000;

const say = (s: string): void => { process.stdout.write(s + '\n'); };

function describePair(ha: HaPair): string {
  return ha.directors.map((d) => {
    const state = d.director.process?.running === true ? d.state() ?? 'starting' : 'killed';
    return `  dir${d.index + 1} ${ha.lab.directors[d.index]!.address} ${state}`;
  }).join('\n');
}

interface DemoStats { connections?: number; sync?: { received: { conns: number } } }

function stats(d: HaDirector): DemoStats {
  return (latestStats(d.director.process?.stdout ?? '') ?? {}) as DemoStats;
}

/** Builds the pair and runs the failover; true when the download survived intact. */
export async function haDemo(build: (cleanup: Cleanup) => Promise<LabHandle>): Promise<boolean> {
  const cleanup = new Cleanup();
  try {
    const lab = await build(cleanup);
    await startRealServers(lab, cleanup, { udp: false });
    say(describeLab(lab));
    // sh: a client keeps its real server whichever director schedules it.
    const ha = new HaPair(lab, cleanup, { scheduler: 'sh', udp: false });
    ha.start(0);
    ha.start(1);
    // dir2 may win the first election while dir1 is still starting; dir1 (150) then preempts.
    await waitFor('dir1 MASTER and dir2 BACKUP', () => ha.directors[0]!.state() === 'MASTER' && ha.directors[1]!.state() === 'BACKUP', 20_000);
    const master = ha.master()!;
    say(`\nVRRP (VRID 51, advert_int 1): dir1 priority 150, dir2 priority 100; connection sync: lvs_sync_daemon lan0 VI_LAB\n${describePair(ha)}`);
    say(`\ndownload of ${STREAM_BYTES / 1e6} MB at ${STREAM_RATE / 1e6} MB/s from ${lab.client.address} through ${lab.vip}:${HTTP_PORT}`);
    const download = runClient(lab.client.ns, 'http-client.js', ['download', '--target', `${lab.vip}:${HTTP_PORT}`,
      '--bytes', String(STREAM_BYTES), '--rate', String(STREAM_RATE), '--seed', '11', '--timeout', '30000'], 40_000);
    const started = Date.now();
    await waitFor('the stream on the master', () => (stats(master).connections ?? 0) > 0, 10_000);
    const other = ha.directors.find((d) => d !== master)!;
    await waitFor(`dir${other.index + 1} to receive the connection by sync`, () => (stats(other).sync?.received.conns ?? 0) > 0, 10_000);
    say(`dir${other.index + 1} holds ${stats(other).connections ?? 0} connection(s) synced from dir${master.index + 1} (lvs_sync_daemon)`);
    await new Promise((r) => setTimeout(r, Math.max(0, started + KILL_AFTER_MS - Date.now())));
    const t0 = Date.now();
    await ha.crash(master.index);
    say(`\nSIGKILL dir${master.index + 1} (the master) mid-transfer`);
    await waitFor(`dir${other.index + 1} MASTER`, () => other.state() === 'MASTER', 10_000);
    say(`dir${other.index + 1} took over ${Date.now() - t0} ms later (master-down: 3 adverts + skew)\n${describePair(ha)}`);
    const r = await download;
    say(r.ok
      ? `\ndownload complete and intact: ${r.result.bytes} bytes checked byte for byte, served by ${r.result.server}`
      : `\ndownload FAILED across the takeover: ${JSON.stringify(r.result)}`);
    return r.ok;
  } finally {
    const t = Date.now();
    await cleanup.run();
    say(`lab removed in ${((Date.now() - t) / 1000).toFixed(2)} s`);
  }
}
