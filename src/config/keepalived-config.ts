// Converts the top level of a parsed keepalived.conf into a DirectorConfig: virtual servers,
// local_address_group blocks (keepalived/DPVS FULLNAT dialect), and warnings for the rest.

import type { ConfigWarning, DirectorConfig } from './model.js';
import type { Statement } from './keepalived-parser.js';
import { UNSUPPORTED_TOP, ignored, warn } from './keepalived-keywords.js';
import { convertVirtualServer, type VirtualServerSource } from './keepalived-virtual-server.js';
import * as v from './keepalived-values.js';
import { expandOctetRange } from '../net/addr.js';

export interface ConvertedConfig {
  config: DirectorConfig;
  /** Parallel to config.virtualServers: where each was written. */
  sources: VirtualServerSource[];
  /** Statement of each local_address_group, by name. */
  groupSources: Map<string, Statement>;
}

export function convertTopLevel(statements: Statement[], warnings: ConfigWarning[]): ConvertedConfig {
  const out: ConvertedConfig = {
    config: { virtualServers: [], localAddressGroups: {}, warnings },
    sources: [],
    groupSources: new Map(),
  };
  for (const stmt of statements) {
    if (stmt.keyword === 'virtual_server') {
      const converted = convertVirtualServer(stmt, warnings);
      if (!converted) continue;
      out.config.virtualServers.push(converted.vs);
      out.sources.push(converted.source);
    } else if (stmt.keyword === 'local_address_group') {
      addLocalAddressGroup(stmt, out);
    } else {
      ignored(stmt, UNSUPPORTED_TOP, warnings);
    }
  }
  return out;
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

/** An entry is an address, or a last-octet range `A.B.C.D-E` as keepalived's groups allow. */
function expandAddress(entry: Statement): string[] {
  try {
    return expandOctetRange(entry.keyword);
  } catch (err) {
    v.fail(entry, (err as Error).message);
  }
}
