// Lab teardown paths: signals, stale namespaces of crashed runs, and `director lab up/down`.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { creatorPid, makePrefix, removeByPrefix, sweepStale } from '../../src/lab/cleanup.js';
import { addNamespace, listNamespaces, namespacePids } from '../../src/lab/netns.js';
import { spawnInNamespace } from '../../src/lab/process.js';
import { readState } from '../../src/lab/state.js';
import { TEST_FAMILY } from '../support/netns.js';
import { needsRoot } from '../support/prerequisites.js';

async function withPrefix(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));
}

async function deadPid(): Promise<number> {
  const p = spawnInNamespace(null, ['true']);
  await p.exited;
  return p.pid;
}

/** Captures what labCommand prints, so test output stays readable. */
async function quietly(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  let out = '';
  const capture = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    return { code: await f(), out };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

describe('lab cleanup (needs root: creates network namespaces)', function () {
  this.timeout(150_000);
  needsRoot();

  it('makes prefixes that name their creator and differ between runs', function () {
    const a = makePrefix('dt', 12345);
    assert.equal(creatorPid('dt', `${a}-client`), 12345);
    assert.equal(creatorPid('dl', `${a}-client`), null);
    assert.notEqual(makePrefix('dt'), makePrefix('dt', process.pid + 1));
    assert.throws(() => makePrefix('DT'), /lowercase/);
  });

  it('sweepStale removes namespaces of dead runs and keeps those of live ones', async function () {
    const dead = makePrefix(TEST_FAMILY, await deadPid());
    const alive = makePrefix(TEST_FAMILY);
    try {
      await addNamespace(`${dead}-x`);
      await addNamespace(`${alive}-x`);
      const swept = await sweepStale(TEST_FAMILY);
      assert.ok(swept.includes(`${dead}-x`), JSON.stringify(swept));
      assert.deepEqual(await withPrefix(dead), []);
      assert.deepEqual(await withPrefix(alive), [`${alive}-x`]);
    } finally {
      await removeByPrefix(dead);
      await removeByPrefix(alive);
    }
  });

  it('SIGINT to a process holding a lab removes the lab and its processes', async function () {
    const child = spawnInNamespace(null, [process.execPath, '--import', 'tsx', path.join(__dirname, '..', 'support', 'netns-child.ts')]);
    let prefix = '';
    try {
      prefix = (await child.waitFor(/^built (\S+)$/m, 90_000))[1] ?? '';
      assert.ok((await withPrefix(prefix)).length >= 5);
      const serverPids = await namespacePids(`${prefix}-rs1`);
      assert.equal(serverPids.length, 1, 'the HTTP server runs in rs1');
      process.kill(child.pid, 'SIGINT');
      const status = await child.exited;
      assert.equal(status.code, 130, child.stderr);
      assert.deepEqual(await withPrefix(prefix), []);
      assert.equal(existsSync(`/proc/${serverPids[0]}/cmdline`), false, 'the HTTP server was stopped');
    } finally {
      await child.stop();
      if (prefix !== '') await removeByPrefix(prefix);
    }
  });

  it('director lab up --no-director leaves a lab that director lab down removes', async function () {
    const prefix = `dtup${process.pid.toString(36)}`;
    try {
      const up = await quietly(() => main(['lab', 'up', '--no-director', '--prefix', prefix, '--servers', '2']));
      assert.equal(up.code, 0, up.out);
      assert.match(up.out, /198\.19\.0\.12 /);
      const state = readState(prefix);
      assert.ok(state !== null && existsSync(state.configFile));
      assert.equal((await withPrefix(prefix)).length, 3 + 1 + 2);
      const again = await quietly(() => main(['lab', 'up', '--no-director', '--prefix', prefix]));
      assert.equal(again.code, 1, 'a second lab with the same prefix is refused');
      const down = await quietly(() => main(['lab', 'down', '--prefix', prefix]));
      assert.equal(down.code, 0, down.out);
      assert.deepEqual(await withPrefix(prefix), []);
      assert.equal(readState(prefix), null);
      assert.equal(existsSync(state.workDir), false);
    } finally {
      await removeByPrefix(prefix);
    }
  });
});
