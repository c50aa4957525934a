// Health checks end to end in a network namespace: an embedded director (a TAP device there for
// the data side, the netns option for the checks) runs TCP_CHECK, HTTP_GET, AGENT_CHECK and
// MISC_CHECK through its runner inside the namespace against real servers there; a TCP server
// that stops is marked Down after fall failed checks (its notify_down script runs, as the user it
// names), and back Up with a slow-start ramp in the weights (its notify_up runs). (That a Down
// server gets no new connections is test/unit/datapath-ipvs.)
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { Director } from '../../src/director.js';
import type { RealServerHealth } from '../../src/health/stats.js';
import { addNamespace, deleteNamespace, ipIn } from '../../src/lab/netns.js';
import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { needsRoot } from '../support/prerequisites.js';
import { waitUntil } from '../support/wait.js';

const NS = `hc${process.pid}`;
const BODY = 'ok\n';
const DIGEST = createHash('md5').update(BODY).digest('hex');
/** Where the notify scripts write (a sticky, world-writable folder, so that nobody may). */
const NOTIFY_DIR = path.join(os.tmpdir(), `director-hc-notify-${process.pid}`);
const NOTIFIED = path.join(NOTIFY_DIR, 'events');

/** A tiny HTTP server (and optional agent) for one address, as a node -e script. */
const SERVER = `
const net = require('node:net'), http = require('node:http');
const [addr, agentReply] = process.argv.slice(1);
http.createServer((req, res) => { res.end(req.url === '/healthz' ? ${JSON.stringify(BODY)} : 'other'); })
  .listen(80, addr, () => console.log('ready http ' + addr));
if (agentReply) net.createServer((s) => s.end(agentReply + '\\n')).listen(9999, addr, () => console.log('ready agent'));
`;

// Timeouts are far above what the checks need, so a loaded machine never fails a healthy server
// (refused connections, the case under test, fail at once whatever the timeout).
const CONFIG = `virtual_server 198.19.0.100 80 {
  protocol TCP
  lb_algo wlc
  lb_kind DR
  delay_loop 1
  slowstart 3
  real_server 198.19.0.11 80 {
    weight 100
    notify_down "/bin/sh -c 'echo down $(id -un) >> ${NOTIFIED}'" nobody
    notify_up "/bin/sh -c 'echo up $(id -un) >> ${NOTIFIED}'" nobody
    TCP_CHECK {
      connect_timeout 5
      retry 1
      delay_before_retry 0.5
      warmup 0
    }
  }
  real_server 198.19.0.12 80 {
    weight 100
    HTTP_GET {
      url {
        path /healthz
        digest ${DIGEST}
      }
      connect_timeout 5
      warmup 0
    }
    AGENT_CHECK {
      connect_port 9999
      connect_timeout 5
      delay_loop 0.2
      warmup 0
    }
  }
  real_server 198.19.0.13 80 {
    weight 100
    MISC_CHECK {
      misc_path "ip -4 addr show dev lo | grep -q 198.19.0.13"
      misc_timeout 10
      warmup 0
    }
  }
}`;

function serve(addr: string, agentReply?: string): NsProcess {
  return spawnInNamespace(NS, [process.execPath, '-e', SERVER, addr, ...(agentReply ? [agentReply] : [])]);
}

/** Each real server's health as Director.stats() reports it (the same view the CLI prints). */
function health(d: Director): RealServerHealth[] {
  return d.stats().services[0]!.realServers.map((rs) => {
    assert.ok(rs.health, `stats carry health for ${rs.address}`);
    return rs.health;
  });
}

describe('health checks in a namespace (needs root: creates network namespaces)', function () {
  this.timeout(60_000);
  const servers: NsProcess[] = [];
  const log: string[] = [];
  let director: Director;

  needsRoot();
  before(async () => {
    fs.mkdirSync(NOTIFY_DIR);
    fs.chmodSync(NOTIFY_DIR, 0o1777);
    await addNamespace(NS);
    for (const a of ['198.19.0.11', '198.19.0.12', '198.19.0.13']) await ipIn(NS, ['addr', 'add', `${a}/32`, 'dev', 'lo']);
    servers.push(serve('198.19.0.11'), serve('198.19.0.12', '50%'));
    await Promise.all([servers[0]!.waitFor(/ready http/), servers[1]!.waitFor(/ready agent/)]);
    director = await Director.start({
      config: parseKeepalivedConfig(CONFIG, 'health.conf'),
      tap: 'hctap0',
      netns: NS,
      localAddress: '198.19.0.2',
      log: (l) => log.push(l),
    });
  });

  after(async () => {
    await director?.stop();
    await Promise.all(servers.map((s) => s.stop(1000)));
    await deleteNamespace(NS);
    fs.rmSync(NOTIFY_DIR, { recursive: true, force: true });
  });

  it('TCP, HTTP (digest), agent and a MISC script run inside the namespace pass', async () => {
    await waitUntil('three checks ran', () => health(director).every((rs) => rs.checks.every((c) => c.ok !== null)));
    const rs = health(director);
    assert.deepEqual(rs.map((r) => r.state), ['up', 'up', 'up'], JSON.stringify(rs));
    assert.deepEqual(rs.flatMap((r) => r.checks.map((c) => [c.kind, c.ok])), [['tcp', true], ['http', true], ['agent', true], ['misc', true]]);
    assert.ok(log.includes(`health: 4 checks (run in namespace ${NS})`), log.join('\n'));
  });

  it('the agent\'s "50%" moves its server\'s weight toward 50, smoothed', async () => {
    await waitUntil('agent feedback applied', () => Math.abs(health(director)[1]!.weight - 50) < 10);
    assert.ok(log.some((l) => /^Setting weight of service 198.19.0.12:80 in VS 198.19.0.100:80 to \d+ \(load feedback\)$/.test(l)), log.join('\n'));
  });

  it('a stopped TCP server goes Down after fall (2) failed checks, at weight 0', async () => {
    await servers[0]!.stop(1000);
    // Results reach the manager on this event loop, the second one delay_before_retry (0.5 s)
    // after the first: a 10 ms poll sees the pending failure between them, however busy the
    // machine. How long it took is printed, never judged (the dampener's timing is unit-tested).
    let pendingWhileUp = 0;
    const tookMs = await waitUntil('198.19.0.11 Down', () => {
      const rs = health(director)[0]!;
      if (rs.state === 'up') pendingWhileUp = Math.max(pendingWhileUp, rs.checks[0]!.pending);
      return rs.state === 'down';
    });
    console.log(`      Down after ${tookMs} ms (delay_loop 1 s, then one retry after 0.5 s)`);
    assert.equal(pendingWhileUp, 1, 'the first failure left it Up with one pending, the second took it Down');
    const rs1 = health(director)[0]!;
    assert.deepEqual([rs1.weight, rs1.available], [0, false]);
    assert.ok(log.some((l) => l.startsWith('TCP check on service 198.19.0.11:80 failed. (connect to 198.19.0.11:80: ECONNREFUSED')), log.join('\n'));
    assert.ok(log.includes('Removing service 198.19.0.11:80 from VS 198.19.0.100:80'));
    assert.equal(director.stats().services[0]!.realServers[0]!.weight, 0, 'the running table has it at weight 0');
    // The log line comes once the script has exited, so its output is complete by then.
    await waitUntil('notify_down ran', () => log.some((l) => /^notify_down of 198\.19\.0\.11:80 in VS 198\.19\.0\.100:80: .* ran$/.test(l)));
    assert.equal(fs.readFileSync(NOTIFIED, 'utf8'), 'down nobody\n', 'notify_down ran once, as nobody');
  });

  it('back Up after a restart, with a slow-start ramp visible in the weights', async () => {
    servers[0] = serve('198.19.0.11');
    await servers[0].waitFor(/ready http/);
    // Every weight from the moment it is Up until the ramp ends at the configured 100.
    const weights: number[] = [];
    await waitUntil('198.19.0.11 Up and ramped to weight 100', () => {
      const rs = health(director)[0]!;
      if (rs.state === 'up') weights.push(rs.weight);
      return rs.state === 'up' && rs.weight === 100;
    });
    console.log(`      weights after Up: ${[...new Set(weights)].join(' -> ')}`);
    assert.ok(weights[0]! > 0 && weights[0]! < 100, `ramp starts low: ${weights.join(' ')}`);
    assert.ok(new Set(weights).size >= 3, `several steps: ${weights.join(' ')}`);
    for (let i = 1; i < weights.length; i++) assert.ok(weights[i]! >= weights[i - 1]!, 'never falls while ramping');
    assert.equal(weights.at(-1), 100);
    assert.ok(log.some((l) => /^Adding service 198.19.0.11:80 to VS 198.19.0.100:80 \(weight \d+, slow start over 3 s\)$/.test(l)), log.join('\n'));
    await waitUntil('notify_up ran', () => log.some((l) => /^notify_up of 198\.19\.0\.11:80 in VS 198\.19\.0\.100:80: .* ran$/.test(l)));
    assert.equal(fs.readFileSync(NOTIFIED, 'utf8'), 'down nobody\nup nobody\n', 'one notify per flip');
  });
});
