// Formats a loaded configuration the way `director check` prints it: counts, then each service,
// its real servers in ipvsadm -Ln order and each server's checkers (or that it has none) and
// notify scripts, as text lines or as one JSON document for scripts.

import { CHECKER_KINDS } from '../config/keepalived-checkers.js';
import { hostPort, serviceName, type ConfigError, type ConfigWarning, type DirectorConfig, type HealthCheckConfig, type RealServerConfig, type ScriptConfig, type VirtualServerConfig } from '../config/model.js';

export function summarize(config: DirectorConfig): string[] {
  const rsCount = config.virtualServers.reduce((n, vs) => n + vs.realServers.length, 0);
  const groups = Object.keys(config.localAddressGroups).length;
  const lines = [
    `${config.virtualServers.length} virtual server(s), ${rsCount} real server(s), ` +
      `${groups} local address group(s), ${config.warnings.length} warning(s)`,
  ];
  for (const vs of config.virtualServers) lines.push(...service(vs));
  for (const [name, addrs] of Object.entries(config.localAddressGroups)) {
    lines.push(`local_address_group ${name}: ${addrs.join(' ')}`);
  }
  for (const [mark, matches] of Object.entries(config.fwmarkMatches ?? {})) {
    const each = matches.map((m) => `${m.protocol ?? 'any'} ${m.address}/${m.prefix} ${m.portMin === m.portMax ? m.portMin : `${m.portMin}-${m.portMax}`}`);
    lines.push(`fwmark_match ${mark}: ${each.join(', ')}`);
  }
  return lines;
}

function service(vs: VirtualServerConfig): string[] {
  const extras = [
    vs.schedFlags.length ? `flags ${vs.schedFlags.join(',')}` : '',
    vs.persistenceTimeout ? `persistent ${vs.persistenceTimeout}s mask ${vs.persistenceGranularity}` : '',
    vs.laddrGroup ? `laddr ${vs.laddrGroup}` : '',
    vs.slowStart ? `slowstart ${vs.slowStart}s` : '',
    vs.ops ? 'ops' : '',
    vs.group !== undefined ? `group ${vs.group}` : '',
  ].filter((s) => s !== '');
  const head = `${serviceName(vs)} ${vs.scheduler}${extras.length ? ' ' + extras.join(' ') : ''}`;
  const rs = vs.realServers.flatMap((r) => {
    const th = r.upperThreshold ? ` uthreshold ${r.upperThreshold} lthreshold ${r.lowerThreshold}` : '';
    return [`  -> ${hostPort(r.address, r.port)} ${r.method.toUpperCase()} weight ${r.weight}${th}`, ...checkLines(r)];
  });
  return [head, ...rs, ...availabilityLines(vs)];
}

/** sorry_server, quorum and its scripts, omega and ha_suspend, when said. */
function availabilityLines(vs: VirtualServerConfig): string[] {
  const lines: string[] = [];
  const sorry = vs.sorryServer;
  if (sorry) lines.push(`  sorry_server ${sorry.address}:${sorry.port} ${sorry.method.toUpperCase()}${sorry.inhibit ? ' inhibit' : ''}`);
  const q = quorumOf(vs);
  if (vs.quorum || sorry) lines.push(`  quorum ${q.quorum} hysteresis ${q.hysteresis}`);
  const scripts: Array<[string, ScriptConfig | null | undefined]> = [['quorum_up', vs.quorum?.up], ['quorum_down', vs.quorum?.down]];
  lines.push(...scripts.flatMap(([name, script]) => (script ? [`       ${name} ${scriptText(script)}`] : [])));
  const flags = [vs.omega ? 'omega' : '', vs.haSuspend ? 'ha_suspend' : ''].filter((f) => f !== '');
  if (flags.length) lines.push(`  ${flags.join(' ')}`);
  return lines;
}

function quorumOf(vs: VirtualServerConfig): { quorum: number; hysteresis: number } {
  return { quorum: vs.quorum?.quorum ?? 1, hysteresis: vs.quorum?.hysteresis ?? 0 };
}

function scriptText(script: ScriptConfig): string {
  return `${script.command}${script.user !== null ? ` (as ${script.user})` : ''}`;
}

/** One line per checker; a server without one is said to be always up, as keepalived runs it. */
function checkLines(rs: RealServerConfig): string[] {
  const checks = (rs.checks ?? []).map((c) => `       check ${describeCheck(c)}`);
  const unchecked = (rs.unchecked ?? []).map((why) => `       UNCHECKED ${why}`);
  const scripts: Array<[string, ScriptConfig | undefined]> = [['notify_up', rs.notifyUp], ['notify_down', rs.notifyDown]];
  const notify = scripts.flatMap(([name, script]) =>
    (script ? [`       ${name} ${scriptText(script)}`] : []));
  if (checks.length === 0 && unchecked.length === 0) return ['       no checker: always up', ...notify];
  return [...checks, ...unchecked, ...notify];
}

const KEYWORD_OF = new Map(Object.entries(CHECKER_KINDS).map(([keyword, kind]) => [kind, keyword]));

/** The checker's keepalived keyword and what it probes, e.g. `HTTP_GET 198.19.0.11:80 /health`. */
export function describeCheck(c: HealthCheckConfig): string {
  const keyword = KEYWORD_OF.get(c.kind) ?? c.kind;
  switch (c.kind) {
    case 'http':
    case 'ssl':
      return `${keyword} ${hostPort(c.connectIp, c.connectPort)} ${c.urls.map((u) => u.path).join(' ')}`;
    case 'dns':
      return `${keyword} ${hostPort(c.connectIp, c.connectPort)} ${c.type} ${c.name}`;
    case 'ping':
      return `${keyword} ${c.connectIp}`;
    case 'file':
      return `${keyword} ${c.trackFile} (${c.path})`;
    case 'bfd':
      return `${keyword} ${c.name} (${c.neighbor})`;
    case 'misc':
      return `${keyword} ${c.path}`;
    default:
      return `${keyword} ${hostPort(c.connectIp, c.connectPort)}`;
  }
}

/** `director check --json`: what a script needs to decide, every field always present. */
export interface CheckReport {
  file: string;
  ok: boolean;
  /** The error that stopped the load, or the reason the config is refused (no service, --strict). */
  error: { file: string; line: number; keyword: string; message: string } | null;
  warnings: ConfigWarning[];
  services: Array<{
    protocol: string; vip: string; port: number; scheduler: string; method: string; persistenceTimeout: number; line: number;
    realServers: Array<{ address: string; port: number; method: string; weight: number; line: number; checkers: string[]; unchecked: string[] }>;
    sorryServer: { address: string; port: number; method: string; inhibit: boolean } | null;
    quorum: { quorum: number; hysteresis: number; up: string | null; down: string | null };
    omega: boolean;
    haSuspend: boolean;
  }>;
}

export function checkReport(file: string, config: DirectorConfig | null, error: ConfigError | null): CheckReport {
  return {
    file,
    ok: error === null,
    error: error === null ? null : { file: error.file, line: error.line, keyword: error.keyword, message: error.message },
    warnings: config?.warnings ?? [],
    services: (config?.virtualServers ?? []).map((vs) => ({
      protocol: vs.protocol, vip: vs.vip, port: vs.port, scheduler: vs.scheduler, method: vs.method,
      persistenceTimeout: vs.persistenceTimeout, line: vs.line,
      realServers: vs.realServers.map((r) => ({
        address: r.address, port: r.port, method: r.method, weight: r.weight, line: r.line,
        checkers: (r.checks ?? []).map(describeCheck), unchecked: r.unchecked ?? [],
      })),
      sorryServer: vs.sorryServer
        ? { address: vs.sorryServer.address, port: vs.sorryServer.port, method: vs.sorryServer.method, inhibit: vs.sorryServer.inhibit }
        : null,
      quorum: { ...quorumOf(vs), up: vs.quorum?.up?.command ?? null, down: vs.quorum?.down?.command ?? null },
      omega: vs.omega === true,
      haSuspend: vs.haSuspend === true,
    })),
  };
}
