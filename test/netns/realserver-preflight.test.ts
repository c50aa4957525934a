// `director run` preflight against a real namespace (read through `ip netns exec`): ip_forward on,
// the VIP owned by the kernel, a missing interface; nothing is started. (The director side of the
// real server pair, kept with the realserver netns tests.)
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { needsRoot } from '../support/prerequisites.js';

const NS = `drpf${process.pid}`;

describe('director run preflight in a namespace (needs root: creates a network namespace)', function () {
  this.timeout(60_000);
  let dir: string;
  let conf: string;

  needsRoot();
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `director-pf-${process.pid}-`));
    conf = path.join(dir, 'k.conf');
    fs.writeFileSync(conf, 'virtual_server 198.19.0.100 80 {\n lb_algo rr\n lb_kind DR\n protocol TCP\n real_server 198.19.0.11 80\n}\n');
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'add', 'dir0', 'type', 'veth', 'peer', 'name', 'dir0p']);
    execFileSync('ip', ['-n', NS, 'addr', 'add', '198.19.0.100/24', 'dev', 'dir0']);
    execFileSync('ip', ['netns', 'exec', NS, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
  });

  after(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** stderr is no terminal here, so run logs JSON lines: each line's level and message. */
  const logged = (lines: string[]): Array<[string, string]> =>
    lines.map((l) => JSON.parse(l) as { level: string; msg: string }).map((e) => [e.level, e.msg]);

  async function run(args: string[]): Promise<{ code: number; stderr: string[] }> {
    const stderr: string[] = [];
    const io: CliIo = { out: () => {}, err: (l) => void stderr.push(l), waitForSignal: () => new Promise(() => {}) };
    return { code: await main(['run', '--config', conf, '--netns', NS, ...args], io), stderr };
  }

  it('reports ip_forward and the kernel-owned VIP in that namespace, exit 1', async () => {
    const r = await run(['--interface', 'dir0']);
    assert.equal(r.code, 1);
    assert.deepEqual(logged(r.stderr), [
      ['error', 'net.ipv4.ip_forward=1: the kernel would also forward VIP traffic; turn it off: sysctl -w net.ipv4.ip_forward=0'],
      ['error', '198.19.0.100 is configured on dir0, so the kernel would answer for it instead of director; remove it: ip addr del 198.19.0.100/24 dev dir0'],
      ['error', 'director not started: fix the errors above'],
    ]);
  });

  it('lists the interfaces of that namespace when the interface is missing', async () => {
    const r = await run(['--interface', 'eth7']);
    assert.equal(r.code, 1);
    assert.deepEqual(logged(r.stderr)[0], ['error', "interface 'eth7' does not exist; pass --interface with one of: dir0, dir0p"]);
  });
});
