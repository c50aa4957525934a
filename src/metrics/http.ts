// The metrics endpoint of `director run --metrics`: a small HTTP server answering GET /metrics
// with the Prometheus text a render function produces at request time; loopback unless told.

import http from 'node:http';
import { isIP } from 'node:net';

export interface MetricsAddress {
  host: string;
  port: number;
}

/**
 * Reads `PORT` (loopback: 127.0.0.1), `ADDR:PORT` or `[IPV6]:PORT`; throws a RangeError that
 * says what was wrong.
 */
export function parseMetricsAddress(text: string): MetricsAddress {
  const m = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):)?(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2] ?? '127.0.0.1';
  const port = Number(m?.[3]);
  if (m === null || isIP(host) === 0 || port < 1 || port > 65535) {
    throw new RangeError(`must be PORT, ADDR:PORT or [ADDR6]:PORT (a port 1..65535), got '${text}'`);
  }
  return { host, port };
}

export interface MetricsServer {
  /** Where it listens, as ADDR:PORT. */
  readonly address: string;
  close(): Promise<void>;
}

/** Listens on addr; rejects when it cannot bind (in use, address not on this host). */
export function serveMetrics(addr: MetricsAddress, render: () => Promise<string>, contentType: string): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/') return reply(res, 404, 'not found: the metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'only GET\n');
    render().then(
      (text) => reply(res, 200, text, contentType, req.method === 'HEAD'),
      (err: Error) => reply(res, 500, `metrics failed: ${err.message}\n`),
    );
  });
  // A scraper that stalls must not hold a socket for ever.
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      const where = addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
      resolve({ address: where, close: () => closeServer(server) });
    });
  });
}

function reply(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', headOnly = false): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(headOnly ? undefined : body);
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
