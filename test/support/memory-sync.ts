// A sync transport in memory: what a master sends is kept in order; a test delivers it to a
// backup's handler by hand, so nothing travels on a wire and nothing waits. A bus joins N of
// them as one sync LAN (N directors syncing with each other).
import type { ConnSync } from '../../src/sync/conn-sync.js';
import type { SyncTransport } from '../../src/sync/sync-transport.js';
import type { MemoryLab } from './memory-plane.js';

/** A director in a sync test: its data plane, its sync and the transport it sends on. */
export interface SyncNode {
  lab: MemoryLab;
  sync: ConnSync;
  transport: MemorySyncTransport;
}

export class MemorySyncTransport implements SyncTransport {
  readonly sent: Buffer[] = [];
  /** What was sent to one address (a table dump and its request), in order. */
  readonly sentTo: Array<{ message: Buffer; to: string }> = [];
  private handler: (message: Buffer, from: string) => void = () => {};

  /** local: the node's own address (its messages come back from it on a bus). */
  constructor(readonly local?: string) {}

  send(message: Buffer): void {
    this.sent.push(Buffer.from(message));
  }

  sendTo(message: Buffer, to: string): void {
    this.sentTo.push({ message: Buffer.from(message), to });
  }

  onMessage(handler: (message: Buffer, from: string) => void): void {
    this.handler = handler;
  }

  /** Hands a message to the installed handler, as a socket would. */
  deliver(message: Uint8Array, from = '198.19.0.2'): void {
    this.handler(Buffer.from(message), from);
  }

  /** Everything sent so far, taken. */
  take(): Buffer[] {
    return this.sent.splice(0);
  }

  async close(): Promise<void> {}
}

/**
 * N transports as one LAN: a message sent to the group reaches every node, the sender included
 * (as a multicast loop would bring it back), from the sender's address; one sent to an address
 * reaches that node only.
 */
export class MemorySyncBus {
  private readonly nodes = new Map<string, MemorySyncTransport>();

  attach(address: string): MemorySyncTransport {
    const t = new MemorySyncTransport(address);
    this.nodes.set(address, t);
    return t;
  }

  /**
   * Delivers what every node sent, and what that made them send, until nothing more is sent;
   * returns how many messages were sent. Throws when the nodes keep answering each other.
   */
  pump(maxRounds = 10): number {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      const wave: Array<{ message: Buffer; from: string; to: string | null }> = [];
      for (const [address, t] of this.nodes) {
        for (const message of t.take()) wave.push({ message, from: address, to: null });
        for (const { message, to } of t.sentTo.splice(0)) wave.push({ message, from: address, to });
      }
      if (wave.length === 0) return total;
      total += wave.length;
      for (const { message, from, to } of wave) {
        if (to === null) for (const t of this.nodes.values()) t.deliver(message, from);
        else this.nodes.get(to)?.deliver(message, from);
      }
    }
    throw new Error(`the nodes still sent messages after ${maxRounds} rounds: an echo`);
  }
}
