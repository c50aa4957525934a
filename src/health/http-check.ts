// HTTP_GET and SSL_GET: for each url, one connection to connect_ip:connect_port (over TLS for
// SSL_GET, with SNI when enable_sni), keepalived's request, and the answer judged on status_code,
// digest and regex; all urls must pass within connect_timeout. Every url is fetched in every run,
// which is keepalived's fast_recovery behaviour.

import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpUrlConfig } from '../config/model.js';
import { connectStream, connectTls } from './check-socket.js';
import { httpRequest, HttpResponseReader, judgeHttpAnswer, type HttpAnswer } from './http-protocol.js';
import { failed, type CheckResult, type HttpCheckSpec, type SslCheckSpec } from './types.js';

export async function httpCheck(spec: HttpCheckSpec | SslCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const deadline = started + spec.connectTimeout * 1000;
  const scheme = spec.kind === 'ssl' ? 'https' : 'http';
  for (const url of spec.urls) {
    const where = `${scheme}://${hostPort(spec.connectIp, spec.connectPort)}${url.path}`;
    let answer: HttpAnswer;
    try {
      answer = await fetchUrl(spec, url, Math.max(1, deadline - performance.now()));
    } catch (err) {
      return failed(`GET ${where}: ${(err as Error).message}`, started);
    }
    const verdict = judgeHttpAnswer(url, answer);
    if (verdict !== null) return failed(`GET ${where}: ${verdict}`, started);
  }
  const latencyMs = Math.round(performance.now() - started);
  return { ok: true, detail: `${spec.urls.length} url(s) answered as expected`, latencyMs };
}

/** keepalived's Host: the url's virtualhost, else the checker's (inherited), else ip:port. */
export function hostHeader(spec: HttpCheckSpec | SslCheckSpec, url: HttpUrlConfig): string {
  return url.virtualhost ?? spec.virtualhost ?? hostPort(spec.connectIp, spec.connectPort);
}

/** address:port as a URL and a Host header write it: an IPv6 address in brackets (RFC 3986). */
function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The TLS server name: sni_name, else the url's or the checker's virtualhost (without a port); never an address. */
export function serverName(spec: SslCheckSpec, url: HttpUrlConfig): string | null {
  if (!spec.sni) return null;
  const name = (spec.sniName ?? url.virtualhost ?? spec.virtualhost)?.replace(/:\d+$/, '') ?? null;
  return name === null || isIP(name) !== 0 ? null : name;
}

function fetchUrl(spec: HttpCheckSpec | SslCheckSpec, url: HttpUrlConfig, timeoutMs: number): Promise<HttpAnswer> {
  const stream = spec.kind === 'ssl' ? connectTls(spec, serverName(spec, url)) : connectStream(spec);
  const timer = setTimeout(() => stream.destroy(new Error(`no complete answer within ${spec.connectTimeout} s`)), timeoutMs);
  const request = httpRequest(url.path, hostHeader(spec, url), spec.protocol);
  return httpExchange(stream, request, url.regex !== undefined).finally(() => {
    clearTimeout(timer);
    stream.destroy();
  });
}

/** Writes the request and reads one response from a connected (or connecting) stream. */
export function httpExchange(stream: Duplex, request: string, keepBody: boolean): Promise<HttpAnswer> {
  const reader = new HttpResponseReader(keepBody);
  return new Promise((resolve, reject) => {
    const finish = (): void => {
      try {
        resolve(reader.finish());
      } catch (err) {
        reject(err as Error);
      }
    };
    stream.on('data', (chunk: Buffer) => {
      try {
        if (reader.feed(chunk)) finish();
      } catch (err) {
        reject(err as Error);
      }
    });
    stream.once('end', finish);
    stream.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
    stream.write(request);
  });
}
