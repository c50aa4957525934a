// The lab of the checker netns tests: a "dir" namespace (the director's checks run there, from
// 198.19.0.2, and 2001:db8::2 when there are IPv6 real servers, on veth0) and an "rs" namespace (real server addresses on veth1), joined by a veth
// pair, a temporary directory, and a director (on a TAP device in "dir") whose checks run there.
// Everything is registered with the run's Cleanup before it is made.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { Director } from '../../src/director.js';
import { makePrefix, sweepStale, type Cleanup } from '../../src/lab/cleanup.js';
import { addAddress, addNamespace, addVethPair, linkUp } from '../../src/lab/netns.js';
import { TEST_FAMILY } from './netns.js';

export interface CheckLab {
  dir: string;
  rs: string;
  tmp: string;
}

export async function buildCheckLab(cleanup: Cleanup, realServers: readonly string[]): Promise<CheckLab> {
  await sweepStale(TEST_FAMILY);
  const prefix = makePrefix(TEST_FAMILY);
  const lab = { dir: `${prefix}-dir`, rs: `${prefix}-rs`, tmp: fs.mkdtempSync(path.join(os.tmpdir(), 'director-checks-')) };
  cleanup.atEnd(() => fs.rmSync(lab.tmp, { recursive: true, force: true }));
  cleanup.namespace(lab.dir);
  cleanup.namespace(lab.rs);
  await addNamespace(lab.dir);
  await addNamespace(lab.rs);
  await addVethPair(lab.dir, 'veth0', lab.rs, 'veth1');
  await addAddress(lab.dir, 'veth0', '198.19.0.2/24');
  // IPv6 real servers (2001:db8::/64) get the checker's side an address of that network too; no
  // DAD, so the addresses are usable at once.
  if (realServers.some((a) => a.includes(':'))) await addAddress(lab.dir, 'veth0', '2001:db8::2/64', { nodad: true });
  for (const a of realServers) await addAddress(lab.rs, 'veth1', a.includes(':') ? `${a}/64` : `${a}/24`, { nodad: a.includes(':') });
  await linkUp(lab.dir, 'veth0');
  await linkUp(lab.rs, 'veth1');
  return lab;
}

/** A started director (on a TAP device in "dir") running `config`'s checks inside the lab's "dir" namespace. */
export async function startCheckDirector(lab: CheckLab, cleanup: Cleanup, config: string, log: string[]): Promise<Director> {
  const director = await Director.start({
    config: parseKeepalivedConfig(config, 'checks.conf'),
    tap: 'chktap0',
    netns: lab.dir,
    localAddress: '198.19.0.2',
    log: (l) => log.push(l),
  });
  cleanup.first(() => director.stop());
  return director;
}
