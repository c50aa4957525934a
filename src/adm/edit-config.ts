// What `adm` edits do to a director's desired configuration: each command that changes the table
// (-A/-E/-D, -a/-e/-d, -C, -P/-Q) becomes a transformation of a DirectorConfig, checked as
// libipvs checks it and refused in its words; -Z and --set, which change running state rather
// than the configuration, are collected to run after the new configuration is in force.

import type { DirectorConfig, RealServerConfig, VirtualServerConfig } from '../config/model.js';
import { isServiceKey, type AdmCommand, type ServerKey, type ServerSettings, type ServiceKey, type ServiceSettings } from './commands.js';
import type { AdmTimeouts } from './model.js';

/** A command that changes something: what `adm` sends to a running director (and -R input holds). */
export type AdmEdit = Extract<AdmCommand, {
  kind: 'add-service' | 'edit-service' | 'delete-service' | 'add-server' | 'edit-server' | 'delete-server' | 'clear'
    | 'zero' | 'set-timeouts' | 'add-laddr' | 'delete-laddr';
}>;

/** A refusal by the director, in libipvs's words where it has them ("No such service"). */
export class AdmEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdmEditError';
  }
}

export interface EditPlan {
  /** The configuration after every edit (the same object when nothing in it changed). */
  config: DirectorConfig;
  /** -Z targets in order (null: every service), each checked to exist where it stood. */
  zeros: Array<ServiceKey | null>;
}

/** Applies the edits in order to a copy of config; throws AdmEditError (nothing changed) on the first refusal. */
export function planEdits(config: DirectorConfig, edits: readonly AdmEdit[]): EditPlan {
  const next = structuredClone(config);
  const plan: EditPlan = { config: next, zeros: [] };
  let changed = false;
  for (const edit of edits) {
    if (edit.kind === 'zero') plan.zeros.push(zeroTarget(next, edit.service));
    else {
      applyEdit(next, edit);
      changed = true;
    }
  }
  if (!changed) plan.config = config;
  return plan;
}

/**
 * --set is global_defs' lvs_timeouts of the config in force (a 0 keeps that value), so the
 * reload applies it like keepalived's own, and a later reload of the edited config keeps it.
 */
function setTimeouts(config: DirectorConfig, t: AdmTimeouts): void {
  const cur = config.globalDefs.lvsTimeouts ?? { tcp: 0, tcpFin: 0, udp: 0 };
  config.globalDefs.lvsTimeouts = { tcp: t.tcp || cur.tcp, tcpFin: t.tcpFin || cur.tcpFin, udp: t.udp || cur.udp };
}

/** -Z -t names a service that must exist at that point of the edits. */
function zeroTarget(config: DirectorConfig, service: ServiceKey | null): ServiceKey | null {
  if (service !== null) findService(config, service);
  return service;
}

type ConfigEdit = Exclude<AdmEdit, { kind: 'zero' }>;

function applyEdit(config: DirectorConfig, edit: ConfigEdit): void {
  switch (edit.kind) {
    case 'add-service':
      return addService(config, edit.service, edit.settings);
    case 'edit-service':
      return setServiceSettings(config, findService(config, edit.service), edit.settings);
    case 'delete-service':
      config.virtualServers.splice(config.virtualServers.indexOf(findService(config, edit.service)), 1);
      return;
    case 'add-server':
      return addServer(serviceForServer(config, edit.service), edit.server, edit.settings);
    case 'edit-server': {
      const vs = serviceForServer(config, edit.service);
      return setServerSettings(vs, findServer(vs, edit.server), edit.settings);
    }
    case 'delete-server': {
      const vs = serviceForServer(config, edit.service);
      vs.realServers.splice(vs.realServers.indexOf(findServer(vs, edit.server)), 1);
      return;
    }
    case 'set-timeouts':
      return setTimeouts(config, edit.timeouts);
    case 'clear':
      config.virtualServers = [];
      config.localAddressGroups = {};
      return;
    case 'add-laddr':
      return addLocalAddresses(config, edit.group, edit.addresses);
    case 'delete-laddr':
      return deleteLocalAddresses(config, edit.group, edit.addresses);
  }
}

function sameService(vs: VirtualServerConfig, key: ServiceKey): boolean {
  return isServiceKey({
    protocol: vs.protocol, address: vs.vip, port: vs.port, ...(vs.fwmark ? { fwmark: vs.fwmark } : {}), ...(vs.family ? { family: vs.family } : {}),
  }, key);
}

function findService(config: DirectorConfig, key: ServiceKey): VirtualServerConfig {
  const vs = config.virtualServers.find((v) => sameService(v, key));
  if (vs === undefined) throw new AdmEditError('No such service');
  return vs;
}

/** libipvs says "Service not defined" when a real server command names a missing service. */
function serviceForServer(config: DirectorConfig, key: ServiceKey): VirtualServerConfig {
  const vs = config.virtualServers.find((v) => sameService(v, key));
  if (vs === undefined) throw new AdmEditError('Service not defined');
  return vs;
}

function findServer(vs: VirtualServerConfig, key: ServerKey): RealServerConfig {
  const rs = vs.realServers.find((r) => r.address === key.address && r.port === key.port);
  if (rs === undefined) throw new AdmEditError('No such destination');
  return rs;
}

function addService(config: DirectorConfig, key: ServiceKey, settings: ServiceSettings): void {
  if (config.virtualServers.some((v) => sameService(v, key))) throw new AdmEditError('Service already exists');
  // A mark only the kernel's firewall could set would leave the service without a packet.
  if (key.fwmark && config.fwmarkMatches?.[key.fwmark] === undefined) {
    throw new AdmEditError(`fwmark ${key.fwmark} has no fwmark_match in the configuration (director marks packets itself)`);
  }
  const clash = key.fwmark ? null : localAddressGroupOf(config, key.address);
  if (clash !== null) throw new AdmEditError(`${key.address} is a local address of group ${clash}, it cannot be a virtual service`);
  const vs: VirtualServerConfig = {
    vip: key.address, port: key.port, protocol: key.protocol, scheduler: '', schedFlags: [], method: 'dr',
    delayLoop: 60, persistenceTimeout: 0, persistenceGranularity: '', laddrGroup: null, slowStart: 0, synProxy: false, realServers: [], line: 0,
    ...(key.fwmark ? { fwmark: key.fwmark } : {}),
    ...(key.family === 'inet6' ? { family: 'inet6' as const } : {}),
  };
  setServiceSettings(config, vs, settings);
  config.virtualServers.push(vs);
}

/** -A/-E: every ipvsadm setting from the line (what it leaves out has its default already). */
function setServiceSettings(config: DirectorConfig, vs: VirtualServerConfig, s: ServiceSettings): void {
  if (s.laddrGroup !== null && !Object.hasOwn(config.localAddressGroups, s.laddrGroup)) {
    throw new AdmEditError(`No such local address group: ${s.laddrGroup}`);
  }
  if (s.laddrGroup === null && vs.realServers.some((rs) => rs.method === 'fnat')) {
    throw new AdmEditError('FULLNAT real servers need the service to keep a local address group (--laddr-group)');
  }
  vs.scheduler = s.scheduler;
  vs.schedFlags = [...s.schedFlags];
  vs.persistenceTimeout = s.persistence;
  vs.persistenceGranularity = s.netmask;
  vs.laddrGroup = s.laddrGroup;
  if (s.ops === true) vs.ops = true;
  else delete vs.ops;
}

function addServer(vs: VirtualServerConfig, key: ServerKey, settings: ServerSettings): void {
  if (vs.realServers.some((r) => r.address === key.address && r.port === key.port)) throw new AdmEditError('Destination already exists');
  const rs: RealServerConfig = {
    address: key.address, port: key.port, weight: 1, method: 'dr', upperThreshold: 0, lowerThreshold: 0, line: 0,
  };
  setServerSettings(vs, rs, settings);
  vs.realServers.push(rs);
}

/** -a/-e: ipvsadm's settings replaced whole; health checks configured for the server stay. */
function setServerSettings(vs: VirtualServerConfig, rs: RealServerConfig, s: ServerSettings): void {
  if (s.method === 'fnat' && vs.laddrGroup === null) {
    throw new AdmEditError('a FULLNAT real server needs its service to have a local address group (-E ... --laddr-group NAME)');
  }
  rs.method = s.method;
  rs.weight = s.weight;
  rs.upperThreshold = s.upperThreshold;
  rs.lowerThreshold = s.lowerThreshold;
}

function localAddressGroupOf(config: DirectorConfig, address: string): string | null {
  for (const [name, addresses] of Object.entries(config.localAddressGroups)) if (addresses.includes(address)) return name;
  return null;
}

function addLocalAddresses(config: DirectorConfig, group: string, addresses: readonly string[]): void {
  const list = Object.hasOwn(config.localAddressGroups, group) ? config.localAddressGroups[group]! : [];
  for (const address of addresses) {
    const owner = list.includes(address) ? group : localAddressGroupOf(config, address);
    if (owner !== null) throw new AdmEditError(`Local address already exists: ${address} (group ${owner})`);
    if (config.virtualServers.some((vs) => vs.vip === address)) {
      throw new AdmEditError(`${address} is a virtual service address, it cannot be a local address`);
    }
    list.push(address);
  }
  config.localAddressGroups[group] = list;
}

/** -Q: a group left empty goes away, unless a service still names it. */
function deleteLocalAddresses(config: DirectorConfig, group: string, addresses: readonly string[]): void {
  if (!Object.hasOwn(config.localAddressGroups, group)) throw new AdmEditError(`No such local address group: ${group}`);
  const list = config.localAddressGroups[group]!;
  for (const address of addresses) {
    const at = list.indexOf(address);
    if (at < 0) throw new AdmEditError(`No such local address: ${address}`);
    list.splice(at, 1);
  }
  if (list.length > 0) return;
  const user = config.virtualServers.find((vs) => vs.laddrGroup === group);
  if (user !== undefined) {
    throw new AdmEditError(`local address group ${group} would be empty but ${user.protocol.toUpperCase()} ${user.vip}:${user.port} uses it`);
  }
  delete config.localAddressGroups[group];
}
