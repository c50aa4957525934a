// Sorry server and quorum scripts end to end (needs root: creates network namespaces): a NAT
// lab where rs1 and rs2 are the pool (TCP_CHECK each) and rs3 is the sorry server. Real HTTP
// from the client through the director: the pool answers while it is up; once both pool servers
// stop, their checks take them out, the quorum is lost, quorum_down runs and every answer comes
// from the sorry server (listed by adm only now); when rs1 comes back the quorum is gained,
// quorum_up runs and the sorry server gives the traffic back; with omega, stopping the director
// runs quorum_down once more. The scripts write marker lines.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { Director } from '../../src/director.js';
import { waitForVip } from '../../src/lab/director-runner.js';
import { spawnInNamespace } from '../../src/lab/process.js';
import { countHttp, labTool } from '../../src/lab/services.js';
import type { LabHost } from '../../src/lab/topology.js';
import { withLab } from '../support/netns.js';
import { waitUntil } from '../support/wait.js';

describe('sorry server and quorum scripts, NAT (needs root: creates network namespaces)', function () {
  this.timeout(180_000);
  const fx = withLab({ mode: 'nat', servers: 3 });
  let director: Director | null = null;
  let markers = '';
  const log: string[] = [];

  before(async function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `director-sorry-${fx.lab.prefix}-`));
    fx.cleanup.atEnd(() => fs.rmSync(dir, { recursive: true, force: true }));
    markers = path.join(dir, 'quorum');
    const [rs1, rs2, rs3] = fx.lab.realServers as [LabHost, LabHost, LabHost];
    // Check timeouts far above what a check needs: a refused connection (the case under test) fails at once.
    const check = 'TCP_CHECK {\n      connect_timeout 5\n      retry 0\n      warmup 0\n    }';
    const text = `virtual_server ${fx.lab.vip} 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 1
  sorry_server ${rs3.address} 80
  quorum_up "/bin/sh -c 'echo up >> ${markers}'"
  quorum_down "/bin/sh -c 'echo down >> ${markers}'"
  omega
  real_server ${rs1.address} 80 {
    ${check}
  }
  real_server ${rs2.address} 80 {
    ${check}
  }
}`;
    const host = fx.lab.directors[0]!;
    director = await Director.start({
      config: parseKeepalivedConfig(text, 'sorry.conf'), interface: host.ifname, netns: host.ns, localAddress: host.address,
      log: (l) => log.push(l),
    });
    const d = director;
    fx.cleanup.first(() => d.stop());
    await waitForVip(fx.lab);
  });

  const lines = (): string[] => (fs.existsSync(markers) ? fs.readFileSync(markers, 'utf8').split('\n').filter((l) => l !== '') : []);
  const listed = (): string[] => director!.snapshot().services[0]!.realServers.map((r) => `${r.address} ${r.effectiveWeight}`);
  const quorum = () => director!.stats().services[0]!.quorum;
  const answers = async (n: number): Promise<Record<string, number>> => {
    const r = await countHttp(fx.lab, fx.lab.vip, n, 4);
    assert.ok(r.ok, JSON.stringify(r.result));
    return r.counts;
  };

  it('the pool answers while it is up; quorum_up ran at start (keepalived: "Starting with quorum up")', async () => {
    await waitUntil('quorum_up at start', () => lines().length > 0, 20_000);
    assert.deepEqual(lines(), ['up']);
    assert.deepEqual(await answers(20), { rs1: 10, rs2: 10 });
    const [rs1, rs2] = fx.lab.realServers as [LabHost, LabHost];
    assert.deepEqual(listed(), [`${rs1.address} 1`, `${rs2.address} 1`], 'the idle sorry server is not listed');
    assert.deepEqual(quorum(), { up: true, weight: 2, quorum: 1, hysteresis: 0, sorryInUse: false });
  });

  it('with the pool down the sorry server takes every connection; quorum_down ran', async () => {
    await fx.servers[0]!.stop();
    await fx.servers[1]!.stop();
    await waitUntil('the sorry server in use', () => quorum()?.sorryInUse === true, 30_000);
    assert.deepEqual(await answers(12), { rs3: 12 });
    await waitUntil('quorum_down', () => lines().length >= 2, 10_000);
    assert.deepEqual(lines(), ['up', 'down']);
    const rs3 = fx.lab.realServers[2]!;
    assert.deepEqual(listed().slice(-1), [`${rs3.address} 1`]);
    assert.ok(log.some((l) => l.includes(`Adding sorry server ${rs3.address}:80 to VS ${fx.lab.vip}:80`)), log.join('\n'));
  });

  it('a pool server back: quorum gained, quorum_up ran, the sorry server gives the traffic back', async () => {
    const rs1 = fx.lab.realServers[0]!;
    const p = spawnInNamespace(rs1.ns, [process.execPath, labTool('http-server.js'), '--name', rs1.name, '--port', '80']);
    fx.cleanup.process(p);
    await p.waitFor(/^ready /m);
    await waitUntil('the quorum back', () => quorum()?.up === true, 30_000);
    assert.deepEqual(await answers(12), { rs1: 12 });
    await waitUntil('quorum_up', () => lines().length >= 3, 10_000);
    assert.deepEqual(lines(), ['up', 'down', 'up']);
    assert.equal(quorum()?.sorryInUse, false);
    assert.ok(!listed().includes(`${fx.lab.realServers[2]!.address} 1`), 'the sorry server left the listing');
  });

  it('omega: stopping the director runs quorum_down (the quorum was up)', async () => {
    await director!.stop();
    assert.deepEqual(lines(), ['up', 'down', 'up', 'down']);
    assert.ok(log.some((l) => l.includes(`Shutting down VS ${fx.lab.vip}:80: quorum down`)), log.join('\n'));
  });
});
