// `director run`: load the config, run the preflight checks, start a Director and keep it running
// until SIGINT/SIGTERM, serving metrics when asked and printing stats at an interval; SIGHUP
// re-reads the config file and reloads it (a config that fails is logged and the running one
// stays). Logs go to stderr (levels, timestamps; human or JSON lines), stats lines to stdout.

import path from 'node:path';
import type { LoadOptions } from '../config/load.js';
import type { DirectorConfig } from '../config/model.js';
import { ControlServer } from '../control/server.js';
import { controlSocketPath } from '../control/socket-path.js';
import { isIPv4 } from '../net/addr.js';
import type { DirectorOptions, DirectorStats } from '../director.js';
import { autoFormat, createLogger, LOG_LEVELS, type Logger } from '../log/logger.js';
import { parseMetricsAddress, serveMetrics, type MetricsAddress, type MetricsServer } from '../metrics/http.js';
import { daemonMetricsText } from '../metrics/daemon-text.js';
import { METRICS_CONTENT_TYPE } from '../metrics/prometheus.js';
import { hasErrors, runPreflight } from '../preflight/preflight.js';
import { describePrivileges, dropPrivileges, type DropRequest, type PrivilegeReport } from '../privilege/drop.js';
import { keptCapabilities } from '../privilege/plan.js';
import { UserDb } from '../script/users.js';
import { localReader, netnsReader, type SystemReader } from '../preflight/reader.js';
import { secondsOption, UsageError, type Values } from './args.js';
import { loadConfig } from './check.js';
import { defineCommand, type Command } from './command.js';
import { EXIT_FAIL, EXIT_OK, type CliIo } from './io.js';
import { reloadConfigFile, serveControl, type ControlledDirector, type ControlPlan } from './run-control.js';
import { RouteAnnouncer } from '../announce/announcer.js';
import { Bird, DEFAULT_BIRDC_SOCKET } from '../announce/bird.js';
import { drain, type DrainResult } from '../announce/drain.js';
import { awaitPeerTable, DEFAULT_JOIN_SYNC_WAIT_S, type JoiningDirector } from '../announce/join.js';
import { MAX_WORKERS } from '../workers/limits.js';

/** The part of a running Director the CLI uses: stats, stop, and what the control socket drives. */
export interface RunnableDirector extends ControlledDirector, JoiningDirector {
  stop(): Promise<void>;
  stats(): DirectorStats;
  metrics(): Promise<string>;
  /** Before a drain: sends the sync peers the connections this director carries. */
  shareSyncTable?(): number;
}

export interface RunDeps {
  startDirector(options: DirectorOptions): Promise<RunnableDirector>;
  reader(netns: string | undefined): SystemReader;
  /** Drops the daemon's privileges after setup; absent: kept (tests with a fake director). */
  dropPrivileges?(request: DropRequest): PrivilegeReport;
}

export const defaultRunDeps: RunDeps = {
  dropPrivileges,
  // Loaded on use, so check/realserver work on hosts without the native addon.
  startDirector: async (options) => (await import('../director.js')).Director.start(options),
  reader: (netns) => (netns ? netnsReader(netns) : localReader()),
};

const OPTIONS = {
  config: { value: 'FILE', short: 'f', required: true, help: 'keepalived.conf to run' },
  'config-id': { value: 'ID', short: 'i', help: "keepalived's -i: selects the '@ID' lines (default: the host name up to its first dot)" },
  interface: { value: 'IF', help: 'attach to this existing interface with AF_PACKET (production)' },
  tap: { value: 'NAME', help: 'or create and attach a TAP device of this name (labs)' },
  io: {
    choices: ['auto', 'xdp', 'packet'],
    help: `with --interface: AF_PACKET (packet, default), AF_XDP (xdp: fail if it
cannot attach), or AF_XDP falling back to AF_PACKET (auto)`,
  },
  'rx-ring': {
    choices: ['adaptive', 'block', 'frame'],
    help: `AF_PACKET receive ring: frame (default: TPACKET_V2, every frame at once),
block (TPACKET_V3, a block at a time: up to 1 ms of delay at moderate rates) or
adaptive (both: every frame at once at moderate rates, a block at a time above
40,000 frames/s or once frames queue; Linux 6.2+)`,
  },
  workers: {
    value: 'N',
    help: `data path threads (default 1), each with its own AF_PACKET fanout socket and
connection table; needs --interface with --io packet (docs/workers.md)`,
  },
  netns: { value: 'NS', help: 'the interface or TAP lives in network namespace NS (/run/netns/NS)' },
  'local-address': { value: 'IP', help: "the director's own address on the segment (default: the interface's)" },
  'stats-interval': { value: 'S', help: 'print stats as one JSON line on stdout every S seconds (default 0 = never)' },
  'state-file': { value: 'FILE', help: `lossless restart: write the connection table to FILE on SIGTERM/SIGINT, and
load it on start when written at most --state-max-age seconds ago` },
  'state-max-age': { value: 'S', help: 'oldest state file loaded, in seconds (default 60)' },
  'sloppy-tcp': { help: `IPVS sloppy_tcp: schedule a TCP segment of no known connection (not a RST) as
a new connection (with sh or mh: the same real server again)` },
  'sync-role': {
    choices: ['master', 'backup', 'master,backup', 'none'],
    help: `connection sync (global_defs lvs_sync_daemon): send (master), receive (backup),
both at once (master,backup: N directors behind ECMP, as ipvsadm --start-daemon master and
backup together) or neither; default: the lvs_sync_daemon instance's configured state`,
  },
  'sync-peer': { value: 'IP[,IP]', help: 'send sync messages unicast to these addresses instead of the multicast group' },
  'allow-unchecked': { help: `run real servers whose checker director cannot run (an option it cannot
honour, e.g. fwmark) without it, warned as UNCHECKED, instead of refusing` },
  metrics: {
    value: '[ADDR:]PORT',
    help: `serve Prometheus metrics at http://ADDR:PORT/metrics (default off; PORT alone
listens on 127.0.0.1)`,
  },
  'bird-routes': {
    value: 'FILE',
    help: `announce the VIPs to routers through bird2: write their routes to FILE (which
bird.conf includes) and reload bird; each VIP is withdrawn while no real server can take a
connection, and all are on drain and stop`,
  },
  birdc: { value: 'SOCKET', help: `bird's control socket for --bird-routes (default ${DEFAULT_BIRDC_SOCKET})` },
  'join-sync-wait': {
    value: 'S',
    help: `with --bird-routes and a sync role that receives: announce only once a sync peer's
connection table is in, waiting at most S seconds (default ${DEFAULT_JOIN_SYNC_WAIT_S}; 0: announce at once)`,
  },
  'log-format': { choices: ['human', 'json'], help: 'log lines on stderr: human, or one JSON object each (default: human on a terminal)' },
  'log-level': { choices: LOG_LEVELS, help: 'least important level logged (default info)' },
  user: {
    value: 'NAME[:GROUP]',
    help: `after setup, run as this user (and its group, or GROUP) with only the capabilities
it still needs (logged at start, shown in stats); without it the daemon stays uid 0
with only those capabilities`,
  },
  'keep-privileges': { help: 'keep every privilege the daemon started with (no drop after setup)' },
  control: {
    value: 'PATH',
    help: `control socket for director adm and reload (default /run/director/director.sock;
/run/director/NS.sock with --netns NS or when run inside named network namespace NS)`,
  },
} as const;

type RunValues = Values<typeof OPTIONS>;

/** `director run` with these dependencies (tests give a fake director and system). */
export function runCommandWith(deps: RunDeps): Command {
  return defineCommand(
    {
      name: 'run',
      summary: 'run a director from a keepalived.conf',
      synopsis: '--config FILE (--interface IF | --tap NAME) [options]',
      about: `Loads a keepalived.conf, checks the system (capabilities, interface, ip_forward, rp_filter, VIPs
the kernel would own), then runs the director in the foreground until SIGINT or SIGTERM. SIGHUP
re-reads the config file and applies the changes without dropping connections; a config that
does not load or apply is logged and the running one stays.`,
      options: OPTIONS,
      footer: 'exit status: 0 stopped cleanly, 1 config error, preflight error or start failure, 2 usage error',
    },
    (v: RunValues, io) => run(v, io, deps),
  );
}

export const runCommand = runCommandWith(defaultRunDeps);

function checkCombinations(v: RunValues): void {
  if ((v.interface === undefined) === (v.tap === undefined)) throw new UsageError('give exactly one of --interface IF or --tap NAME');
  if (v['local-address'] !== undefined && !isIPv4(v['local-address'])) {
    throw new UsageError(`option '--local-address' must be an IPv4 address, got '${v['local-address']}'`);
  }
  if (v.io !== undefined && v.interface === undefined) throw new UsageError("option '--io' needs --interface");
  if (v['rx-ring'] !== undefined && v.interface === undefined) throw new UsageError("option '--rx-ring' needs --interface");
  if (v.workers !== undefined) {
    const n = Number(v.workers);
    if (!/^[0-9]+$/.test(v.workers) || n < 1 || n > MAX_WORKERS) throw new UsageError(`option '--workers' must be a whole number from 1 to ${MAX_WORKERS}, got '${v.workers}'`);
    if (n > 1 && (v.interface === undefined || (v.io ?? 'packet') !== 'packet')) {
      throw new UsageError("option '--workers' above 1 needs --interface with AF_PACKET (--io packet, the default)");
    }
    if (n > 1 && v['rx-ring'] === 'adaptive') {
      throw new UsageError("option '--workers' above 1 takes --rx-ring block or frame: the adaptive ring's two rings are a fanout group of their own");
    }
  }
  if (v.birdc !== undefined && v['bird-routes'] === undefined) throw new UsageError("option '--birdc' needs --bird-routes");
  if (v['join-sync-wait'] !== undefined && v['bird-routes'] === undefined) throw new UsageError("option '--join-sync-wait' needs --bird-routes");
  if (v.user !== undefined && v['keep-privileges']) throw new UsageError("options '--user' and '--keep-privileges' exclude each other");
  if (v.user !== undefined && v.netns !== undefined) {
    throw new UsageError("option '--user' cannot be used with --netns (health checks enter the namespace with ip netns exec, which needs root): run director inside the namespace instead");
  }
}

function metricsOption(text: string | undefined): MetricsAddress | null {
  if (text === undefined) return null;
  try {
    return parseMetricsAddress(text);
  } catch (err) {
    throw new UsageError(`option '--metrics' ${(err as Error).message}`);
  }
}

async function run(v: RunValues, io: CliIo, deps: RunDeps): Promise<number> {
  checkCombinations(v);
  const statsInterval = secondsOption('stats-interval', v['stats-interval'], 0);
  const metrics = metricsOption(v.metrics);
  const log = createLogger({
    format: v['log-format'] ?? autoFormat(io.errIsTTY), level: v['log-level'] ?? 'info', write: (line) => io.err(line),
  });
  const load: LoadOptions = { allowUnchecked: v['allow-unchecked'] };
  if (v['config-id'] !== undefined) load.configId = v['config-id'];
  const hangups = new Hangups(v.config, load, log, io);
  try {
    const config = loadConfig(v.config, (level, message) => log[level]({ event: 'config', file: v.config }, message), load);
    if (!config) return EXIT_FAIL;
    if (!preflightPasses(config, v, log, deps)) return EXIT_FAIL;
    const options: DirectorOptions = { config, log };
    if (v.interface !== undefined) options.interface = v.interface;
    if (v.tap !== undefined) options.tap = v.tap;
    if (v.netns !== undefined) options.netns = v.netns;
    if (v.io !== undefined) options.io = v.io;
    if (v['rx-ring'] !== undefined) options.rxRing = v['rx-ring'];
    if (v.workers !== undefined) options.workers = Number(v.workers);
    if (v['local-address'] !== undefined) options.localAddress = v['local-address'];
    Object.assign(options, haOptions(v, config));
    const control: ControlPlan = {
      path: controlSocketPath({ control: v.control, netns: v.netns }),
      configFile: path.resolve(v.config),
      loadOptions: load,
    };
    const bird = v['bird-routes'] === undefined ? null
      : new Bird({ routesFile: path.resolve(v['bird-routes']), socket: v.birdc ?? DEFAULT_BIRDC_SOCKET });
    const announcer = bird === null ? null : new RouteAnnouncer(bird, log);
    const joinSyncWaitMs = secondsOption('join-sync-wait', v['join-sync-wait'], DEFAULT_JOIN_SYNC_WAIT_S) * 1000;
    const privileges = privilegePlan(v, config, deps);
    return await runDirector(() => deps.startDirector(options), { statsInterval, metrics, log, hangups, control, announcer, joinSyncWaitMs, privileges }, io);
  } finally {
    hangups.stop();
  }
}

/**
 * SIGHUP for as long as `run` runs, from before the config is read: a HUP before the director
 * is up is remembered and applied once it is; none ends the process.
 */
class Hangups {
  private director: RunnableDirector | null = null;
  private pending = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly file: string, private readonly load: LoadOptions, private readonly log: Logger, io: CliIo) {
    this.unsubscribe = io.onHangup?.(() => this.hangup()) ?? (() => {});
  }

  running(director: RunnableDirector): void {
    this.director = director;
    if (this.pending) this.reload(director);
    this.pending = false;
  }

  stop(): void {
    this.unsubscribe();
  }

  private hangup(): void {
    this.log.info({ event: 'reload', signal: 'SIGHUP', file: this.file }, `director: SIGHUP, reloading ${this.file}`);
    if (this.director === null) this.pending = true;
    else this.reload(this.director);
  }

  private reload(director: RunnableDirector): void {
    reloadConfigFile(director, this.file, this.log, this.load)
      .catch((err: Error) => this.log.error({ event: 'reload' }, `reload failed: ${err.message}`));
  }
}

/** The state file, sloppy_tcp and sync options, checked. */
function haOptions(v: RunValues, config: DirectorConfig): Partial<DirectorOptions> {
  const o: Partial<DirectorOptions> = {};
  if (v['state-file'] !== undefined) o.stateFile = v['state-file'];
  if (v['state-max-age'] !== undefined) o.stateMaxAge = secondsOption('state-max-age', v['state-max-age'], 60);
  if (v['sloppy-tcp']) o.sloppyTcp = true;
  const syncing = v['sync-role'] !== undefined || v['sync-peer'] !== undefined;
  if (syncing && !config.globalDefs.lvsSyncDaemon) throw new UsageError('--sync-role and --sync-peer need lvs_sync_daemon in global_defs');
  if (v['sync-role'] !== undefined) o.syncRole = v['sync-role'];
  if (v['sync-peer'] !== undefined) {
    const peers = v['sync-peer'].split(',');
    const bad = peers.find((p) => !isIPv4(p));
    if (bad !== undefined) throw new UsageError(`option '--sync-peer' takes IPv4 addresses, got '${bad}'`);
    o.syncPeers = peers;
  }
  return o;
}

function preflightPasses(config: DirectorConfig, v: RunValues, log: Logger, deps: RunDeps): boolean {
  const target: { config: DirectorConfig; interface?: string; tap?: string } = { config };
  if (v.interface !== undefined) target.interface = v.interface;
  if (v.tap !== undefined) target.tap = v.tap;
  const findings = runPreflight(target, deps.reader(v.netns));
  for (const f of findings) log[f.level === 'error' ? 'error' : 'warn']({ event: 'preflight', check: f.check }, f.message);
  if (!hasErrors(findings)) return true;
  log.error({ event: 'preflight' }, 'director not started: fix the errors above');
  return false;
}

interface RunSettings {
  statsInterval: number;
  metrics: MetricsAddress | null;
  log: Logger;
  hangups: Hangups;
  control: ControlPlan;
  announcer: RouteAnnouncer | null;
  /** The longest the first announcement waits for a sync peer's table. */
  joinSyncWaitMs: number;
  /** The drop after setup, or why there is none; null: not handled here (a fake director). */
  privileges: { drop: () => PrivilegeReport } | { kept: string } | null;
}

/** What happens to the daemon's privileges once it is set up (see docs/security.md#least-privilege). */
function privilegePlan(v: RunValues, config: DirectorConfig, deps: RunDeps): RunSettings['privileges'] {
  const drop = deps.dropPrivileges;
  if (drop === undefined) return null;
  if (v['keep-privileges']) return { kept: '--keep-privileges' };
  if (v.netns !== undefined) return { kept: '--netns: health checks enter the namespace with ip netns exec, which needs root' };
  if (v['bird-routes'] !== undefined && v.user === undefined) {
    return { kept: "--bird-routes without --user: birdc reaches bird's control socket with root's file access; give --user NAME:GROUP with bird's group to drop them" };
  }
  const kept = keptCapabilities({ config, ...(v.io !== undefined ? { io: v.io } : {}) });
  return { drop: () => drop({ kept, users: new UserDb(), ...(v.user !== undefined ? { user: v.user } : {}) }) };
}

/** Drops privileges (when planned); false (logged) when that failed: the daemon must not run on in an unknown state. */
function settlePrivileges(s: RunSettings, shown: DaemonView): boolean {
  if (s.privileges === null) return true;
  if ('kept' in s.privileges) {
    shown.privileges = { kept: s.privileges.kept };
    s.log.warn({ event: 'privileges', kept: s.privileges.kept }, `privileges kept: ${s.privileges.kept}`);
    return true;
  }
  try {
    const report = s.privileges.drop();
    shown.privileges = report;
    s.log.info({ event: 'privileges', user: report.user, uid: report.uid, gid: report.gid, capabilities: report.capabilities },
      describePrivileges(report));
    return true;
  } catch (err) {
    s.log.error({ event: 'privileges' }, `director stopped: ${(err as Error).message}`);
    return false;
  }
}

/** What the daemon adds to the director's stats: its privileges, and what its control socket turned down. */
interface DaemonView {
  privileges: PrivilegeReport | { kept: string } | null;
  control: ControlServer | null;
}

/** The director as the control socket and the stats lines show it: its stats plus the daemon's view. */
function withDaemonStats(d: RunnableDirector, shown: DaemonView): RunnableDirector {
  const stats = (): DirectorStats => {
    const base = d.stats();
    const extra: Record<string, unknown> = {};
    if (shown.privileges !== null) extra.privileges = shown.privileges;
    if (shown.control !== null) extra.control = { rejected: shown.control.rejections.toJSON() };
    return Object.keys(extra).length === 0 ? base : { ...base, ...extra };
  };
  return {
    snapshot: () => d.snapshot(),
    stats,
    connections: (limits) => d.connections(limits),
    edit: (edits) => d.edit(edits),
    reload: (config) => d.reload(config),
    stop: () => d.stop(),
    ...(d.pullPeerTable ? { pullPeerTable: (waitMs: number) => d.pullPeerTable!(waitMs) } : {}),
    ...(d.shareSyncTable ? { shareSyncTable: () => d.shareSyncTable!() } : {}),
    metrics: async () => {
      const text = await d.metrics();
      const p = shown.privileges;
      const privileges = p !== null && 'uid' in p ? { uid: p.uid, gid: p.gid, capabilities: p.capabilities } : null;
      const rejected = shown.control?.rejections.toJSON() ?? {};
      return text + daemonMetricsText({ privileges, rejected });
    },
  };
}

/** How often the announced routes are brought in line with the real servers' state. */
const ANNOUNCE_INTERVAL_MS = 1000;

/** Claims the control socket, starts the director, serves metrics and the socket, runs until a signal. */
async function runDirector(start: () => Promise<RunnableDirector>, s: RunSettings, io: CliIo): Promise<number> {
  let director: RunnableDirector;
  try {
    await ControlServer.claim(s.control.path);
  } catch (err) {
    s.log.error({ event: 'control', path: s.control.path }, `director not started: ${(err as Error).message}`);
    return EXIT_FAIL;
  }
  const shown: DaemonView = { privileges: null, control: null };
  try {
    director = withDaemonStats(await start(), shown);
  } catch (err) {
    s.log.error({ event: 'start' }, `director failed to start: ${(err as Error).message}`);
    return EXIT_FAIL;
  }
  let drained: (result: DrainResult) => void = () => {};
  const draining = new Promise<DrainResult>((resolve) => { drained = resolve; });
  const drainAndStop = async (timeoutMs: number): Promise<DrainResult> => {
    s.log.info({ event: 'drain', timeoutMs }, `director: draining (at most ${timeoutMs / 1000} s)`);
    const result = await drain({
      snapshot: () => director.snapshot(), announcer: s.announcer, timeoutMs,
      ...(director.shareSyncTable ? { share: () => director.shareSyncTable!() } : {}),
    });
    s.log.info({ event: 'drain', ...result }, `director: drained, ${result.active} connections left after ${result.seconds.toFixed(1)} s`);
    // The answer goes out first; the daemon stops on the next turn.
    setImmediate(() => drained(result));
    return result;
  };
  const servers = await serve(director, s, drainAndStop);
  if (servers === null) {
    await director.stop();
    return EXIT_FAIL;
  }
  shown.control = servers.control;
  // Everything that needs privilege is open now: sockets, rings, XDP, metrics, control socket.
  if (!settlePrivileges(s, shown)) {
    await servers.metrics?.close();
    await servers.control.close();
    await director.stop();
    return EXIT_FAIL;
  }
  s.hangups.running(director);
  const printStats = () => io.out(`stats: ${JSON.stringify(director.stats())}`);
  const timer = s.statsInterval > 0 ? setInterval(printStats, s.statsInterval * 1000) : null;
  const stopping = Promise.race([io.waitForSignal(), draining.then(() => 'drain')]);
  // A joining director takes a sync peer's table before ECMP hands it flows (a signal meanwhile
  // stops it unannounced; a drain makes the announcer announce nothing).
  const joined = s.announcer === null ? null : await Promise.race([awaitPeerTable(director, s.joinSyncWaitMs, s.log).then(() => true), stopping.then(() => false)]);
  const announcing = s.announcer === null || joined === false ? null : keepAnnounced(s.announcer, director);
  const signal = await stopping;
  s.hangups.stop();
  if (timer) clearInterval(timer);
  if (announcing) clearInterval(announcing);
  s.log.info({ event: 'stop', signal }, `director: ${signal}, stopping`);
  // Routes go first, so routers move the flows elsewhere before this director stops forwarding.
  await s.announcer?.withdrawAll().catch(() => undefined);
  await servers.metrics?.close();
  await servers.control.close();
  await director.stop();
  printStats();
  return EXIT_OK;
}

/** Announces the serviceable VIPs now and re-checks them every second. */
function keepAnnounced(announcer: RouteAnnouncer, director: RunnableDirector): NodeJS.Timeout {
  void announcer.update(director.snapshot());
  return setInterval(() => void announcer.update(director.snapshot()), ANNOUNCE_INTERVAL_MS);
}

/** Metrics (when asked) and the control socket of a started director; null (logged) when either cannot be served. */
async function serve(director: RunnableDirector, s: RunSettings, drainAndStop: (timeoutMs: number) => Promise<DrainResult>):
Promise<{ metrics: MetricsServer | null; control: ControlServer } | null> {
  const metrics = s.metrics && await startMetrics(director, s.metrics, s.log);
  if (metrics === false) return null;
  try {
    const control = await serveControl(s.control, director, s.log, drainAndStop);
    s.log.info({ event: 'control', path: s.control.path }, `director: control socket ${s.control.path}`);
    return { metrics, control };
  } catch (err) {
    s.log.error({ event: 'control', path: s.control.path }, `control socket ${s.control.path}: ${(err as Error).message}`);
    await metrics?.close();
    return null;
  }
}

/** The metrics endpoint, or false (logged) when it cannot listen: a director asked for metrics does not run blind. */
async function startMetrics(director: RunnableDirector, addr: MetricsAddress, log: Logger): Promise<MetricsServer | false> {
  try {
    const server = await serveMetrics(addr, () => director.metrics(), METRICS_CONTENT_TYPE);
    log.info({ event: 'metrics', address: server.address }, `metrics: http://${server.address}/metrics`);
    return server;
  } catch (err) {
    log.error({ event: 'metrics' }, `cannot serve metrics on ${addr.host} port ${addr.port}: ${(err as Error).message}`);
    return false;
  }
}
