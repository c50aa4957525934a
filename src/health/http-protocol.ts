// HTTP_GET/SSL_GET on the wire, keepalived's way: the request it writes (GET PATH HTTP/1.x,
// User-Agent, Connection: close for 1.0C and 1.1, Host = virtualhost or ip:port), a response
// reader that keeps the status, the md5 of the raw body and (for a regex) the body itself, and
// the verdict on one url.

import { createHash, type Hash } from 'node:crypto';
import type { HttpProtocol, HttpUrlConfig } from '../config/model.js';

/** A body larger than this fails the check rather than filling memory. */
export const MAX_BODY = 16 << 20;
const MAX_HEAD = 64 << 10;

export interface HttpAnswer {
  status: number;
  /** md5 of the body, lowercase hex. */
  md5: string;
  /** The body, kept only when a regex needs it. */
  body?: Buffer;
}

export function httpRequest(path: string, host: string, protocol: HttpProtocol): string {
  const version = protocol === '1.1' ? '1.1' : '1.0';
  const close = protocol === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${path} HTTP/${version}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

/** Reads one response from the bytes a server sends; the body ends at close or Content-Length. */
export class HttpResponseReader {
  private head: Buffer = Buffer.alloc(0);
  private status = 0;
  private headDone = false;
  private contentLength: number | null = null;
  private received = 0;
  private readonly hash: Hash = createHash('md5');
  private readonly chunks: Buffer[] = [];

  constructor(private readonly keepBody: boolean) {}

  /** Takes more bytes; returns true when the response is complete (Content-Length reached). */
  feed(chunk: Buffer): boolean {
    if (this.headDone) return this.body(chunk);
    this.head = Buffer.concat([this.head, chunk]);
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.head.length > MAX_HEAD) throw new Error(`no end of headers within ${MAX_HEAD} bytes`);
      return false;
    }
    this.parseHead(this.head.subarray(0, end).toString('latin1'));
    this.headDone = true;
    return this.body(this.head.subarray(end + 4));
  }

  /** The answer once the server closed (or Content-Length was reached). */
  finish(): HttpAnswer {
    if (!this.headDone) throw new Error(this.head.length === 0 ? 'no data received' : 'connection closed inside the headers');
    return { status: this.status, md5: this.hash.digest('hex'), ...(this.keepBody ? { body: Buffer.concat(this.chunks) } : {}) };
  }

  private parseHead(text: string): void {
    const [statusLine = '', ...headers] = text.split('\r\n');
    const m = /^HTTP\/\d\.\d (\d{3})(?: |$)/.exec(statusLine);
    if (!m) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine.slice(0, 60))}`);
    this.status = Number(m[1]);
    for (const h of headers) {
      const cl = /^content-length:\s*(\d+)\s*$/i.exec(h);
      if (cl) this.contentLength = Number(cl[1]);
      if (/^transfer-encoding:/i.test(h)) this.contentLength = null;
    }
  }

  private body(chunk: Buffer): boolean {
    this.received += chunk.length;
    if (this.received > MAX_BODY) throw new Error(`body larger than ${MAX_BODY} bytes`);
    this.hash.update(chunk);
    if (this.keepBody) this.chunks.push(chunk);
    return this.contentLength !== null && this.received >= this.contentLength;
  }
}

/** Why an answer fails the url's expectations, or null when it passes. */
export function judgeHttpAnswer(url: HttpUrlConfig, a: HttpAnswer): string | null {
  if (!url.statusCodes.some(([lo, hi]) => a.status >= lo && a.status <= hi)) {
    const want = url.statusCodes.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(' ');
    return `status ${a.status}, expected ${want}`;
  }
  if (url.digest !== null && url.digest !== a.md5) return `digest ${a.md5}, expected ${url.digest}`;
  const re = url.regex;
  if (re === undefined) return null;
  const matched = regexMatches(re.pattern, re.flags, re.minOffset, re.maxOffset, a.body ?? Buffer.alloc(0));
  if (matched === re.noMatch) return re.noMatch ? `body matches regex_no_match /${re.pattern}/` : `body does not match /${re.pattern}/`;
  return null;
}

/** keepalived's regex window: the match must start between regex_min_offset and regex_max_offset. */
function regexMatches(pattern: string, flags: string, min: number, max: number | null, body: Buffer): boolean {
  const text = body.toString(flags.includes('u') ? 'utf8' : 'latin1');
  const re = new RegExp(pattern, `${flags}g`);
  re.lastIndex = min;
  const m = re.exec(text);
  return m !== null && (max === null || m.index <= max);
}
