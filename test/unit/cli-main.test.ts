// CLI: argument parsing, help for every command, exit statuses (0 ok, 1 failure, 2 usage),
// `check` output, and `run` driven with a fake director and a fake system reader.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { helpText, parseCommand, synopsisLines, UsageError, wantsHelp, type CommandDef } from '../../src/cli/args.js';
import { execute } from '../../src/cli/command.js';
import { runCommandWith, type RunDeps, type RunnableDirector } from '../../src/cli/run.js';
import { loadAddon } from '../../src/native/binding.js';
import type { CliIo } from '../../src/cli/io.js';
import type { DirectorConfig } from '../../src/config/model.js';
import type { DirectorOptions, DirectorStats } from '../../src/director.js';
import type { SystemReader } from '../../src/preflight/reader.js';
import { waitUntil } from '../support/wait.js';
import { listServices } from '../../src/adm/list-services.js';
import { NO_NAMES } from '../../src/adm/names.js';
import type { ListFormat } from '../../src/adm/commands.js';
import { SNAPSHOT } from '../fixtures/adm/data.js';
import { topLines } from '../../src/top/screen.js';

/** The fake director's stats: what run prints, and what top joins to the snapshot. */
const FAKE_STATS = { uptimeSeconds: 3, connections: 7, services: [], drops: {} } as unknown as DirectorStats;

const LIST_NUMERIC: ListFormat = {
  numeric: true, stats: false, rate: false, thresholds: false, persistentConn: false, tunInfo: false, exact: false, nosort: false, laddrInfo: false,
};

interface Captured extends CliIo {
  stdout: string[];
  stderr: string[];
  signal: () => void;
  /** Sends a SIGHUP to whoever listens; false when nobody does. */
  hangup: () => boolean;
}

function capture(): Captured {
  let fire: (s: string) => void = () => {};
  const waiting = new Promise<string>((resolve) => (fire = resolve));
  const listeners = new Set<() => void>();
  const io: Captured = {
    stdout: [],
    stderr: [],
    out: (l) => void io.stdout.push(l),
    err: (l) => void io.stderr.push(l),
    waitForSignal: () => waiting,
    signal: () => fire('SIGTERM'),
    onHangup: (handler) => {
      listeners.add(handler);
      return () => void listeners.delete(handler);
    },
    hangup: () => {
      listeners.forEach((l) => l());
      return listeners.size > 0;
    },
  };
  return io;
}

/** What run logged on stderr, one JSON object a line (capture() is no terminal). */
function logLines(io: Captured): Array<Record<string, string>> {
  return io.stderr.map((l) => JSON.parse(l) as Record<string, string>);
}

const GOOD = `virtual_server 198.19.0.100 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 198.19.0.11 80 { weight 2 }
  real_server 198.19.0.12 80 { TCP_CHECK { connect_timeout 3 } }
}
`;

describe('cli: argument parsing (util.parseArgs under one option table)', () => {
  const def: CommandDef = {
    name: 'demo', summary: 's', about: 'a',
    options: { config: { value: 'FILE', required: true, help: 'h' }, check: { help: 'h' }, io: { choices: ['xdp', 'packet'], help: 'h' } },
  };
  it('takes --name value, --name=value, flags (false when absent) and choices', () => {
    assert.deepEqual(parseCommand(def, ['--config', 'a.conf', '--check']), { config: 'a.conf', check: true });
    assert.deepEqual(parseCommand(def, ['--config=b.conf', '--io', 'xdp']), { config: 'b.conf', io: 'xdp', check: false });
  });
  const bad: Array<[string[], string]> = [
    [['--config'], "option '--config' needs a value (FILE)"],
    [['--config', '--check'], "option '--config' needs a value (FILE)"],
    [['--config='], "option '--config' needs a value (FILE)"],
    [['--nope'], "unknown option '--nope'"],
    [['-x'], "unknown option '-x'"],
    [['--check=1', '--config', 'a'], "option '--check' takes no value"],
    [[], "missing required option '--config'"],
    [['--config', 'a', '--config', 'b'], "option '--config' given twice"],
    [['--config', 'a', 'extra'], "unexpected argument 'extra'"],
    [['--config', 'a', '--io', 'tap'], "option '--io' must be xdp or packet, got 'tap'"],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${JSON.stringify(argv)}`, () => {
      assert.throws(() => parseCommand(def, argv), (e: unknown) => e instanceof UsageError && e.message === message);
    });
  }
  it("names the commands an option belongs to when given to another", () => {
    assert.throws(() => parseCommand(def, ['--config', 'a', '--mode', 'dr'], () => ['lab up', 'lab demo']),
      (e: unknown) => e instanceof UsageError && e.message === "option '--mode' does not apply to 'demo' (it belongs to lab up, lab demo)");
  });
  it('sees -h and --help anywhere before --', () => {
    assert.deepEqual([wantsHelp(['--config', 'a', '-h']), wantsHelp(['--help']), wantsHelp(['--', '--help']), wantsHelp([])], [true, true, false, false]);
  });
  it('generates usage from the table: required bare, optional in brackets, choices joined', () => {
    assert.deepEqual(synopsisLines(def, 'usage:'), ['usage: director demo --config FILE [--check] [--io xdp|packet]']);
    assert.match(helpText(def), /^ {2}--io xdp\|packet {2}h$/m);
    assert.match(helpText(def), /^ {2}-h, --help {7}this text$/m);
  });
});

describe('cli: commands, help and exit statuses', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `director-cli-${process.pid}-`));
    fs.writeFileSync(path.join(dir, 'good.conf'), GOOD);
    fs.writeFileSync(path.join(dir, 'bad.conf'), 'virtual_server 198.19.0.100 80 {\n lb_kind XX\n}\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Every command and subcommand, with the options its help must list (README's list). */
  const COMMANDS: Array<[string, string[]]> = [
    ['run', ['config', 'config-id', 'interface', 'tap', 'io', 'rx-ring', 'workers', 'netns', 'local-address', 'stats-interval', 'state-file',
      'state-max-age', 'sloppy-tcp', 'sync-role', 'sync-peer', 'allow-unchecked', 'metrics', 'bird-routes', 'birdc', 'join-sync-wait', 'log-format', 'log-level', 'user', 'keep-privileges', 'control']],
    ['reload', ['control', 'netns', 'config']],
    ['top', ['control', 'netns', 'interval', 'once']],
    ['check', ['config', 'config-id', 'strict', 'json', 'skip-scripts', 'allow-unchecked']],
    ['realserver setup', ['vip', 'mode', 'interface', 'check']],
    ['realserver teardown', ['vip']],
    ['lab up', ['mode', 'servers', 'prefix', 'offloads', 'ipv6', 'no-director', 'json']],
    ['lab demo', ['mode', 'servers', 'connections', 'prefix', 'offloads', 'ipv6', 'process', 'ha', 'ecmp']],
    ['lab down', ['prefix']],
    ['lab status', []],
  ];
  for (const [name, options] of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`director ${name} ${flag} prints its usage and every option, exit 0`, async () => {
        const io = capture();
        assert.equal(await main([...name.split(' '), flag], io), 0);
        const text = io.stdout.join('\n');
        assert.ok(text.startsWith(`usage: director ${name}`), text);
        const listed = [...text.matchAll(/^ {2}(?:-[a-z], )?--([a-z0-9-]+)/gm)].map((m) => m[1]);
        assert.deepEqual(listed, [...options, 'help']);
        assert.deepEqual(io.stderr, []);
      });
    }
  }
  for (const [argv, first] of [[['--help'], 'usage: director COMMAND'], [['-h'], 'usage: director COMMAND'],
    [['lab', '--help'], 'usage: director lab up'], [['lab', '-h'], 'usage: director lab up'],
    [['realserver', '--help'], 'usage: director realserver setup']] as const) {
    it(`director ${argv.join(' ')} lists the (sub)commands, exit 0`, async () => {
      const io = capture();
      assert.equal(await main(argv, io), 0);
      assert.ok(io.stdout.join('\n').startsWith(first), io.stdout.join('\n'));
    });
  }
  it('director --help lists every command', async () => {
    const io = capture();
    await main(['--help'], io);
    for (const c of ['run', 'check', 'adm', 'reload', 'top', 'realserver', 'lab']) assert.match(io.stdout.join('\n'), new RegExp(`^ {2}${c} +\\S`, 'm'));
  });

  it('director --version prints the version and whether AF_XDP is built', async () => {
    const io = capture();
    assert.equal(await main(['--version'], io), 0);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { name: string; version: string };
    assert.equal(io.stdout[0], `director ${pkg.version} (${pkg.name}, node ${process.version})`);
    const xdp = loadAddon().xdpBuilt ? /, AF_XDP$/ : /AF_XDP not built/;
    assert.match(io.stdout[1] ?? '', xdp);
  });

  it("docs/lab.md shows the usage lines that director lab --help prints", async () => {
    const io = capture();
    await main(['lab', '--help'], io);
    const usageLines = io.stdout.join('\n').split('\n\n')[0] ?? '';
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'lab.md'), 'utf8');
    assert.ok(doc.includes('```\n' + usageLines + '\n```'), usageLines);
  });

  it("docs/running.md's option table lists exactly director run's options", async () => {
    const io = capture();
    await main(['run', '--help'], io);
    const fromHelp = [...io.stdout.join('\n').matchAll(/^ {2}(?:-[a-z], )?--([a-z-]+)/gm)].map((m) => m[1]).filter((o) => o !== 'help');
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'running.md'), 'utf8');
    const fromDoc = [...doc.matchAll(/^\| `--([a-z-]+)[^`]*` \|/gm)].map((m) => m[1]);
    assert.deepEqual(fromDoc, fromHelp);
  });

  const usage: Array<[string[], RegExp]> = [
    // No arguments at all: the command's usage.
    [[], /^director: missing command; see director --help\nusage: director COMMAND/],
    [['lab'], /^director lab: missing subcommand \(up, demo, down, status\); see director lab --help\nusage: director lab up /],
    [['realserver'], /^director realserver: missing subcommand \(setup, teardown\).*\nusage: director realserver setup /],
    [['run'], /^director run: missing required option '--config'; see director run --help\nusage: director run --config FILE/],
    [['realserver', 'setup'], /^director realserver setup: missing required option '--vip'.*\nusage: director realserver setup --vip VIP/],
    [['realserver', 'setup', '--vip', '198.19.0.100'], /^director realserver setup: missing required option '--mode'/],
    [['realserver', 'teardown'], /^director realserver teardown: missing required option '--vip'/],
    // Unknown flags and flags of another (sub)command.
    [['--frob'], /^director: unknown option '--frob'/],
    [['frob'], /unknown command 'frob'/],
    [['lab', 'up', '--bogus'], /^director lab up: unknown option '--bogus'; see director lab up --help\nusage: director lab up /],
    [['lab', 'down', '--mode', 'dr'],
      /^director lab down: option '--mode' does not apply to 'lab down' \(it belongs to realserver setup, lab up, lab demo\); see director lab down --help/],
    [['lab', 'status', '--prefix', 'x'], /^director lab status: option '--prefix' does not apply to 'lab status'/],
    [['lab', 'up', '--connections', '5'], /option '--connections' does not apply to 'lab up' \(it belongs to lab demo\)/],
    [['check', '--config', 'x', '--interface', 'eth0'], /option '--interface' does not apply to 'check' \(it belongs to run, realserver setup\)/],
    [['realserver', 'teardown', '--vip', '198.19.0.100', '--check'], /option '--check' does not apply to 'realserver teardown'/],
    [['lab', 'sideways'], /unknown lab subcommand 'sideways'/],
    [['realserver', 'reboot'], /unknown realserver subcommand 'reboot'/],
    // Values.
    [['lab', 'up', '--mode', 'xyz'], /option '--mode' must be dr, nat, tun, fnat or fullnat, got 'xyz'/],
    [['lab', 'up', '--servers', '0'], /option '--servers' must be an integer 1\.\.40, got '0'/],
    [['lab', 'demo', '--prefix', '9x'], /option '--prefix' must be 1-12 of a-z/],
    [['lab', 'demo', '--ipv6', '--ha'], /--ipv6 does not go with --ha: the failover demo runs over IPv4 only/],
    [['run', '--config', 'x.conf'], /give exactly one of --interface IF or --tap NAME/],
    [['run', '--config', 'x.conf', '--interface', 'a', '--tap', 'b'], /give exactly one of/],
    [['run', '--config', 'x.conf', '--tap', 't', '--stats-interval', 'soon'], /'--stats-interval' must be a number of seconds/],
    [['run', '--config', 'x.conf', '--interface', 'eth0', '--rx-ring', 'fast'], /'--rx-ring' must be adaptive, block or frame, got 'fast'/],
    [['top', '--interval', 'soon'], /'--interval' must be a number of seconds, got 'soon'/],
    [['top', '--interval', '0.05'], /'--interval' must be at least 0.1 seconds, got '0.05'/],
    [['run', '--config', 'x.conf', '--tap', 't', '--rx-ring', 'frame'], /'--rx-ring' needs --interface/],
    [['run', '--config', 'x.conf', '--interface', 'eth0', '--workers', '0'], /'--workers' must be a whole number from 1 to 256, got '0'/],
    [['run', '--config', 'x.conf', '--interface', 'eth0', '--workers', '2x'], /'--workers' must be a whole number/],
    [['run', '--config', 'x.conf', '--tap', 't', '--workers', '2'], /'--workers' above 1 needs --interface with AF_PACKET/],
    [['run', '--config', 'x.conf', '--interface', 'eth0', '--io', 'xdp', '--workers', '2'], /'--workers' above 1 needs --interface with AF_PACKET/],
    [['run', '--config', 'x.conf', '--interface', 'eth0', '--rx-ring', 'adaptive', '--workers', '2'], /'--workers' above 1 takes --rx-ring block or frame/],
    [['run', '--config', 'x.conf', '--tap', 't', 'extra'], /unexpected argument 'extra'/],
    [['run', '--config', 'x.conf', '--tap', 't', '--metrics', 'localhost:9100'], /'--metrics' must be PORT, ADDR:PORT or \[ADDR6\]:PORT .*got 'localhost:9100'/],
    [['run', '--config', 'x.conf', '--tap', 't', '--metrics', '70000'], /'--metrics' must be PORT/],
    [['run', '--config', 'x.conf', '--tap', 't', '--log-format', 'xml'], /'--log-format' must be human or json, got 'xml'/],
    [['run', '--config', 'x.conf', '--tap', 't', '--log-level', 'loud'], /'--log-level' must be debug, info, warn or error/],
    [['realserver', 'setup', '--vip', '198.19.0.100', '--mode', 'nat'], /'--mode' must be dr or tun, got 'nat'/],
    [['realserver', 'setup', '--vip', '198.19.0.300', '--mode', 'dr'], /'--vip' must be an IPv4 or IPv6 address/],
    [['realserver', 'setup', '--vip', '198.19.0.100', '--mode', 'tun'], /--mode tun needs --interface/],
  ];
  for (const [argv, stderr] of usage) {
    it(`usage error exits 2: director ${argv.join(' ')}`, async () => {
      const io = capture();
      assert.equal(await main(argv, io), 2);
      assert.match(io.stderr.join('\n'), stderr);
      assert.deepEqual(io.stdout, []);
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
      '       no checker: always up',
      '  -> 198.19.0.12:80 DR weight 1',
      '       check TCP_CHECK 198.19.0.12:80',
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
    const control = (): string => path.join(dir, 'control.sock');
    const healthyReader: SystemReader = {
      readFile: (p) => ({ '/proc/self/status': 'CapEff:\t000001ffffffffff\n', '/sys/class/net/eth0/ifindex': '2' } as Record<string, string>)[p] ?? null,
      listDir: () => ['eth0', 'lo'],
      addresses: () => [],
    };
    interface FakeDeps extends RunDeps {
      made: DirectorOptions[];
      calls: string[];
      reloaded: DirectorConfig[];
      /** Resolves the pending start (when started with holdStart). */
      release: () => void;
    }
    function fakeDeps(reader: SystemReader, failStart = false, holdStart = false): FakeDeps {
      const made: DirectorOptions[] = [];
      const calls: string[] = [];
      const reloaded: DirectorConfig[] = [];
      let release = (): void => {};
      const held = holdStart ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      return {
        made,
        calls,
        reloaded,
        release: () => release(),
        reader: () => reader,
        startDirector: async (options): Promise<RunnableDirector> => {
          made.push(options);
          calls.push('start');
          await held;
          if (failStart) throw new Error('no such device');
          return {
            stop: async () => void calls.push('stop'),
            stats: () => FAKE_STATS,
            snapshot: () => SNAPSHOT,
            connections: () => [[]],
            edit: async (edits) => void calls.push(`edit ${edits.map((e) => e.kind).join(',')}`),
            reload: async (config) => {
              calls.push('reload');
              reloaded.push(config);
              return { ok: true, changes: [{ action: 'changed', details: [], message: 'a change' }] };
            },
            metrics: async () => 'director_connections 7\n',
          };
        },
      };
    }

    it('loads the config, passes preflight, starts, prints stats on signal and stops: exit 0', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader);
      const done = execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--local-address', '198.19.0.2', '--control', control()], io);
      await new Promise((r) => setImmediate(r));
      io.signal();
      assert.equal(await done, 0);
      assert.deepEqual(deps.calls, ['start', 'stop']);
      const opts = deps.made[0]!;
      assert.deepEqual([opts.interface, opts.tap, opts.localAddress, opts.config.virtualServers.length], ['eth0', undefined, '198.19.0.2', 1]);
      // Stats alone on stdout; the log (JSON: this io is no terminal) on stderr.
      // The daemon adds what its control socket turned down (nothing here).
      assert.deepEqual(io.stdout, [`stats: ${JSON.stringify({ ...FAKE_STATS, control: { rejected: {} } })}`]);
      const stop = logLines(io).find((l) => l.event === 'stop');
      assert.deepEqual(stop && [stop.level, stop.msg, stop.signal], ['info', 'director: SIGTERM, stopping', 'SIGTERM']);
    });

    describe('privileges after setup', () => {
      const report = { user: 'nobody', uid: 65534, gid: 65534, capabilities: ['net_bind_service', 'net_raw'], kept: [], threads: 7 };
      function dropping(fail = false): FakeDeps {
        const deps = fakeDeps(healthyReader);
        deps.dropPrivileges = (r) => {
          // Everything privileged is open by now: the control socket listens.
          deps.calls.push(`drop ${r.user ?? '-'} ${r.kept.map((k) => k.name).join(',')} socket=${fs.existsSync(control())}`);
          if (fail) throw new Error('thread 12 still holds sys_admin after dropping privileges');
          return { ...report, kept: r.kept };
        };
        return deps;
      }

      it('drops them once the director, metrics and control socket are up; logged, and in stats', async () => {
        const io = capture();
        const deps = dropping();
        const done = execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control(), '--user', 'nobody'], io);
        await waitUntil('the drop', () => deps.calls.length >= 2);
        io.signal();
        assert.equal(await done, 0);
        assert.deepEqual(deps.calls, ['start', 'drop nobody net_bind_service,net_raw socket=true', 'stop']);
        const line = logLines(io).find((l) => l.event === 'privileges');
        assert.equal(line?.msg?.startsWith('privileges dropped: running as nobody (uid 65534, gid 65534), capabilities kept: net_bind_service, net_raw'), true, line?.msg);
        const stats = JSON.parse(io.stdout[0]!.slice('stats: '.length));
        assert.deepEqual([stats.privileges.user, stats.privileges.capabilities], ['nobody', ['net_bind_service', 'net_raw']]);
      });

      it('stops with exit 1 when the drop fails: no director runs in an unknown state of privilege', async () => {
        const io = capture();
        const deps = dropping(true);
        const code = await execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control()], io);
        assert.equal(code, 1);
        assert.deepEqual(deps.calls, ['start', 'drop - net_bind_service,net_raw socket=true', 'stop']);
        assert.match(logLines(io).find((l) => l.event === 'privileges')?.msg ?? '', /director stopped: thread 12 still holds sys_admin/);
        assert.equal(fs.existsSync(control()), false, 'the control socket went away');
      });

      it('keeps them with --keep-privileges or --netns, and says so', async () => {
        for (const [extra, why] of [[['--keep-privileges'], '--keep-privileges'], [['--netns', 'ns1'], '--netns: health checks']] as const) {
          const io = capture();
          const deps = dropping();
          const done = execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control(), ...extra], io);
          await waitUntil('started', () => logLines(io).some((l) => l.event === 'privileges'));
          io.signal();
          assert.equal(await done, 0);
          assert.deepEqual(deps.calls, ['start', 'stop']);
          assert.ok(logLines(io).find((l) => l.event === 'privileges')?.msg?.startsWith(`privileges kept: ${why}`));
        }
      });

      it('refuses --user with --netns or --keep-privileges (usage, exit 2)', async () => {
        for (const extra of [['--netns', 'ns1'], ['--keep-privileges']]) {
          const io = capture();
          const code = await execute(runCommandWith(dropping()), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control(), '--user', 'nobody', ...extra], io);
          assert.equal(code, 2);
          assert.match(io.stderr.join('\n'), /--user/);
        }
      });
    });

    it('logs human lines with --log-format human (and on a terminal by default), JSON otherwise', async () => {
      for (const [extra, tty, human] of [[['--log-format', 'human'], false, true], [[], true, true], [[], false, false],
        [['--log-format', 'json'], true, false]] as const) {
        const io = { ...capture(), errIsTTY: tty };
        const done = execute(runCommandWith(fakeDeps(healthyReader)), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control(), ...extra], io);
        await new Promise((r) => setImmediate(r));
        io.signal();
        assert.equal(await done, 0);
        const last = io.stderr.at(-1) ?? '';
        if (human) assert.match(last, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  director: SIGTERM, stopping event=stop signal=SIGTERM$/);
        else assert.equal(JSON.parse(last).msg, 'director: SIGTERM, stopping');
      }
    });

    it('--log-level warn leaves info lines out', async () => {
      const io = capture();
      const done = execute(runCommandWith(fakeDeps(healthyReader)), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control(), '--log-level', 'warn'], io);
      await new Promise((r) => setImmediate(r));
      io.signal();
      assert.equal(await done, 0);
      assert.deepEqual(logLines(io).filter((l) => l.level === 'info'), []);
    });

    it('a --metrics address it cannot bind stops the director again: exit 1', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader);
      // 198.18.0.77 is on no interface of this host: listen() fails at once, nothing is sent.
      const code = await execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control(), '--metrics', '198.18.0.77:9100'], io);
      assert.equal(code, 1);
      assert.deepEqual(deps.calls, ['start', 'stop']);
      assert.match(logLines(io).at(-1)?.msg ?? '', /^cannot serve metrics on 198\.18\.0\.77 port 9100: .*EADDRNOTAVAIL/);
    });

    it('serves adm and reload on its control socket while it runs, and removes the socket when it stops', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader);
      const done = execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control()], io);
      await waitUntil('the control socket served', () => logLines(io).some((l) => l.event === 'control'));
      assert.equal(fs.statSync(control()).mode & 0o777, 0o600);
      const list = capture();
      assert.equal(await main(['adm', '-L', '-n', '--control', control()], list), 0, list.stderr.join('\n'));
      assert.equal(list.stdout.join('\n') + '\n', listServices(SNAPSHOT, null, LIST_NUMERIC, NO_NAMES));
      const top = capture();
      assert.equal(await main(['top', '--control', control()], top), 0, top.stderr.join('\n'));
      assert.match(top.stdout[0] ?? '', new RegExp(`^director top  ${control()}  version \\S+  pid ${process.pid} `));
      assert.deepEqual(top.stdout.slice(4), topLines({
        socketPath: control(), daemon: { version: '', pid: 0 }, snapshot: SNAPSHOT, stats: FAKE_STATS, at: new Date(),
      }).slice(4), 'not a terminal: one snapshot, the fixture table');
      const add = capture();
      assert.equal(await main(['adm', '-A', '-t', '198.19.0.100:81', '--control', control()], add), 0, add.stderr.join('\n'));
      const reload = capture();
      assert.equal(await main(['reload', '--control', control()], reload), 0, reload.stderr.join('\n'));
      assert.deepEqual(reload.stdout, ['a change', `reload: ${path.join(dir, 'good.conf')}: 1 changes applied`]);
      const second = capture();
      assert.equal(await execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control()], second), 1);
      assert.match(second.stderr.join('\n'), /director not started: another director is running/);
      io.signal();
      assert.equal(await done, 0);
      assert.deepEqual(deps.calls, ['start', 'edit add-service', 'reload', 'stop']);
      assert.equal(deps.reloaded[0]?.virtualServers.length, 1, 'reload read the --config file again');
      assert.throws(() => fs.statSync(control()), /ENOENT/);
      const gone = capture();
      assert.equal(await main(['adm', '-L', '--control', control()], gone), 1);
      assert.match(gone.stderr.join('\n'), /no director is running with control socket/);
    });

    it('passes --io and --rx-ring through to the director', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader);
      const done = execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--io', 'auto', '--rx-ring', 'frame', '--control', control()], io);
      await new Promise((r) => setImmediate(r));
      io.signal();
      assert.equal(await done, 0);
      assert.deepEqual([deps.made[0]!.io, deps.made[0]!.rxRing], ['auto', 'frame']);
    });

    it('prints stats every --stats-interval seconds', async () => {
      const io = capture();
      const done = execute(runCommandWith(fakeDeps({ ...healthyReader, listDir: () => ['tun'] })), ['--config', path.join(dir, 'good.conf'), '--tap', 'dtap0', '--stats-interval', '0.02', '--control', control()], io);
      // Three intervals' worth of lines, however late a loaded machine runs the timer.
      await waitUntil('three stats lines', () => io.stdout.filter((l) => l.startsWith('stats: ')).length >= 3);
      io.signal();
      assert.equal(await done, 0);
      assert.ok(io.stdout.filter((l) => l.startsWith('stats: ')).length >= 3, io.stdout.join('\n'));
    });

    it('SIGHUP re-reads the config file and reloads it; a file that does not load changes nothing', async () => {
      const file = path.join(dir, 'reload.conf');
      fs.writeFileSync(file, GOOD);
      const io = capture();
      const deps = fakeDeps(healthyReader);
      const done = execute(runCommandWith(deps), ['--config', file, '--interface', 'eth0', '--control', control()], io);
      await waitUntil('the director running', () => logLines(io).some((l) => l.event === 'control'));
      fs.writeFileSync(file, GOOD.replace('weight 2', 'weight 5'));
      assert.ok(io.hangup(), 'run listens for SIGHUP');
      await waitUntil('the reload', () => deps.reloaded.length === 1);
      assert.deepEqual(deps.reloaded.map((c) => c.virtualServers[0]!.realServers[0]!.weight), [5]);
      fs.writeFileSync(file, 'virtual_server 198.19.0.100 80 {\n lb_algo nope\n}\n');
      io.hangup();
      await waitUntil('the rejection', () => logLines(io).at(-1)?.msg?.startsWith('reload: configuration rejected') === true);
      assert.equal(deps.reloaded.length, 1, 'a config that does not load never reaches the director');
      assert.deepEqual(logLines(io).slice(-1).map((l) => [l.level, l.msg]), [
        ['warn', `reload: configuration rejected, the running one stays in force: ${file}:2: lb_algo: 'nope' is not one of rr, wrr, lc, wlc, sed, nq, lblc, lblcr, dh, sh, mh, fo, ovf, twos`],
      ]);
      io.signal();
      assert.equal(await done, 0);
      assert.deepEqual(deps.calls, ['start', 'reload', 'stop']);
      assert.equal(io.hangup(), false, 'no longer listening once stopped');
    });

    it('a SIGHUP while the director starts is applied once it runs', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader, false, true);
      const done = execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control()], io);
      await waitUntil('the director starting', () => deps.calls.length > 0);
      assert.ok(io.hangup());
      assert.deepEqual(deps.calls, ['start']);
      deps.release();
      await waitUntil('the reload once it runs', () => deps.calls.includes('reload'));
      io.signal();
      assert.equal(await done, 0);
      assert.deepEqual(deps.calls, ['start', 'reload', 'stop']);
    });

    it('a preflight error means nothing is started: exit 1', async () => {
      const io = capture();
      const deps = fakeDeps({ ...healthyReader, readFile: (p) => (p === '/proc/sys/net/ipv4/ip_forward' ? '1' : healthyReader.readFile(p)) });
      assert.equal(await execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control()], io), 1);
      assert.deepEqual(deps.made, []);
      assert.deepEqual(logLines(io).slice(-2).map((l) => [l.level, l.msg]), [
        ['error', 'net.ipv4.ip_forward=1: the kernel would also forward VIP traffic; turn it off: sysctl -w net.ipv4.ip_forward=0'],
        ['error', 'director not started: fix the errors above'],
      ]);
    });

    it('a config error means nothing is started: exit 1', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader);
      assert.equal(await execute(runCommandWith(deps), ['--config', path.join(dir, 'bad.conf'), '--interface', 'eth0', '--control', control()], io), 1);
      assert.deepEqual(deps.made, []);
      assert.deepEqual(logLines(io).map((l) => [l.level, l.event]), [['error', 'config']]);
    });

    it('a start failure is reported (the director released what it opened): exit 1', async () => {
      const io = capture();
      const deps = fakeDeps(healthyReader, true);
      assert.equal(await execute(runCommandWith(deps), ['--config', path.join(dir, 'good.conf'), '--interface', 'eth0', '--control', control()], io), 1);
      assert.deepEqual(deps.calls, ['start']);
      assert.deepEqual([logLines(io).at(-1)?.level, logLines(io).at(-1)?.msg], ['error', 'director failed to start: no such device']);
    });
  });
});
