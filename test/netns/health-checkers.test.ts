// Every keepalived checker against real servers across a veth (needs root: creates network
// namespaces): an embedded director runs its checks in the "dir" namespace (runner process, addon
// sockets) against HTTP, HTTPS (self-signed cert made with openssl, SNI), DNS, UDP, ICMP, SMTP
// servers and a track_file in the "rs" namespace. Each server goes Up, Down and back, three
// times (flapping); every wait is for a condition, generously bounded.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Director } from '../../src/director.js';
import type { RealServerHealth } from '../../src/health/stats.js';
import { Cleanup } from '../../src/lab/cleanup.js';
import { sysctl } from '../../src/lab/netns.js';
import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { buildCheckLab, startCheckDirector } from '../support/check-lab.js';
import { needsRoot, requireTools } from '../support/prerequisites.js';

/** Real server address, the server process's name for it (null: not a process), and how to flip it. */
const SERVERS = [
  { kind: 'http', address: '198.19.0.11', server: 'http' },
  { kind: 'ssl', address: '198.19.0.12', server: 'https' },
  { kind: 'dns', address: '198.19.0.13', server: 'dns' },
  { kind: 'udp', address: '198.19.0.14', server: 'udp' },
  { kind: 'ping', address: '198.19.0.15', server: null },
  { kind: 'smtp', address: '198.19.0.16', server: 'smtp' },
  { kind: 'file', address: '198.19.0.17', server: null },
  { kind: 'udp', address: '198.19.0.18', server: 'sink' },
] as const;
const WAIT_MS = 30_000;

function config(trackFile: string): string {
  return `track_file maint {
    file "${trackFile}"
    weight 0
    init_file 0 overwrite
}
virtual_server 198.19.0.100 80 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    delay_loop 0.5
    retry 0
    delay_before_retry 0.5
    warmup 0
    connect_timeout 1
    virtualhost www.example.test
    real_server 198.19.0.11 80 {
        HTTP_GET {
            url {
                path /healthz
                regex "^ok host=www.example.test$"
                regex_options multiline
            }
            http_protocol 1.1
            bindto 198.19.0.2
        }
    }
    real_server 198.19.0.12 443 {
        SSL_GET {
            url {
                path /
                status_code 200
            }
            enable_sni
            bind_if veth0
        }
    }
    real_server 198.19.0.13 53 {
        DNS_CHECK {
            type A
            name www.example.test
        }
    }
    real_server 198.19.0.14 9000 {
        UDP_CHECK {
            payload 70696e67
            require_reply 706f6e67
            bind_port 40000
        }
    }
    real_server 198.19.0.15 80 {
        PING_CHECK {
        }
    }
    real_server 198.19.0.16 25 {
        SMTP_CHECK {
            helo_name director.test
        }
    }
    real_server 198.19.0.17 80 {
        FILE_CHECK {
            track_file maint
        }
    }
    real_server 198.19.0.18 9001 {
        UDP_CHECK {
        }
    }
}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, limitMs = WAIT_MS, describe = (): string => ''): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms: ${what}; ${describe()}`);
    await sleep(50);
  }
}

describe('every checker against real servers in a namespace (needs root: creates network namespaces)', function () {
  this.timeout(180_000);
  const cleanup = new Cleanup();
  const log: string[] = [];
  let dir = '';
  let rs = '';
  let tmp = '';
  let servers: NsProcess | null = null;
  let director: Director | null = null;

  const health = (): RealServerHealth[] => director!.stats().services[0]!.realServers.map((r) => r.health!);
  const states = (): string => health().map((h) => `${h.address}:${h.state}:${h.checks[0]?.detail ?? ''}`).join(' | ');

  /** Flips every server: stops or starts the processes, ICMP echo answers, the track file's value. */
  async function setAll(up: boolean): Promise<void> {
    const names = SERVERS.flatMap((s) => (s.server === null ? [] : [s.server]));
    fs.writeFileSync(path.join(tmp, 'control'), up ? `${names.join('\n')}\n` : '');
    await sysctl(rs, 'net.ipv4.icmp_echo_ignore_all', up ? 0 : 1);
    fs.writeFileSync(path.join(tmp, 'maint'), up ? '0\n' : '1\n');
    const word = up ? 'up' : 'down';
    for (const name of names) await servers!.waitFor(new RegExp(`(^|\\n)${word} ${name}\\n(?![\\s\\S]*(up|down) ${name}\\n)`), WAIT_MS);
  }

  needsRoot();
  before(async function () {
    requireTools(this, 'openssl');
    ({ dir, rs, tmp } = await buildCheckLab(cleanup, SERVERS.map((s) => s.address)));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(tmp, 'key.pem'), '-out', path.join(tmp, 'cert.pem'), '-days', '2', '-subj', '/CN=www.example.test'],
    { stdio: 'ignore', timeout: 30_000 });
    const options = {
      http: '198.19.0.11', https: '198.19.0.12', dns: '198.19.0.13', udp: '198.19.0.14', smtp: '198.19.0.16', sink: '198.19.0.18',
      cert: path.join(tmp, 'cert.pem'), key: path.join(tmp, 'key.pem'), udpSourcePort: 40000, heloName: 'director.test',
      control: path.join(tmp, 'control'),
    };
    fs.writeFileSync(options.control, '');
    const script = path.join(__dirname, '..', 'support', 'check-servers.ts');
    servers = spawnInNamespace(rs, [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, script, JSON.stringify(options)]);
    cleanup.process(servers);
    await setAll(true);
    director = await startCheckDirector({ dir, rs, tmp }, cleanup, config(path.join(tmp, 'maint')), log);
  });

  after(async function () {
    this.timeout(60_000);
    await cleanup.run();
  });

  /** Waits until every real server is in `state` with a last detail matching its pattern (null: any). */
  async function waitDetails(state: 'up' | 'down', patterns: Array<RegExp | null>): Promise<void> {
    await waitFor(`every real server ${state} with the expected detail`, () => health().every((h, i) =>
      h.state === state && h.checks[0]?.ok === (state === 'up') && (patterns[i] ?? /./).test(h.checks[0]!.detail)), WAIT_MS, states);
  }

  it('all eight checkers pass against running servers (virtualhost, regex, SNI, bind options honoured)', async () => {
    await waitDetails('up', [
      /^1 url\(s\) answered as expected$/, /^1 url\(s\) answered as expected$/,
      /^DNS A www\.example\.test @198\.19\.0\.13:53: NOERROR, 0 answer\(s\)$/,
      /^UDP 198\.19\.0\.14:9000: reply of 5 bytes$/,
      // A new namespace's ping_group_range is "1 0": the raw socket.
      /^ICMP echo to 198\.19\.0\.15: echo reply \(raw socket\)$/,
      /^SMTP 198\.19\.0\.16:25: 220 ready$/, /^track_file maint reads 0$/,
      /^UDP 198\.19\.0\.18:9001: no ICMP error within 1 s$/,
    ]);
    assert.ok(log.includes(`health: 8 checks (run in namespace ${dir})`), log.join('\n'));
    assert.deepEqual(health().map((h) => h.checks[0]!.kind), SERVERS.map((s) => s.kind));
  });

  it('all go Down when their servers stop (ICMP port unreachable fails a UDP_CHECK)', async () => {
    await setAll(false);
    await waitDetails('down', [
      /ECONNREFUSED/, /ECONNREFUSED/, /ECONNREFUSED/, /ECONNREFUSED/, /no echo reply in time/, /ECONNREFUSED/,
      /track_file maint reads 1$/, /^UDP 198\.19\.0\.18:9001: ECONNREFUSED$/,
    ]);
  });

  it('flapping: back Up, Down and Up again, each transition followed and logged', async () => {
    const any = SERVERS.map(() => null);
    await setAll(true);
    await waitDetails('up', any);
    await sysctl(dir, 'net.ipv4.ping_group_range', '0 2147483647');
    for (let cycle = 0; cycle < 2; cycle++) {
      await setAll(false);
      await waitDetails('down', any);
      await setAll(true);
      await waitDetails('up', any);
    }
    for (const s of SERVERS) {
      const port = health().find((h) => h.address === s.address)!.port;
      const about = (what: string): number => log.filter((l) => l.includes(` check on service ${s.address}:${port} ${what}.`)).length;
      assert.ok(about('failed') >= 3 && about('succeeded') >= 3, `${s.address}: ${about('failed')} failed, ${about('succeeded')} succeeded`);
    }
    await waitFor('a ping over a datagram socket', () => /\(datagram socket\)$/.test(health()[4]!.checks[0]!.detail), WAIT_MS, states);
  });
});
