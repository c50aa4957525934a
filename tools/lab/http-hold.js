#!/usr/bin/env node
// Lab client that holds --connections N keep-alive HTTP connections to --target IP:PORT|[IPV6]:PORT open
// and sends one GET on each every --interval MS (each may take --request-timeout MS, default
// 5000), so each is an established flow that carries traffic all along. It prints "ready" once
// all N are open, "round K" after each round of N requests (one that waited out a failure
// included), and on SIGTERM (or after --seconds, at most 300) one JSON line: requests made and
// failed, and how many distinct connections carried them (more than N: one was lost).
'use strict';
const http = require('node:http');
const { parseArgs, intArg, parseTarget } = require('./pattern.js');

const args = parseArgs(process.argv.slice(2));
// IPV4:PORT or [IPV6]:PORT (pattern.js parseTarget); host and port stay empty when neither.
const { host, port } = parseTarget(args.target, 80) || { host: '', port: NaN, family: 0 };
const total = intArg(args, 'connections', 10);
const intervalMs = intArg(args, 'interval', 200);
const seconds = Math.min(intArg(args, 'seconds', 60), 300);
// Long enough for TCP to recover lost frames by retransmission: a request that still fails lost its connection.
const requestTimeoutMs = intArg(args, 'request-timeout', 5000);

const agent = new http.Agent({ keepAlive: true, maxSockets: total, maxFreeSockets: total });
const sockets = new Set();
const errors = [];
let requests = 0;
let stopping = false;
const t0 = Date.now();

function get() {
  return new Promise((resolve) => {
    const req = http.request({ host, port, path: '/', agent, timeout: requestTimeoutMs }, (res) => {
      res.resume().on('end', () => { requests++; resolve(); });
    });
    req.on('socket', (s) => sockets.add(s));
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (e) => { errors.push(`${e.message} at ${Date.now() - t0} ms`); resolve(); });
    req.end();
  });
}

function finish() {
  stopping = true;
  agent.destroy();
  const ok = errors.length === 0 && sockets.size === total && requests > 0;
  process.stdout.write(JSON.stringify({ ok, connections: total, requests, failed: errors.length,
    firstError: errors[0], distinctConnections: sockets.size }) + '\n');
  process.exit(ok ? 0 : 1);
}

async function main() {
  await Promise.all(Array.from({ length: total }, get));
  process.stdout.write(`ready ${sockets.size}\n`);
  for (let rounds = 1; !stopping; rounds++) {
    const round = Promise.all(Array.from({ length: total }, get));
    await Promise.all([round, new Promise((r) => setTimeout(r, intervalMs))]);
    if (!stopping) process.stdout.write(`round ${rounds}\n`);
  }
}

if (!host || !Number.isInteger(port)) {
  process.stdout.write(JSON.stringify({ ok: false, error: '--target IP:PORT is required' }) + '\n');
  process.exit(2);
}
process.on('SIGTERM', finish);
setTimeout(finish, seconds * 1000).unref();
main();
