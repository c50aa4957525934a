// A director on a memory port composed as Director.start() composes it (data plane, weight
// governor, health manager over a fake executor, reloader), on a fake clock without timers, for
// reload tests: configs are keepalived.conf text, and state() prints what runs, seesaw-style.
import { parseKeepalivedConfig } from '../../src/config/load.js';
import type { DirectorConfig } from '../../src/config/model.js';
import { WeightGovernor } from '../../src/control/governor.js';
import type { ReloadResult } from '../../src/control/reload-changes.js';
import { Reloader } from '../../src/control/reloader.js';
import { collectStats, type DirectorStats } from '../../src/director-stats.js';
import { HealthManager } from '../../src/health/manager.js';
import { realServerHealth } from '../../src/health/stats.js';
import { loggerFrom } from '../../src/log/logger.js';
import { formatIpv4 } from '../../src/net/addr.js';
import type { Route } from '../../src/net/routes.js';
import { FakeExecutor } from './fake-executor.js';
import { decodeFrame } from './packets.js';
import { FakeClock, memoryLabFor, ROUTES, type MemoryLab } from './memory-plane.js';

export interface ReloadLab {
  mem: MemoryLab;
  governor: WeightGovernor;
  health: HealthManager;
  executor: FakeExecutor;
  /** Every line logged, in order. */
  log: string[];
  /** The routes the next reload reads. */
  routes: Route[];
  reload(text: string): Promise<ReloadResult>;
  /** reload() of a config object (one a loader would refuse, say). */
  reloadConfig(config: DirectorConfig): Promise<ReloadResult>;
  /** The reloader's reloadWith(): a change made to the config in force (what adm edits are). */
  reloadWith(change: (current: DirectorConfig) => DirectorConfig | null): Promise<ReloadResult>;
  /** Moves the clock on in 100 ms steps as the director's timers would: health polls, ticks each second. */
  advance(ms: number): Promise<void>;
  /** Stats with health, as Director.stats() gives them. */
  stats(): DirectorStats;
  /** Services, real servers (weight, counts, health), draining ones and owned addresses, one line each. */
  state(): string[];
  close(): void;
}

export async function reloadLab(text: string): Promise<ReloadLab> {
  const clock = new FakeClock();
  const log: string[] = [];
  const push = loggerFrom((line) => void log.push(line));
  const config = parseKeepalivedConfig(text, 'lab.conf');
  const mem = await memoryLabFor(config, clock);
  await mem.settle();
  const governor = new WeightGovernor({ table: mem.table, clock, log: push });
  const executor = new FakeExecutor(clock);
  const health = new HealthManager({ table: mem.table, governor, executor, clock, log: push, random: () => 0 });
  const lab: ReloadLab = {
    mem, governor, health, executor, log, routes: [...ROUTES],
    reload: (t) => reloader.reload(parseKeepalivedConfig(t, 'lab.conf')),
    reloadConfig: (c) => reloader.reload(c),
    reloadWith: (change) => reloader.reloadWith(change),
    advance: async (ms) => {
      const until = clock.ms + ms;
      while (clock.ms < until) {
        clock.ms += 100;
        health.poll();
        await health.settled();
        if (clock.ms % 1000 === 0) {
          mem.plane.tick();
          governor.tick();
          await reloader.settleDrained();
        }
      }
      await mem.settle();
    },
    stats: () => collectStats(mem.plane, clock.now(), (d) => realServerHealth(health, governor, d, clock.now())),
    state: () => stateLines(lab),
    close: () => mem.plane.close(),
  };
  const reloader = new Reloader({
    config, plane: mem.plane, governor, clock, log: push, routes: async () => lab.routes, adoptHealth: (t) => health.adopt(t),
  });
  return lab;
}

/** Runs body on a fresh lab for text, closing it whatever happens. */
export async function withReloadLab(text: string, body: (lab: ReloadLab) => Promise<void>): Promise<void> {
  const lab = await reloadLab(text);
  try {
    await body(lab);
  } finally {
    lab.close();
  }
}

/** Injects frames; returns the IP frames the director sent (ARP it answered or announced aside). */
export async function sendFrames(lab: ReloadLab, ...frames: Buffer[]): Promise<Buffer[]> {
  lab.mem.inject(...frames);
  return (await lab.mem.settle()).filter((f) => decodeFrame(f).ip !== undefined);
}

function stateLines(lab: ReloadLab): string[] {
  const table = lab.mem.plane.table;
  const lines: string[] = [];
  for (const svc of lab.stats().services) {
    lines.push(`${svc.protocol.toUpperCase()} ${svc.vip}:${svc.port} ${svc.scheduler}`);
    for (const rs of svc.realServers) {
      const health = rs.health?.checks.length ? ` ${rs.health.state}` : '';
      lines.push(`  -> ${rs.address}:${rs.port} ${rs.method.toUpperCase()} weight ${rs.weight} active ${rs.activeConns} inactive ${rs.inactConns} conns ${rs.conns}${health}`);
    }
  }
  for (const id of table.registry.draining) {
    const d = table.destById[id]!;
    const svc = table.serviceById[d.service]!;
    lines.push(`draining ${formatIpv4(d.addr)}:${d.port} of ${formatIpv4(svc.vip)}:${svc.vport} active ${d.activeConns} inactive ${d.inactConns}`);
  }
  lines.push(`owned ${[...table.ownedAddresses].sort((a, b) => a - b).map(formatIpv4).join(' ')}`);
  return lines;
}
