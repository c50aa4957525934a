// keepalived 2.2.7 (Debian's package) as a VRRP peer in a lab namespace: VRRP process only
// (-P), logging to stderr, its pid files in the test's own directory, stopped by the cleanup.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from '../../src/lab/cleanup.js';
import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';

export class KeepalivedPeer {
  private proc: NsProcess | null = null;
  private runs = 0;

  constructor(private readonly ns: string, private readonly dir: string, private readonly cleanup: Cleanup) {}

  /** Starts keepalived with this keepalived.conf text; stops a running one first. */
  async start(conf: string): Promise<void> {
    await this.stop();
    const run = ++this.runs;
    const file = path.join(this.dir, `peer-${run}.conf`);
    writeFileSync(file, `global_defs {\n    router_id peer\n}\n${conf}`);
    const pid = (name: string): string => path.join(this.dir, `${name}-${run}.pid`);
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

  /** keepalived's log so far (its -l lines go to stderr). */
  get log(): string {
    return this.proc?.stderr ?? '';
  }

  /** The state keepalived last logged for its instance, or null. */
  get state(): string | null {
    const all = [...this.log.matchAll(/\) Entering (\w+) STATE/g)];
    return all.length === 0 ? null : (all[all.length - 1]![1] as string);
  }
}
