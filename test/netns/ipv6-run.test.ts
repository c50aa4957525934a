// `director run` with IPv6 services in a real namespace (needs root: creates a network namespace
// and a veth pair in it): the IPv6 forwarding preflight, the IPv6 main table read at start (a NAT
// real server without a route is refused, with one it starts and stops cleanly). No traffic is sent here: Neighbour Discovery and echo are nd-e2e.test.ts's, and the
// end-to-end IPv6 lab comes with it.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { needsRoot } from '../support/prerequisites.js';

const NS = `dv6r${process.pid}`;

describe('director run with IPv6 services in a namespace (needs root: creates a network namespace)', function () {
  this.timeout(60_000);
  let dir: string;
  let conf: string;
  let sock: string;

  needsRoot();
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `director-v6-${process.pid}-`));
    conf = path.join(dir, 'k.conf');
    sock = path.join(dir, 'd.sock');
    fs.writeFileSync(conf, `virtual_server 2001:db8::100 80 {
 lb_algo rr
 lb_kind NAT
 protocol TCP
 real_server 2001:db8:9::11 8080
}
`);
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'add', 'dir0', 'type', 'veth', 'peer', 'name', 'dir0p']);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'dir0', 'up']);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'dir0p', 'up']);
    execFileSync('ip', ['-n', NS, '-6', 'addr', 'add', '2001:db8::2/64', 'dev', 'dir0', 'nodad']);
    execFileSync('ip', ['netns', 'exec', NS, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding']);
  });

  after(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const logged = (lines: string[]): Array<[string, string]> =>
    lines.map((l) => JSON.parse(l) as { level: string; msg: string }).map((e) => [e.level, e.msg]);

  /** Runs director until it has started (then it is told to stop), or until it gives up. */
  async function run(): Promise<{ code: number; stderr: string[] }> {
    const stderr: string[] = [];
    let started: () => void = () => {};
    const up = new Promise<void>((resolve) => { started = resolve; });
    const io: CliIo = {
      out: () => {},
      err: (l) => {
        stderr.push(l);
        if (l.includes('"event":"start"') && l.includes('"level":"info"')) started();
      },
      waitForSignal: () => up.then(() => 'SIGTERM'),
    };
    const code = await main(['run', '--config', conf, '--netns', NS, '--interface', 'dir0', '--control', sock], io);
    return { code, stderr };
  }

  it('refuses to start while the namespace forwards IPv6, saying what to turn off', async () => {
    const r = await run();
    assert.equal(r.code, 1);
    assert.deepEqual(logged(r.stderr)[0], ['error',
      'net.ipv6.conf.all.forwarding=1, net.ipv6.conf.dir0.forwarding=1: the kernel would also forward IPv6 VIP traffic; '
      + 'turn it off: sysctl -w net.ipv6.conf.all.forwarding=0 net.ipv6.conf.dir0.forwarding=0']);
  });

  it('reads the namespace\'s IPv6 routes: no route to the NAT real server is refused, a route lets it start', async () => {
    execFileSync('ip', ['netns', 'exec', NS, 'sh', '-c', 'echo 0 > /proc/sys/net/ipv6/conf/all/forwarding; echo 0 > /proc/sys/net/ipv6/conf/dir0/forwarding']);
    const refused = await run();
    assert.equal(refused.code, 1);
    assert.ok(logged(refused.stderr).some(([level, msg]) => level === 'error' && /no IPv6 route to real server 2001:db8:9::11/.test(msg)),
      refused.stderr.join('\n'));
    execFileSync('ip', ['-n', NS, '-6', 'route', 'add', '2001:db8:9::/64', 'via', '2001:db8::fe', 'dev', 'dir0']);
    const r = await run();
    assert.equal(r.code, 0, r.stderr.join('\n'));
  });
});
