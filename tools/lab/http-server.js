#!/usr/bin/env node
// Lab real server: GET / answers with the server's name, GET /whoami with "NAME ADDRESS:PORT" of
// the peer it sees (every answer also carries that peer as x-peer, so FULLNAT tests can check
// that only local addresses arrive), GET /blob?bytes=N&seed=S streams N pattern bytes, POST
// /upload answers with the sha256 and length of what arrived.
// Usage: http-server.js --name rs1 [--port 80] [--host ADDRESS]
// Without --host it listens on 0.0.0.0 and on [::] (IPv6 only, so IPv4 peers keep their plain
// address in x-peer rather than ::ffff:a.b.c.d); a namespace without IPv6 gets the IPv4 one alone.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const { Pattern, parseArgs, intArg } = require('./pattern.js');

const args = parseArgs(process.argv.slice(2));
const name = args.name || 'rs';
const port = intArg(args, 'port', 80);
const MAX_BLOB = 1 << 30;
const CHUNK = 64 * 1024;

function blob(req, res, url) {
  const bytes = Number(url.searchParams.get('bytes') ?? '0');
  const seed = Number(url.searchParams.get('seed') ?? '1');
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_BLOB) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`bytes must be 0..${MAX_BLOB}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes, 'x-server': name });
  const pattern = new Pattern(seed);
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const chunk = pattern.fill(Buffer.allocUnsafe(Math.min(CHUNK, left)));
      left -= chunk.length;
      if (!res.write(chunk)) { res.once('drain', pump); return; }
    }
    res.end();
  };
  pump();
}

function upload(req, res) {
  const hash = crypto.createHash('sha256');
  let length = 0;
  req.on('data', (d) => { hash.update(d); length += d.length; });
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-server': name });
    res.end(JSON.stringify({ server: name, sha256: hash.digest('hex'), bytes: length }));
  });
}

function handle(req, res) {
  const url = new URL(req.url, 'http://lab');
  const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
  res.setHeader('x-peer', peer);
  if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-server': name });
    res.end(name);
  } else if (req.method === 'GET' && url.pathname === '/whoami') {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-server': name });
    res.end(`${name} ${peer}\n`);
  } else if (req.method === 'GET' && url.pathname === '/blob') {
    blob(req, res, url);
  } else if (req.method === 'POST' && url.pathname === '/upload') {
    upload(req, res);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }
}

/** Listens on host; resolves with the server, or null when optional and IPv6 is not there. */
function listen(host, options) {
  const server = http.createServer(handle);
  server.keepAliveTimeout = 5000;
  return new Promise((resolve) => {
    server.on('error', (e) => {
      if (options.optional && (e.code === 'EAFNOSUPPORT' || e.code === 'EADDRNOTAVAIL')) { resolve(null); return; }
      process.stderr.write(`http-server ${name} ${host}: ${e.message}\n`);
      process.exit(1);
    });
    server.listen({ port, host, ipv6Only: options.ipv6Only === true }, () => resolve(server));
  });
}

const listening = args.host ? [listen(args.host, {})] : [listen('0.0.0.0', {}), listen('::', { ipv6Only: true, optional: true })];
Promise.all(listening).then((all) => {
  const servers = all.filter((s) => s !== null);
  process.stdout.write(`ready ${name} ${port}\n`);
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => { for (const s of servers) { s.close(); s.closeAllConnections(); } process.exit(0); });
  }
});
