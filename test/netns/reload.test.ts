// Live reload in a netns lab (needs root: creates network namespaces), in DR and NAT: a long
// TCP stream through the VIP survives three reloads (a server added, a weight changed, the
// stream's own server removed) with every byte checked; bad reloads (a syntax error, an unknown
// scheduler, a real server without a route) change nothing; and `director run` reloads its
// --config file on SIGHUP, refusing a broken one and running on.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reloadConfigFile } from '../../src/cli/run-control.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { loggerFrom } from '../../src/log/logger.js';
import type { Director } from '../../src/director.js';
import { loadDirectorClass, startProcess, waitForVip, type LabDirector } from '../../src/lab/director-runner.js';
import { countHttp, runClient } from '../../src/lab/services.js';
import type { LabHost } from '../../src/lab/topology.js';
import { withLab, type LabFixture } from '../support/netns.js';
import { conf, type RsSpec } from '../support/reload-conf.js';
import { statsOf, unexpectedDrops } from '../support/routed-e2e.js';

/** The stream: this many bytes, read at most this fast, held open before its last TAIL bytes. */
const BYTES = 32_000_000;
const RATE = 4_000_000;
const TAIL = 4_000_000;

/** The lab's keepalived.conf: wrr over the given servers and weights, plus extra real servers. */
function labConf(fx: LabFixture, servers: Array<[LabHost, number]>, extra: RsSpec[] = []): string {
  const kind = fx.lab.mode.toUpperCase();
  return conf({
    vip: fx.lab.vip, sched: 'wrr', kind, body: 'delay_loop 6',
    rs: [...servers.map(([h, w]) => ({ addr: h.address, body: `weight ${w}` })), ...extra],
  });
}

/** Polls get() until it returns a value, for at most timeoutMs. */
async function eventually<T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tempDir(fx: LabFixture): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `director-reload-${fx.lab.prefix}-`));
  fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const mode of ['dr', 'nat'] as const) {
  describe(`live reload, ${mode.toUpperCase()} (needs root: creates network namespaces)`, function () {
    this.timeout(180_000);
    const fx = withLab({ mode, servers: 4 });
    const log: string[] = [];
    let director: Director | null = null;
    let dir = '';
    const first = (): Array<[LabHost, number]> => fx.lab.realServers.slice(0, 3).map((h) => [h, 1]);

    before(async function () {
      this.timeout(30_000);
      dir = tempDir(fx);
      const host = fx.lab.directors[0]!;
      const Director = await loadDirectorClass();
      const d = await Director.start({
        config: parseKeepalivedConfig(labConf(fx, first()), 'lab.conf'), interface: host.ifname, netns: host.ns,
        localAddress: host.address, log: (l) => log.push(l),
      });
      director = d;
      fx.cleanup.first(() => d.stop());
      await waitForVip(fx.lab);
    });

    it('a bad reload (syntax error, unknown scheduler, real server without a route) changes nothing', async () => {
      const d = director!;
      const file = path.join(dir, 'keepalived.conf');
      const good = labConf(fx, first());
      const logger = loggerFrom((msg) => log.push(msg));
      const running = (): string => JSON.stringify({ services: d.stats().services, connections: d.stats().connections });
      const before = running();
      const bad: Array<[string, string, RegExp]> = [
        ['a syntax error', `${good}virtual_server ${fx.lab.vip} 81 {\n`, /keepalived\.conf:\d+: virtual_server: block opened here is never closed/],
        ['an unknown scheduler', good.replace('lb_algo wrr', 'lb_algo nope'), /keepalived\.conf:3: lb_algo: 'nope' is not one of/],
        ['a new real server without a route', labConf(fx, first(), [{ addr: '198.19.7.11', body: 'weight 1\n  lb_kind NAT' }]),
          /^no route to real server 198\.19\.7\.11 \(tcp 198\.19\.0\.100:80 198\.19\.7\.11:80\)$/],
      ];
      for (const [what, text, why] of bad) {
        writeFileSync(file, text);
        const r = await reloadConfigFile(d, file, logger);
        assert.equal(r.ok, false, what);
        assert.match(r.error ?? '', why, what);
        assert.equal(running(), before, `${what}: services, real servers and counters as before`);
      }
      assert.equal(log.filter((l) => l.startsWith('reload: configuration rejected, the running one stays in force: ')).length, 3);
      const r = await countHttp(fx.lab, fx.lab.vip, 9);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.counts, { rs1: 3, rs2: 3, rs3: 3 });
    });

    it(`a long TCP stream survives three reloads (add, change a weight, remove its server) with no byte lost`, async () => {
      const d = director!;
      const { lab } = fx;
      const [rs1, rs2, rs3, rs4] = lab.realServers as [LabHost, LabHost, LabHost, LabHost];
      const vs = `TCP ${lab.vip}:80`;
      const kind = mode.toUpperCase();
      const release = path.join(dir, 'release');
      let done = false;
      const stream = runClient(lab.client.ns, 'http-client.js', ['download', '--target', `${lab.vip}:80`, '--bytes', String(BYTES),
        '--seed', '11', '--rate', String(RATE), '--hold', release, '--hold-at', String(BYTES - TAIL), '--timeout', '150000'], 160_000)
        .finally(() => { done = true; });
      // The stream's server is the one with an established connection.
      const address = await eventually(() => d.stats().services[0]!.realServers.find((r) => r.activeConns > 0)?.address, 20_000, 'established stream');
      const carrier = lab.realServers.find((h) => h.address === address)!;
      const took: number[] = [];
      const messages = async (servers: Array<[LabHost, number]>): Promise<string[]> => {
        const t0 = performance.now();
        const r = await d.reload(parseKeepalivedConfig(labConf(fx, servers), 'lab.conf'));
        took.push(Math.round(performance.now() - t0));
        assert.ok(r.ok, r.error);
        return r.changes.map((c) => c.message);
      };
      const spread = async (n: number): Promise<Record<string, number>> => {
        const r = await countHttp(lab, lab.vip, n);
        assert.ok(r.ok, JSON.stringify(r.result));
        return r.counts;
      };

      assert.deepEqual(await messages([[rs1, 1], [rs2, 1], [rs3, 1], [rs4, 1]]), [`Adding service ${rs4.address}:80 to VS ${vs} (weight 1, ${kind})`]);
      assert.deepEqual(await spread(8), { rs1: 2, rs2: 2, rs3: 2, rs4: 2 });

      const heavier: Array<[LabHost, number]> = [rs1, rs2, rs3, rs4].map((h) => [h, h === carrier ? 3 : 1]);
      assert.deepEqual(await messages(heavier), [`Changing service ${carrier.address}:80 in VS ${vs}: weight 1 -> 3`]);
      assert.deepEqual(await spread(12), Object.fromEntries([rs1, rs2, rs3, rs4].map((h) => [h.name, h === carrier ? 6 : 2])));

      const rest = [rs1, rs2, rs3, rs4].filter((h) => h !== carrier);
      // The stream, and the closed HTTP connections of the counts above until they time out.
      const [removed, ...more] = await messages(rest.map((h) => [h, 1]));
      assert.deepEqual(more, []);
      assert.match(removed!, / \(draining \d+ connections\)$/);
      assert.ok(removed!.startsWith(`Removing service ${carrier.address}:80 from VS ${vs} `), removed);
      assert.deepEqual(await spread(6), Object.fromEntries(rest.map((h) => [h.name, 2])), `nothing new for ${carrier.name}`);

      assert.equal(done, false, 'the stream is still open after the third reload');
      writeFileSync(release, '');
      const r = await stream;
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual([r.result.bytes, r.result.server], [BYTES, carrier.name], 'every byte, in order, from the server it started on');
      console.log(`      ${BYTES / 1e6} MB from ${carrier.name} in ${String(r.result.ms)} ms across 3 reloads of ${took.join(', ')} ms`);
      assert.deepEqual(unexpectedDrops(statsOf({ stats: () => d.stats() } as LabDirector)), {});
    });
  });
}

describe('director run reloads --config on SIGHUP (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 3 });
  let proc: LabDirector | null = null;
  let file = '';
  const servers = (n: number): Array<[LabHost, number]> => fx.lab.realServers.slice(0, n).map((h) => [h, 1]);

  before(async function () {
    this.timeout(30_000);
    file = path.join(tempDir(fx), 'keepalived.conf');
    writeFileSync(file, labConf(fx, servers(3)));
    proc = startProcess(fx.lab, file, fx.cleanup);
    await waitForVip(fx.lab, proc);
  });

  it('applies a changed file; refuses a broken one and runs on with the last good one', async () => {
    const p = proc!.process!;
    assert.deepEqual((await countHttp(fx.lab, fx.lab.vip, 9)).counts, { rs1: 3, rs2: 3, rs3: 3 });
    writeFileSync(file, labConf(fx, servers(2)));
    process.kill(p.pid, 'SIGHUP');
    await p.waitFor(/ reload: 1 changes applied /, 15_000, 'stderr');
    assert.match(p.stderr, / Removing service 198\.19\.0\.13:80 from VS TCP 198\.19\.0\.100:80 \((draining \d+|no) connections?\) /);
    assert.deepEqual((await countHttp(fx.lab, fx.lab.vip, 8)).counts, { rs1: 4, rs2: 4 });
    writeFileSync(file, 'virtual_server 198.19.0.100 80 {\n');
    process.kill(p.pid, 'SIGHUP');
    await p.waitFor(/ reload: configuration rejected, the running one stays in force: .*keepalived\.conf:1: virtual_server: block opened here is never closed/, 15_000, 'stderr');
    assert.ok(p.running, 'a HUP never ends the daemon');
    assert.deepEqual((await countHttp(fx.lab, fx.lab.vip, 8)).counts, { rs1: 4, rs2: 4 });
  });
});
