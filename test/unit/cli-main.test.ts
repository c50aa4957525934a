// CLI: argument parsing, help for every command, exit statuses (0 ok, 1 failure, 2 usage),
// `check` output, and `run` driven with a fake director and a fake system reader.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { runCommand, type RunDeps, type RunnableDirector } from '../../src/cli/run.js';
import type { CliIo } from '../../src/cli/io.js';
import type { DirectorOptions, DirectorStats } from '../../src/director.js';
import type { SystemReader } from '../../src/preflight/reader.js';

interface Captured extends CliIo {
  stdout: string[];
  stderr: string[];
  signal: () => void;
}

function capture(): Captured {
  let fire: (s: string) => void = () => {};
  const waiting = new Promise<string>((resolve) => (fire = resolve));
  const io: Captured = {
    stdout: [],
    stderr: [],
    out: (l) => void io.stdout.push(l),
    err: (l) => void io.stderr.push(l),
    waitForSignal: () => waiting,
    signal: () => fire('SIGTERM'),
  };
  return io;
}

const GOOD = `virtual_server 198.19.0.100 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 198.19.0.11 80 { weight 2 }
  real_server 198.19.0.12 80 { TCP_CHECK { connect_timeout 3 } }
}
`;

describe('cli: argument parsing', () => {
  const spec = { config: { value: true, required: true }, check: { value: false } };
  it('takes --name value, --name=value, flags and positionals', () => {
    const p = parseArgs(['setup', '--config', 'a.conf', '--check'], spec);
    assert.deepEqual([p.values, [...p.flags], p.positionals], [{ config: 'a.conf' }, ['check'], ['setup']]);
    assert.equal(parseArgs(['--config=b.conf'], spec).values.config, 'b.conf');
  });
  const bad: Array<[string[], string]> = [
    [['--config'], "option '--config' needs a value"],
    [['--config', '--check'], "option '--config' needs a value"],
    [['--nope'], "unknown option '--nope'"],
    [['-x'], "unknown option '-x'"],
    [['--check=1', '--config', 'a'], "option '--check' takes no value"],
    [[], "missing required option '--config'"],
    [['--config', 'a', '--config', 'b'], "option '--config' given twice"],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${JSON.stringify(argv)}`, () => {
      assert.throws(() => parseArgs(argv, spec), (e: unknown) => e instanceof UsageError && e.message === message);
    });
  }
  it('--help skips the required check', () => assert.equal(parseArgs(['--help'], spec).help, true));
});

describe('cli: commands, help and exit statuses', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `director-cli-${process.pid}-`));
    fs.writeFileSync(path.join(dir, 'good.conf'), GOOD);
    fs.writeFileSync(path.join(dir, 'bad.conf'), 'virtual_server 198.19.0.100 80 {\n lb_kind XX\n}\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const argv of [['--help'], ['run', '--help'], ['check', '--help'], ['realserver', '--help'], ['realserver', 'setup', '--help'], ['realserver', 'teardown', '--help']]) {
    it(`${argv.join(' ')} prints usage and exits 0`, async () => {
      const io = capture();
      assert.equal(await main(argv, io), 0);
      assert.match(io.stdout.join('\n'), /^usage: director/);
    });
  }

  const usage: Array<[string[], RegExp]> = [
    [[], /^$/],
    [['frob'], /unknown command 'frob'/],
    [['check'], /director check: missing required option '--config'; see director check --help/],
    [['run', '--config', 'x.conf'], /give exactly one of --interface IF or --tap NAME/],
    [['run', '--config', 'x.conf', '--interface', 'a', '--tap', 'b'], /give exactly one of/],
    [['run', '--config', 'x.conf', '--tap', 't', '--stats-interval', 'soon'], /'--stats-interval' must be a number of seconds/],
    [['run', '--config', 'x.conf', '--interface', 'eth0', '--rx-ring', 'fast'], /'--rx-ring' must be block or frame, got 'fast'/],
    [['run', '--config', 'x.conf', '--tap', 't', '--rx-ring', 'frame'], /'--rx-ring' needs --interface/],
    [['realserver', 'setup', '--vip', '198.19.0.100', '--mode', 'nat'], /'--mode' must be dr or tun, got 'nat'/],
    [['realserver', 'setup', '--vip', '300.1.1.1', '--mode', 'dr'], /'--vip' must be an IPv4 address/],
    [['realserver', 'setup', '--vip', '198.19.0.100', '--mode', 'tun'], /--mode tun needs --interface/],
    [['realserver', 'reboot'], /unknown realserver subcommand 'reboot'/],
    [['realserver'], /missing subcommand/],
  ];
  for (const [argv, stderr] of usage) {
    it(`usage error exits 2: director ${argv.join(' ')}`, async () => {
      const io = capture();
      assert.equal(await main(argv, io), 2);
      assert.match(io.stderr.join('\n'), stderr);
    });
  }

  it('check prints warnings to stderr and a summary to stdout, exit 0', async () => {
    const io = capture();
    const file = path.join(dir, 'good.conf');
    assert.equal(await main(['check', '--config', file], io), 0);
    assert.deepEqual(io.stderr, []);
    assert.deepEqual(io.stdout, [
      '1 virtual server(s), 2 real server(s), 0 local address group(s), 0 warning(s)',
      'TCP 198.19.0.100:80 rr',
      '  -> 198.19.0.11:80 DR weight 2',
      '  -> 198.19.0.12:80 DR weight 1',
      `config ok: ${file}`,
    ]);
  });

  it('check of a bad config names file, line, keyword; exit 1', async () => {
    const io = capture();
    const file = path.join(dir, 'bad.conf');
    assert.equal(await main(['check', '--config', file], io), 1);
    assert.deepEqual(io.stderr, [`error: ${file}:2: lb_kind: 'XX' is not one of DR, NAT, TUN, FNAT`]);
  });

  describe('run (fake director, fake system)', () => {
    const healthyReader: SystemReader = {
      readFile: (p) => ({ '/proc/self/status': 'CapEff:\t000001ffffffffff\n', '/sys/class/net/eth0/ifindex': '2' } as Record<string, string>)[p] ?? null,
      listDir: () => ['eth0', 'lo'],
      addresses: () => [],
    };
    function fakeDeps(reader: SystemReader, failStart = false): RunDeps & { made: DirectorOptions[]; calls: string[] } {
      const made: DirectorOptions[] = [];
      const calls: string[] = [];
      return {
        made,
        calls,
        reader: () => reader,
        createDirector: async (options): Promise<RunnableDirector> => {
          made.push(options);
          return {
            start: async () => {
              calls.push('start');
              if (failStart) throw new Error('no such device');
            },
            stop: async () => void calls.push('stop'),
            stats: () => ({ connections: 7 } as unknown as DirectorStats),
          };
        },
      };
    }

    it('loads the config, passes preflight, starts, prints stats on signal and stops: exit 0', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader);
      const done = runCommand(['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--local-address', '198.19.0.2'], io, deps);
      await new Promise((r) => setImmediate(r));
      io.signal();
      assert.equal(await done, 0);
      assert.deepEqual(deps.calls, ['start', 'stop']);
      const opts = deps.made[0]!;
      assert.deepEqual([opts.interface, opts.tap, opts.localAddress, opts.config.virtualServers.length], ['eth0', undefined, '198.19.0.2', 1]);
      assert.deepEqual(io.stdout, ['director: SIGTERM, stopping', 'stats: {"connections":7}']);
    });

    it('passes --io and --rx-ring through to the director', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader);
      const done = runCommand(['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--io', 'auto', '--rx-ring', 'frame'], io, deps);
      await new Promise((r) => setImmediate(r));
      io.signal();
      assert.equal(await done, 0);
      assert.deepEqual([deps.made[0]!.io, deps.made[0]!.rxRing], ['auto', 'frame']);
    });

    it('prints stats every --stats-interval seconds', async () => {
      const io = capture();
      const done = runCommand(['--config', path.join(dir, 'good.conf'), '--tap', 'dtap0', '--stats-interval', '0.02'], io, fakeDeps({ ...healthyReader, listDir: () => ['tun'] }));
      await new Promise((r) => setTimeout(r, 90));
      io.signal();
      assert.equal(await done, 0);
      assert.ok(io.stdout.filter((l) => l.startsWith('stats: ')).length >= 3, io.stdout.join('\n'));
    });

    it('a preflight error means nothing is started: exit 1', async () => {
      const io = capture();
      const deps = fakeDeps({ ...healthyReader, readFile: (p) => (p === '/proc/sys/net/ipv4/ip_forward' ? '1' : healthyReader.readFile(p)) });
      assert.equal(await runCommand(['--config', path.join(dir, 'good.conf'), '--interface', 'eth0'], io, deps), 1);
      assert.deepEqual(deps.made, []);
      assert.deepEqual(io.stderr.slice(-2), [
        'error: net.ipv4.ip_forward=1: the kernel would also forward VIP traffic; turn it off: sysctl -w net.ipv4.ip_forward=0',
        'director not started: fix the errors above',
      ]);
    });

    it('a config error means nothing is started: exit 1', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader);
      assert.equal(await runCommand(['--config', path.join(dir, 'bad.conf'), '--interface', 'eth0'], io, deps), 1);
      assert.deepEqual(deps.made, []);
    });

    it('a start failure is reported, the director stopped: exit 1', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader, true);
      assert.equal(await runCommand(['--config', path.join(dir, 'good.conf'), '--interface', 'eth0'], io, deps), 1);
      assert.deepEqual(deps.calls, ['start', 'stop']);
      assert.equal(io.stderr.at(-1), 'error: director failed to start: no such device');
    });
  });
});
