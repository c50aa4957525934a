// An offline director: the data plane a running director uses (the same TypeScript classifier,
// schedulers and connection table, the same native parse and rewrite) on an in-memory port,
// fed frames with their capture times as its clock. It records what would go out and which real
// server each new connection got. Neighbours are simulated: every ARP request the director makes
// is answered with a MAC made from the address asked for, so nothing needs a network or root.

import type { AdmConnection } from '../adm/model.js';
import type { DirectorConfig } from '../config/model.js';
import { DataPlane } from '../datapath/data-plane.js';
import { ServiceTable } from '../datapath/service-table.js';
import { isnAt } from '../fullnat/isn-clock.js';
import { LOWEST_FIRST } from '../fullnat/lport-allocator.js';
import { buildArp } from '../arp/arp-frames.js';
import { formatMac, macToBytes } from '../net/addr.js';
import { loadAddon } from '../native/binding.js';
import type { NativeEngine } from '../native/types.js';
import type { Route } from '../net/routes.js';
import { connectionRow } from '../stats/connections.js';
import { partialChecksumVnet } from './offload.js';
import type { PcapRecord } from './pcap.js';

const PORT_NAME = 'sim0';
const TICK_MS = 1000;
/** ARP rounds per input frame: a request, its reply, and the frames it releases. */
const ARP_ROUNDS = 4;
const ETH_P_ARP = 0x0806;

export interface SimulationOptions {
  config: DirectorConfig;
  /** The director's MAC on the simulated segment. */
  mac: string;
  /** The director's own IPv4 address on the segment (ARP sender, TUN outer source); 0 for none. */
  address: number;
  /** Next hop toward everything but the real servers (clients); null: clients are on the segment too. */
  gateway: number | null;
  /** Connection table size (default the data plane's). */
  connCapacity?: number;
}

/** One new connection and the real server it was given. */
export interface FlowChoice extends AdmConnection {
  /** Capture time of the packet that made it (ms since the epoch). */
  timeMs: number;
  method: 'dr' | 'nat' | 'tun' | 'fnat';
}

const METHOD_NAMES = ['dr', 'nat', 'tun', 'fnat'] as const;

/** The MAC a simulated neighbour answers with: 02:5e and the four bytes of its IPv4 address. */
export function neighbourMac(addr: number): string {
  return formatMac(0x025e, addr >>> 0);
}

class SimClock {
  constructor(public ms: number) {}
  now(): number { return this.ms; }
}

export class Simulation {
  /** Frames the director sent, in order, stamped with the time of the frame that caused them. */
  readonly sent: PcapRecord[] = [];
  readonly choices: FlowChoice[] = [];
  readonly plane: DataPlane;
  private readonly engine: NativeEngine;
  private readonly port: number;
  private readonly clock: SimClock;
  private lastTickMs: number;
  /** ARP replies the simulated neighbours gave: the director counts them as consumed, not as drops of the input. */
  private arpAnswers = 0;
  private closed = false;

  /** A director whose clock starts at startMs (the first frame's time). */
  constructor(private readonly o: SimulationOptions, startMs: number) {
    this.clock = new SimClock(startMs);
    this.lastTickMs = startMs;
    // Reproducible: FULLNAT ports from the lowest up, ISNs from the capture's clock.
    const table = ServiceTable.build(o.config, this.clock, undefined, LOWEST_FIRST);
    this.engine = new (loadAddon().Engine)();
    this.port = this.engine.addMemoryPort(PORT_NAME, o.mac, 1500, { ipv4: o.address });
    // Real servers on the segment (what the simulation cannot know of their routes does not change a choice).
    const routes: Route[] = [
      ...table.dests.map((d) => ({ network: d.addr, prefixLen: 32, gateway: 0, dev: PORT_NAME })),
      { network: 0, prefixLen: 0, gateway: o.gateway ?? 0, dev: PORT_NAME },
    ];
    try {
      this.plane = new DataPlane({
        engine: this.engine, port: this.port, table, routes, clock: this.clock, localIp: o.address, isn: () => isnAt(this.clock.ms),
        // No VRRP addresses: every owned address is answered, as on a MASTER.
        timeouts: o.config.globalDefs.lvsTimeouts,
        ...(o.connCapacity !== undefined ? { connCapacity: o.connCapacity } : {}),
      });
    } catch (err) {
      this.engine.close();
      throw err;
    }
    this.plane.observe({ created: (e) => this.record(e), inbound: () => {} });
  }

  /** The start: the director's own ARP requests for its real servers, answered. */
  async settle(): Promise<void> {
    await this.collect(false);
  }

  /** One frame as received at timeMs (a time before the clock counts as now). */
  async feed(frame: Buffer, timeMs: number): Promise<void> {
    this.advance(timeMs);
    const vnet = partialChecksumVnet(frame);
    if (vnet === undefined) this.engine.inject(this.port, [frame]);
    else this.engine.inject(this.port, [frame], [vnet]);
    await this.collect(true);
  }

  /** Runs the clock to timeMs, with the once-a-second work (expiry, ARP, hold queue) on the way. */
  private advance(timeMs: number): void {
    while (timeMs - this.lastTickMs >= TICK_MS) {
      this.lastTickMs += TICK_MS;
      this.clock.ms = this.lastTickMs;
      this.plane.tick();
    }
    this.clock.ms = Math.max(this.clock.ms, timeMs);
  }

  /**
   * Takes what the director sent: ARP requests get a simulated reply (and are not written),
   * everything else is written when keep is set (start-up announcements are not).
   */
  private async collect(keep: boolean): Promise<void> {
    for (let round = 0; round < ARP_ROUNDS; round++) {
      let answered = 0;
      for (const { frame } of this.engine.drain(this.port)) {
        const b = Buffer.from(frame);
        const reply = this.arpReplyTo(b);
        if (reply !== null) {
          this.engine.inject(this.port, [reply]);
          this.arpAnswers++;
          answered++;
        } else if (keep) {
          this.sent.push({ timeMs: this.clock.ms, frame: b, wireLength: b.length });
        }
      }
      if (answered === 0) return;
      // Frames held for a next hop are released just after the reply's batch.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The simulated neighbour's reply to an ARP request the director sent (not a gratuitous one). */
  private arpReplyTo(b: Buffer): Buffer | null {
    if (b.length < 42 || b.readUInt16BE(12) !== ETH_P_ARP || b.readUInt16BE(20) !== 1) return null;
    const sender = b.readUInt32BE(28);
    const target = b.readUInt32BE(38);
    if (sender === target) return null;
    const mac = macToBytes(neighbourMac(target));
    return buildArp({ op: 2, ethDst: macToBytes(this.o.mac), ethSrc: mac, senderMac: mac, senderIp: target,
      targetMac: macToBytes(this.o.mac), targetIp: sender });
  }

  private record(e: number): void {
    const row = connectionRow(this.plane, e, this.plane.seconds());
    this.choices.push({ ...row, timeMs: this.clock.ms, method: METHOD_NAMES[this.plane.conns.method[e]!] ?? 'dr' });
  }

  /** Drops of the input by reason (lower-case names, as `director run` reports them). */
  drops(): Record<string, number> {
    const drops = this.plane.drops.toJSON();
    const consumed = (drops.arp_consumed ?? 0) - this.arpAnswers;
    if (consumed > 0) drops.arp_consumed = consumed;
    else delete drops.arp_consumed;
    return drops;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.plane.close();
  }
}

/** "ADDRESS:PORT" of an endpoint, for reports. */
export function endpointText(e: { address: string; port: number }): string {
  return `${e.address}:${e.port}`;
}
