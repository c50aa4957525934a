#!/usr/bin/env node
// Lab client: drives HTTP through a VIP and prints one JSON line with what happened.
//   count    --target IP:PORT|[IPV6]:PORT [--connections 30] [--parallel 1] [--source IP] [--first-port P]
//            GET / with Connection: close from IP (one of the client's addresses), counts answers
//            per server name, and the source addresses the servers saw (x-peer); with
//            --first-port, connection i leaves from port P+i (a test that must not meet a
//            director's entry of an earlier connection: the kernel reuses a closed port at once,
//            while the director keeps its entry for the FIN_WAIT timeout and sends the new
//            connection to the old real server, as IPVS does)
//   download --target IP:PORT --bytes N [--seed 1]   verifies the body byte for byte;
//            [--rate BYTES_PER_S] reads no faster (a long stream), [--rate-until FILE] only until
//            FILE exists (then as fast as it comes: a test ends the stream once it has seen
//            what it waited for), [--hold FILE --hold-at N] stops reading after N bytes until
//            FILE exists (the stream stays open until then)
//   upload   --target IP:PORT --bytes N [--seed 1]   checks the server's sha256 and length
//   rate     --target IP:PORT --per-second R --seconds S   opens R new connections a second
//            (GET /, Connection: close) for S seconds at a steady pace, whatever the answers
//            take; prints a progress line every 10 s and a last line with the totals
// Always bounded by --timeout MS (default 30000); each request by --request-timeout MS (default
// the same), so count can report how many of its requests failed; exits non-zero on any error.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { Pattern, parseArgs, intArg, parseTarget } = require('./pattern.js');

const args = parseArgs(process.argv.slice(2));
const mode = args._[0];
// IPV4:PORT or [IPV6]:PORT (pattern.js parseTarget); host and port stay empty when neither.
const { host, port } = parseTarget(args.target, 80) || { host: '', port: NaN, family: 0 };
const timeoutMs = intArg(args, 'timeout', 30000);
const requestTimeoutMs = intArg(args, 'request-timeout', timeoutMs);
const seed = intArg(args, 'seed', 1);
const CHUNK = 64 * 1024;

function fail(msg, extra = {}) {
  process.stdout.write(JSON.stringify({ mode, ok: false, error: msg, ...extra }) + '\n');
  process.exit(1);
}

function request(method, path, onResponse, localPort) {
  const from = args.source === undefined ? {} : { localAddress: String(args.source) };
  const at = localPort === undefined ? {} : { localPort };
  return http.request({ host, port, method, path, agent: false, headers: { connection: 'close' }, timeout: requestTimeoutMs, ...from, ...at }, onResponse);
}

function getName(localPort) {
  return new Promise((resolve, reject) => {
    const req = request('GET', '/', (res) => {
      let body = '';
      const peer = String(res.headers['x-peer'] || '?');
      res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => resolve({ name: body.trim(), peer }));
    }, localPort);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject).end();
  });
}

async function count() {
  const total = intArg(args, 'connections', 30);
  const parallel = Math.max(1, intArg(args, 'parallel', 1));
  const counts = {};
  const peers = {};
  const errors = [];
  const firstPort = args['first-port'] === undefined ? undefined : intArg(args, 'first-port', 0);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      try {
        const { name, peer } = await getName(firstPort === undefined ? undefined : firstPort + i);
        counts[name] = (counts[name] || 0) + 1;
        // The address only: ports differ per connection.
        const addr = peer.slice(0, peer.lastIndexOf(':'));
        peers[addr] = (peers[addr] || 0) + 1;
      } catch (e) { errors.push(e.message); }
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: Math.min(parallel, total) }, worker));
  const out = { mode, ok: errors.length === 0, connections: total, counts, peers, errors: errors.length, firstError: errors[0], ms: Date.now() - t0 };
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(out.ok ? 0 : 1);
}

function download() {
  const bytes = intArg(args, 'bytes', 1 << 20);
  let rate = intArg(args, 'rate', 0);
  const rateUntil = args['rate-until'];
  const holdAt = args.hold === undefined ? Infinity : intArg(args, 'hold-at', 0);
  let held = false;
  const pattern = new Pattern(seed);
  const t0 = Date.now();
  let got = 0;
  const req = request('GET', `/blob?bytes=${bytes}&seed=${seed}`, (res) => {
    if (res.statusCode !== 200) fail(`status ${res.statusCode}`);
    // Reading pauses while either says so: TCP flow control then holds the server back.
    const paused = { rate: false, hold: false };
    const pause = (why, until) => {
      paused[why] = true;
      res.pause();
      until(() => {
        paused[why] = false;
        if (!paused.rate && !paused.hold) res.resume();
      });
    };
    res.on('data', (d) => {
      const bad = pattern.check(d);
      if (bad >= 0) fail(`byte ${got + bad} differs`, { bytes: got + bad });
      got += d.length;
      if (rate > 0 && rateUntil !== undefined && fs.existsSync(rateUntil)) rate = 0;
      const early = rate > 0 ? t0 + (got * 1000) / rate - Date.now() : 0;
      if (early > 0) pause('rate', (go) => setTimeout(go, early));
      if (!held && got >= holdAt) {
        held = true;
        pause('hold', (go) => waitForFile(args.hold, go));
      }
    });
    res.on('end', () => {
      if (got !== bytes) fail(`got ${got} of ${bytes} bytes`, { bytes: got });
      const ms = Date.now() - t0;
      process.stdout.write(JSON.stringify({ mode, ok: true, server: res.headers['x-server'], bytes: got, ms, mbitps: Math.round((got * 8) / 1000 / Math.max(ms, 1)) }) + '\n');
      process.exit(0);
    });
    res.on('error', (e) => fail(e.message, { bytes: got }));
  });
  req.on('timeout', () => req.destroy(new Error('request timed out')));
  req.on('error', (e) => fail(e.message, { bytes: got })).end();
}

/** Calls go once file exists (checked every 50 ms; the overall --timeout bounds the wait). */
function waitForFile(file, go) {
  if (fs.existsSync(file)) go();
  else setTimeout(() => waitForFile(file, go), 50);
}

function upload() {
  const bytes = intArg(args, 'bytes', 1 << 20);
  const pattern = new Pattern(seed);
  const hash = crypto.createHash('sha256');
  const t0 = Date.now();
  const req = http.request({ host, port, method: 'POST', path: '/upload', agent: false, timeout: timeoutMs,
    headers: { connection: 'close', 'content-length': bytes, 'content-type': 'application/octet-stream' } }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => {
      let reply;
      try { reply = JSON.parse(body); } catch { fail(`bad reply: ${body.slice(0, 80)}`); }
      const want = hash.digest('hex');
      if (reply.bytes !== bytes || reply.sha256 !== want) fail('server saw different bytes', { sent: bytes, received: reply.bytes });
      const ms = Date.now() - t0;
      process.stdout.write(JSON.stringify({ mode, ok: true, server: reply.server, bytes, sha256: want, ms, mbitps: Math.round((bytes * 8) / 1000 / Math.max(ms, 1)) }) + '\n');
      process.exit(0);
    });
  });
  req.on('timeout', () => req.destroy(new Error('request timed out')));
  req.on('error', (e) => fail(e.message));
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const chunk = pattern.fill(Buffer.allocUnsafe(Math.min(CHUNK, left)));
      hash.update(chunk);
      left -= chunk.length;
      if (!req.write(chunk)) { req.once('drain', pump); return; }
    }
    req.end();
  };
  pump();
}

/** A constant rate of new connections (soak): started on a fixed schedule, not one after another. */
function rate() {
  const perSecond = intArg(args, 'per-second', 10);
  const seconds = intArg(args, 'seconds', 10);
  const TICK_MS = 100;
  const t0 = Date.now();
  const totals = { started: 0, succeeded: 0, failed: 0, inFlight: 0 };
  const errors = {};
  const line = (extra) => process.stdout.write(JSON.stringify({ mode, ...totals, errors, seconds: (Date.now() - t0) / 1000, ...extra }) + '\n');
  const one = () => {
    totals.started++;
    totals.inFlight++;
    getName().then(() => { totals.succeeded++; }, (e) => {
      totals.failed++;
      errors[e.message] = (errors[e.message] || 0) + 1;
    }).finally(() => {
      totals.inFlight--;
      if (totals.inFlight === 0 && Date.now() - t0 >= seconds * 1000) finish();
    });
  };
  const finish = () => {
    line({ ok: totals.failed === 0 });
    process.exit(totals.failed === 0 ? 0 : 1);
  };
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    // Due by now: perSecond per second since the start, however late this tick runs.
    const elapsed = Date.now() - t0;
    const due = Math.min(Math.floor((elapsed * perSecond) / 1000), seconds * perSecond);
    while (totals.started < due) one();
    if (tick % (10_000 / TICK_MS) === 0) line({ progress: true });
    if (elapsed >= seconds * 1000) {
      clearInterval(timer);
      if (totals.inFlight === 0) finish();
    }
  }, TICK_MS);
}

if (!host || !Number.isInteger(port)) fail('--target IP:PORT is required');
setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs).unref();
if (mode === 'count') count().catch((e) => fail(e.message));
else if (mode === 'download') download();
else if (mode === 'upload') upload();
else if (mode === 'rate') rate();
else fail('mode must be count, download, upload or rate');
