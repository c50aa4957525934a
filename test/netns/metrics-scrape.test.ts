// `director run --metrics 9100` in a DR lab, scraped over HTTP from inside the director's
// namespace (its loopback) while traffic flows: connection counts, packets and bytes checked
// against what the client sent, rates that move during an upload, and an endpoint that only
// loopback reaches.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProcess, waitForVip, type LabDirector } from '../../src/lab/director-runner.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import { runInNamespace } from '../../src/lab/process.js';
import { countHttp, HTTP_PORT, runClient } from '../../src/lab/services.js';
import type { LabHandle } from '../../src/lab/topology.js';
import { withLab } from '../support/netns.js';
import { parseExposition, valueOf, type Exposition } from '../support/prom-text.js';
import { waitUntil } from '../support/wait.js';

const PORT = 9100;
const UPLOAD = 60_000_000;

/** Fetches url from inside ns with node's http client: status, content type and body, or the error code. */
const FETCH = `const http = require('node:http');
const req = http.get(process.argv[1], (res) => {
  let body = ''; res.setEncoding('utf8');
  res.on('data', (d) => { body += d; });
  res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, type: res.headers['content-type'], body })));
});
req.setTimeout(5000, () => req.destroy(new Error('timeout')));
req.on('error', (e) => process.stdout.write(JSON.stringify({ error: e.code || e.message })));`;

interface Fetched { status?: number; type?: string; body?: string; error?: string }

async function fetchIn(ns: string, url: string): Promise<Fetched> {
  const r = await runInNamespace(ns, [process.execPath, '-e', FETCH, url], 15_000);
  return JSON.parse(r.stdout || '{}') as Fetched;
}

async function txPackets(lab: LabHandle): Promise<number> {
  const r = await runInNamespace(lab.client.ns, ['cat', `/sys/class/net/${lab.client.ifname}/statistics/tx_packets`]);
  return Number(r.stdout.trim());
}

describe('metrics endpoint scraped while traffic flows (needs root: creates network namespaces)', function () {
  this.timeout(180_000);
  const fx = withLab({ mode: 'dr', servers: 3 });
  let director: LabDirector;

  before(async function () {
    this.timeout(60_000);
    const lab = fx.lab;
    const dir = mkdtempSync(path.join(os.tmpdir(), `director-metrics-${lab.prefix}-`));
    fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'keepalived.conf'), labKeepalivedConf(lab));
    director = startProcess(lab, path.join(dir, 'keepalived.conf'), fx.cleanup, { args: ['--metrics', String(PORT)] });
    const d = director;
    fx.cleanup.first(() => d.stop());
    await waitForVip(lab, d);
  });

  const scrape = async (): Promise<Exposition> => {
    const r = await fetchIn(fx.lab.directors[0]!.ns, `http://127.0.0.1:${PORT}/metrics`);
    assert.equal(r.status, 200, JSON.stringify(r).slice(0, 300));
    assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
    return parseExposition(r.body ?? '');
  };
  const svc = () => ({ protocol: 'tcp', vip: fx.lab.vip, port: HTTP_PORT });
  const server = (i: number) => ({ ...svc(), server_address: fx.lab.realServers[i]!.address, server_port: HTTP_PORT, method: 'dr' });

  it('30 HTTP connections: conns total 30 split 10/10/10; packets in between what the client must and did send', async () => {
    const before = await scrape();
    assert.equal(valueOf(before, 'director_service_connections_total', svc()), 0);
    const sentBefore = await txPackets(fx.lab);
    const r = await countHttp(fx.lab, fx.lab.vip, 30);
    assert.ok(r.ok, JSON.stringify(r.result));
    const sent = (await txPackets(fx.lab)) - sentBefore;
    const m = await scrape();
    assert.equal(valueOf(m, 'director_service_connections_total', svc()), 30);
    assert.deepEqual([0, 1, 2].map((i) => valueOf(m, 'director_real_server_connections_total', server(i))), [10, 10, 10]);
    // Each connection: at least SYN, ACK, request, FIN from the client.
    const inPkts = [0, 1, 2].map((i) => valueOf(m, 'director_real_server_packets_total', { ...server(i), direction: 'in' }));
    assert.ok(inPkts.every((n) => n >= 40), `packets in per server: ${inPkts.join(' ')}`);
    const total = valueOf(m, 'director_service_packets_total', { ...svc(), direction: 'in' });
    assert.equal(total, inPkts.reduce((a, b) => a + b, 0));
    assert.ok(total <= sent, `director counted ${total} packets in, the client sent ${sent} in all`);
    console.log(`      packets in per server ${inPkts.join('/')}, ${total} in all; the client sent ${sent}`);
    assert.equal(valueOf(m, 'director_service_packets_total', { ...svc(), direction: 'out' }), 0, 'DR: replies bypass the director');
    assert.deepEqual([0, 1, 2].map((i) => valueOf(m, 'director_real_server_up', server(i))), [1, 1, 1]);
    assert.ok(valueOf(m, 'director_port_rx_frames_total', { port: fx.lab.directors[0]!.ifname, kind: 'packet' }) >= total);
    assert.ok(valueOf(m, 'director_connection_table_capacity') > 0);
  });

  it('during an upload the byte counter grows and the connection is active; after it, bytes in >= the upload and the rate moved', async () => {
    const base = valueOf(await scrape(), 'director_service_bytes_total', { ...svc(), direction: 'in' });
    let done = false;
    const upload = runClient(fx.lab.client.ns, 'http-client.js',
      ['upload', '--target', `${fx.lab.vip}:${HTTP_PORT}`, '--bytes', String(UPLOAD), '--seed', '3', '--timeout', '90000'], 100_000)
      .finally(() => { done = true; });
    let midFlow: Exposition | null = null;
    while (!done && midFlow === null) {
      const m = await scrape();
      const grown = valueOf(m, 'director_service_bytes_total', { ...svc(), direction: 'in' }) > base;
      if (grown && !done) midFlow = m;
    }
    const r = await upload;
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.ok(midFlow !== null, 'a scrape during the upload saw the byte counter grow');
    assert.ok(valueOf(midFlow, 'director_service_active_connections', svc()) >= 1, 'the upload is an established connection');
    const after = await scrape();
    const bytes = valueOf(after, 'director_service_bytes_total', { ...svc(), direction: 'in' }) - base;
    assert.ok(bytes >= UPLOAD, `bytes in ${bytes} >= ${UPLOAD} uploaded`);
    // The estimator samples every 2 s; the rate must show the upload within a few samples (by
    // time, not by a count of scrapes, which a quick machine runs through inside one sample).
    let rate = 0;
    await waitUntil('the byte rate in moved', async () => {
      rate = valueOf(await scrape(), 'director_service_byte_rate', { ...svc(), direction: 'in' });
      return rate > 0;
    }, 20_000);
    console.log(`      bytes in ${bytes} for ${UPLOAD} uploaded; byte rate in after it ${rate} B/s`);
  });

  it('listens on loopback only: the director\'s LAN address refuses, other paths are 404', async () => {
    const lab = fx.lab;
    const lan = await fetchIn(lab.router.ns, `http://${lab.directors[0]!.address}:${PORT}/metrics`);
    assert.ok(lan.error !== undefined, `not reachable from the LAN: ${JSON.stringify(lan).slice(0, 200)}`);
    const other = await fetchIn(lab.directors[0]!.ns, `http://127.0.0.1:${PORT}/other`);
    assert.equal(other.status, 404);
  });

  it('its log went to stderr as human lines (lab), its stdout holds only stats lines', async () => {
    await director.stop();
    const p = director.process!;
    assert.ok(p.stdout.split('\n').every((l) => l === '' || l.startsWith('stats: ')), p.stdout.slice(0, 300));
    assert.match(p.stderr, /^\S+Z INFO {2}metrics: http:\/\/127\.0\.0\.1:9100\/metrics event=metrics/m);
    assert.match(p.stderr, /^\S+Z INFO {2}director: SIGTERM, stopping event=stop signal=SIGTERM$/m);
  });
});
