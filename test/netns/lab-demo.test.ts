// `director lab demo` through bin/director, as a user runs it: traffic spread over the real
// servers, counters printed, and nothing left behind, also when interrupted with Ctrl-C.

import assert from 'node:assert/strict';
import path from 'node:path';
import { listNamespaces } from '../../src/lab/netns.js';
import { spawnInNamespace } from '../../src/lab/process.js';
import { repoRoot } from '../../src/lab/services.js';
import { directorUnavailable } from '../support/director.js';
import { netnsUnavailable, skipWith } from '../support/netns.js';

function demo(args: string[]): ReturnType<typeof spawnInNamespace> {
  return spawnInNamespace(null, [process.execPath, path.join(repoRoot(), 'bin', 'director'), 'lab', 'demo', ...args]);
}

async function left(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));
}

describe('director lab demo (needs root: creates network namespaces)', function () {
  this.timeout(60_000);
  before(function () {
    const why = netnsUnavailable() ?? directorUnavailable('process');
    if (why !== null) skipWith(this, why);
  });

  it('spreads 9 connections 3/3/3, prints the director stats and removes the lab', async function () {
    const p = demo(['--connections', '9']);
    const status = await p.exited;
    assert.equal(status.code, 0, p.stdout + p.stderr);
    const prefix = /lab (\S+) built/.exec(p.stdout)?.[1] ?? '';
    assert.notEqual(prefix, '');
    for (const rs of ['rs1', 'rs2', 'rs3']) assert.match(p.stdout, new RegExp(`^  ${rs}\\s+3 `, 'm'));
    assert.match(p.stdout, /UDP echo .*\{"rs1":3,"rs2":3,"rs3":3\}/);
    assert.match(p.stdout, /TCP 198\.19\.0\.100:80 rr\s+9/);
    assert.match(p.stdout, /lab removed in/);
    assert.deepEqual(await left(prefix), []);
  });

  it('cleans up when interrupted (Ctrl-C) while the director runs', async function () {
    const p = demo(['--connections', '100000']);
    let prefix = '';
    try {
      prefix = (await p.waitFor(/lab (\S+) built/, 30_000))[1] ?? '';
      await p.waitFor(/owns 198\.19\.0\.100/, 30_000);
      process.kill(p.pid, 'SIGINT');
      const status = await p.exited;
      assert.equal(status.code, 130, p.stderr);
      assert.deepEqual(await left(prefix), []);
    } finally {
      await p.stop();
    }
  });
});
