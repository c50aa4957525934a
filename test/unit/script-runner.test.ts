// The shared script runner: account files, keepalived's choice of user (own, script_user,
// keepalived_script, refused under enable_script_security), its security rules on real files
// and directories this test makes (root-owned or not, group/world writable, sticky), and runs of
// /bin/sh as another user with a cleaned environment, capped output and a group-killing timeout.
// Needs root (as CI is): files are chowned and scripts run as user nobody.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ScriptConfig } from '../../src/config/model.js';
import { resolveIdentity, type ScriptIdentity } from '../../src/script/identity.js';
import { OUTPUT_CAP, describeOutcome, runScript } from '../../src/script/runner.js';
import { checkScript, programWord, unsafePart } from '../../src/script/security.js';
import { UserDb } from '../../src/script/users.js';

const ROOT: ScriptIdentity = { uid: 0, gid: 0, groups: [], label: '0:0' };
const OWN = { uid: 0, gid: 0 };

function script(command: string, extra: Partial<ScriptConfig> = {}): ScriptConfig {
  return { command, user: null, group: null, defaultUser: null, secure: false, ...extra };
}

describe('script runner: users and groups', () => {
  let dir: string;
  let db: UserDb;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-accounts-'));
    fs.writeFileSync(path.join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nweb:x:1001:1001::/home/web:/bin/sh\n# comment\nbroken:x:abc:1\n');
    fs.writeFileSync(path.join(dir, 'group'), 'root:x:0:\nweb:x:1001:\nops:x:2000:web,other\nlog:x:2001:web\n');
    db = new UserDb({ passwd: path.join(dir, 'passwd'), group: path.join(dir, 'group') });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads users, groups and memberships; skips malformed lines', () => {
    assert.deepEqual(db.user('web'), { name: 'web', uid: 1001, gid: 1001 });
    assert.equal(db.user('broken'), null);
    assert.equal(db.groupId('ops'), 2000);
    assert.deepEqual(db.supplementaryGroups(db.user('web')!), [2000, 2001]);
  });

  it("the script's own user wins, then script_user; GROUP and ':GROUP' (supplementary groups)", () => {
    assert.deepEqual(resolveIdentity(script('x', { user: 'web' }), db, OWN), { ok: true, id: { uid: 1001, gid: 1001, groups: [], label: 'web' } });
    assert.deepEqual(resolveIdentity(script('x', { user: 'web', group: 'ops' }), db, OWN), { ok: true, id: { uid: 1001, gid: 2000, groups: [], label: 'web:ops' } });
    assert.deepEqual(resolveIdentity(script('x', { user: 'web', group: ':ops' }), db, OWN), { ok: true, id: { uid: 1001, gid: 2000, groups: [2000, 2001], label: 'web:ops' } });
    assert.deepEqual(resolveIdentity(script('x', { defaultUser: { user: 'web', group: null } }), db, OWN), { ok: true, id: { uid: 1001, gid: 1001, groups: [], label: 'web' } });
  });

  it('no user said: keepalived_script when it exists, else our own; refused under enable_script_security', () => {
    assert.deepEqual(resolveIdentity(script('x'), db, { uid: 0, gid: 0 }), { ok: true, id: { uid: 0, gid: 0, groups: [], label: '0:0' } });
    assert.deepEqual(resolveIdentity(script('x', { secure: true }), db, OWN), {
      ok: false, reason: 'enable_script_security: no script_user and no user keepalived_script, so no default user for scripts (as keepalived refuses)',
    });
    fs.appendFileSync(path.join(dir, 'passwd'), 'keepalived_script:x:998:998::/:/bin/false\n');
    const withDefault = new UserDb({ passwd: path.join(dir, 'passwd'), group: path.join(dir, 'group') });
    assert.deepEqual(resolveIdentity(script('x', { secure: true }), withDefault, OWN), { ok: true, id: { uid: 998, gid: 998, groups: [], label: 'keepalived_script' } });
  });

  it('an unknown user or group is a refusal naming it', () => {
    assert.deepEqual(resolveIdentity(script('x', { user: 'nope' }), db, OWN), { ok: false, reason: "script user 'nope' does not exist" });
    assert.deepEqual(resolveIdentity(script('x', { defaultUser: { user: 'web', group: 'nogrp' } }), db, OWN), { ok: false, reason: "script_user group 'nogrp' does not exist" });
  });
});

describe('script runner: keepalived security rules on real files', () => {
  let dir: string;
  const nobody = 65534;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-script-sec-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function scriptAt(rel: string, mode = 0o755): string {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, '#!/bin/sh\nexit 0\n', { mode });
    fs.chmodSync(p, mode);
    return p;
  }

  it('the program is the first word, unquoted; shell words mean /bin/sh; bare names are searched in PATH', () => {
    assert.equal(programWord(`  '/opt/my dir/check' --x | grep y`), '/opt/my dir/check');
    assert.equal(programWord('a\\ b;c'), 'a b');
    assert.equal(checkScript('exit 1', ROOT, true).program, '/bin/sh');
    const found = checkScript('sh -c true', ROOT, false);
    assert.equal(found.searched, true);
    assert.ok(found.program !== null && path.basename(found.program) === 'sh');
    assert.match(checkScript('no-such-program-here', ROOT, false).refusal ?? '', /'no-such-program-here' is not found in PATH, or not executable by 0:0/);
  });

  it('a root-owned script in root-owned, unwritable directories is safe', () => {
    const p = scriptAt('safe/check.sh');
    assert.equal(unsafePart(p), null);
    assert.deepEqual(checkScript(p, ROOT, true), { program: p, refusal: null, unsafe: null, searched: false });
  });

  it('world-writable directory, group-writable file, non-root owner: refused with security, reported without', () => {
    const inOpenDir = scriptAt('open/check.sh');
    fs.chmodSync(path.join(dir, 'open'), 0o777);
    assert.equal(unsafePart(inOpenDir), `${path.join(dir, 'open')} is writable by anyone`);
    const groupWritable = scriptAt('grp/check.sh', 0o775);
    fs.chownSync(groupWritable, 0, nobody);
    assert.equal(unsafePart(groupWritable), `${groupWritable} is writable by group ${nobody}`);
    const owned = scriptAt('owned/check.sh');
    fs.chownSync(owned, nobody, 0);
    assert.equal(unsafePart(owned), `${owned} belongs to uid ${nobody}, not root`);
    assert.deepEqual(checkScript(owned, ROOT, true).refusal, `unsafe permissions: ${owned} belongs to uid ${nobody}, not root (enable_script_security)`);
    assert.deepEqual(checkScript(owned, ROOT, false), { program: owned, refusal: null, unsafe: `${owned} belongs to uid ${nobody}, not root`, searched: false });
  });

  it('a sticky world-writable directory is fine; a script not run as root is not walked', () => {
    const sticky = scriptAt('sticky/check.sh');
    fs.chmodSync(path.join(dir, 'sticky'), 0o1777);
    assert.equal(unsafePart(sticky), null);
    const open = scriptAt('open2/check.sh');
    fs.chmodSync(path.join(dir, 'open2'), 0o777);
    const asNobody: ScriptIdentity = { uid: nobody, gid: nobody, groups: [], label: 'nobody' };
    assert.deepEqual(checkScript(open, asNobody, true), { program: open, refusal: null, unsafe: null, searched: false });
  });

  it('a symbolic link is followed: the target directory is checked too', () => {
    const target = scriptAt('open3/real.sh');
    fs.chmodSync(path.join(dir, 'open3'), 0o777);
    fs.mkdirSync(path.join(dir, 'links'));
    fs.symlinkSync(target, path.join(dir, 'links', 'check.sh'));
    assert.equal(unsafePart(path.join(dir, 'links', 'check.sh')), `${path.join(dir, 'open3')} is writable by anyone`);
  });

  it('not executable by the user that would run it: refused', () => {
    const p = scriptAt('noexec/check.sh', 0o744);
    const asNobody: ScriptIdentity = { uid: nobody, gid: nobody, groups: [], label: 'nobody' };
    assert.equal(checkScript(p, asNobody, false).refusal, `'${p}' is not executable by nobody`);
  });
});

describe('script runner: runs', () => {
  it('runs as the user named, in a cleaned environment', async () => {
    process.env.LD_PRELOAD = '';
    try {
      const o = await runScript({ script: script('echo "$(id -u):$(id -g) [${LD_PRELOAD-unset}] $EXTRA"', { user: 'nobody' }), timeout: 5, env: { EXTRA: 'x' } });
      assert.deepEqual(o, { kind: 'exited', code: 0, output: '65534:65534 [unset] x\n' });
    } finally {
      delete process.env.LD_PRELOAD;
    }
  });

  it('keeps at most OUTPUT_CAP characters of output and still waits for the exit status', async () => {
    const o = await runScript({ script: script('head -c 100000 /dev/zero | tr "\\0" a; exit 3'), timeout: 10 });
    assert.equal(o.kind, 'exited');
    assert.ok(o.kind === 'exited' && o.code === 3 && o.output === 'a'.repeat(OUTPUT_CAP));
  });

  it('a timeout kills the whole process group', async function () {
    this.timeout(10_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-script-kill-'));
    try {
      const pidFile = path.join(dir, 'pid');
      const o = await runScript({ script: script(`sleep 30 & echo $! > ${pidFile}; wait`), timeout: 0.3 });
      assert.equal(o.kind, 'timed-out');
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      await waitFor(() => !alive(pid));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refusals start nothing and say why; describeOutcome makes one log line', async () => {
    const o = await runScript({ script: script('/bin/true', { user: 'no-such-user-x' }), timeout: 1 });
    assert.deepEqual(o, { kind: 'refused', reason: "script user 'no-such-user-x' does not exist" });
    assert.equal(describeOutcome('/bin/true', o), "/bin/true not run: script user 'no-such-user-x' does not exist");
    assert.equal(describeOutcome('/x', { kind: 'exited', code: 2, output: 'bad thing\nmore' }), '/x exited with status 2: bad thing');
  });
});

/** A process that exists and is not a zombie waiting for its (re)parent to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
