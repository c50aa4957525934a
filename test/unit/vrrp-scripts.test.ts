// VRRP's script runner (notify_*, vrrp_script) in the director's own namespace: a script with a
// user runs as that user, switched by the spawn itself (what still works once the daemon has
// dropped its privileges: a runuser it started would hold no capability); an unknown user or
// group is a failed run with its reason. Needs root (as CI is): scripts run as user nobody.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultGlobalDefs } from '../../src/config/model.js';
import { ScriptRunner } from '../../src/vrrp/vrrp-scripts.js';
import { needsRoot } from '../support/prerequisites.js';

describe('VRRP script runner (needs root: runs scripts as nobody)', () => {
  let dir: string;
  needsRoot();
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-vrrp-scripts-'));
    fs.chmodSync(dir, 0o777);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs a script as its own user, and as global_defs script_user, with that user's ids", async () => {
    const out = path.join(dir, 'ids');
    const runner = new ScriptRunner({ globals: { ...defaultGlobalDefs(), scriptUser: { user: 'nobody', group: null } } });
    const own = await runner.run({ command: `/bin/sh -c 'echo own $(id -u) $(id -g) >> ${out}'`, user: 'nobody', group: 'nogroup' }, [], 10_000);
    const global = await runner.run({ command: `/bin/sh -c 'echo global $(id -u) >> ${out}'`, user: null, group: null }, [], 10_000);
    assert.deepEqual([own.ok, global.ok], [true, true], `${own.detail}; ${global.detail}`);
    const nogroup = new Map(fs.readFileSync('/etc/group', 'utf8').split('\n').map((l) => l.split(':')).map((f) => [f[0], f[2]])).get('nogroup');
    assert.deepEqual(fs.readFileSync(out, 'utf8').trim().split('\n'), [`own 65534 ${nogroup}`, 'global 65534']);
  });

  it('fails a run for a user or group that does not exist, saying which', async () => {
    const runner = new ScriptRunner({ globals: defaultGlobalDefs() });
    const user = await runner.run({ command: '/bin/true', user: 'no-such-user', group: null }, [], 10_000);
    const group = await runner.run({ command: '/bin/true', user: 'nobody', group: 'no-such-group' }, [], 10_000);
    assert.deepEqual([user.ok, group.ok], [false, false]);
    assert.match(user.detail, /script user 'no-such-user' does not exist/);
    assert.match(group.detail, /script user group 'no-such-group' does not exist/);
  });

  it("runs in the director's network namespace as the script user (setpriv after ip netns exec)", async () => {
    const ns = `dt-vscript-${process.pid}-${Date.now().toString(36)}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const out = path.join(dir, 'netns');
      const runner = new ScriptRunner({ netns: ns, globals: defaultGlobalDefs() });
      const r = await runner.run({ command: `/bin/sh -c 'echo $(id -u) $(id -G) $(readlink /proc/self/ns/net) "$0" >> ${out}'`, user: 'nobody', group: null }, ['a b'], 10_000);
      assert.ok(r.ok, r.detail);
      const inside = execFileSync('ip', ['netns', 'exec', ns, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim();
      const nobodyGid = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':')[3];
      assert.equal(fs.readFileSync(out, 'utf8').trim(), `65534 ${nobodyGid} ${inside} a b`);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });

  it('refuses a root script others can change under enable_script_security, as for every other script', async () => {
    const script = path.join(dir, 'writable.sh');
    fs.writeFileSync(script, '#!/bin/sh\nexit 0\n');
    fs.chmodSync(script, 0o777);
    const runner = new ScriptRunner({ globals: { ...defaultGlobalDefs(), enableScriptSecurity: true, scriptUser: { user: 'root', group: null } } });
    const r = await runner.run({ command: script, user: null, group: null }, [], 10_000);
    assert.equal(r.ok, false);
    assert.match(r.detail, /not run: /);
  });
});
