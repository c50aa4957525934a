#!/usr/bin/env node
// Lab UDP echo server: answers each datagram with "NAME PAYLOAD" and, unless --quiet, logs
// "rx ADDRESS:PORT LENGTH" per datagram so tests can count what reached this server.
// Usage: udp-server.js --name rs1 [--port 53] [--host ADDRESS] [--vip ADDRESS[,ADDRESS6]] [--quiet]
// Without --host it binds 0.0.0.0 and [::] (IPv6 only; left out where the namespace has no IPv6).
// --vip: DR and TUN real servers hold the VIP on lo; a socket bound to the wildcard would answer
// VIP traffic from the server's own address (the kernel picks the source by route), which a
// client's connected socket rejects. A socket bound to each VIP answers from that VIP.
'use strict';
const dgram = require('node:dgram');
const { parseArgs, intArg } = require('./pattern.js');

const args = parseArgs(process.argv.slice(2));
const name = args.name || 'rs';
const port = intArg(args, 'port', 5353);
const quiet = args.quiet === 'true';
const prefix = Buffer.from(`${name} `);
const wildcards = args.host ? [args.host] : ['0.0.0.0', '::'];
const hosts = [...wildcards, ...(args.vip ? String(args.vip).split(',') : [])];

function open(host) {
  // reuseAddr lets the VIP socket share the port with the wildcard one; the kernel delivers
  // each datagram to the most specific match.
  const v6 = host.includes(':');
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true, ipv6Only: v6 });
  sock.on('message', (msg, rinfo) => {
    if (!quiet) process.stdout.write(`rx ${rinfo.address}:${rinfo.port} ${msg.length}\n`);
    sock.send(Buffer.concat([prefix, msg]), rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => {
    sock.on('error', (e) => {
      // The IPv6 wildcard is optional: a namespace without IPv6 serves IPv4 alone.
      if (host === '::' && !args.host && (e.code === 'EAFNOSUPPORT' || e.code === 'EADDRNOTAVAIL')) { resolve(null); return; }
      process.stderr.write(`udp-server ${name} ${host}: ${e.message}\n`);
      process.exit(1);
    });
    sock.bind(port, host, () => resolve(sock));
  });
}

Promise.all(hosts.map(open)).then((all) => {
  const socks = all.filter((s) => s !== null);
  process.stdout.write(`ready ${name} ${port}\n`);
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { socks.forEach((s) => s.close()); process.exit(0); });
});
