// One client of the control socket: frames its bytes into request lines (bounded), answers them
// one at a time in order, streams long answers a page per event-loop turn with backpressure,
// and hangs up on a client that sends half a request, nothing, or stops reading for too long.
// Nothing a client sends or fails to read can throw out of here.

import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { LineSplitter } from './lines.js';
import { ControlError, decodeRequest, errorLine, okLine, type ErrorBody, type Request } from './protocol.js';
import type { ControlRejections } from './rejections.js';

/** What an op returns to answer in several lines: each page is one `more: true` result; null sends nothing. */
export class Streamed {
  constructor(readonly pages: Iterable<unknown> | AsyncIterable<unknown>) {}
}

export type OpHandler = (args: Record<string, unknown>) => unknown;
export type ControlOps = Readonly<Record<string, OpHandler>>;

export interface SessionLimits {
  maxRequestBytes: number;
  /** A client that sends nothing (or only half a line), or reads nothing, for this long is dropped. */
  timeoutMs: number;
}

/** Requests framed but not answered yet beyond which the socket stops reading. */
const MAX_QUEUED = 16;

export class Session {
  private readonly splitter: LineSplitter;
  private readonly queue: Buffer[] = [];
  private working = false;
  private overflowed = false;
  /** The client shut its side: answer what it sent, then close ours. */
  private inputEnded = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly ops: ControlOps,
    private readonly limits: SessionLimits,
    private readonly log: Logger,
    private readonly rejections: ControlRejections,
  ) {
    this.splitter = new LineSplitter(limits.maxRequestBytes);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.endOfInput());
    socket.on('error', () => this.finish());
    socket.on('close', () => this.finish());
    this.arm();
  }

  private receive(chunk: Buffer): void {
    if (this.closed || this.overflowed) return;
    const { lines, overflow } = this.splitter.push(chunk);
    this.queue.push(...lines);
    if (overflow) {
      this.overflowed = true;
      this.socket.pause();
    } else if (this.queue.length >= MAX_QUEUED) {
      this.socket.pause();
    }
    this.arm();
    void this.pump();
  }

  private endOfInput(): void {
    if (this.closed) return;
    this.inputEnded = true;
    const last = this.overflowed ? null : this.splitter.flush();
    if (last !== null) this.queue.push(last);
    void this.pump();
  }

  /** Answers queued requests in order; only one runs at a time. */
  private async pump(): Promise<void> {
    if (this.working) return;
    this.working = true;
    this.disarm();
    try {
      for (let line = this.queue.shift(); line !== undefined && !this.closed; line = this.queue.shift()) {
        await this.answer(line);
        if (this.queue.length < MAX_QUEUED && !this.overflowed) this.socket.resume();
      }
      if (this.overflowed) {
        this.rejections.add('too-large');
        this.shutDown(errorLine(null, { code: 'too-large', message: `request line longer than ${this.limits.maxRequestBytes} bytes` }));
      } else if (this.inputEnded) {
        this.shutDown(null);
      }
    } finally {
      this.working = false;
      this.arm();
    }
  }

  private async answer(line: Buffer): Promise<void> {
    const request = decodeRequest(line);
    if (!('op' in request)) {
      await this.refuse(request.id, request.error);
      return;
    }
    const handler = Object.hasOwn(this.ops, request.op) ? this.ops[request.op] : undefined;
    if (handler === undefined) {
      await this.refuse(request.id, { code: 'unknown-op', message: `unknown op '${request.op}' (ops: ${Object.keys(this.ops).join(', ')})` });
      return;
    }
    try {
      const result: unknown = await handler(request.args);
      if (result instanceof Streamed) await this.stream(request, result);
      else await this.send(okLine(request.id, result ?? null));
    } catch (err) {
      await this.refuse(request.id, this.errorBody(request, err));
    }
  }

  /** An error line, counted under its code. */
  private refuse(id: Request['id'], body: ErrorBody): Promise<void> {
    this.rejections.add(body.code);
    return this.send(errorLine(id, body));
  }

  private async stream(request: Request, result: Streamed): Promise<void> {
    let pages = 0;
    for await (const page of result.pages) {
      if (this.closed) return;
      if (page !== null) {
        await this.send(okLine(request.id, page, true));
        pages++;
      }
      // A page per turn of the event loop: frame batches run between two pages.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.send(okLine(request.id, { pages }));
  }

  private errorBody(request: Request, err: unknown): ErrorBody {
    if (err instanceof ControlError) return { code: err.code, message: err.message };
    this.log.error({ event: 'control', op: request.op, error: (err as Error)?.stack ?? String(err) }, `control: op ${request.op} failed`);
    return { code: 'internal', message: `${request.op} failed: ${(err as Error)?.message ?? String(err)}` };
  }

  /** Writes a line; resolves once the socket has taken it (after a drain when its buffer is full). */
  private send(line: string): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    if (this.socket.write(line)) return Promise.resolve();
    this.arm();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        this.disarm();
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Ends our side (with a last line); a client that does not take it either is cut off. */
  private shutDown(last: string | null): void {
    if (this.closed) return;
    this.closed = true;
    this.disarm();
    if (!this.socket.destroyed) {
      if (last === null) this.socket.end();
      else this.socket.end(last);
    }
    setTimeout(() => this.socket.destroy(), this.limits.timeoutMs).unref();
  }

  /** The client's turn: it must send (or read) within the timeout. */
  private arm(): void {
    if (this.closed) return;
    this.disarm();
    this.timer = setTimeout(() => this.expire(), this.limits.timeoutMs);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private expire(): void {
    if (this.working && this.socket.writableNeedDrain) {
      this.rejections.add('unread');
      this.closed = true;
      this.socket.destroy();
      return;
    }
    if (this.working) return;
    const what = this.splitter.pending > 0 ? `half a request (${this.splitter.pending} bytes, no newline)` : 'no request';
    this.rejections.add('timeout');
    this.shutDown(errorLine(null, { code: 'timeout', message: `${what} for ${this.limits.timeoutMs} ms, closing` }));
  }

  private finish(): void {
    this.closed = true;
    this.disarm();
    this.queue.length = 0;
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
