// A sync transport in memory: what a master sends is kept in order; a test delivers it to a
// backup's handler by hand, so nothing travels on a wire and nothing waits.
import type { SyncTransport } from '../../src/sync/sync-transport.js';

export class MemorySyncTransport implements SyncTransport {
  readonly sent: Buffer[] = [];
  private handler: (message: Buffer, from: string) => void = () => {};

  send(message: Buffer): void {
    this.sent.push(Buffer.from(message));
  }

  onMessage(handler: (message: Buffer, from: string) => void): void {
    this.handler = handler;
  }

  /** Hands a message to the installed handler, as a socket would. */
  deliver(message: Uint8Array): void {
    this.handler(Buffer.from(message), '198.19.0.2');
  }

  /** Everything sent so far, taken. */
  take(): Buffer[] {
    return this.sent.splice(0);
  }

  async close(): Promise<void> {}
}
