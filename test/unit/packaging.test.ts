// The systemd units in packaging/: what they grant (two capabilities and the three that drop them, CAP_BPF only through the
// XDP drop-in), reload by SIGHUP, restart on failure, the real-server units' setup and teardown,
// command lines the CLI accepts, and `systemd-analyze verify` without a warning.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommand } from '../../src/cli/args.js';
import { realserverCommands } from '../../src/cli/realserver.js';
import { runCommand } from '../../src/cli/run.js';
import { requireTools } from '../support/prerequisites.js';

const ROOT = path.join(__dirname, '..', '..');
const DIR = path.join(ROOT, 'packaging');
const BIN = '/usr/local/bin/director';

/** [Service] (or any section) keys of a unit file, each with every value it was given. */
function unit(file: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const raw of readFileSync(path.join(DIR, file), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    keys.set(line.slice(0, eq), [...(keys.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
  }
  return keys;
}

const one = (u: Map<string, string[]>, key: string): string => {
  const v = u.get(key);
  assert.equal(v?.length, 1, `${key}: ${JSON.stringify(v)}`);
  return v![0]!;
};
const words = (u: Map<string, string[]>, key: string): string[] => (u.get(key) ?? []).flatMap((v) => v.split(/\s+/));

/** The director argv of an Exec line, instance and environment filled in. */
function directorArgv(line: string, vars: Record<string, string>): string[] {
  const filled = line.replace(/%i/g, '198.19.0.100').replace(/\$\{?(\w+)\}?/g, (_m, k: string) => vars[k] ?? '');
  const [bin, ...argv] = filled.split(/\s+/).filter((w) => w !== '');
  assert.equal(bin, BIN);
  return argv;
}

describe('systemd units (packaging/)', () => {
  it('director.service: CAP_NET_RAW and CAP_NET_ADMIN, and what dropping them takes; HUP reloads, restarts on failure, hardened', () => {
    const u = unit('director.service');
    const caps = ['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID'];
    assert.deepEqual(words(u, 'CapabilityBoundingSet').sort(), caps);
    assert.deepEqual(words(u, 'AmbientCapabilities').sort(), caps);
    assert.equal(one(u, 'ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(one(u, 'Restart'), 'on-failure');
    assert.equal(one(u, 'RuntimeDirectory'), 'director');
    assert.deepEqual(['NoNewPrivileges', 'ProtectSystem', 'ProtectHome'].map((k) => one(u, k)), ['yes', 'strict', 'yes']);
    const argv = directorArgv(one(u, 'ExecStart'), { DIRECTOR_ARGS: '--interface eth0 --metrics 9100' });
    assert.equal(argv[0], 'run');
    const parsed = parseCommand(runCommand.def, argv.slice(1));
    assert.deepEqual([parsed.config, parsed.interface, parsed.metrics], ['/etc/director/keepalived.conf', 'eth0', '9100']);
  });

  it('the XDP drop-in adds CAP_BPF and AF_XDP, nothing else of privilege', () => {
    const u = unit('director.service.d/xdp.conf');
    assert.deepEqual(words(u, 'CapabilityBoundingSet'), ['CAP_BPF']);
    assert.deepEqual(words(u, 'AmbientCapabilities'), ['CAP_BPF']);
    assert.deepEqual(words(u, 'RestrictAddressFamilies'), ['AF_XDP']);
  });

  it('director-realserver@: oneshot, stays active, setup at start and teardown at stop, for the instance VIP', () => {
    const u = unit('director-realserver@.service');
    assert.deepEqual(['Type', 'RemainAfterExit'].map((k) => one(u, k)), ['oneshot', 'yes']);
    const setup = directorArgv(one(u, 'ExecStart'), {});
    const teardown = directorArgv(one(u, 'ExecStop'), {});
    const rs = realserverCommands().commands;
    assert.deepEqual(setup.slice(0, 2), ['realserver', 'setup']);
    assert.deepEqual(parseCommand(rs.setup!.def, setup.slice(2)), { vip: '198.19.0.100', mode: 'dr', check: false });
    assert.deepEqual(teardown.slice(0, 2), ['realserver', 'teardown']);
    assert.deepEqual(parseCommand(rs.teardown!.def, teardown.slice(2)), { vip: '198.19.0.100' });
    assert.deepEqual(words(u, 'CapabilityBoundingSet'), ['CAP_NET_ADMIN']);
  });

  it('director-realserver-tun@: the decapsulator in the foreground, teardown after it stops', () => {
    const u = unit('director-realserver-tun@.service');
    assert.equal(one(u, 'Type'), 'simple');
    const setup = directorArgv(one(u, 'ExecStart'), { DIRECTOR_RS_INTERFACE: 'eth1' });
    const parsed = parseCommand(realserverCommands().commands.setup!.def, setup.slice(2));
    assert.deepEqual([parsed.vip, parsed.mode, parsed.interface], ['198.19.0.100', 'tun', 'eth1']);
    assert.deepEqual(directorArgv(one(u, 'ExecStopPost'), {}).slice(0, 2), ['realserver', 'teardown']);
  });

  it('systemd-analyze verify passes every unit and the drop-in without a warning', function () {
    requireTools(this, 'systemd-analyze');
    // A copy whose commands point at this checkout's bin/director: verify checks they are executable.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'director-units-'));
    try {
      cpSync(DIR, tmp, { recursive: true });
      for (const f of readdirSync(tmp).filter((n) => n.endsWith('.service'))) {
        const text = readFileSync(path.join(tmp, f), 'utf8');
        writeFileSync(path.join(tmp, f), text.replaceAll(BIN, path.join(ROOT, 'bin', 'director')));
      }
      const r = spawnSync('systemd-analyze', ['verify', 'director.service', 'director-realserver@198.19.0.100.service',
        'director-realserver-tun@198.19.0.100.service'], { cwd: tmp, encoding: 'utf8', env: { ...process.env, SYSTEMD_UNIT_PATH: `${tmp}:` } });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', 'no warnings');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
