// A sync transport in memory: what a master sends is kept in order; a test delivers it to a
// backup's handler by hand, so nothing travels on a wire and nothing waits.
import type { SyncTransport } from '../../src/sync/sync-transport.js';

export class MemorySyncTransport implements SyncTransport {
  readonly sent: Buffer[] = [];
  /** What was sent to one address (a table dump and its request), in order. */
  readonly sentTo: Array<{ message: Buffer; to: string }> = [];
  private handler: (message: Buffer, from: string) => void = () => {};

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
