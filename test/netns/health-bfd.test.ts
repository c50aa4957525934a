// BFD_CHECK against keepalived's own BFD (needs root: creates network namespaces): keepalived runs
// a bfd_instance in the real server's namespace, the director's session (in its runner, in the
// "dir" namespace) comes Up with it; the real server goes Down when keepalived stops or the link
// is cut, and back Up each time (flapping). Every wait is for a condition, generously bounded.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Director } from '../../src/director.js';
import type { RealServerHealth } from '../../src/health/stats.js';
import { Cleanup } from '../../src/lab/cleanup.js';
import { ipIn } from '../../src/lab/netns.js';
import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { buildCheckLab, startCheckDirector } from '../support/check-lab.js';
import { needsRoot, requireTools } from '../support/prerequisites.js';

const WAIT_MS = 30_000;

const PEER_CONF = `bfd_instance director {
    neighbor_ip 198.19.0.2
    source_ip 198.19.0.11
    min_rx 100
    min_tx 100
    multiplier 5
}
`;

const DIRECTOR_CONF = `bfd_instance rs1 {
    neighbor_ip 198.19.0.11
    source_ip 198.19.0.2
    min_rx 100
    min_tx 100
    multiplier 5
}
virtual_server 198.19.0.100 80 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    real_server 198.19.0.11 80 {
        BFD_CHECK {
            name rs1
        }
    }
}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('BFD_CHECK against keepalived\'s BFD (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const cleanup = new Cleanup();
  const log: string[] = [];
  let dir = '';
  let rs = '';
  let tmp = '';
  let peer: NsProcess | null = null;
  let director: Director | null = null;

  const health = (): RealServerHealth => director!.stats().services[0]!.realServers[0]!.health!;

  async function waitState(state: 'up' | 'down', detail: RegExp): Promise<void> {
    const started = Date.now();
    while (health().state !== state || !detail.test(health().checks[0]!.detail)) {
      if (Date.now() - started > WAIT_MS) throw new Error(`not ${state} within ${WAIT_MS} ms: ${JSON.stringify(health())}`);
      await sleep(50);
    }
  }

  /** keepalived logs (-l) to stderr. */
  async function peerSays(re: RegExp): Promise<void> {
    const started = Date.now();
    while (!re.test(peer!.stderr)) {
      if (!peer!.running || Date.now() - started > WAIT_MS) throw new Error(`keepalived never said ${re}: ${peer!.stderr}`);
      await sleep(50);
    }
  }

  function startPeer(): NsProcess {
    const p = spawnInNamespace(rs, ['keepalived', '-n', '-l', '-D', '-f', path.join(tmp, 'peer.conf'),
      ...['-p', 'parent', '-r', 'vrrp', '-c', 'checkers', '-b', 'bfd'].map((a) => (a.startsWith('-') ? a : path.join(tmp, `${a}.pid`)))]);
    cleanup.process(p);
    return p;
  }

  needsRoot();
  before(async function () {
    requireTools(this, 'keepalived');
    ({ dir, rs, tmp } = await buildCheckLab(cleanup, ['198.19.0.11']));
    fs.writeFileSync(path.join(tmp, 'peer.conf'), PEER_CONF);
    peer = startPeer();
    await peerSays(/Startup complete/);
    director = await startCheckDirector({ dir, rs, tmp }, cleanup, DIRECTOR_CONF, log);
  });

  after(async function () {
    this.timeout(60_000);
    await cleanup.run();
  });

  it('comes Up with keepalived, which sees the session Up too', async () => {
    await waitState('up', /^BFD rs1 to 198\.19\.0\.11: Up$/);
    await peerSays(/\(director\) Entering Up state/);
  });

  it('Down when keepalived stops (it says AdminDown, or its packets stop), Up when it is back', async () => {
    await peer!.stop(5000);
    await waitState('down', /: Down \((neighbor signaled down|detection time expired)\)$/);
    peer = startPeer();
    await waitState('up', /: Up$/);
  });

  it('flapping link: Down by detection time when the link is cut, Up when it returns, twice', async () => {
    for (let i = 0; i < 2; i++) {
      await ipIn(rs, ['link', 'set', 'veth1', 'down']);
      await waitState('down', /: Down \(detection time expired\)$/);
      await ipIn(rs, ['link', 'set', 'veth1', 'up']);
      await waitState('up', /: Up$/);
    }
    const about = (what: string): number => log.filter((l) => l.startsWith(`BFD check on service 198.19.0.11:80 ${what}.`)).length;
    assert.ok(about('failed') >= 3 && about('succeeded') >= 3, log.join('\n'));
  });
});
