// VRRP running in the director: one VrrpRouter per vrrp_instance, the IPv4 ones on one raw socket
// on the director's interface and the IPv6 ones (VRRPv3) on another, their state machines driven
// by real timers, adverts heard checked and dispatched by family and VRID, tracked interfaces and
// vrrp_scripts fed in, sync groups joined. Each state change opens or closes the data plane's VIP
// gate at once, and runs the notify scripts.

import type { DirectorConfig, NotifyConfig } from '../config/model.js';
import type { VipGate } from '../datapath/vip-gate.js';
import { formatIpv4 } from '../net/addr.js';
import { formatIpv6 } from '../net/addr6.js';
import type { NativeVrrpSocket } from '../native/types.js';
import type { Clock } from '../sched/types.js';
import { readVrrpIpv4 } from './vrrp-frame.js';
import { ipv6Bytes, ipv6FromBytes, readVrrpIpv6 } from './vrrp-packet6.js';
import { checkAdvert, DROP_REASONS, dropReasonIndex } from './vrrp-receive.js';
import { VrrpRouter } from './vrrp-router.js';
import { instanceAddresses } from './vrrp-spec.js';
import { ScriptRunner } from './vrrp-scripts.js';
import { VrrpSyncGroup } from './vrrp-sync-group.js';
import { LinkWatcher, TrackScript } from './vrrp-track.js';
import type { PreemptEvent, VrrpAddr, VrrpEvent, VrrpState } from './vrrp-types.js';

/** keepalived puts no limit on notify scripts; a hung one is killed after this. */
const NOTIFY_TIMEOUT_MS = 30_000;

export interface VrrpRuntimeOptions {
  config: DirectorConfig;
  /** The interface the director is attached to: every vrrp_instance must name it. */
  interface: string;
  netns?: string;
  /** The director's address on the interface (advert source unless unicast_src_ip). */
  localIp: number;
  socket: NativeVrrpSocket;
  /** The IPv6 VRRP socket (family 6), required when some instance is IPv6. */
  socket6?: NativeVrrpSocket;
  gate: VipGate;
  sendGratuitousArp(addr: number): void;
  /**
   * One round of unsolicited neighbour advertisements for these IPv6 addresses (the data plane's
   * sendUnsolicitedNa); without it an IPv6 takeover is not announced (neighbours learn the new
   * master's MAC only when their entry goes stale and they solicit), which start() warns about.
   */
  announceIpv6?: (addresses: readonly bigint[]) => void;
  clock: Clock;
  log: (line: string) => void;
  /** Warnings (a preemption that went ahead without the table); default: log. */
  warn?: (line: string) => void;
  /** Hears every instance's state change (connection sync follows its instance's). */
  onInstanceState?: (name: string, state: VrrpState) => void;
  /** Connection sync's table dump, for the instance sync follows: its preemptions wait for the table. */
  tableSync?: TableSyncHooks;
}

/** What sync-aware preemption asks of connection sync. */
export interface TableSyncHooks {
  /** The vrrp_instance connection sync follows. */
  instance: string;
  /** Ask the master at masterIp for its table; call ready() once it is complete. */
  request(masterIp: number, ready: () => void): void;
  /** The hold is over (preempted, or no longer wanted): stop asking. */
  cancel(): void;
  /** Why the table is not complete yet, for the warning when the wait runs out. */
  pending(): string;
  /** This node yields to the master at masterIp: send it the whole table (a partition healed). */
  handOver(masterIp: number): void;
}

export interface VrrpInstanceStats {
  name: string;
  vrid: number;
  state: VrrpState;
  priority: number;
  /** The master heard while BACKUP, null otherwise. */
  master: string | null;
  addresses: string[];
}

export interface VrrpStats {
  instances: VrrpInstanceStats[];
  advertsSent: number;
  advertsReceived: number;
  sendErrors: number;
  /** Adverts dropped, by reason (keepalived's receive checks). */
  drops: Record<string, number>;
}

/** Every address some vrrp_instance of config decides (the gate's closed set at start). */
export function vrrpAddresses(config: DirectorConfig): VrrpAddr[] {
  return config.vrrp.instances.flatMap(instanceAddresses);
}

export function formatAddr(a: VrrpAddr): string {
  return typeof a === 'bigint' ? formatIpv6(ipv6Bytes(a)) : formatIpv4(a);
}

export class VrrpRuntime {
  private readonly routers: VrrpRouter[];
  private readonly byVrid = new Map<number, VrrpRouter>();
  private readonly byVrid6 = new Map<number, VrrpRouter>();
  private readonly ownIps: ReadonlySet<VrrpAddr>;
  private readonly timers = new Map<VrrpRouter, NodeJS.Timeout>();
  private readonly scripts: ScriptRunner;
  private readonly links: LinkWatcher;
  private readonly trackScripts: TrackScript[];
  private readonly drops = new Uint32Array(DROP_REASONS.length);
  private readonly counts = { advertsSent: 0, advertsReceived: 0, sendErrors: 0 };
  private stopped = false;

  constructor(private readonly o: VrrpRuntimeOptions) {
    const { config } = o;
    this.scripts = new ScriptRunner({ ...(o.netns !== undefined ? { netns: o.netns } : {}), globals: config.globalDefs });
    const wire = {
      sendIpv4: (p: Uint8Array, dst: number) => this.send(o.socket, p, dst), sendGratuitousArp: o.sendGratuitousArp,
      sendIpv6: (p: Uint8Array) => this.send(o.socket6, p, 0),
      announceIpv6: (addresses: readonly bigint[]) => o.announceIpv6?.(addresses),
      requestTable: (instance: string, masterIp: VrrpAddr) => this.requestTable(instance, masterIp),
      handOver: (instance: string, masterIp: VrrpAddr) => {
        // Connection sync carries IPv4 only: an IPv6 instance hands nothing over.
        if (this.o.tableSync?.instance === instance && typeof masterIp === 'number') this.o.tableSync.handOver(masterIp);
      },
    };
    const linkLocal = o.socket6?.linkLocal?.() ?? null;
    const local = { ipv4: o.localIp, ipv6LinkLocal: linkLocal ? ipv6FromBytes(linkLocal) : null };
    this.routers = config.vrrp.instances.map((c) => {
      if (c.interface !== o.interface) {
        throw new Error(`vrrp_instance ${c.name}: interface ${c.interface} is not the one this director is attached to (${o.interface})`);
      }
      if (c.family === 6 && o.socket6 === undefined) throw new Error(`vrrp_instance ${c.name} is IPv6: no IPv6 VRRP socket was opened`);
      const r = new VrrpRouter(c, config.globalDefs, local, o.clock, wire, (e) => this.onEvent(e), o.tableSync?.instance === c.name);
      (c.family === 6 ? this.byVrid6 : this.byVrid).set(c.vrid, r);
      return r;
    });
    this.ownIps = new Set(this.routers.map((r) => r.primaryIp));
    this.joinGroups();
    const tracked = new Set(this.routers.flatMap((r) => r.instance.spec.trackers.map((t) => t.name)));
    const report = (name: string, up: boolean): void => this.track(name, up);
    const ifNames = [...tracked].filter((n) => n.startsWith('if:')).map((n) => n.slice(3));
    this.links = new LinkWatcher(ifNames, o.netns, report, o.log);
    this.trackScripts = config.vrrp.scripts.filter((s) => tracked.has(`script:${s.name}`))
      .map((s) => new TrackScript(s, this.scripts, o.clock, report, o.log));
  }

  /** Starts receiving, the trackers and every instance (which then waits for its trackers). */
  start(): void {
    if (this.byVrid.size > 0 || this.o.socket6 === undefined) this.o.socket.start((packet) => this.receive(packet));
    this.o.socket6?.start((packet) => this.receive6(packet));
    if (this.byVrid6.size > 0 && this.o.announceIpv6 === undefined) {
      (this.o.warn ?? this.o.log)('vrrp: unsolicited neighbour advertisements are not built into this data plane: an IPv6 takeover is not announced (neighbours find the new master when their entry goes stale)');
    }
    this.links.start();
    for (const t of this.trackScripts) t.start();
    this.each((r) => r.instance.step({ kind: 'start' }));
  }

  /** Clean stop: a master resigns with a priority-0 advert and stops answering for its VIPs. */
  stop(): void {
    if (this.stopped) return;
    this.each((r) => r.instance.step({ kind: 'stop' }));
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.links.stop();
    for (const t of this.trackScripts) t.stop();
    this.o.socket.close();
    this.o.socket6?.close();
  }

  stats(): VrrpStats {
    const drops: Record<string, number> = {};
    DROP_REASONS.forEach((reason, i) => { if (this.drops[i]) drops[reason] = this.drops[i] as number; });
    return {
      instances: this.routers.map((r) => ({
        name: r.config.name, vrid: r.config.vrid, state: r.instance.state, priority: r.instance.effectivePriority,
        master: r.instance.master ? formatAddr(r.instance.master.ip) : null, addresses: r.addresses.map(formatAddr),
      })),
      ...this.counts,
      drops,
    };
  }

  private joinGroups(): void {
    for (const g of this.o.config.vrrp.syncGroups) {
      const group = new VrrpSyncGroup(g.name, (e) => this.onEvent(e));
      for (const name of g.instances) this.routers.find((r) => r.config.name === name)?.instance.joinGroup(group);
    }
  }

  /** Runs a step on every instance, then re-arms every timer (a sync group moves its members too). */
  private each(step: (r: VrrpRouter) => void): void {
    for (const r of this.routers) step(r);
    this.rearm();
  }

  private rearm(): void {
    if (this.stopped) return;
    for (const r of this.routers) {
      const old = this.timers.get(r);
      if (old) clearTimeout(old);
      const at = r.instance.nextDeadline();
      if (at === null) {
        this.timers.delete(r);
        continue;
      }
      const delay = Math.max(0, Math.ceil(at - this.o.clock.now()));
      this.timers.set(r, setTimeout(() => {
        this.timers.delete(r);
        r.instance.step({ kind: 'timer' });
        this.rearm();
      }, delay));
    }
  }

  private send(socket: NativeVrrpSocket | undefined, packet: Uint8Array, dst: number): void {
    if (this.stopped || socket === undefined) return;
    try {
      socket.send(packet, dst);
      this.counts.advertsSent++;
    } catch (err) {
      // Counted and logged once per burst: a master keeps advertising while the link is down.
      if (this.counts.sendErrors++ === 0) this.o.log(`vrrp: ${(err as Error).message}`);
    }
  }

  private receive(packet: Buffer | string): void {
    if (typeof packet === 'string') return this.o.log(`vrrp: ${packet}`);
    const read = readVrrpIpv4(packet);
    if (!read.ok) return this.drop(read.reason);
    const p = read.packet;
    if (this.ownIps.has(p.src)) return; // our own advert, from a second instance's socket path
    const router = this.byVrid.get(p.advert.vrid);
    if (router === undefined) return this.drop('vrid');
    const verdict = checkAdvert(p, router.expectation);
    if (!verdict.ok) return this.drop(verdict.reason);
    this.counts.advertsReceived++;
    const a = verdict.advert;
    const intervalCs = a.version === 2 ? a.intervalSeconds * 100 : a.intervalCs;
    router.instance.step({ kind: 'advert', advert: { priority: a.priority, src: p.src, intervalCs } });
    this.rearm();
  }

  /** An IPv6 advert: read (RFC 5798 7.1 checks on the packet), then checked by its router. */
  private receive6(packet: Buffer | string): void {
    if (typeof packet === 'string') return this.o.log(`vrrp: ${packet}`);
    const read = readVrrpIpv6(packet);
    if (!read.ok) return this.drop(read.reason);
    const p = read.packet;
    if (this.ownIps.has(p.src)) return;
    const router = this.byVrid6.get(p.advert.vrid);
    if (router === undefined) return this.drop('vrid');
    const verdict = checkAdvert(p, router.expectation);
    if (!verdict.ok) return this.drop(verdict.reason);
    this.counts.advertsReceived++;
    router.instance.step({ kind: 'advert', advert: { priority: p.advert.priority, src: p.src, intervalCs: p.advert.intervalCs } });
    this.rearm();
  }

  private drop(reason: Parameters<typeof dropReasonIndex>[0]): void {
    const i = dropReasonIndex(reason);
    if (i >= 0) this.drops[i] = (this.drops[i] ?? 0) + 1;
  }

  private track(name: string, up: boolean): void {
    if (!this.stopped) this.each((r) => r.instance.step({ kind: 'tracker', name, up }));
  }

  private requestTable(instance: string, masterIp: VrrpAddr): void {
    const sync = this.o.tableSync;
    const router = this.routers.find((r) => r.config.name === instance);
    if (sync === undefined || router === undefined || sync.instance !== instance || typeof masterIp !== 'number') return;
    sync.request(masterIp, () => {
      if (this.stopped) return;
      router.instance.step({ kind: 'table-ready' });
      this.rearm();
    });
  }

  private onPreempt(e: PreemptEvent): void {
    const master = formatAddr(e.masterIp);
    const held = `${Math.round(e.heldMs)} ms`;
    const pending = e.phase === 'timeout' ? this.o.tableSync?.pending() ?? 'no connection sync' : '';
    if (e.phase !== 'hold') this.o.tableSync?.cancel();
    switch (e.phase) {
      case 'hold': return this.o.log(`vrrp: ${e.name} holds its preemption of master ${master} until it has the connection table (at most ${e.waitMs} ms)`);
      case 'ready': return this.o.log(`vrrp: ${e.name} has the connection table of ${master} after ${held}: preempting`);
      case 'timeout': return (this.o.warn ?? this.o.log)(`vrrp: ${e.name} preempts master ${master} without its connection table after ${held} (preempt_sync_wait): ${pending}`);
      case 'master-down': return this.o.log(`vrrp: ${e.name} master ${master} went down after ${held} of waiting for its table: taking over`);
      case 'dropped': return this.o.log(`vrrp: ${e.name} no longer preempts ${master} (held ${held})`);
    }
  }

  /** The VIP gate moves first (leaving MASTER stops the answers at once), then logs and scripts. */
  private onEvent(e: VrrpEvent): void {
    if (e.kind === 'preempt') return this.onPreempt(e);
    if (e.kind === 'instance') {
      const router = this.routers.find((r) => r.config.name === e.name);
      if (router) this.o.gate.setMaster(e.name, e.state === 'MASTER' ? router.addresses : []);
      this.o.log(`vrrp: ${e.name} ${e.previous} -> ${e.state} (priority ${e.priority})`);
      if (router) this.notify(router.config.notify, ['INSTANCE', e.name, e.state, String(e.priority)], e.state);
      this.o.onInstanceState?.(e.name, e.state);
    } else {
      this.o.log(`vrrp: sync group ${e.name} ${e.previous} -> ${e.state}`);
      const group = this.o.config.vrrp.syncGroups.find((g) => g.name === e.name);
      if (group) this.notify(group.notify, ['GROUP', e.name, e.state], e.state);
    }
  }

  private notify(n: NotifyConfig, args: string[], state: VrrpState): void {
    const specific = { MASTER: n.master, BACKUP: n.backup, FAULT: n.fault, STOP: n.stop, INIT: null }[state];
    const runs = [...(specific ? [this.scripts.run(specific, [], NOTIFY_TIMEOUT_MS)] : []),
      ...(n.any ? [this.scripts.run(n.any, args, NOTIFY_TIMEOUT_MS)] : [])];
    for (const run of runs) void run.then((r) => { if (!r.ok) this.o.log(`vrrp: notify ${r.detail}`); });
  }
}
