// HTTP_GET (plain HTTP): for each url, GET the path from connect_ip:connect_port within
// connect_timeout; the status must be in the url's status_code ranges and, when a digest is
// given, the md5 of the body must match it (keepalived's genhash digest). All urls must pass.

import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { HttpUrlConfig } from '../config/model.js';
import { failed, type CheckResult, type HttpCheckSpec } from './types.js';

/** A body larger than this fails the check rather than filling memory. */
const MAX_BODY = 16 << 20;

export interface HttpAnswer {
  status: number;
  /** md5 of the body, lowercase hex. */
  md5: string;
}

export async function httpCheck(spec: HttpCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const deadline = started + spec.connectTimeout * 1000;
  for (const url of spec.urls) {
    let answer: HttpAnswer;
    try {
      answer = await httpGet(spec, url.path, Math.max(1, deadline - performance.now()));
    } catch (err) {
      return failed(`GET ${spec.connectIp}:${spec.connectPort}${url.path}: ${(err as Error).message}`, started);
    }
    const verdict = judgeHttpAnswer(url, answer);
    if (verdict !== null) return failed(`GET ${spec.connectIp}:${spec.connectPort}${url.path}: ${verdict}`, started);
  }
  const latencyMs = Math.round(performance.now() - started);
  return { ok: true, detail: `${spec.urls.length} url(s) answered as expected`, latencyMs };
}

/** Why an answer fails the url's expectations, or null when it passes. */
export function judgeHttpAnswer(url: HttpUrlConfig, a: HttpAnswer): string | null {
  if (!url.statusCodes.some(([lo, hi]) => a.status >= lo && a.status <= hi)) {
    const want = url.statusCodes.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(' ');
    return `status ${a.status}, expected ${want}`;
  }
  if (url.digest !== null && url.digest !== a.md5) return `digest ${a.md5}, expected ${url.digest}`;
  return null;
}

function httpGet(spec: HttpCheckSpec, path: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: spec.connectIp, port: spec.connectPort, path, method: 'GET', agent: false,
      headers: { Host: spec.virtualhost ?? spec.connectIp, Connection: 'close', 'User-Agent': 'director-health' },
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${spec.connectTimeout} s`)), timeoutMs);
    req.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(err.code ?? err.message));
    });
    req.once('response', (res) => {
      const hash = createHash('md5');
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) req.destroy(new Error(`body larger than ${MAX_BODY} bytes`));
        else hash.update(chunk);
      });
      res.once('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, md5: hash.digest('hex') });
      });
    });
    req.end();
  });
}
