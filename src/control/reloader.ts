// Live reload, the one way a running director's configuration changes: a new config is checked
// whole against the table in force (services, FULLNAT groups, room for ids, a next hop for every
// real server under routes read now) before anything changes; then the table is committed and
// swapped in, and the weight governor and health follow it. One reload at a time, in order.
// Once a removed service or local address has drained, the same config is built again to let
// its address go.

import type { DirectorConfig } from '../config/model.js';
import type { DataPlane } from '../datapath/data-plane.js';
import { ServiceTable, type TablePlan } from '../datapath/service-table.js';
import { formatIpv4 } from '../net/addr.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Route } from '../net/routes.js';
import type { Clock } from '../sched/types.js';
import type { WeightGovernor } from './governor.js';
import { describeChanges, rejectionLine, type ReloadResult } from './reload-changes.js';

export interface ReloaderOptions {
  /** The config the running table was built from. */
  config: DirectorConfig;
  plane: DataPlane;
  governor: WeightGovernor;
  clock: Clock;
  /** The routes in force now: a reload re-reads them (a new real server may need a new route). */
  routes: () => Promise<readonly Route[]>;
  /** Hands the new table to health checking (after the governor has it). */
  adoptHealth: (table: ServiceTable) => void;
  /** The config as it will run (director options may override some of it); default as given. */
  effective?: (config: DirectorConfig) => DirectorConfig;
  log?: Logger;
}

export class Reloader {
  /** The reload running or last run: the next one waits for it. */
  private last: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly log: Logger;
  /** The config in force (as given, before effective()). */
  private config: DirectorConfig;

  constructor(private readonly o: ReloaderOptions) {
    this.log = o.log ?? silentLogger;
    this.config = o.config;
  }

  /**
   * Applies config as a diff to what runs. Resolves with ok false and the reason (logged too)
   * when the config cannot run, nothing changed; otherwise with every change applied, each
   * logged on its own line. A second call waits for the first.
   */
  reload(config: DirectorConfig): Promise<ReloadResult> {
    return this.reloadWith(() => config);
  }

  /**
   * A reload of what change makes of the config in force, once every reload before it is done,
   * so none comes between reading that config and applying what was made of it (adm edits).
   * change returns null for no change; when it throws, the promise rejects and nothing changed.
   */
  reloadWith(change: (current: DirectorConfig) => DirectorConfig | null): Promise<ReloadResult> {
    const result = this.last.then(() => {
      const config = change(this.config);
      return config === null ? { ok: true, changes: [] } : this.apply(config);
    });
    this.last = result.catch(() => undefined);
    return result;
  }

  /**
   * Lets go of what has drained since the last change (a removed service's VIP, a local address
   * no group lists): the config in force, built anew. Cheap when nothing has (call it each tick).
   */
  settleDrained(): Promise<unknown> {
    if (this.closed || !this.o.plane.table.hasDrained()) return this.last;
    this.last = this.last.then(() => this.rebuild()).catch((err: Error) => this.log.error({ event: 'reload' }, `reload: letting drained addresses go failed: ${err.message}`));
    return this.last;
  }

  /** Refuses every reload from now on (the director is stopping); one under way finishes first. */
  close(): Promise<unknown> {
    this.closed = true;
    return this.last;
  }

  private async apply(config: DirectorConfig): Promise<ReloadResult> {
    const { plane } = this.o;
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
      this.log.warn({ event: 'reload', ok: false, error }, rejectionLine(error));
      return { ok: false, changes: [], error };
    }
    const changes = this.swap(plan, routes);
    this.applyTimeouts(config);
    this.config = config;
    this.log.info({ event: 'reload', ok: true, changes: changes.length }, `reload: ${changes.length ? `${changes.length} changes applied` : 'no changes'}`);
    return { ok: true, changes };
  }

  /**
   * Commits a prepared plan and makes every part run it. Nothing here can refuse: the table,
   * the governor and health change together, between batches. The changes are logged first,
   * so what health does with them follows in the log.
   */
  private swap(plan: TablePlan, routes?: readonly Route[]): ReturnType<typeof describeChanges> {
    const before = this.o.plane.table;
    const table = plan.commit();
    const changes = describeChanges(before, table);
    for (const change of changes) this.log.info({ event: 'reload', change: change.message }, change.message);
    this.o.plane.install(table, routes);
    this.o.governor.adopt(table);
    this.o.adoptHealth(table);
    // Quorums once health has the table: a new server with alpha counts as Down, as in keepalived.
    this.o.governor.settleQuorum();
    return changes;
  }

  /**
   * The new config's lvs_timeouts, as keepalived sets them at every load; a config without
   * them leaves the timeouts as they are (so do keepalived and ipvsadm --set 0).
   */
  private applyTimeouts(config: DirectorConfig): void {
    const wanted = config.globalDefs.lvsTimeouts;
    if (wanted === null) return;
    const t = this.o.plane.timeouts;
    const before = `${t.tcp} ${t.tcpFin} ${t.udp}`;
    t.apply(wanted);
    const after = `${t.tcp} ${t.tcpFin} ${t.udp}`;
    if (after !== before) this.log.info({ event: 'reload', timeouts: after }, `Changing timeouts (tcp tcpfin udp): ${before} -> ${after} (connections at their next packet)`);
  }

  private rebuild(): void {
    const { plane } = this.o;
    if (this.closed || !plane.table.hasDrained()) return;
    const before = plane.table.ownedAddresses;
    const plan = ServiceTable.plan(this.o.effective?.(this.config) ?? this.config, this.o.clock, plane.table);
    plane.prepare(plan);
    this.swap(plan);
    const gone = [...before].filter((a) => !plane.table.ownedAddresses.has(a)).map(formatIpv4);
    this.log.info({ event: 'drained', released: gone }, `drained: ${gone.length ? `no longer answering for ${gone.join(', ')}` : 'nothing left to drain'}`);
  }
}
