// Lab names and teardown: per-run unique prefixes, a registry that removes everything a run
// created (processes first, then namespaces, which takes their veths along) on normal end,
// exceptions and SIGINT/SIGTERM, and a sweep for namespaces left behind by crashed runs.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { deleteNamespace, listNamespaces, namespacePids } from './netns.js';
import { killAttachedChildren, type NsProcess } from './process.js';

/**
 * A run prefix: family letters, the creating pid in base 36, '_', two random base-36 chars.
 * Namespaces are named PREFIX-ROLE; interface names never carry the prefix (they live inside
 * the namespaces), so the 15-character limit never bites.
 */
export function makePrefix(family: string, pid = process.pid): string {
  if (!/^[a-z]{1,4}$/.test(family)) throw new Error(`prefix family must be 1-4 lowercase letters, got "${family}"`);
  const rand = (randomBytes(2).readUInt16BE(0) % 1296).toString(36).padStart(2, '0');
  return `${family}${pid.toString(36)}_${rand}`;
}

/** The pid that created a namespace of this family, or null if the name is not one of ours. */
export function creatorPid(family: string, ns: string): number | null {
  const m = new RegExp(`^${family}([0-9a-z]+)_[0-9a-z]{2}-`).exec(ns);
  return m?.[1] === undefined ? null : parseInt(m[1], 36);
}

/** A zombie counts as gone: a slow init may take a second to reap what lab up left behind. */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function killNamespacePids(ns: string): Promise<void> {
  let pids: number[];
  try { pids = await namespacePids(ns); } catch { return; }
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    for (const pid of pids) { try { process.kill(pid, sig); } catch { /* already gone */ } }
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline && pids.some(pidAlive)) await new Promise((r) => setTimeout(r, 50));
    pids = pids.filter(pidAlive);
    if (pids.length === 0) return;
  }
}

/** Kills what runs inside a namespace (only processes our labs started live there), then deletes it. */
export async function removeNamespace(ns: string): Promise<void> {
  await killNamespacePids(ns);
  await deleteNamespace(ns);
}

/** Removes every namespace named PREFIX-*; returns the names removed. */
export async function removeByPrefix(prefix: string): Promise<string[]> {
  const doomed = (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));
  await Promise.all(doomed.map((ns) => removeNamespace(ns)));
  return doomed;
}

/** Removes namespaces of a family whose creating process is gone (crashed or interrupted runs). */
export async function sweepStale(family: string): Promise<string[]> {
  const stale = (await listNamespaces()).filter((ns) => {
    const pid = creatorPid(family, ns);
    return pid !== null && !pidAlive(pid);
  });
  await Promise.all(stale.map((ns) => removeNamespace(ns)));
  return stale;
}

const live = new Set<Cleanup>();
let handlersInstalled = false;

/** Everything one run created; run() is idempotent and safe to call from several places. */
export class Cleanup {
  private readonly namespaces: string[] = [];
  private readonly processes: NsProcess[] = [];
  private readonly finals: Array<() => void> = [];
  private readonly firsts: Array<() => Promise<unknown>> = [];
  private inFlight: Promise<void> | null = null;

  constructor() {
    live.add(this);
    installHandlers();
  }

  namespace(ns: string): void { this.namespaces.push(ns); }
  process(p: NsProcess): void { this.processes.push(p); }
  /** Runs before anything is stopped (an embedded director lets go of its sockets first). */
  first(f: () => Promise<unknown>): void { this.firsts.push(f); }
  /** Runs after the namespaces are gone (temporary files and the like); must not throw. */
  atEnd(f: () => void): void { this.finals.push(f); }
  get pending(): readonly string[] { return this.namespaces; }

  run(): Promise<void> {
    this.inFlight ??= this.teardown().finally(() => { this.inFlight = null; });
    return this.inFlight;
  }

  private async teardown(): Promise<void> {
    await Promise.allSettled(this.firsts.splice(0).map((f) => f()));
    const procs = this.processes.splice(0);
    await Promise.all(procs.map((p) => p.stop(1000).catch(() => undefined)));
    // Deleting a namespace takes its veth ends along; the peers in other namespaces go with them.
    const results = await Promise.allSettled(this.namespaces.splice(0).map((ns) => removeNamespace(ns)));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    for (const f of this.finals.splice(0)) { try { f(); } catch { /* best effort */ } }
    if (this.namespaces.length === 0 && this.processes.length === 0) live.delete(this);
    if (errors.length > 0) throw new Error(`lab cleanup: ${errors.join('; ')}`);
  }

  /** Hands everything over to someone else (lab up leaves the lab running): nothing is removed. */
  release(): void {
    this.namespaces.length = 0;
    this.processes.length = 0;
    this.finals.length = 0;
    this.firsts.length = 0;
    live.delete(this);
  }

  /** Last resort when the process is exiting and promises will not run. */
  runSync(): void {
    for (const p of this.processes.splice(0)) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const ns of this.namespaces.splice(0).reverse()) {
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 }); } catch { /* gone */ }
    }
    for (const f of this.finals.splice(0)) { try { f(); } catch { /* best effort */ } }
    live.delete(this);
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (sig: NodeJS.Signals): void => {
    const code = sig === 'SIGINT' ? 130 : 143;
    process.stderr.write(`\ndirector lab: ${sig}, removing lab namespaces\n`);
    void Promise.allSettled([...live].map((c) => c.run())).then(() => {
      killAttachedChildren(); // clients started while the lab was going away
      process.exit(code);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const c of live) c.runSync();
    killAttachedChildren();
  });
}
