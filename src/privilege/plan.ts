// Which capabilities `director run` keeps once its sockets, rings and XDP program are set up,
// and why each one: the explicit kept set that is logged at start and shown in stats. Pure: the
// decision is a function of the config and the run options.

import type { DirectorConfig, NotifyConfig } from '../config/model.js';

/** Linux capability names by number (capability(7)), lower case without CAP_. */
export const CAPABILITY_NAMES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
  'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner',
  'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice',
  'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap',
  'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf',
  'checkpoint_restore',
] as const;

export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

export interface KeptCapability {
  name: CapabilityName;
  why: string;
}

export interface PlanInput {
  config: DirectorConfig;
  /** --io: xdp and auto may attach an XDP program, which only CAP_NET_ADMIN can take off at stop. */
  io?: 'auto' | 'xdp' | 'packet';
}

/** The capabilities kept after setup, each with its reason, in capability order. */
export function keptCapabilities(p: PlanInput): KeptCapability[] {
  const kept: KeptCapability[] = [
    { name: 'net_bind_service', why: 'checker source ports (bindto) below 1024' },
    { name: 'net_raw', why: "PING_CHECK's raw ICMP socket (outside net.ipv4.ping_group_range) and bind_if (SO_BINDTODEVICE) before Linux 5.7" },
  ];
  if (p.io === 'xdp' || p.io === 'auto') kept.push({ name: 'net_admin', why: 'detaching the XDP program at stop' });
  if (runsScripts(p.config)) {
    kept.push({ name: 'setgid', why: 'scripts run as their script_user' }, { name: 'setuid', why: 'scripts run as their script_user' });
  }
  return kept.sort((a, b) => CAPABILITY_NAMES.indexOf(a.name) - CAPABILITY_NAMES.indexOf(b.name));
}

/** Capability numbers of names. */
export function capabilityNumbers(names: readonly CapabilityName[]): number[] {
  return names.map((n) => CAPABILITY_NAMES.indexOf(n));
}

/** Names of the capabilities set in a /proc status mask (hex, as CapEff shows it). */
export function capabilityNamesOf(hexMask: string): string[] {
  const mask = BigInt(`0x${hexMask}`);
  const out: string[] = [];
  for (let n = 0; n < 64; n++) {
    if ((mask >> BigInt(n)) & 1n) out.push(CAPABILITY_NAMES[n] ?? `cap_${n}`);
  }
  return out;
}

/** True when the config runs any script: vrrp_script, notify*, MISC_CHECK, notify_up/down. */
export function runsScripts(config: DirectorConfig): boolean {
  const notifies = (n: NotifyConfig): boolean => [n.master, n.backup, n.fault, n.stop, n.any].some((c) => c !== null);
  const v = config.vrrp;
  if (v.scripts.length > 0 || v.instances.some((i) => notifies(i.notify)) || v.syncGroups.some((g) => notifies(g.notify))) return true;
  return config.virtualServers.some((vs) => vs.realServers.some((rs) =>
    rs.notifyUp !== undefined || rs.notifyDown !== undefined || (rs.checks ?? []).some((c) => c.kind === 'misc')));
}
