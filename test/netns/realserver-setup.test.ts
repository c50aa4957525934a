// `director realserver setup --mode dr` for real, inside a fresh network namespace: sysctls and
// the lo address are set, --check passes, teardown undoes it. Only that namespace is touched.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needsRoot } from '../support/prerequisites.js';

const NS = `drrs${process.pid}`;
const VIP = '198.19.0.100';
const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

function inNs(args: string[], env: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', MAIN, ...args], {
    cwd: ROOT, env, encoding: 'utf8', timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function sysctl(key: string): string {
  return execFileSync('ip', ['netns', 'exec', NS, 'cat', `/proc/sys/${key.replace(/\./g, '/')}`], { encoding: 'utf8' }).trim();
}

function loAddresses(): string[] {
  const j = JSON.parse(execFileSync('ip', ['-n', NS, '-j', '-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' })) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>;
  return j.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

describe('realserver setup in a namespace (needs root: creates a network namespace)', function () {
  this.timeout(120_000);
  let stateDir: string;
  let env: NodeJS.ProcessEnv;

  needsRoot();
  before(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `director-rs-state-${process.pid}-`));
    env = { ...process.env, DIRECTOR_STATE_DIR: stateDir };
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    // Both ends inside the namespace: the host never sees them.
    execFileSync('ip', ['-n', NS, 'link', 'add', 'rs0', 'type', 'veth', 'peer', 'name', 'rs0p']);
    execFileSync('ip', ['-n', NS, 'addr', 'add', '198.19.0.11/24', 'dev', 'rs0']);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'rs0', 'up']);
    execFileSync('ip', ['netns', 'exec', NS, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/conf/rs0/rp_filter']);
  });

  after(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const dr = ['realserver', 'setup', '--vip', VIP, '--mode', 'dr', '--interface', 'rs0'];

  it('--check on the fresh namespace reports the missing items, exit 1', () => {
    const r = inNs([...dr, '--check'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /missing: 198\.19\.0\.100\/32 is not on lo/);
    assert.match(r.stdout, /missing: net\.ipv4\.conf\.rs0\.rp_filter is 1, want 0 or 2/);
  });

  it('setup puts the VIP on lo and sets arp_ignore, arp_announce, rp_filter', () => {
    const r = inNs(dr, env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(loAddresses().includes(`${VIP}/32`));
    for (const dev of ['all', 'lo', 'rs0']) {
      assert.equal(sysctl(`net.ipv4.conf.${dev}.arp_ignore`), '1', dev);
      assert.equal(sysctl(`net.ipv4.conf.${dev}.arp_announce`), '2', dev);
    }
    assert.equal(sysctl('net.ipv4.conf.rs0.rp_filter'), '2');
  });

  it('setup again changes nothing; --check passes, exit 0', () => {
    const again = inNs(dr, env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /ok: already set up for 198\.19\.0\.100 \(dr\)/);
    const check = inNs([...dr, '--check'], env);
    assert.equal(check.code, 0, check.stdout);
    assert.equal(check.stdout.trim(), 'ok: all 9 items set for 198.19.0.100 (dr)');
  });

  it('teardown removes the VIP and restores the sysctls', () => {
    const r = inNs(['realserver', 'teardown', '--vip', VIP], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!loAddresses().includes(`${VIP}/32`));
    assert.equal(sysctl('net.ipv4.conf.all.arp_ignore'), '0');
    assert.equal(sysctl('net.ipv4.conf.rs0.arp_announce'), '0');
    assert.equal(sysctl('net.ipv4.conf.rs0.rp_filter'), '1');
    assert.deepEqual(fs.readdirSync(stateDir), []);
  });
});
