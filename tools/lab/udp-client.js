#!/usr/bin/env node
// Lab UDP client: sends --count datagrams to --target IP:PORT|[IPV6]:PORT, each from a fresh socket (a new
// source port, so a balancer sees a new flow), waits for each echo, prints per-server counts as
// one JSON line. --expect N (default: count) replies or it exits non-zero; --wait MS per reply
// (default 5000: a reply ends the wait at once, so only a lost one costs the whole wait).
// --first-port P: source ports P, P+1, ... instead of the kernel's (below the ephemeral range
// they cannot meet flows of earlier runs, which a balancer still remembers).
// A reply from another address than the target counts as "wrongSource" and fails the run (a
// connected socket, as real clients use, would never see it).
'use strict';
const dgram = require('node:dgram');
const { parseArgs, intArg, parseTarget } = require('./pattern.js');

const args = parseArgs(process.argv.slice(2));
// IPV4:PORT or [IPV6]:PORT (pattern.js parseTarget); host and port stay empty when neither.
const { host, port, family } = parseTarget(args.target, 5353) || { host: '', port: NaN, family: 0 };
const total = intArg(args, 'count', 30);
const expect = intArg(args, 'expect', total);
const waitMs = intArg(args, 'wait', 5000);
const size = intArg(args, 'size', 32);
const timeoutMs = intArg(args, 'timeout', 30000);
const firstPort = intArg(args, 'first-port', 0);

// Every socket stays open until the run ends: a closed one's port could be drawn again by a
// later socket, whose datagram would then join the earlier flow instead of being a new one.
const open = [];

/** A socket bound to its own source port (the kernel's choice, or firstPort + i). */
function bound(i) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    open.push(sock);
    sock.once('error', reject);
    sock.bind(firstPort === 0 ? 0 : firstPort + i, () => { sock.removeListener('error', reject); resolve(sock); });
  });
}

async function once(i) {
  const sock = await bound(i);
  return new Promise((resolve) => {
    const payload = Buffer.alloc(size, 0x61 + (i % 26));
    const timer = setTimeout(() => resolve(null), waitMs);
    sock.on('message', (msg, rinfo) => {
      clearTimeout(timer);
      if (rinfo.address !== host || rinfo.port !== port) { resolve(`wrongSource ${rinfo.address}:${rinfo.port}`); return; }
      const text = msg.toString('latin1');
      const sp = text.indexOf(' ');
      resolve(sp > 0 && msg.length - sp - 1 === size ? text.slice(0, sp) : '?');
    });
    sock.on('error', () => { clearTimeout(timer); resolve(null); });
    sock.send(payload, port, host);
  });
}

async function main() {
  const counts = {};
  let replies = 0;
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    const n = await once(i);
    if (n !== null) { counts[n] = (counts[n] || 0) + 1; replies++; }
  }
  for (const sock of open) sock.close();
  const wrong = Object.keys(counts).filter((k) => k.startsWith('wrongSource'));
  const ok = replies >= expect && !counts['?'] && wrong.length === 0;
  process.stdout.write(JSON.stringify({ mode: 'udp', ok, sent: total, replies, counts, ms: Date.now() - t0 }) + '\n');
  process.exit(ok ? 0 : 1);
}

if (!host || !Number.isInteger(port)) { process.stderr.write('--target IP:PORT is required\n'); process.exit(2); }
setTimeout(() => { process.stdout.write(JSON.stringify({ mode: 'udp', ok: false, error: 'timeout' }) + '\n'); process.exit(1); }, timeoutMs).unref();
main().catch((e) => {
  process.stdout.write(JSON.stringify({ mode: 'udp', ok: false, error: e.message }) + '\n');
  process.exit(1);
});
