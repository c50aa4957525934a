// A high-availability pair in a lab: two directors (dir1, dir2) as bin/director processes with the
// same services, one vrrp_instance for the VIP at different priorities and connection sync
// following it; their VRRP states read from the state changes they log, and a crash (SIGKILL) or
// clean stop (SIGTERM) of either.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cleanup } from './cleanup.js';
import { startProcess, type LabDirector } from './director-runner.js';
import { LAB_VRRP_INSTANCE, labKeepalivedConf, labVrrpInstance, type LabConfigOptions } from './keepalived.js';
import type { LabHandle } from './topology.js';

export interface HaOptions extends LabConfigOptions {
  /** Priorities of dir1 and dir2 (default 150 and 100: dir1 is the preferred master). */
  priorities?: [number, number];
  /** Advert interval, seconds (default 1; below 1 uses VRRPv3). */
  advertInt?: number;
  /**
   * keepalived's vrrp_higher_prio_send_advert: a master yielding to a better one sends one more
   * advert, so the winner hears a lower master and re-announces the VIP (after a partition).
   */
  higherPrioSendAdvert?: boolean;
  /**
   * lvs_sync_daemon on the LAN interface for the instance (default true): the master sends its
   * connections, the backup holds them. Its socket lives in the director's namespace, which a
   * `director run` process inside it provides.
   */
  sync?: boolean;
  /** More `director run` options for both (--workers 2 ...). */
  args?: string[];
}

export interface HaDirector {
  index: number;
  director: LabDirector;
  /** The VRRP state it last logged (null before its first). */
  state(): string | null;
  /** How many times it has logged entering state. */
  entered(state: string): number;
}

export class HaPair {
  readonly directors: HaDirector[] = [];
  private readonly dir: string;

  constructor(readonly lab: LabHandle, private readonly cleanup: Cleanup, private readonly o: HaOptions = {}) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), `director-ha-${lab.prefix}-`));
    cleanup.atEnd(() => rmSync(this.dir, { recursive: true, force: true }));
  }

  /** Starts (or restarts) director index (0 or 1) with its priority. */
  start(index: number): HaDirector {
    const host = this.lab.directors[index];
    if (host === undefined) throw new Error(`lab ${this.lab.prefix} has no director ${index + 1}`);
    const priority = (this.o.priorities ?? [150, 100])[index] ?? 100;
    const globalDefs = [...(this.o.globalDefs ?? []),
      ...(this.o.sync !== false ? [`lvs_sync_daemon ${host.ifname} ${LAB_VRRP_INSTANCE}`] : []),
      ...(this.o.higherPrioSendAdvert === true ? ['vrrp_higher_prio_send_advert'] : [])];
    const text = labKeepalivedConf(this.lab, { ...this.o, globalDefs }) +
      labVrrpInstance(this.lab, { ifname: host.ifname, priority, ...(this.o.advertInt !== undefined ? { advertInt: this.o.advertInt } : {}) });
    const file = path.join(this.dir, `dir${index + 1}.conf`);
    writeFileSync(file, text);
    const director = startProcess(this.lab, file, this.cleanup, { index, ...(this.o.args ? { args: this.o.args } : {}) });
    const d: HaDirector = {
      index, director,
      // Log lines go to stderr (stats lines to stdout).
      state: () => lastState(director.process?.stderr ?? ''),
      entered: (state) => (director.process?.stderr ?? '').split(`-> ${state} (`).length - 1,
    };
    this.directors[index] = d;
    this.cleanup.first(() => director.stop());
    return d;
  }

  /** The director now MASTER, or null. */
  master(): HaDirector | null {
    return this.directors.find((d) => d?.director.process?.running === true && d.state() === 'MASTER') ?? null;
  }

  /** SIGKILL: no priority-0 advert, the VIP stays silent until the backup's master-down timer runs out. */
  async crash(index: number): Promise<void> {
    const p = this.directors[index]?.director.process;
    if (p === undefined || !p.running) return;
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
  }

  /** SIGTERM: the director resigns with a priority-0 advert and stops. */
  async stop(index: number): Promise<void> {
    await this.directors[index]?.director.stop();
  }
}

/** The state in the last "vrrp: NAME FROM -> TO" line of a director's log. */
export function lastState(log: string): string | null {
  const all = [...log.matchAll(/vrrp: \S+ \w+ -> (\w+) \(/g)];
  return all.length === 0 ? null : (all[all.length - 1]![1] as string);
}

/** Resolves when check() holds, polling every 5 ms; rejects after timeoutMs naming what. */
export async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
