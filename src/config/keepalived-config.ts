// Converts the top level of a parsed keepalived.conf into a DirectorConfig: global_defs, virtual
// servers, local_address_group blocks (keepalived/DPVS FULLNAT dialect), the VRRP blocks, and
// warnings for the rest.

import { formatIpv6, isIPv6, parseIpv6 } from '../net/addr6.js';
import type { ConfigWarning, DirectorConfig, VrrpScriptConfig, VrrpSyncGroupConfig } from './model.js';
import type { ParseOptions, Statement } from './keepalived-parser.js';
import { UNSUPPORTED_TOP, ignored, warn } from './keepalived-keywords.js';
import { convertVirtualServer, type VirtualServerSource } from './keepalived-virtual-server.js';
import { expandGroupService, parseFwmarkMatch, parseServiceGroup, undefinedMark, unusedGroups, type ServiceGroup } from './keepalived-service-group.js';
import { convertGlobalDefs } from './keepalived-global.js';
import { convertVrrpInstance, type InstanceDraft } from './keepalived-vrrp-instance.js';
import { convertSyncGroup, convertVrrpScript } from './keepalived-vrrp-script.js';
import { settleVrrp, type Sourced } from './keepalived-vrrp-validate.js';
import * as v from './keepalived-values.js';
import { expandOctetRange } from '../net/addr.js';
import { collectTrackFiles, TRACK_FILE_KEYWORDS } from './keepalived-track-file.js';
import { collectBfdInstances } from './keepalived-bfd.js';
import type { CheckerContext } from './keepalived-checkers.js';

export interface LoadOptions extends ParseOptions {
  /** Run real servers whose checker director cannot run without it (warned) instead of refusing the config. */
  allowUnchecked?: boolean;
}

export interface ConvertedConfig {
  config: DirectorConfig;
  /** Parallel to config.virtualServers: where each was written. */
  sources: VirtualServerSource[];
  /** Statement of each local_address_group, by name. */
  groupSources: Map<string, Statement>;
}

/** The VRRP blocks as read, settled together once the whole file is read. */
interface VrrpDrafts {
  instances: InstanceDraft[];
  scripts: Sourced<VrrpScriptConfig>[];
  syncGroups: Sourced<VrrpSyncGroupConfig>[];
}

export function convertTopLevel(statements: Statement[], warnings: ConfigWarning[], options: LoadOptions = {}): ConvertedConfig {
  // global_defs first, wherever it stands: instance defaults (vrrp_version, garp) come from it.
  const { globals, syncStmt } = convertGlobalDefs(statements.filter((s) => s.keyword === 'global_defs'), warnings);
  const out: ConvertedConfig = {
    config: { virtualServers: [], localAddressGroups: {}, globalDefs: globals, vrrp: { instances: [], scripts: [], syncGroups: [] }, warnings },
    sources: [],
    groupSources: new Map(),
  };
  const vrrp: VrrpDrafts = { instances: [], scripts: [], syncGroups: [] };
  const checkers: CheckerContext = {
    allowUnchecked: options.allowUnchecked === true, trackFiles: collectTrackFiles(statements),
    bfdInstances: collectBfdInstances(statements, warnings), warnings,
    scripts: { defaultUser: globals.scriptUser, secure: globals.enableScriptSecurity },
  };
  const services: ServiceDrafts = { groups: new Map(), marks: new Map() };
  for (const stmt of statements) topStatement(stmt, out, vrrp, checkers, services);
  expandServices(out, services);
  out.config.vrrp = settleVrrp(vrrp.instances, vrrp.scripts, vrrp.syncGroups, globals, syncStmt, warnings);
  return out;
}

/** virtual_server_group and fwmark_match blocks, which virtual servers may name before them. */
interface ServiceDrafts {
  groups: Map<string, ServiceGroup>;
  /** Each fwmark_match's statement, by mark. */
  marks: Map<number, Statement>;
}

function topStatement(stmt: Statement, out: ConvertedConfig, vrrp: VrrpDrafts, checkers: CheckerContext, services: ServiceDrafts): void {
  const { warnings, globalDefs } = out.config;
  if (TRACK_FILE_KEYWORDS.has(stmt.keyword) || stmt.keyword === 'bfd_instance') return;
  switch (stmt.keyword) {
    case 'global_defs':
      return;
    case 'vrrp_instance':
      vrrp.instances.push(convertVrrpInstance(stmt, globalDefs, warnings));
      return;
    case 'vrrp_script':
      vrrp.scripts.push({ config: convertVrrpScript(stmt, warnings), stmt });
      return;
    case 'vrrp_sync_group':
      const group = convertSyncGroup(stmt, warnings);
      if (group !== null) vrrp.syncGroups.push({ config: group, stmt });
      return;
    case 'virtual_server': {
      const converted = convertVirtualServer(stmt, checkers);
      out.config.virtualServers.push(converted.vs);
      out.sources.push(converted.source);
      return;
    }
    case 'virtual_server_group': {
      const group = parseServiceGroup(stmt, services.groups);
      services.groups.set(group.name, group);
      return;
    }
    case 'fwmark_match': {
      const { mark, matches } = parseFwmarkMatch(stmt, services.marks);
      services.marks.set(mark, stmt);
      (out.config.fwmarkMatches ??= {})[mark] = matches;
      return;
    }
    case 'local_address_group':
      addLocalAddressGroup(stmt, out);
      return;
    default:
      ignored(stmt, UNSUPPORTED_TOP, warnings);
  }
}

/**
 * Group services become one service per member; a mark service needs its fwmark_match. Where
 * the file said them is kept: errors about a member name the virtual_server's line.
 */
function expandServices(out: ConvertedConfig, drafts: ServiceDrafts): void {
  const marks = new Set(drafts.marks.keys());
  const used = new Set<string>();
  const services: typeof out.config.virtualServers = [];
  const sources: VirtualServerSource[] = [];
  out.config.virtualServers.forEach((vs, i) => {
    const source = out.sources[i] as VirtualServerSource;
    if (vs.fwmark !== undefined && !marks.has(vs.fwmark)) v.fail(source.stmt, undefinedMark(vs.fwmark));
    const members = vs.group === undefined ? [{ vs, source }] : expandGroupService(vs, source, drafts.groups, marks);
    if (vs.group !== undefined) used.add(vs.group);
    for (const m of members) {
      services.push(m.vs);
      sources.push(m.source);
    }
  });
  unusedGroups(drafts.groups, used, out.config.warnings);
  out.config.virtualServers = services;
  out.sources = sources;
}

/**
 * `local_address_group NAME { IP [DEVICE] ... }`. DPVS names a device after each address; director
 * keeps its local addresses on the interface it runs on, so a device is accepted and ignored.
 */
function addLocalAddressGroup(stmt: Statement, out: ConvertedConfig): void {
  const groupName = v.name(stmt);
  if (!stmt.block) v.fail(stmt, "expects a block '{ IP ... }' after the group name");
  const earlier = out.groupSources.get(groupName);
  if (earlier) v.fail(stmt, `group '${groupName}' is already defined at ${earlier.file}:${earlier.line}`);
  const addresses: string[] = [];
  for (const entry of stmt.block) {
    if (entry.block) v.fail(entry, 'a local address entry cannot have a block');
    if (entry.args.length > 1) v.fail(entry, 'expects an address (or range) and at most a device name');
    if (entry.args.length === 1) {
      warn(entry, `device '${entry.args[0]}' ignored: local addresses live on the director's interface`, out.config.warnings);
    }
    for (const address of expandAddress(entry)) {
      if (addresses.includes(address)) v.fail(entry, `address ${address} is listed twice in group '${groupName}'`);
      addresses.push(address);
    }
  }
  if (addresses.length === 0) v.fail(stmt, `group '${groupName}' has no addresses`);
  out.config.localAddressGroups[groupName] = addresses;
  out.groupSources.set(groupName, stmt);
}

/** An entry is an address (IPv6 in RFC 5952 text), or a last-octet range `A.B.C.D-E` as keepalived's groups allow. */
function expandAddress(entry: Statement): string[] {
  if (entry.keyword.includes(':') && isIPv6(entry.keyword)) return [formatIpv6(parseIpv6(entry.keyword))];
  try {
    return expandOctetRange(entry.keyword);
  } catch (err) {
    v.fail(entry, (err as Error).message);
  }
}
