// Checkers without a network: HTTP answer and agent reply judging, MISC_CHECK scripts (exit
// codes, misc_dynamic, timeout kills the group), the runner's JSON-lines protocol, and the child
// executor running its runner in this namespace (and what a dying runner answers). Socket
// checks run in test/netns/health-*.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { loggerFrom } from '../../src/log/logger.js';
import { judgeAgentReply } from '../../src/health/agent-check.js';
import { runCheck } from '../../src/health/checkers.js';
import { ChildExecutor, runnerArgv } from '../../src/health/executor.js';
import { judgeHttpAnswer } from '../../src/health/http-protocol.js';
import { judgeExit, miscCheck } from '../../src/health/misc-check.js';
import { serveChecks } from '../../src/health/runner.js';
import type { CheckOutcome, MiscCheckSpec } from '../../src/health/types.js';

const misc = (path: string, timeout = 5, dynamic = false): MiscCheckSpec => ({
  kind: 'misc', path, timeout, dynamic, runAs: { user: null, group: null, defaultUser: null, secure: false },
});

describe('health checkers: judging answers', () => {
  const url = { path: '/healthz', statusCodes: [[200, 200], [301, 302]] as Array<[number, number]>, digest: null };
  const table: Array<[string, Parameters<typeof judgeHttpAnswer>, string | null]> = [
    ['status in the list passes', [url, { status: 200, md5: 'x' }], null],
    ['status in a range passes', [url, { status: 302, md5: 'x' }], null],
    ['status outside fails, naming what was expected', [url, { status: 500, md5: 'x' }], 'status 500, expected 200 301-302'],
    ['digest must match', [{ ...url, digest: 'a'.repeat(32) }, { status: 200, md5: 'b'.repeat(32) }], `digest ${'b'.repeat(32)}, expected ${'a'.repeat(32)}`],
    ['matching digest passes', [{ ...url, digest: 'a'.repeat(32) }, { status: 200, md5: 'a'.repeat(32) }], null],
  ];
  for (const [title, args, want] of table) it(`HTTP: ${title}`, () => assert.equal(judgeHttpAnswer(...args), want));

  const agent: Array<[string, boolean, unknown]> = [
    ['75%\n', true, { kind: 'percent', percent: 75 }],
    ['up\n', true, undefined],
    ['ready 30%\n', true, { kind: 'percent', percent: 30 }],
    ['drain\n', true, { kind: 'percent', percent: 0 }],
    ['down\n', false, undefined],
    ['up 50%, maint\n', false, undefined],
    ['bogus\n', false, undefined],
    ['', false, undefined],
  ];
  for (const [reply, ok, load] of agent) {
    it(`agent reply ${JSON.stringify(reply)} -> ${ok ? 'pass' : 'fail'}`, () => {
      const r = judgeAgentReply(reply, performance.now());
      assert.equal(r.ok, ok, r.detail);
      assert.deepEqual(r.load, load);
    });
  }

  it('misc exit codes, keepalived rules (with and without misc_dynamic)', () => {
    const plain = misc('s');
    const dyn = misc('s', 5, true);
    assert.deepEqual([0, 1, 2, 7].map((c) => judgeExit(plain, c, 0).ok), [true, false, false, false]);
    assert.deepEqual([0, 1, 2, 52, 255].map((c) => [judgeExit(dyn, c, 0).ok, judgeExit(dyn, c, 0).load]), [
      [true, { kind: 'percent', percent: 100 }],
      [false, undefined],
      [true, { kind: 'weight', weight: 0 }],
      [true, { kind: 'weight', weight: 50 }],
      [true, { kind: 'weight', weight: 253 }],
    ]);
  });
});

describe('health checkers: MISC_CHECK scripts (local processes, no network)', () => {
  it('exit 0 passes, exit 1 fails with the status in the detail', async () => {
    assert.equal((await miscCheck(misc('exit 0'))).ok, true);
    const r = await miscCheck(misc('exit 1'));
    assert.deepEqual([r.ok, r.detail], [false, 'exit 1 exited with status 1']);
  });

  it('MISC_CHECK user: the script runs as that user (needs root)', async () => {
    const spec = { ...misc('test "$(id -u):$(id -g)" = 65534:65534'), runAs: { user: 'nobody', group: null, defaultUser: null, secure: false } };
    assert.equal((await miscCheck(spec)).ok, true);
    const refused = await miscCheck({ ...spec, runAs: { ...spec.runAs, user: 'no-such-user-x' } });
    assert.deepEqual([refused.ok, refused.detail], [false, `${spec.path} not run: script user 'no-such-user-x' does not exist`]);
  });

  it('misc_dynamic: exit 42 passes with weight 40', async () => {
    const r = await miscCheck(misc('exit 42', 5, true));
    assert.deepEqual([r.ok, r.load], [true, { kind: 'weight', weight: 40 }]);
  });

  it('a script over misc_timeout fails and its whole process group is killed', async function () {
    this.timeout(20_000);
    const started = Date.now();
    const r = await miscCheck(misc('sleep 30 & sleep 30; exit 0', 0.3));
    assert.deepEqual([r.ok, r.detail], [false, 'sleep 30 & sleep 30; exit 0 timed out after 0.3 s']);
    // Far below the scripts' own 30 s: the kill, not the scripts' end, finished the check.
    assert.ok(Date.now() - started < 15_000);
  });

  it('a missing script fails without being started, never throws', async () => {
    const r = await runCheck(misc('/nonexistent/check-script'));
    assert.deepEqual([r.ok, r.detail], [false, "/nonexistent/check-script not run: '/nonexistent/check-script' cannot be accessed (ENOENT)"]);
  });
});

describe('health runner protocol (JSON lines)', () => {
  it('answers each request by id, reports bad lines, ends when input ends', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d: Buffer) => { text += d.toString(); });
    const done = serveChecks(input, output);
    input.write(`${JSON.stringify({ id: 1, spec: misc('exit 1') })}\n`);
    input.write('not json\n');
    input.write(`${JSON.stringify({ id: 2, spec: misc('exit 0') })}\n`);
    input.end();
    await done;
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { id: number; result?: { ok: boolean }; error?: string });
    const byId = new Map(lines.map((l) => [l.id, l]));
    assert.equal(byId.get(1)?.result?.ok, false);
    assert.equal(byId.get(2)?.result?.ok, true);
    assert.match(byId.get(-1)?.error ?? '', /bad request line: not json/);
  });

  it('the child executor runs checks in a runner process and stops it', async function () {
    this.timeout(20_000);
    const log: string[] = [];
    const ex = new ChildExecutor({ log: loggerFrom((l) => log.push(l)) });
    const [a, b] = await Promise.all([ex.run(misc('exit 0')), ex.run(misc('exit 3', 5, true))]);
    assert.equal(a.ok, true, JSON.stringify(log));
    assert.deepEqual(b.ok === true ? b.load : b, { kind: 'weight', weight: 1 });
    await ex.close();
    assert.equal((await ex.run(misc('exit 0'))).detail, 'health checks stopped');
    assert.ok(runnerArgv().at(-1)!.match(/runner\.(ts|js)$/));
  });

  it('a runner that dies: its checks did not run (not failed), and it comes back', async function () {
    this.timeout(30_000);
    const log: string[] = [];
    const ex = new ChildExecutor({ log: loggerFrom((l) => log.push(l)) });
    try {
      assert.equal((await ex.run(misc('exit 0'))).ok, true, JSON.stringify(log));
      const inFlight = ex.run(misc('sleep 20'));
      const runners = childrenOf(process.pid).filter((c) => /runner\.(ts|js)/.test(c.cmdline));
      assert.equal(runners.length, 1, JSON.stringify(runners));
      const runner = runners[0]!.pid;
      let script: number[] = [];
      for (const until = Date.now() + 10_000; script.length === 0 && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 20));
        script = childrenOf(runner).map((c) => c.pid);
      }
      assert.equal(script.length, 1, 'the runner started the script');
      process.kill(runner, 'SIGKILL');
      // A killed runner cannot end its script's process group; this test does.
      for (const pid of script) process.kill(-pid, 'SIGKILL');
      const lost = await inFlight;
      assert.deepEqual([lost.ok, lost.detail], [null, 'checker process exited (SIGKILL)']);
      // Until the runner is back (at most one start a second), checks do not run; then they do.
      const seen: CheckOutcome[] = [];
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && seen.at(-1)?.ok !== true) {
        seen.push(await ex.run(misc('exit 0')));
        if (seen.at(-1)?.ok === null) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(seen.at(-1)?.ok, true, JSON.stringify(seen));
      for (const o of seen.slice(0, -1)) assert.deepEqual([o.ok, o.detail], [null, 'checker process restarting']);
    } finally {
      await ex.close();
    }
  });
});

/** The child processes of parent (pid and command line), from /proc. */
function childrenOf(parent: number): Array<{ pid: number; cmdline: string }> {
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Fields after the command name, which sits in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      out.push({ pid: Number(name), cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
