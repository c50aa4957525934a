// The HTTP lab of the conn/s, req/s, throughput and latency cases: the project's lab topology
// (client behind a router, LAN bridge, one balancer namespace, three real servers) with nginx
// on every real server, HAProxy or the director in the balancer namespace, tuned alike.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from '../../src/lab/cleanup.js';
import { makePrefix } from '../../src/lab/cleanup.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import { sysctl } from '../../src/lab/netns.js';
import { runInNamespace, spawnInNamespace, type NsProcess } from '../../src/lab/process.js';
import { buildLab, type LabHandle } from '../../src/lab/topology.js';
import { ROOT, TMP, waitForAddon } from './cbuild.js';

export const LARGE_BYTES = 1 << 20;

export interface HttpLab {
  lab: LabHandle;
  dir: string;
  cleanup: Cleanup;
}

/** Every process of these cases runs at nice -20: other work shares the machine. */
const niced = (argv: string[]): string[] => ['nice', '-n', '-20', ...argv];

function nginxConf(dir: string): string {
  return `worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path ${dir}/tmp-body;
  proxy_temp_path ${dir}/tmp-proxy;
  fastcgi_temp_path ${dir}/tmp-fcgi;
  uwsgi_temp_path ${dir}/tmp-uwsgi;
  scgi_temp_path ${dir}/tmp-scgi;
  server {
    listen 80 backlog=8192;
    location = / { return 200 "ok\\n"; }
    location = /1m { alias ${dir}/1m.bin; }
  }
}
`;
}

/** Tuning every case shares (issue 5): TIME_WAIT reuse and a wide port range where connections start. */
async function tune(ns: string): Promise<void> {
  await sysctl(ns, 'net.ipv4.tcp_tw_reuse', 1);
  await sysctl(ns, 'net.ipv4.ip_local_port_range', '1024 65535');
  await sysctl(ns, 'net.core.somaxconn', 8192);
  await sysctl(ns, 'net.ipv4.tcp_max_syn_backlog', 8192);
}

export async function createHttpLab(cleanup: Cleanup, mode: 'dr' | 'nat' | 'fnat'): Promise<HttpLab> {
  const lab = await buildLab({ prefix: makePrefix('bnch'), mode, cleanup });
  const dir = path.join(TMP, lab.prefix);
  mkdirSync(dir, { recursive: true });
  cleanup.atEnd(() => { try { rmSync(dir, { recursive: true, force: true }); } catch { /* gone */ } });
  for (const ns of [lab.client.ns, lab.directors[0]!.ns, ...lab.realServers.map((r) => r.ns)]) await tune(ns);
  const procs: NsProcess[] = [];
  for (const rs of lab.realServers) {
    const d = path.join(dir, rs.name);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, '1m.bin'), Buffer.alloc(LARGE_BYTES, 0x61));
    writeFileSync(path.join(d, 'nginx.conf'), nginxConf(d));
    const p = spawnInNamespace(rs.ns, niced(['nginx', '-e', path.join(d, 'error.log'), '-c', path.join(d, 'nginx.conf')]));
    cleanup.process(p);
    procs.push(p);
  }
  await waitListening(lab, procs);
  return { lab, dir, cleanup };
}

/** nginx prints nothing when ready: wait until each real server accepts on port 80. */
async function waitListening(lab: LabHandle, procs: NsProcess[]): Promise<void> {
  for (const [i, rs] of lab.realServers.entries()) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await runInNamespace(rs.ns, ['ss', '-Hltn', 'sport = :80'], 3000);
      if (r.stdout.includes(':80')) break;
      if (!procs[i]!.running || Date.now() > deadline) throw new Error(`nginx did not start in ${rs.ns}: ${procs[i]!.stderr.trim()}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}

function haproxyConf(h: HttpLab): string {
  const bal = h.lab.directors[0]!.address;
  const servers = h.lab.realServers.map((rs, i) => `  server s${i + 1} ${rs.address}:80`).join('\n');
  return `global
  maxconn 9000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend bench
  bind ${bal}:80
  default_backend servers
backend servers
  balance roundrobin
${servers}
`;
}

export interface Balancer {
  /** Host the client connects to. */
  host: string;
  stop(): Promise<void>;
}

export async function startHaproxy(h: HttpLab): Promise<Balancer> {
  const conf = path.join(h.dir, 'haproxy.cfg');
  writeFileSync(conf, haproxyConf(h));
  const p = spawnInNamespace(h.lab.directors[0]!.ns, niced(['haproxy', '-db', '-f', conf]));
  h.cleanup.process(p);
  await new Promise((r) => setTimeout(r, 500));
  if (!p.running) throw new Error(`haproxy did not start: ${p.stderr.trim()}`);
  return { host: h.lab.directors[0]!.address, stop: async () => { await p.stop(2000); } };
}

export async function startDirectorHttp(h: HttpLab, nodeFlags: string[] = [], extraArgs: string[] = []): Promise<Balancer> {
  await waitForAddon();
  const conf = path.join(h.dir, `director-${h.lab.mode}.conf`);
  writeFileSync(conf, labKeepalivedConf(h.lab, { udp: false }));
  const script = path.join(ROOT, 'dist/tools/bench/director-proc.js');
  const p = spawnInNamespace(h.lab.directors[0]!.ns, niced([process.execPath, ...nodeFlags, script, '--config', conf, '--interface', h.lab.directors[0]!.ifname, ...extraArgs]));
  h.cleanup.process(p);
  await p.waitFor(/ready/, 15_000);
  return { host: h.lab.vip, stop: async () => { await p.stop(3000); } };
}
