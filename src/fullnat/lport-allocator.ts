// FULLNAT local (LIP, port) allocation: one bitmap of ports per local address, handed out
// round-robin over the addresses so load spreads, never a pair that is in use, and a clean
// failure (the caller counts a drop) when every address is exhausted.

const PORT_MIN = 1024;
const PORT_MAX = 65535;

export interface LocalEndpoint {
  laddr: number;
  lport: number;
}

export class LocalPortAllocator {
  private readonly used: Uint32Array[];
  private readonly cursor: Uint32Array;
  private readonly inUse: Uint32Array;
  private next = 0;
  private readonly perAddress = PORT_MAX - PORT_MIN + 1;

  constructor(readonly addresses: readonly number[]) {
    if (addresses.length === 0) throw new Error('FULLNAT needs at least one local address');
    this.used = addresses.map(() => new Uint32Array(65536 / 32));
    this.cursor = new Uint32Array(addresses.length).fill(PORT_MIN);
    this.inUse = new Uint32Array(addresses.length);
  }

  /** Ports in use on each address. */
  get usage(): readonly number[] {
    return Array.from(this.inUse);
  }

  /**
   * Allocates a free (LIP, port) into out; returns false when all are in use. out is the
   * caller's reusable object so the data path allocates nothing.
   */
  allocate(out: LocalEndpoint): boolean {
    const n = this.addresses.length;
    for (let tried = 0; tried < n; tried++) {
      const a = this.next;
      this.next = (this.next + 1) % n;
      if (this.inUse[a]! >= this.perAddress) continue;
      const port = this.findFree(a);
      this.mark(a, port);
      out.laddr = this.addresses[a]!;
      out.lport = port;
      return true;
    }
    return false;
  }

  /** Returns a pair to the pool; releasing a pair not in use is ignored. */
  release(laddr: number, lport: number): void {
    const a = this.addresses.indexOf(laddr);
    if (a < 0 || lport < PORT_MIN) return;
    const bits = this.used[a]!;
    const word = lport >>> 5;
    const bit = 1 << (lport & 31);
    if ((bits[word]! & bit) === 0) return;
    bits[word] = bits[word]! & ~bit;
    this.inUse[a] = this.inUse[a]! - 1;
  }

  /** Next free port at or after the address's cursor, wrapping; the caller knows one exists. */
  private findFree(a: number): number {
    const bits = this.used[a]!;
    let port = this.cursor[a]!;
    for (;;) {
      const word = bits[port >>> 5]!;
      if (word === 0xffffffff) {
        port = ((port >>> 5) + 1) << 5;
      } else if ((word & (1 << (port & 31))) === 0) {
        break;
      } else {
        port++;
      }
      if (port > PORT_MAX) port = PORT_MIN;
    }
    this.cursor[a] = port === PORT_MAX ? PORT_MIN : port + 1;
    return port;
  }

  private mark(a: number, port: number): void {
    const bits = this.used[a]!;
    bits[port >>> 5] = bits[port >>> 5]! | (1 << (port & 31));
    this.inUse[a] = this.inUse[a]! + 1;
  }
}
