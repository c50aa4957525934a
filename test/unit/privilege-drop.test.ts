// The addon's dropPrivileges in child processes (never in the test process itself, which must
// keep root): every thread ends with the kept set only, bounding set included, securebits
// locked and no_new_privs set; a script started afterwards holds nothing; --user switches every
// thread; without CAP_SETUID/CAP_SETGID the drop refuses with its reason. Needs root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { needsRoot } from '../support/prerequisites.js';

const ADDON = path.resolve(__dirname, '..', '..', 'build', 'Release', 'director_native.node');

// Starts the thread pool, drops, then reports every thread's status and what a child shell holds.
const CHILD = `
const fs = require('fs');
const { execFileSync } = require('child_process');
fs.readFile('/proc/self/status', () => {
  const a = require(${JSON.stringify(ADDON)});
  try {
    a.dropPrivileges(JSON.parse(process.argv[1]));
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: e.message }));
    return;
  }
  const field = (t, k) => new RegExp('^' + k + ':\\\\s*(.*)$', 'm').exec(t)[1].trim();
  const threads = fs.readdirSync('/proc/self/task').map((t) => {
    const s = fs.readFileSync('/proc/self/task/' + t + '/status', 'utf8');
    return { uid: field(s, 'Uid').split(/\\s+/)[0], eff: field(s, 'CapEff'), prm: field(s, 'CapPrm'), bnd: field(s, 'CapBnd'), nnp: field(s, 'NoNewPrivs') };
  });
  const child = execFileSync('/bin/sh', ['-c', 'grep -E "^(Uid|CapEff|CapPrm)" /proc/self/status'], { encoding: 'utf8' });
  process.stdout.write(JSON.stringify({ threads, child }));
});
`;

interface Outcome {
  error?: string;
  threads?: Array<{ uid: string; eff: string; prm: string; bnd: string; nnp: string }>;
  child?: string;
}

function dropIn(options: object, wrapper: string[] = []): Outcome {
  const r = spawnSync(wrapper[0] ?? process.execPath, [...wrapper.slice(1), ...(wrapper.length ? [process.execPath] : []), '-e', CHILD, JSON.stringify(options)],
    { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Outcome;
}

describe('dropPrivileges (needs root: drops in child processes)', () => {
  needsRoot();

  it('leaves every thread with only net_raw and net_bind_service, bounding set too, no_new_privs; a script gets nothing', () => {
    const o = dropIn({ keep: [10, 13] });
    assert.equal(o.error, undefined);
    assert.ok(o.threads!.length >= 5, `${o.threads!.length} threads`);
    // Node's inspector signal thread blocks every signal: stripped through a uid round trip.
    const stripped = o.threads!.filter((t) => t.uid !== '0');
    assert.ok(stripped.length <= 1);
    for (const t of o.threads!) {
      if (t.uid === '0') assert.deepEqual([t.eff, t.prm, t.bnd, t.nnp], ['0000000000002400', '0000000000002400', '0000000000002400', '1']);
      else assert.deepEqual([t.eff, t.prm], ['0000000000000000', '0000000000000000']);
    }
    assert.match(o.child!, /CapPrm:\s+0000000000000000/);
    assert.match(o.child!, /CapEff:\s+0000000000000000/);
  });

  it('switches every thread to the user with uid, gid and groups', () => {
    const o = dropIn({ keep: [13], uid: 65534, gid: 65534, groups: [65534] });
    assert.equal(o.error, undefined);
    for (const t of o.threads!) {
      assert.equal(t.uid, '65534');
      assert.ok(t.eff === '0000000000002000' || t.eff === '0000000000000000', t.eff);
    }
    assert.match(o.child!, /Uid:\s+65534/);
    assert.match(o.child!, /CapEff:\s+0000000000000000/);
  });

  it('refuses, saying why, when CAP_SETUID and CAP_SETGID are not there to strip a thread that blocks signals', () => {
    const o = dropIn({ keep: [13] }, ['setpriv', '--bounding-set=-setuid,-setgid', '--']);
    assert.match(o.error ?? '', /block every signal .* needs CAP_SETUID and CAP_SETGID/);
  });

  it('checks its arguments', () => {
    for (const bad of [{ keep: [64] }, { keep: 'net_raw' }, { keep: [], uid: 1 }, { keep: [], noNewPrivs: 'yes' }]) {
      // A TypeError/RangeError naming the argument, before anything is dropped.
      const o = dropIn(bad);
      assert.match(o.error ?? 'dropped', /^(keep|uid|gid|noNewPrivs)/, JSON.stringify(o));
    }
  });
});
