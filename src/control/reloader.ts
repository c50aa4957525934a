// Live reload, the one way a running director's configuration changes: a new config is checked
// whole against the table in force (services, FULLNAT groups, room for ids, a next hop for every
// real server under routes read now) before anything changes; then the table is committed and
// swapped in, and the weight governor and health follow it. One reload at a time, in order.

import type { DirectorConfig } from '../config/model.js';
import type { DataPlane } from '../datapath/data-plane.js';
import { ServiceTable, type TablePlan } from '../datapath/service-table.js';
import type { Route } from '../net/routes.js';
import type { Clock } from '../sched/types.js';
import type { WeightGovernor } from './governor.js';
import { describeChanges, rejectionLine, type ReloadResult } from './reload-changes.js';

export interface ReloaderOptions {
  plane: DataPlane;
  governor: WeightGovernor;
  clock: Clock;
  /** The routes in force now: a reload re-reads them (a new real server may need a new route). */
  routes: () => Promise<readonly Route[]>;
  /** Hands the new table to health checking (after the governor has it). */
  adoptHealth: (table: ServiceTable) => void;
  /** The config as it will run (director options may override some of it); default as given. */
  effective?: (config: DirectorConfig) => DirectorConfig;
  log?: (line: string) => void;
}

export class Reloader {
  /** The reload running or last run: the next one waits for it. */
  private last: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly log: (line: string) => void;

  constructor(private readonly o: ReloaderOptions) {
    this.log = o.log ?? (() => {});
  }

  /**
   * Applies config as a diff to what runs. Resolves with ok false and the reason (logged too)
   * when the config cannot run, nothing changed; otherwise with every change applied, each
   * logged on its own line. A second call waits for the first.
   */
  reload(config: DirectorConfig): Promise<ReloadResult> {
    const result = this.last.then(() => this.apply(config));
    this.last = result.catch(() => undefined);
    return result;
  }

  /** Refuses every reload from now on (the director is stopping); one under way finishes first. */
  close(): Promise<unknown> {
    this.closed = true;
    return this.last;
  }

  private async apply(config: DirectorConfig): Promise<ReloadResult> {
    const { plane, governor } = this.o;
    let plan: TablePlan;
    let routes: readonly Route[];
    try {
      if (this.closed) throw new Error('the director is stopping');
      routes = await this.o.routes();
      if (this.closed) throw new Error('the director is stopping');
      plan = ServiceTable.plan(this.o.effective?.(config) ?? config, this.o.clock, plane.table);
      plane.prepare(plan, routes);
    } catch (err) {
      const error = (err as Error).message;
      this.log(rejectionLine(error));
      return { ok: false, changes: [], error };
    }
    // Nothing below can refuse: the table, the governor and health change together, between
    // batches. The changes are logged first, so what health does with them follows in the log.
    const before = plane.table;
    const table = plan.commit();
    const changes = describeChanges(before, table);
    for (const change of changes) this.log(change.message);
    plane.install(table, routes);
    governor.adopt(table);
    this.o.adoptHealth(table);
    this.log(`reload: ${changes.length ? `${changes.length} changes applied` : 'no changes'}`);
    return { ok: true, changes };
  }
}
