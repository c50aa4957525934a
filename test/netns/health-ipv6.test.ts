// Checkers against IPv6 real servers across a veth (needs root: creates network namespaces): an
// embedded director runs HTTP_GET (Host: [v6]:port, proved by the server's echo), DNS_CHECK,
// UDP_CHECK, TCP_CHECK and PING_CHECK (ICMPv6 echo, raw and datagram sockets) from 2001:db8::2 in the "dir" namespace against servers on 2001:db8::1x
// in the "rs" namespace; each goes Up, Down when its server stops, and Up again. Every wait is for
// a condition, generously bounded.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Director } from '../../src/director.js';
import type { RealServerHealth } from '../../src/health/stats.js';
import { Cleanup } from '../../src/lab/cleanup.js';
import { sysctl } from '../../src/lab/netns.js';
import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { buildCheckLab, startCheckDirector } from '../support/check-lab.js';
import { needsRoot } from '../support/prerequisites.js';

const SERVERS = [
  { kind: 'http', address: '2001:db8::11', server: 'http' },
  { kind: 'dns', address: '2001:db8::13', server: 'dns' },
  { kind: 'udp', address: '2001:db8::14', server: 'udp' },
  { kind: 'tcp', address: '2001:db8::16', server: 'smtp' },
  { kind: 'ping', address: '2001:db8::15', server: null },
] as const;
const WAIT_MS = 30_000;

const CONFIG = `virtual_server 2001:db8::100 80 {
    protocol TCP
    lb_algo rr
    lb_kind DR
    delay_loop 0.5
    retry 0
    delay_before_retry 0.5
    warmup 0
    connect_timeout 1
    real_server 2001:db8::11 80 {
        HTTP_GET {
            url {
                path /healthz
                regex "^ok host=\\[2001:db8::11\\]:80$"
                regex_options multiline
            }
        }
    }
    real_server 2001:db8::13 80 {
        DNS_CHECK {
            connect_port 53
            type AAAA
            name www.example.test
        }
    }
    real_server 2001:db8::14 80 {
        UDP_CHECK {
            connect_port 9000
            payload 70696e67
            require_reply 706f6e67
        }
    }
    real_server 2001:db8::16 80 {
        TCP_CHECK {
            connect_port 25
        }
    }
    real_server 2001:db8::15 80 {
        PING_CHECK {
        }
    }
}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('checkers against IPv6 real servers (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const cleanup = new Cleanup();
  const log: string[] = [];
  let tmp = '';
  let rs = '';
  let dir = '';
  let servers: NsProcess | null = null;
  let director: Director | null = null;

  const health = (): RealServerHealth[] => director!.stats().services[0]!.realServers.map((r) => r.health!);
  const states = (): string => health().map((h) => `${h.address}:${h.state}:${h.checks[0]?.detail ?? ''}`).join(' | ');

  async function waitDetails(state: 'up' | 'down', patterns: RegExp[]): Promise<void> {
    const started = Date.now();
    const done = (): boolean => health().every((h, i) =>
      h.state === state && h.checks[0]?.ok === (state === 'up') && patterns[i]!.test(h.checks[0]!.detail));
    while (!done()) {
      if (Date.now() - started > WAIT_MS) throw new Error(`not within ${WAIT_MS} ms: every real server ${state}; ${states()}`);
      await sleep(50);
    }
  }

  async function setAll(up: boolean): Promise<void> {
    await sysctl(rs, 'net.ipv6.icmp.echo_ignore_all', up ? 0 : 1);
    const names = SERVERS.flatMap((s) => (s.server === null ? [] : [s.server]));
    fs.writeFileSync(path.join(tmp, 'control'), up ? `${names.join('\n')}\n` : '');
    const word = up ? 'up' : 'down';
    for (const name of names) await servers!.waitFor(new RegExp(`(^|\\n)${word} ${name}\\n(?![\\s\\S]*(up|down) ${name}\\n)`), WAIT_MS);
  }

  needsRoot();
  before(async function () {
    const lab = await buildCheckLab(cleanup, SERVERS.map((s) => s.address));
    tmp = lab.tmp;
    rs = lab.rs;
    dir = lab.dir;
    const options = {
      http: '2001:db8::11', https: '2001:db8::12', dns: '2001:db8::13', udp: '2001:db8::14', smtp: '2001:db8::16', sink: '2001:db8::18',
      cert: '', key: '', udpSourcePort: 0, heloName: 'director.test', control: path.join(tmp, 'control'),
    };
    fs.writeFileSync(options.control, '');
    const script = path.join(__dirname, '..', 'support', 'check-servers.ts');
    servers = spawnInNamespace(lab.rs, [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, script, JSON.stringify(options)]);
    cleanup.process(servers);
    await setAll(true);
    director = await startCheckDirector(lab, cleanup, CONFIG, log);
  });

  after(async function () {
    this.timeout(60_000);
    await cleanup.run();
  });

  it('pass against running servers: HTTP_GET sends Host: [v6]:port, DNS and UDP over udp6, TCP, ICMPv6 echo', async () => {
    await waitDetails('up', [
      /^1 url\(s\) answered as expected$/,
      /^DNS AAAA www\.example\.test @2001:db8::13:53: NOERROR, 0 answer\(s\)$/,
      /^UDP 2001:db8::14:9000: reply of 5 bytes$/,
      /./,
      // A new namespace's ping_group_range is "1 0": the raw socket.
      /^ICMP echo to 2001:db8::15: echo reply \(raw socket\)$/,
    ]);
    assert.deepEqual(health().map((h) => h.checks[0]!.kind), SERVERS.map((s) => s.kind));
  });

  it('go Down when their servers stop, and Up again', async () => {
    await setAll(false);
    await waitDetails('down', [/ECONNREFUSED/, /ECONNREFUSED/, /ECONNREFUSED/, /ECONNREFUSED/, /no echo reply in time/]);
    await setAll(true);
    await waitDetails('up', SERVERS.map(() => /./));
    // The datagram ICMPv6 socket once our group may have one (ping_group_range covers ICMPv6 too).
    await sysctl(dir, 'net.ipv4.ping_group_range', '0 2147483647');
    await waitDetails('up', [/./, /./, /./, /./, /\(datagram socket\)$/]);
  });
});
