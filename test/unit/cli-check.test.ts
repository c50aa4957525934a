// `director check` as a migrating user runs it: -f and keepalived's default file, the summary of
// every service, real server and checker, --strict, --json, --config-id, and a file that yields
// nothing (no service, no VRRP instance) refused.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { DEFAULT_CONFIG } from '../../src/cli/check.js';
import type { CliIo } from '../../src/cli/io.js';
import type { CheckReport } from '../../src/cli/summary.js';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const io = {
    stdout: [] as string[],
    stderr: [] as string[],
    out: (l: string) => void io.stdout.push(l),
    err: (l: string) => void io.stderr.push(l),
    waitForSignal: () => new Promise<string>(() => {}),
  };
  return io;
}

const CHECKED = `virtual_server 198.19.0.100 443 {
 lb_algo wrr
 lb_kind NAT
 persistence_timeout 300
 protocol TCP
 real_server 198.19.0.11 8443 {
  weight 3
  SSL_GET {
   url { path /health }
   url { path /ready }
  }
  MISC_CHECK { misc_path "/bin/true 198.19.0.11" }
 }
 real_server 198.19.0.12 8443 {
  PING_CHECK { }
  DNS_CHECK {
   type A
   name example.test
   connect_port 53
  }
 }
}
virtual_server 198.19.0.101 53 {
 protocol UDP
 lb_algo rr
 lb_kind DR
 real_server 198.19.0.13 53
}
`;

describe('cli: director check', () => {
  let dir: string;
  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-check-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('-f FILE: every service, real server and checker; a server without one is said to be always up', async () => {
    const io = capture();
    const conf = file('k.conf', CHECKED);
    assert.equal(await main(['check', '-f', conf], io), 0);
    assert.deepEqual(io.stdout, [
      '2 virtual server(s), 3 real server(s), 0 local address group(s), 0 warning(s)',
      'TCP 198.19.0.100:443 wrr persistent 300s mask 255.255.255.255',
      '  -> 198.19.0.11:8443 NAT weight 3',
      '       check SSL_GET 198.19.0.11:8443 /health /ready',
      '       check MISC_CHECK /bin/true 198.19.0.11',
      '  -> 198.19.0.12:8443 NAT weight 1',
      '       check PING_CHECK 198.19.0.12',
      '       check DNS_CHECK 198.19.0.12:53 A example.test',
      'UDP 198.19.0.101:53 rr',
      '  -> 198.19.0.13:53 DR weight 1',
      '       no checker: always up',
      `config ok: ${conf}`,
    ]);
    assert.deepEqual(io.stderr, []);
  });

  it("without -f it reads keepalived's default file", async () => {
    const io = capture();
    const status = await main(['check'], io);
    if (fs.existsSync(DEFAULT_CONFIG)) {
      assert.ok(io.stdout.includes(`config ok: ${DEFAULT_CONFIG}`) || io.stderr.some((l) => l.startsWith('error: ')), io.stderr.join('\n'));
    } else {
      assert.equal(status, 1);
      assert.deepEqual(io.stderr, [`error: ${DEFAULT_CONFIG}:1: file: cannot read the configuration file (ENOENT)`]);
    }
  });

  it('a file that yields no virtual_server and no vrrp_instance is an error (a dropped service is not "config ok")', async () => {
    const io = capture();
    const conf = file('empty.conf', 'global_defs {\n router_id lb1\n}\nvirtual_server 198.19.0.100 80 {\n lb_kind DR\n}\n');
    assert.equal(await main(['check', '--config', conf], io), 1);
    assert.equal(io.stderr.at(-1), `error: ${conf}: virtual_server: no virtual_server and no vrrp_instance: the configuration does nothing`);
    assert.deepEqual(io.stdout, []);
    const vrrpOnly = file('vrrp.conf', 'vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n  198.19.0.100\n }\n}\n');
    const ok = capture();
    assert.equal(await main(['check', '--config', vrrpOnly], ok), 0, ok.stderr.join('\n'));
    assert.equal(ok.stdout.at(-1), `config ok: ${vrrpOnly}`);
  });

  it('--strict turns warnings into errors; without it they are printed and the exit is 0', async () => {
    const conf = file('w.conf', `${CHECKED}frobnicate 1\n`);
    const loose = capture();
    assert.equal(await main(['check', '-f', conf], loose), 0);
    assert.equal(loose.stderr.length, 1);
    assert.match(loose.stderr[0]!, /^warning: .*w\.conf:29: unknown keyword frobnicate, ignored$/);
    const strict = capture();
    assert.equal(await main(['check', '-f', conf, '--strict'], strict), 1);
    assert.deepEqual(strict.stderr, [loose.stderr[0], `error: ${conf}: strict: 1 warning(s), which --strict makes errors`]);
    assert.deepEqual(strict.stdout, []);
    assert.equal(await main(['check', '-f', file('ok.conf', CHECKED), '--strict'], capture()), 0);
  });

  it("scripts this host would not run are warnings, as keepalived's start-up checks say; --skip-scripts leaves them", async () => {
    // A world-writable folder with a script in it: unsafe for root (the director runs checks as root here).
    const open = path.join(dir, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    const script = path.join(open, 'probe.sh');
    fs.writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const body = (globals: string) => `global_defs {\n${globals}\n}
virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind DR
 quorum_up /nonexistent/quorum-up
 real_server 198.19.0.11 80 {
  notify_down "/bin/true down" no_such_user_here
  MISC_CHECK { misc_path ${script} }
 }
}
`;
    const loose = capture();
    const conf = file('s.conf', body(' router_id lb1'));
    assert.equal(await main(['check', '-f', conf], loose), 0);
    const lines = loose.stderr.map((l) => l.replace(dir, 'DIR'));
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /^warning: DIR\/s\.conf:4: quorum_up '\/nonexistent\/quorum-up' of VS 198\.19\.0\.100:80 will not run as .*: '\/nonexistent\/quorum-up' cannot be accessed \(ENOENT\) \(keepalived disables it too\)$/);
    assert.equal(lines[1], "warning: DIR/s.conf:9: notify_down '/bin/true down' of real server 198.19.0.11:80 in VS 198.19.0.100:80 will not run: script user 'no_such_user_here' does not exist (keepalived disables it too)");
    assert.match(lines[2]!, /^warning: DIR\/s\.conf:11: MISC_CHECK '.*probe\.sh' of real server .*: SECURITY: runs as root though .*open is writable by anyone; enable_script_security would refuse it$/);
    const secure = capture();
    assert.equal(await main(['check', '-f', file('t.conf', body(' enable_script_security\n script_user root')), '--strict'], secure), 1);
    assert.ok(secure.stderr.some((l) => /MISC_CHECK .* will not run as root: unsafe permissions: .*open is writable by anyone \(enable_script_security\)/.test(l)), secure.stderr.join('\n'));
    const skipped = capture();
    assert.equal(await main(['check', '-f', conf, '--skip-scripts', '--strict'], skipped), 0, skipped.stderr.join('\n'));
  });

  it('--json: one document on stdout, nothing on stderr, for a good and a bad file', async () => {
    const good = capture();
    const conf = file('w.conf', `${CHECKED}frobnicate 1\n`);
    assert.equal(await main(['check', '-f', conf, '--json'], good), 0);
    assert.deepEqual(good.stderr, []);
    const report = JSON.parse(good.stdout.join('\n')) as CheckReport;
    assert.equal(report.ok, true);
    assert.equal(report.error, null);
    assert.deepEqual(report.warnings.map((w) => [w.line, w.keyword]), [[29, 'frobnicate']]);
    assert.deepEqual(report.services.map((s) => `${s.protocol} ${s.vip}:${s.port} ${s.scheduler} ${s.method} ${s.persistenceTimeout}`),
      ['tcp 198.19.0.100:443 wrr nat 300', 'udp 198.19.0.101:53 rr dr 0']);
    assert.deepEqual(report.services[0]!.realServers[1], {
      address: '198.19.0.12', port: 8443, method: 'nat', weight: 1, line: 14,
      checkers: ['PING_CHECK 198.19.0.12', 'DNS_CHECK 198.19.0.12:53 A example.test'], unchecked: [],
    });

    const bad = capture();
    const broken = file('bad.conf', 'virtual_server 198.19.0.100 80 {\n lb_kind XX\n}\n');
    assert.equal(await main(['check', '-f', broken, '--json'], bad), 1);
    assert.deepEqual(bad.stderr, []);
    assert.deepEqual(JSON.parse(bad.stdout.join('\n')), {
      file: broken, ok: false, warnings: [], services: [],
      error: { file: broken, line: 2, keyword: 'lb_kind', message: `${broken}:2: lb_kind: 'XX' is not one of DR, NAT, TUN, FNAT` },
    });
  });

  it('--config-id (-i) selects the @ID lines, as keepalived -i', async () => {
    const conf = file('ha.conf', `virtual_server 198.19.0.100 80 {
 lb_kind DR
 @lb1 real_server 198.19.0.11 80
 @^lb1 real_server 198.19.0.12 80
}
`);
    const servers = async (argv: string[]): Promise<string[]> => {
      const io = capture();
      assert.equal(await main(['check', '-f', conf, ...argv], io), 0);
      return io.stdout.filter((l) => l.startsWith('  -> ')).map((l) => l.split(' ')[3]!);
    };
    assert.deepEqual(await servers(['--config-id', 'lb1']), ['198.19.0.11:80']);
    assert.deepEqual(await servers(['-i', 'lb2']), ['198.19.0.12:80']);
  });
});
