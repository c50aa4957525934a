#!/usr/bin/env node
// Lab UDP echo server: answers each datagram with "NAME PAYLOAD" and, unless --quiet, logs
// "rx ADDRESS:PORT LENGTH" per datagram so tests can count what reached this server.
// Usage: udp-server.js --name rs1 [--port 53] [--host 0.0.0.0] [--vip ADDRESS] [--quiet]
// --vip: DR and TUN real servers hold the VIP on lo; a socket bound to the wildcard would answer
// VIP traffic from the server's own address (the kernel picks the source by route), which a
// client's connected socket rejects. A second socket bound to the VIP answers from the VIP.
'use strict';
const dgram = require('node:dgram');
const { parseArgs, intArg } = require('./pattern.js');

const args = parseArgs(process.argv.slice(2));
const name = args.name || 'rs';
const port = intArg(args, 'port', 5353);
const quiet = args.quiet === 'true';
const prefix = Buffer.from(`${name} `);
const hosts = [args.host || '0.0.0.0', ...(args.vip ? [args.vip] : [])];

function open(host) {
  // reuseAddr lets the VIP socket share the port with the wildcard one; the kernel delivers
  // each datagram to the most specific match.
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  sock.on('message', (msg, rinfo) => {
    if (!quiet) process.stdout.write(`rx ${rinfo.address}:${rinfo.port} ${msg.length}\n`);
    sock.send(Buffer.concat([prefix, msg]), rinfo.port, rinfo.address);
  });
  sock.on('error', (e) => { process.stderr.write(`udp-server ${name} ${host}: ${e.message}\n`); process.exit(1); });
  return new Promise((resolve) => sock.bind(port, host, () => resolve(sock)));
}

Promise.all(hosts.map(open)).then((socks) => {
  process.stdout.write(`ready ${name} ${port}\n`);
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { socks.forEach((s) => s.close()); process.exit(0); });
});
