// Checks that span more than one keyword of a converted keepalived.conf: duplicates, FULLNAT local
// address groups, empty services, keepalived's implied protocol and persistence.

import { ConfigError, serviceName, type ConfigWarning, type VirtualServerConfig } from './model.js';
import type { ConvertedConfig } from './keepalived-config.js';
import type { VirtualServerSource } from './keepalived-virtual-server.js';
import { warn } from './keepalived-keywords.js';
import { DEFAULT_PERSISTENCE_SECONDS } from './keepalived-values.js';

/** Validates in place; drops virtual servers keepalived would drop (with a warning). */
export function validateConfig(converted: ConvertedConfig): void {
  const { config } = converted;
  const kept: VirtualServerConfig[] = [];
  const keptSources: VirtualServerSource[] = [];
  config.virtualServers.forEach((vs, i) => {
    const source = converted.sources[i] as VirtualServerSource;
    if (vs.realServers.length === 0) {
      warn(source.stmt, `virtual_server ${said(vs)} has no real_server, ignored (as keepalived does)`, config.warnings);
      return;
    }
    checkFamily(vs, source, config.warnings);
    impliedSettings(vs, source, config.warnings);
    checkRealServers(vs, source);
    checkLocalAddresses(vs, source, converted);
    kept.push(vs);
    keptSources.push(source);
  });
  checkDuplicateServices(kept, keptSources);
  checkLocalAddressesAreNotVips(kept, converted);
  config.virtualServers = kept;
  converted.sources = keptSources;
}

/** keepalived's own fix-ups, said out loud: protocol defaults to UDP; port 0 implies persistence. */
function impliedSettings(vs: VirtualServerConfig, source: VirtualServerSource, warnings: ConfigWarning[]): void {
  if (!source.protocolSet) {
    warn(source.stmt, 'no protocol set, using UDP (as keepalived does); add "protocol TCP" for TCP services', warnings);
  }
  // A mark service has no port: every port its marks match is its own (IPVS needs no persistence there).
  if (vs.port === 0 && vs.fwmark === undefined && vs.persistenceTimeout === 0) {
    warn(source.stmt, `port 0 (all ports) is only valid for persistent services, persistence_timeout set to ${DEFAULT_PERSISTENCE_SECONDS} (as keepalived does)`, warnings);
    vs.persistenceTimeout = DEFAULT_PERSISTENCE_SECONDS;
  }
  // keepalived: a granularity without a timeout makes the service persistent with the default.
  if (vs.persistenceGranularity !== fullGranularity(vs) && vs.persistenceTimeout === 0) {
    vs.persistenceTimeout = DEFAULT_PERSISTENCE_SECONDS;
  }
}

/** One address: the whole netmask for IPv4, the whole prefix for IPv6. */
function fullGranularity(vs: VirtualServerConfig): string {
  return vs.family === 'inet6' ? '128' : '255.255.255.255';
}

/**
 * The service's family (its VIP's, or ip_family on a mark or group service) agrees with
 * ip_family, its real servers and its persistence granularity (a prefix length for IPv6, a
 * netmask for IPv4); an IPv6 service's granularity defaults to 128.
 */
function checkFamily(vs: VirtualServerConfig, source: VirtualServerSource, warnings: ConfigWarning[]): void {
  const fam = source.familyStmt;
  const byAddress = vs.fwmark === undefined && vs.group === undefined;
  if (fam && byAddress && (fam.args[0] === 'inet6') !== (vs.family === 'inet6')) {
    throw new ConfigError(fam.file, fam.line, fam.keyword, `${fam.args[0]} does not match the virtual_server address ${vs.vip}`);
  }
  if (fam?.args[0] === 'inet6') vs.family = 'inet6';
  const v6 = vs.family === 'inet6';
  for (const rs of vs.realServers) {
    // An IPv4 real server of an IPv6 service is reached by 6in4 (TUN only, as IPVS and keepalived
    // allow another family for tunnelling); NAT64 and 4in6 are not supported.
    if (rs.address.includes(':') !== v6 && !(v6 && rs.method === 'tun')) {
      throw new ConfigError(source.stmt.file, rs.line, 'real_server', v6
        ? `${rs.address} is IPv4 in an IPv6 virtual_server: only TUN reaches it (6in4); NAT64 (DPVS's) is not supported`
        : `${rs.address} is IPv6 in an IPv4 virtual_server`);
    }
  }
  const g = source.granularityStmt;
  const prefix = /^\d+$/.test(vs.persistenceGranularity);
  if (g && prefix !== v6) {
    throw new ConfigError(g.file, g.line, g.keyword, v6
      ? `an IPv6 virtual_server takes a prefix length (1..128), not '${g.args[0]}'`
      : `an IPv4 virtual_server takes a netmask (such as 255.255.255.0), not '${g.args[0]}'`);
  }
  if (!v6) return;
  if (!g) vs.persistenceGranularity = '128';
}

function checkRealServers(vs: VirtualServerConfig, source: VirtualServerSource): void {
  const seen = new Map<string, number>();
  for (const rs of vs.realServers) {
    const key = `${rs.address}:${rs.port}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigError(source.stmt.file, rs.line, 'real_server',
        `${rs.address} ${rs.port} is already a real server of this virtual_server (line ${first})`);
    }
    seen.set(key, rs.line);
  }
}

function checkLocalAddresses(vs: VirtualServerConfig, source: VirtualServerSource, converted: ConvertedConfig): void {
  const usesFnat = vs.realServers.some((rs) => rs.method === 'fnat');
  const stmt = source.stmt;
  if (!usesFnat) {
    if (source.laddrStmt) warn(source.laddrStmt, 'laddr_group_name ignored: no real server of this virtual_server uses FNAT', converted.config.warnings);
    return;
  }
  if (vs.laddrGroup === null) {
    throw new ConfigError(stmt.file, stmt.line, 'laddr_group_name',
      `virtual_server ${said(vs)} uses FNAT and needs laddr_group_name naming a local_address_group`);
  }
  if (!Object.hasOwn(converted.config.localAddressGroups, vs.laddrGroup)) {
    const known = Object.keys(converted.config.localAddressGroups);
    const at = source.laddrStmt ?? stmt;
    throw new ConfigError(at.file, at.line, 'laddr_group_name',
      `no local_address_group '${vs.laddrGroup}' (defined: ${known.length ? known.join(', ') : 'none'})`);
  }
}

function checkDuplicateServices(list: VirtualServerConfig[], sources: VirtualServerSource[]): void {
  const seen = new Map<string, VirtualServerSource>();
  list.forEach((vs, i) => {
    const key = serviceName(vs);
    const source = sources[i] as VirtualServerSource;
    const first = seen.get(key);
    if (first) {
      const what = vs.fwmark ? `fwmark ${vs.fwmark}` : `${vs.vip} ${vs.port} ${vs.protocol.toUpperCase()}`;
      const via = vs.group !== undefined ? ` (member of virtual_server_group '${vs.group}')` : '';
      throw new ConfigError(source.stmt.file, source.stmt.line, 'virtual_server',
        `${what}${via} is already defined at ${first.stmt.file}:${first.stmt.line}`);
    }
    seen.set(key, source);
  });
}

/** A local address that is also a VIP would make replies and new connections indistinguishable. */
function checkLocalAddressesAreNotVips(list: VirtualServerConfig[], converted: ConvertedConfig): void {
  const vips = new Set(list.map((vs) => vs.vip));
  for (const [group, addresses] of Object.entries(converted.config.localAddressGroups)) {
    const clash = addresses.find((a) => vips.has(a));
    const stmt = converted.groupSources.get(group);
    if (clash && stmt) {
      throw new ConfigError(stmt.file, stmt.line, 'local_address_group', `${clash} in group '${group}' is also a virtual server address`);
    }
  }
}

/** A service as keepalived.conf writes it after `virtual_server`. */
function said(vs: VirtualServerConfig): string {
  if (vs.group !== undefined) return `group ${vs.group} (${vs.fwmark ? `fwmark ${vs.fwmark}` : `${vs.vip} ${vs.port}`})`;
  return vs.fwmark ? `fwmark ${vs.fwmark}` : `${vs.vip} ${vs.port}`;
}
