// SMTP_CHECK, keepalived's dialogue: connect, a 220 greeting, HELO helo_name answered 250, QUIT.
// Multi-line replies (250-...) are read to their last line, as RFC 5321 says (keepalived reads
// one line). All within connect_timeout.

import type { Duplex } from 'node:stream';
import { connectStream } from './check-socket.js';
import { failed, type CheckResult, type SmtpCheckSpec } from './types.js';

/** A reply line longer than this is not SMTP. */
const MAX_LINE = 4096;

/** Reads SMTP replies (code and text) from a stream, one complete (multi-line) reply at a time. */
class ReplyReader {
  private buffer = '';
  private waiting: ((reply: { code: number; text: string } | Error) => void) | null = null;
  private ended: Error | null = null;

  constructor(stream: Duplex) {
    stream.setEncoding('latin1');
    stream.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.wake();
    });
    stream.once('end', () => this.fail(new Error('connection closed by the server')));
    stream.once('error', (err: NodeJS.ErrnoException) => this.fail(new Error(err.code ?? err.message)));
  }

  next(): Promise<{ code: number; text: string }> {
    return new Promise((resolve, reject) => {
      this.waiting = (r) => (r instanceof Error ? reject(r) : resolve(r));
      this.wake();
    });
  }

  private fail(err: Error): void {
    this.ended ??= err;
    this.wake();
  }

  private wake(): void {
    if (this.waiting === null) return;
    const reply = this.take();
    const deliver = this.waiting;
    if (reply !== null) {
      this.waiting = null;
      deliver(reply);
    } else if (this.ended !== null || this.buffer.length > MAX_LINE) {
      this.waiting = null;
      deliver(this.ended ?? new Error(`reply line longer than ${MAX_LINE} bytes`));
    }
  }

  /** The first complete reply in the buffer: lines "NNN-..." then a last "NNN ..." (or "NNN"). */
  private take(): { code: number; text: string } | Error | null {
    const lines = this.buffer.split('\n');
    for (let i = 0; i < lines.length - 1; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      const m = /^(\d{3})([ -]|$)/.exec(line);
      if (!m) return new Error(`not an SMTP reply: ${JSON.stringify(line.slice(0, 60))}`);
      if (m[2] === '-') continue;
      this.buffer = lines.slice(i + 1).join('\n');
      return { code: Number(m[1]), text: line };
    }
    return null;
  }
}

/** Runs the dialogue on a connected (or connecting) stream; resolves with the greeting, rejects with why it failed. */
export async function smtpDialogue(stream: Duplex, heloName: string): Promise<string> {
  const replies = new ReplyReader(stream);
  const greeting = await replies.next();
  if (greeting.code !== 220) throw new Error(`greeting "${greeting.text}", expected 220`);
  stream.write(`HELO ${heloName}\r\n`);
  const helo = await replies.next();
  if (helo.code !== 250) throw new Error(`HELO answered "${helo.text}", expected 250`);
  stream.write('QUIT\r\n');
  await replies.next().catch(() => undefined);
  return greeting.text;
}

export async function smtpCheck(spec: SmtpCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const what = `SMTP ${spec.connectIp}:${spec.connectPort}`;
  const stream = connectStream(spec);
  const timer = setTimeout(() => stream.destroy(new Error(`dialogue not over within ${spec.connectTimeout} s`)), spec.connectTimeout * 1000);
  try {
    const greeting = await smtpDialogue(stream, spec.heloName);
    return { ok: true, detail: `${what}: ${greeting}`, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return failed(`${what}: ${(err as Error).message}`, started);
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
}
