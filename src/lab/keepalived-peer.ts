// keepalived (Debian's package) as a VRRP peer in a lab namespace, for interop tests and the
// takeover benchmark: VRRP process only (-P), logging to stderr, its pid files in the caller's
// directory; stopped cleanly (SIGTERM) or crashed (its VRRP child SIGKILLed), stopped by the cleanup.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup.js';
import { spawnInNamespace, type NsProcess } from './process.js';

export class KeepalivedPeer {
  private proc: NsProcess | null = null;
  private vrrpPidFile = '';
  private runs = 0;

  constructor(private readonly ns: string, private readonly dir: string, private readonly cleanup: Cleanup) {}

  /** Starts keepalived with this keepalived.conf text; stops a running one first. */
  async start(conf: string): Promise<void> {
    await this.stop();
    const run = ++this.runs;
    const file = path.join(this.dir, `peer-${run}.conf`);
    writeFileSync(file, `global_defs {\n    router_id peer\n}\n${conf}`);
    const pid = (name: string): string => path.join(this.dir, `${name}-${run}.pid`);
    this.vrrpPidFile = pid('vrrp');
    const p = spawnInNamespace(this.ns, ['keepalived', '-n', '-l', '-D', '-P', '-f', file,
      '-p', pid('parent'), '-r', pid('vrrp'), '-c', pid('checkers'), '-b', pid('bfd')]);
    this.cleanup.process(p);
    this.proc = p;
  }

  /** SIGTERM: keepalived resigns (a priority-0 advert) and removes its VIPs. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p !== null && p.running) await p.stop(5000);
  }

  /**
   * A crash: the VRRP child SIGKILLed (no priority-0 advert). The parent is stopped first and then
   * killed too, or it would respawn the child or, as the child's parent, make it resign cleanly.
   */
  async crash(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p === null || !p.running) return;
    const child = Number(readFileSync(this.vrrpPidFile, 'utf8').trim());
    process.kill(p.pid, 'SIGSTOP');
    process.kill(child, 'SIGKILL');
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
  }

  /** keepalived's log so far (its -l lines go to stderr). */
  get log(): string {
    return this.proc?.stderr ?? '';
  }

  /** How many times it has logged entering state. */
  entered(state: string): number {
    return this.log.split(`Entering ${state} STATE`).length - 1;
  }

  /** The state keepalived last logged for its instance, or null. */
  get state(): string | null {
    const all = [...this.log.matchAll(/\) Entering (\w+) STATE/g)];
    return all.length === 0 ? null : (all[all.length - 1]![1] as string);
  }
}
