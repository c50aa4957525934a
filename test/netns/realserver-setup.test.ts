// `director realserver setup --mode dr` for real, inside a fresh network namespace: sysctls and
// the lo address are set, --check passes, teardown undoes it. Only that namespace is touched.
// With an IPv6 VIP, a neighbour in a second namespace gets no answer to its solicitation for the
// VIP, yet reaches it through the real server's own address, as a DR director does.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

describe('realserver setup with an IPv6 VIP (needs root: creates two network namespaces)', function () {
  this.timeout(120_000);
  const RS = `drrs6${process.pid}`;
  const PEER = `drpe6${process.pid}`;
  const VIP6 = '2001:db8:100::1';
  const RS_IP6 = '2001:db8:0:1::11';
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  const ip = (ns: string, ...args: string[]): string => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
  const inRs = (args: string[]): { code: number; stdout: string; stderr: string } => {
    const r = spawnSync('ip', ['netns', 'exec', RS, process.execPath, '--import', 'tsx', MAIN, ...args], {
      cwd: ROOT, env, encoding: 'utf8', timeout: 30_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  /** A TCP connection from the peer to the VIP: the server's greeting, or why there was none. */
  const connect = (): string => {
    const client = `const s = require('net').connect({ host: '${VIP6}', port: 7000, timeout: 4000 });
s.on('data', (d) => { process.stdout.write(String(d)); s.destroy(); });
s.on('timeout', () => { process.stdout.write('timeout'); s.destroy(); });
s.on('error', (e) => process.stdout.write(e.code));`;
    return spawnSync('ip', ['netns', 'exec', PEER, process.execPath, '-e', client], { encoding: 'utf8', timeout: 20_000 }).stdout.trim();
  };
  let server: ChildProcess | undefined;

  needsRoot();
  before(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `director-rs6-state-${process.pid}-`));
    env = { ...process.env, DIRECTOR_STATE_DIR: stateDir };
    for (const ns of [RS, PEER]) {
      execFileSync('ip', ['netns', 'add', ns]);
      ip(ns, 'link', 'set', 'lo', 'up');
    }
    ip(PEER, 'link', 'add', 'pe0', 'type', 'veth', 'peer', 'name', 'rs0', 'netns', RS);
    for (const [ns, dev, addr] of [[PEER, 'pe0', '2001:db8:0:1::2/64'], [RS, 'rs0', `${RS_IP6}/64`]] as const) {
      ip(ns, 'addr', 'add', addr, 'dev', dev, 'nodad');
      ip(ns, 'link', 'set', dev, 'up');
    }
  });

  after(() => {
    server?.kill('SIGKILL');
    for (const ns of [RS, PEER]) spawnSync('ip', ['netns', 'del', ns]);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('puts VIP/128 on lo (not tentative); a solicitation for the VIP goes unanswered, traffic sent to the real server\'s MAC is answered', async () => {
    const r = inRs(['realserver', 'setup', '--vip', VIP6, '--mode', 'dr', '--interface', 'rs0']);
    assert.equal(r.code, 0, r.stderr);
    const lo = JSON.parse(ip(RS, '-j', '-6', 'addr', 'show', 'dev', 'lo')) as Array<{ addr_info: Array<{ local: string; prefixlen: number; tentative?: boolean }> }>;
    const vip = lo.flatMap((l) => l.addr_info).find((a) => a.local === VIP6);
    assert.ok(vip && vip.prefixlen === 128 && !vip.tentative, JSON.stringify(lo));
    assert.equal(inRs(['realserver', 'setup', '--vip', VIP6, '--mode', 'dr', '--interface', 'rs0', '--check']).code, 0);
    server = spawn('ip', ['netns', 'exec', RS, process.execPath, '-e',
      `require('net').createServer((s) => s.end('vip6')).listen(7000, '${VIP6}', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => server!.stdout!.once('data', () => resolve()));

    // The VIP on-link: the peer must resolve it by neighbour discovery, which the real server ignores.
    ip(PEER, '-6', 'route', 'add', `${VIP6}/128`, 'dev', 'pe0');
    assert.match(connect(), /^(EHOSTUNREACH|timeout)$/, 'the VIP must not be resolvable on the link');
    const neigh = ip(PEER, '-6', 'neigh', 'show', VIP6);
    assert.doesNotMatch(neigh, /REACHABLE|STALE|DELAY|PROBE/, `no neighbour entry for the VIP: ${neigh}`);

    // As a DR director forwards: to the VIP, at the real server's own link address.
    ip(PEER, '-6', 'route', 'replace', `${VIP6}/128`, 'via', RS_IP6, 'dev', 'pe0');
    assert.equal(connect(), 'vip6', 'the VIP answers when reached through the real server\'s address');

    const down = inRs(['realserver', 'teardown', '--vip', VIP6]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /removed: 2001:db8:100::1\/128 from lo/);
    assert.deepEqual(fs.readdirSync(stateDir), []);
  });
});
