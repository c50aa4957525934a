// A client of a director's control socket (what `adm`, `reload` and `top` talk through): connects,
// sends requests, matches answers to them by id, collects streamed pages, and turns an error
// answer into a ControlError with the daemon's code and message.

import net from 'node:net';
import { LineSplitter } from './lines.js';
import { ControlError, decodeResponse, PROTOCOL_VERSION, type Response } from './protocol.js';

/** Answers can be large (a snapshot of many thousands of real servers); still, not unbounded. */
const MAX_RESPONSE_BYTES = 512 << 20;

interface Pending {
  onPage: ((page: unknown) => void) | null;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

export interface ClientOptions {
  /** Give up connecting, or waiting for an answer, after this long. Default 60 s. */
  timeoutMs?: number;
}

export class ControlClient {
  private readonly pending = new Map<number, Pending>();
  private readonly splitter = new LineSplitter(MAX_RESPONSE_BYTES);
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(private readonly socket: net.Socket, readonly socketPath: string, private readonly timeoutMs: number) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(new Error(`control socket ${socketPath}: ${err.message}`)));
    socket.on('close', () => this.fail(new Error(`the director closed the control socket ${socketPath}`)));
  }

  /** Connects; "no director is running" when nothing listens at the path. */
  static connect(socketPath: string, o: ClientOptions = {}): Promise<ControlClient> {
    const timeoutMs = o.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`control socket ${socketPath}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ControlClient(socket, socketPath, timeoutMs));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? `no director is running with control socket ${socketPath} (${err.code}); start one with director run, or give --control PATH`
          : `control socket ${socketPath}: ${err.message}`;
        reject(new Error(why));
      });
    });
  }

  /** One request and its single answer. */
  request(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.send(op, args, null);
  }

  /** A streamed request: onPage gets each page in order; resolves with the final answer. */
  stream(op: string, args: Record<string, unknown>, onPage: (page: unknown) => void): Promise<unknown> {
    return this.send(op, args, onPage);
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private send(op: string, args: Record<string, unknown>, onPage: Pending['onPage']): Promise<unknown> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    const line = JSON.stringify({ v: PROTOCOL_VERSION, id, op, args });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`${op}: no answer from the director within ${this.timeoutMs} ms`)), this.timeoutMs);
      const settle = <T>(f: (v: T) => void) => (v: T): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        f(v);
      };
      this.pending.set(id, { onPage, resolve: settle(resolve), reject: settle(reject) });
      this.socket.write(`${line}\n`);
    });
  }

  private receive(chunk: Buffer): void {
    const { lines, overflow } = this.splitter.push(chunk);
    for (const line of lines) this.dispatch(line.toString('utf8'));
    if (overflow) this.fail(new Error(`an answer longer than ${MAX_RESPONSE_BYTES} bytes`));
  }

  private dispatch(text: string): void {
    let response: Response;
    try {
      response = decodeResponse(text);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    const waiting = typeof response.id === 'number' ? this.pending.get(response.id) : undefined;
    if (waiting === undefined) {
      // An answer to no request: the daemon speaks to the whole connection (busy, timeout).
      if (!response.ok) this.fail(new ControlError(response.error.code, response.error.message));
      return;
    }
    if (!response.ok) waiting.reject(new ControlError(response.error.code, response.error.message));
    else if (response.more === true) waiting.onPage?.(response.result);
    else waiting.resolve(response.result);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of [...this.pending.values()]) p.reject(this.failure);
    this.socket.destroy();
  }
}
