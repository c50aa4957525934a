#!/usr/bin/env node
// Lab UDP echo server: answers each datagram with "NAME PAYLOAD" and, unless --quiet, logs
// "rx ADDRESS:PORT LENGTH" per datagram so tests can count what reached this server.
// Usage: udp-server.js --name rs1 [--port 53] [--host 0.0.0.0] [--quiet]
'use strict';
const dgram = require('node:dgram');
const { parseArgs, intArg } = require('./pattern.js');

const args = parseArgs(process.argv.slice(2));
const name = args.name || 'rs';
const port = intArg(args, 'port', 5353);
const quiet = args.quiet === 'true';
const sock = dgram.createSocket('udp4');
const prefix = Buffer.from(`${name} `);

sock.on('message', (msg, rinfo) => {
  if (!quiet) process.stdout.write(`rx ${rinfo.address}:${rinfo.port} ${msg.length}\n`);
  sock.send(Buffer.concat([prefix, msg]), rinfo.port, rinfo.address);
});
sock.on('error', (e) => { process.stderr.write(`udp-server ${name}: ${e.message}\n`); process.exit(1); });
sock.bind(port, args.host || '0.0.0.0', () => process.stdout.write(`ready ${name} ${port}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { sock.close(); process.exit(0); });
