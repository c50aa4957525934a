// The programs a lab runs in its namespaces: HTTP and UDP servers on the real servers, and the
// HTTP/UDP clients in the client namespace, each reporting one JSON line.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cleanup } from './cleanup.js';
import { READY_TIMEOUT_MS, spawnInNamespace, runInNamespace, type NsProcess } from './process.js';
import type { LabHandle, LabHost } from './topology.js';

export const HTTP_PORT = 80;
export const UDP_PORT = 5353;

/** The repository root, found upward from this file (works from src/ under tsx and from dist/). */
export function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'tools', 'lab'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`lab: cannot find the repository root above ${__dirname}`);
}

export function labTool(name: string): string {
  return path.join(repoRoot(), 'tools', 'lab', name);
}

export interface ServerOptions {
  /** Leave the servers running after this process (lab up); their output goes to logDir. */
  detached?: boolean;
  logDir?: string;
  udp?: boolean;
}

/** Starts the HTTP (and UDP) server on every real server and waits until each is listening. */
export async function startRealServers(lab: LabHandle, cleanup: Cleanup, o: ServerOptions = {}): Promise<NsProcess[]> {
  const started: NsProcess[] = [];
  if (o.detached === true && o.logDir === undefined) throw new Error('lab: detached servers need a log directory');
  const start = (rs: LabHost, tool: string, port: number, extra: string[] = []): NsProcess => {
    const logFile = o.logDir === undefined ? undefined : path.join(o.logDir, `${rs.name}-${tool}.log`);
    const p = spawnInNamespace(rs.ns, [process.execPath, labTool(tool), '--name', rs.name, '--port', String(port), ...extra],
      { detached: o.detached === true, ...(logFile === undefined ? {} : { logFile }) });
    if (o.detached !== true) cleanup.process(p);
    started.push(p);
    return p;
  };
  for (const rs of lab.realServers) {
    start(rs, 'http-server.js', HTTP_PORT);
    // DR/TUN real servers answer from the VIP they hold on lo only through a socket bound to it.
    const vips = [lab.vip, ...(lab.vip6 === undefined ? [] : [lab.vip6])].join(',');
    if (o.udp === true) start(rs, 'udp-server.js', UDP_PORT, lab.mode === 'dr' || lab.mode === 'tun' ? ['--vip', vips] : []);
  }
  if (o.detached === true) {
    // Output goes to files: the ready line is looked for there.
    await Promise.all(started.map((p) => waitForLog(logOf(o.logDir as string, p), /^ready /m, p)));
  } else {
    await Promise.all(started.map((p) => p.waitFor(/^ready /m)));
  }
  if (lab.mode === 'tun') started.push(...await startDecapsulators(lab, cleanup, o));
  return started;
}

/**
 * TUN: the kernel here has no ipip module, so each real server runs the project's user-space
 * decapsulator (`director realserver setup --mode tun`), with its own state directory because
 * all namespaces share one filesystem.
 */
async function startDecapsulators(lab: LabHandle, cleanup: Cleanup, o: ServerOptions): Promise<NsProcess[]> {
  const base = o.logDir ?? mkdtempSync(path.join(os.tmpdir(), `director-lab-${lab.prefix}-`));
  if (o.logDir === undefined) cleanup.atEnd(() => rmSync(base, { recursive: true, force: true }));
  const bin = path.join(repoRoot(), 'bin', 'director');
  const procs = lab.realServers.map((rs) => {
    const stateDir = path.join(base, `${rs.name}-state`);
    mkdirSync(stateDir, { recursive: true });
    const logFile = o.logDir === undefined ? undefined : path.join(o.logDir, `${rs.name}-decap.log`);
    const p = spawnInNamespace(rs.ns, [process.execPath, bin, 'realserver', 'setup', '--vip', lab.vip, '--mode', 'tun', '--interface', rs.ifname],
      { detached: o.detached === true, env: { ...process.env, DIRECTOR_STATE_DIR: stateDir }, ...(logFile === undefined ? {} : { logFile }) });
    if (o.detached !== true) cleanup.process(p);
    return p;
  });
  if (o.detached !== true) await Promise.all(procs.map((p) => p.waitFor(/decapsulating IPIP/)));
  else await Promise.all(lab.realServers.map((rs, i) => waitForLog(path.join(base, `${rs.name}-decap.log`), /decapsulating IPIP/, procs[i]!)));
  return procs;
}

/** The log file of a detached server: RSNAME-TOOL.log, as start() names it. */
function logOf(dir: string, p: NsProcess): string {
  const name = p.argv[p.argv.indexOf('--name') + 1] ?? '';
  return path.join(dir, `${name}-${path.basename(p.argv[1] ?? '')}.log`);
}

/** A detached process writes to a file: wait for a line there, failing fast if it exits. */
async function waitForLog(file: string, re: RegExp, p: NsProcess, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (re.test(text)) return;
    if (!p.running || Date.now() > deadline) {
      throw new Error(`${p.argv.slice(1).join(' ')} in ${p.ns} ${p.running ? 'is not ready' : 'exited'}: ${text.trim().split('\n').pop() ?? ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ClientResult {
  ok: boolean;
  code: number | null;
  /** The client's JSON line (or { error } when it printed none). */
  result: Record<string, unknown>;
  stderr: string;
}

/** Runs a lab client tool (http-client.js or udp-client.js) in a namespace and parses its JSON line. */
export async function runClient(ns: string, tool: string, args: string[], timeoutMs = 60_000): Promise<ClientResult> {
  const r = await runInNamespace(ns, [process.execPath, labTool(tool), ...args], timeoutMs);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(line) as Record<string, unknown>;
  } catch {
    result = { error: `no JSON from ${tool}: ${line || r.stderr.trim()}` };
  }
  return { ok: r.status.code === 0 && result.ok === true, code: r.status.code, result, stderr: r.stderr };
}

/** "ADDRESS:PORT" as the lab tools take it: an IPv6 address in brackets ([2001:db8::100]:80). */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * HTTP count through an address from the client namespace: per-server-name answers. firstPort:
 * connection i leaves from port firstPort + i (see tools/lab/http-client.js).
 */
export async function countHttp(lab: LabHandle, target: string, connections: number, parallel = 1, firstPort?: number):
Promise<ClientResult & { counts: Record<string, number> }> {
  const r = await runClient(lab.client.ns, 'http-client.js', ['count', '--target', hostPort(target, HTTP_PORT),
    '--connections', String(connections), '--parallel', String(parallel), '--timeout', '30000',
    ...(firstPort !== undefined ? ['--first-port', String(firstPort)] : [])]);
  return { ...r, counts: (r.result.counts as Record<string, number> | undefined) ?? {} };
}
