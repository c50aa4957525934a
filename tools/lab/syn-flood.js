#!/usr/bin/env node
// Lab SYN flood generator, bounded: TCP SYNs from random spoofed sources at --target IP:PORT,
// sent as raw frames through the director's own addon (AF_PACKET) on --interface toward
// --dst-mac (the next hop). It stops by itself after --count frames or --seconds, whichever
// comes first, and on SIGTERM; it prints one JSON line { ok, sent, ms, pps }.
//   --sources CIDR   where spoofed sources come from; must lie inside 198.18.0.0/15 (default
//                    198.18.128.0/17, away from the lab's clients)
//   --rate PPS       pace to this rate (0, default: as fast as it goes)
// Limits: --count at most 5,000,000, --seconds at most 120; anything outside is refused.
'use strict';
const path = require('node:path');
const { parseArgs, intArg } = require('./pattern.js');

const MAX_COUNT = 5_000_000;
const MAX_SECONDS = 120;
const CHUNK = 256;
const TEST_NET = { base: ip('198.18.0.0'), bits: 15 };

function ip(text) {
  const p = String(text).split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not an IPv4 address: ${text}`);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

function mac(text) {
  const b = Buffer.from(String(text).split(':').map((h) => parseInt(h, 16)));
  if (b.length !== 6 || b.some((x) => Number.isNaN(x))) throw new Error(`not a MAC address: ${text}`);
  return b;
}

function cidr(text) {
  const [addr, len] = String(text).split('/');
  const bits = Number(len);
  if (!Number.isInteger(bits) || bits < TEST_NET.bits || bits > 32) throw new Error(`--sources ${text}: prefix must be /15../32`);
  const size = 2 ** (32 - bits);
  const base = ip(addr) - (ip(addr) % size);
  if (base - TEST_NET.base < 0 || base + size > TEST_NET.base + 2 ** (32 - TEST_NET.bits)) {
    throw new Error(`--sources ${text} is outside 198.18.0.0/15`);
  }
  return { base, size };
}

function sum16(buf, start, end, seed) {
  let s = seed;
  for (let i = start; i < end; i += 2) s += buf.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** One frame template: Ethernet, IPv4 (20 bytes), TCP SYN with an MSS option (24 bytes). */
function template(src, dst, target, port) {
  const f = Buffer.alloc(14 + 20 + 24);
  dst.copy(f, 0);
  src.copy(f, 6);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(44, 16);
  f[22] = 64;
  f[23] = 6;
  f.writeUInt32BE(target, 30);
  f.writeUInt16BE(port, 36);
  f[46] = 6 << 4;
  f[47] = 0x02;
  f.writeUInt16BE(64240, 48);
  f.writeUInt32BE(0x020405b4, 54);
  return f;
}

/** Fills in a fresh source, port, sequence and IP id, and both checksums. */
function randomise(f, sources, rand) {
  const src = (sources.base + (rand() % sources.size)) >>> 0;
  f.writeUInt32BE(src, 26);
  f.writeUInt16BE(1024 + (rand() % 64512), 34);
  f.writeUInt32BE(rand(), 38);
  f.writeUInt16BE(rand() & 0xffff, 18);
  f.writeUInt16BE(0, 24);
  f.writeUInt16BE(~sum16(f, 14, 34, 0) & 0xffff, 24);
  f.writeUInt16BE(0, 50);
  const pseudo = sum16(f, 26, 34, 6 + 24);
  f.writeUInt16BE(~sum16(f, 34, 58, pseudo) & 0xffff, 50);
}

/** xorshift32: cheap, and the flood needs no better. */
function generator(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const [host, portText] = String(args.target || '').split(':');
  const count = intArg(args, 'count', 100000);
  const seconds = intArg(args, 'seconds', 10);
  const rate = intArg(args, 'rate', 0);
  if (!args.interface || !args['dst-mac'] || !host) throw new Error('--interface, --dst-mac and --target IP:PORT are required');
  if (count < 1 || count > MAX_COUNT) throw new Error(`--count must be 1..${MAX_COUNT}`);
  if (seconds < 1 || seconds > MAX_SECONDS) throw new Error(`--seconds must be 1..${MAX_SECONDS}`);
  const sources = cidr(args.sources || '198.18.128.0/17');
  const { Engine } = require(path.join(__dirname, '..', '..', 'build', 'Release', 'director_native.node'));
  const engine = new Engine();
  const port = engine.addPacketPort(String(args.interface));
  const frame = template(mac(engine.portInfo(port).mac), mac(args['dst-mac']), ip(host), Number(portText || 80));
  const rand = generator(intArg(args, 'seed', Date.now() & 0xffffffff));
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(seconds) * 1_000_000_000n;
  let sent = 0;
  let stopped = false;
  process.on('SIGTERM', () => { stopped = true; });
  const finish = () => {
    engine.close();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(JSON.stringify({ ok: true, sent, ms: Math.round(ms), pps: Math.round(sent / (ms / 1000)) }) + '\n');
  };
  const chunk = () => {
    const now = process.hrtime.bigint();
    if (stopped || sent >= count || now >= deadline) { finish(); return; }
    // Paced: send only what the rate allows by now; a chunk at most per turn of the event loop.
    const due = rate > 0 ? Math.floor((Number(now - t0) / 1e9) * rate) - sent : CHUNK;
    for (let k = 0; k < Math.min(CHUNK, due, count - sent); k++) {
      randomise(frame, sources, rand);
      engine.send(port, frame);
      sent++;
    }
    setImmediate(chunk);
  };
  chunk();
}

try {
  main();
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, error: err.message }) + '\n');
  process.exit(2);
}
