// FULLNAT local (LIP, port) allocation: one bitmap of ports per local address, handed out
// round-robin over a group's addresses so load spreads, never a pair that is in use, and a
// clean failure (the caller counts a drop) when every address is exhausted. The ports of one
// address live in one object that every group listing the address shares and that a rebuilt
// service table takes over, so no two connections ever hold the same pair. Each address's
// cursor starts at a random port, so a restarted director (or a second one with the same local
// addresses) does not first walk the ports whose tuples its predecessor left in the real
// servers' TIME_WAIT (docs/datapath.md#fullnat-sequence-numbers).

import { randomInt } from 'node:crypto';

const PORT_MIN = 1024;
const PORT_MAX = 65535;
/** Labs and tests: the port every address's cursor starts at instead of a random one. */
const FIRST_PORT_ENV = 'DIRECTOR_FIRST_LOCAL_PORT';

/**
 * The ports of each local address one worker hands out: those p with p mod workers = index, so
 * a reply's destination port names the worker that holds its connection (src/workers/steering.ts).
 */
export interface PortShare {
  readonly workers: number;
  readonly index: number;
  /** Where each address's cursor starts (the simulator, for reproducible output); default random. */
  readonly firstPort?: number;
}

export const SOLE_WORKER: PortShare = { workers: 1, index: 0 };
/** One worker handing out ports from the lowest up. */
export const LOWEST_FIRST: PortShare = { workers: 1, index: 0, firstPort: PORT_MIN };

/** The first port of a new address's cursor: the share's, else DIRECTOR_FIRST_LOCAL_PORT's, else random. */
function firstPort(share: PortShare): number {
  if (share.firstPort !== undefined) return share.firstPort;
  const env = process.env[FIRST_PORT_ENV];
  if (env === undefined || env === '') return randomInt(PORT_MIN, PORT_MAX + 1);
  const port = Number(env);
  if (!/^[0-9]+$/.test(env) || port < PORT_MIN || port > PORT_MAX) {
    throw new RangeError(`${FIRST_PORT_ENV} must be a port from ${PORT_MIN} to ${PORT_MAX}, got '${env}'`);
  }
  return port;
}

export interface LocalEndpoint {
  laddr: number;
  lport: number;
}

/** The ports in use on one local address. */
export class LocalAddressPorts {
  private readonly used = new Uint32Array(65536 / 32);
  private cursor: number;
  private count = 0;
  /** Ports of this worker's share. */
  private readonly capacity: number;

  constructor(readonly addr: number, readonly share: PortShare = SOLE_WORKER) {
    if (!Number.isInteger(share.workers) || share.workers < 1 || !Number.isInteger(share.index) || share.index < 0 || share.index >= share.workers) {
      throw new RangeError(`bad local port share ${share.index} of ${share.workers}`);
    }
    this.cursor = firstPort(share);
    let capacity = 0;
    // Other workers' ports are marked taken up front, so take() skips them at no extra cost.
    for (let port = PORT_MIN; port <= PORT_MAX; port++) {
      if (this.mine(port)) capacity++;
      else this.used[port >>> 5] = this.used[port >>> 5]! | (1 << (port & 31));
    }
    this.capacity = capacity;
  }

  /** Whether port is in this worker's share. */
  mine(port: number): boolean {
    return port % this.share.workers === this.share.index;
  }

  get inUse(): number {
    return this.count;
  }

  /** A free port, marked in use, or -1 when every one is taken. */
  take(): number {
    if (this.count >= this.capacity) return -1;
    const bits = this.used;
    let port = this.cursor;
    for (;;) {
      const word = bits[port >>> 5]!;
      if (word === 0xffffffff) port = ((port >>> 5) + 1) << 5;
      else if ((word & (1 << (port & 31))) === 0) break;
      else port++;
      if (port > PORT_MAX) port = PORT_MIN;
    }
    this.cursor = port === PORT_MAX ? PORT_MIN : port + 1;
    bits[port >>> 5] = bits[port >>> 5]! | (1 << (port & 31));
    this.count++;
    return port;
  }

  /** Marks a given port in use; false when it is taken, not a local port or another worker's. */
  reserve(port: number): boolean {
    if (port < PORT_MIN || port > PORT_MAX || !this.mine(port)) return false;
    const word = port >>> 5;
    const bit = 1 << (port & 31);
    if (this.used[word]! & bit) return false;
    this.used[word] = this.used[word]! | bit;
    this.count++;
    return true;
  }

  /** Returns a port; releasing one not in use is ignored. */
  release(port: number): void {
    if (port < PORT_MIN || port > PORT_MAX || !this.mine(port)) return;
    const bits = this.used;
    const word = port >>> 5;
    const bit = 1 << (port & 31);
    if ((bits[word]! & bit) === 0) return;
    bits[word] = bits[word]! & ~bit;
    this.count--;
  }
}

export class LocalPortAllocator {
  readonly addresses: readonly number[];
  private readonly ports: readonly LocalAddressPorts[];
  private next = 0;

  /**
   * A group over these addresses. portsOf gives the shared ports object of an address (the one
   * other groups and the previous table hold); without it each address starts with none in use.
   */
  constructor(addresses: readonly number[], portsOf: (addr: number) => LocalAddressPorts = (a) => new LocalAddressPorts(a)) {
    if (addresses.length === 0) throw new Error('FULLNAT needs at least one local address');
    this.addresses = addresses;
    this.ports = addresses.map(portsOf);
  }

  /** Ports in use on each address (all users of the address, not only this group). */
  get usage(): readonly number[] {
    return this.ports.map((p) => p.inUse);
  }

  /** The ports objects of its addresses, in order. */
  get portsByAddress(): readonly LocalAddressPorts[] {
    return this.ports;
  }

  /**
   * Allocates a free (LIP, port) into out; returns false when all are in use. out is the
   * caller's reusable object so the data path allocates nothing.
   */
  allocate(out: LocalEndpoint): boolean {
    const n = this.ports.length;
    for (let tried = 0; tried < n; tried++) {
      const p = this.ports[this.next]!;
      this.next = (this.next + 1) % n;
      const port = p.take();
      if (port < 0) continue;
      out.laddr = p.addr;
      out.lport = port;
      return true;
    }
    return false;
  }

  /** Marks a given pair in use (one a sync peer or a state file holds); false when taken or not ours. */
  reserve(laddr: number, lport: number): boolean {
    return this.ports[this.addresses.indexOf(laddr)]?.reserve(lport) ?? false;
  }

  /** Returns a pair to the pool; releasing a pair not in use is ignored. */
  release(laddr: number, lport: number): void {
    this.ports[this.addresses.indexOf(laddr)]?.release(lport);
  }
}
