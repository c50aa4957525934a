// Least privilege of `director run` in a netns lab (needs root: creates network namespaces and
// starts the daemon as root, which then drops): once set up, the daemon runs as --user nobody
// (and once as uid 0) with only the capabilities it keeps, on every thread, as /proc shows;
// traffic still flows through the VIP, TCP, PING and MISC checks still run (a stopped server is
// marked down), the MISC_CHECK script runs as its user with no capability at all, and
// `director reload` still applies a changed config.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { DirectorStats } from '../../src/director-stats.js';
import { startProcess, waitForVip, type LabDirector } from '../../src/lab/director-runner.js';
import { countHttp } from '../../src/lab/services.js';
import type { LabHandle } from '../../src/lab/topology.js';
import { capture } from '../support/adm-director.js';
import { withLab, type LabFixture } from '../support/netns.js';
import { waitUntil } from '../support/wait.js';

/** setgid, setuid (the MISC_CHECK runs a script), net_bind_service, net_raw: bits 6, 7, 10, 13. */
const KEPT_MASK = '00000000000024c0';

interface ProcStatus { uid: string[]; capEff: string; capPrm: string; capBnd: string; capAmb: string; noNewPrivs: string }

function procStatus(file: string): ProcStatus {
  const text = readFileSync(file, 'utf8');
  const field = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return {
    uid: field('Uid').split(/\s+/), capEff: field('CapEff'), capPrm: field('CapPrm'), capBnd: field('CapBnd'),
    capAmb: field('CapAmb'), noNewPrivs: field('NoNewPrivs'),
  };
}

function config(lab: LabHandle, scriptLog: string, weight2: number): string {
  const [rs1, rs2] = lab.realServers as [LabHandle['realServers'][0], LabHandle['realServers'][0]];
  // The script records who runs it and what it holds, once per run.
  const script = `/bin/sh -c 'echo $(id -u) $(grep CapEff /proc/self/status) >> ${scriptLog}'`;
  return `virtual_server ${lab.vip} 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server ${rs1.address} 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 5
            retry 0
        }
        PING_CHECK {
        }
    }
    real_server ${rs2.address} 80 {
        weight ${weight2}
        MISC_CHECK {
            misc_path "${script}"
            misc_timeout 10
            user nobody
        }
    }
}
`;
}

const servers = (d: LabDirector): DirectorStats['services'][number]['realServers'] =>
  (d.stats() as DirectorStats | null)?.services[0]?.realServers ?? [];

function privilegeSuite(user: string | null): void {
  const who = user ?? 'uid 0';
  describe(`least privilege, director run ${user === null ? 'without --user' : `--user ${user}`} (needs root: creates network namespaces)`, function () {
    this.timeout(120_000);
    const fx: LabFixture = withLab({ mode: 'dr', servers: 2 });
    let dir = '';
    let director: LabDirector | null = null;
    const files = { conf: '', sock: '', scriptLog: '' };

    before(async function () {
      this.timeout(60_000);
      const lab = fx.lab;
      // Readable by the user for reloads; the script log writable by the script's user.
      dir = mkdtempSync(path.join(os.tmpdir(), `director-priv-${lab.prefix}-`));
      fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
      chmodSync(dir, 0o755);
      files.conf = path.join(dir, 'keepalived.conf');
      files.sock = path.join(dir, 'control', 'director.sock');
      files.scriptLog = path.join(dir, 'misc.log');
      writeFileSync(files.scriptLog, '');
      chmodSync(files.scriptLog, 0o666);
      writeFileSync(files.conf, config(lab, files.scriptLog, 1), { mode: 0o644 });
      const args = ['--control', files.sock, ...(user === null ? [] : ['--user', user])];
      const d = startProcess(lab, files.conf, fx.cleanup, { args });
      director = d;
      fx.cleanup.first(() => d.stop());
      await waitForVip(lab, d);
      await d.process!.waitFor(/privileges dropped/, 30_000, 'stderr');
    });

    it(`runs as ${who} with only the kept capabilities on every thread, no ambient ones, no_new_privs`, async function () {
      const pid = director!.process!.pid;
      const status = procStatus(`/proc/${pid}/status`);
      assert.deepEqual(status.uid, Array(4).fill(user === null ? '0' : '65534'));
      assert.deepEqual([status.capEff, status.capPrm, status.capBnd, status.capAmb, status.noNewPrivs], [KEPT_MASK, KEPT_MASK, KEPT_MASK, '0000000000000000', '1']);
      const allowed = BigInt(`0x${KEPT_MASK}`);
      const tasks = readdirSync(`/proc/${pid}/task`);
      for (const t of tasks) {
        const s = procStatus(`/proc/${pid}/task/${t}/status`);
        for (const mask of [s.capEff, s.capPrm]) assert.equal(BigInt(`0x${mask}`) & ~allowed, 0n, `thread ${t} holds ${mask}`);
      }
      assert.match(director!.process!.stderr,
        new RegExp(`privileges dropped: running as ${user ?? 'root'} \\(uid ${user === null ? 0 : 65534}, gid ${user === null ? 0 : 65534}\\), capabilities kept: setgid, setuid, net_bind_service, net_raw`));
      const shownNow = (): { capabilities: string[] } | undefined =>
        (director!.stats() as { privileges?: { capabilities: string[] } } | null)?.privileges;
      await waitUntil('a stats line with the privileges', () => shownNow() !== undefined);
      const shown = shownNow();
      assert.deepEqual(shown?.capabilities, ['setgid', 'setuid', 'net_bind_service', 'net_raw']);
      assert.equal(statSync(files.sock).mode & 0o777, 0o600, 'the control socket is 0600');
      console.log(`      ${tasks.length} threads checked, CapEff ${status.capEff}, uid ${status.uid[0]}`);
    });

    it('still forwards: 10 HTTP connections through the VIP, spread over both servers', async () => {
      const r = await countHttp(fx.lab, fx.lab.vip, 10);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.counts, { rs1: 5, rs2: 5 });
    });

    it('still runs its checks: TCP and PING (raw ICMP) pass, the MISC_CHECK script runs as nobody with no capability', async () => {
      await waitUntil('TCP and PING checks of rs1 and the MISC_CHECK of rs2 passed', () => {
        const [rs1, rs2] = servers(director!);
        return rs1?.health?.checks.every((c) => c.ok === true) === true && rs1.health.checks.length === 2 &&
          rs2?.health?.checks[0]?.ok === true;
      });
      await waitUntil('the script ran twice', () => readFileSync(files.scriptLog, 'utf8').trim().split('\n').length >= 2);
      const runs = readFileSync(files.scriptLog, 'utf8').trim().split('\n');
      for (const line of runs) assert.equal(line, '65534 CapEff: 0000000000000000');
    });

    it('marks a server down when it stops answering (checks run after the drop, not a stale state)', async () => {
      const rs1 = fx.lab.realServers[0]!;
      const http = fx.servers.find((p) => p.argv.includes('rs1') && p.argv.some((a) => a.endsWith('http-server.js')))!;
      await http.stop(3000);
      await waitUntil(`${rs1.address} down`, () => servers(director!)[0]?.health?.state === 'down');
      const r = await countHttp(fx.lab, fx.lab.vip, 4);
      assert.deepEqual(r.counts, { rs2: 4 }, JSON.stringify(r.result));
    });

    it('still reloads: `director reload` applies a changed weight', async () => {
      writeFileSync(files.conf, config(fx.lab, files.scriptLog, 3));
      const io = capture();
      assert.equal(await main(['reload', '--control', files.sock], io), 0, io.stderr.join('\n'));
      await waitUntil('rs2 at weight 3', () => servers(director!)[1]?.health?.configWeight === 3);
    });
  });
}

privilegeSuite('nobody');
privilegeSuite(null);
