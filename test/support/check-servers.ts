// Real servers for the checker netns test, one process inside the real servers' namespace: HTTP,
// HTTPS (SNI-aware), DNS, UDP (echo and silent sink), SMTP. The control file lists the names that
// should run (one per line); the process follows it (checked every 50 ms), printing "up NAME" once
// listening and "down NAME" once closed, so a test flips servers without start-up delays. It
// exits when the control file disappears. Argv: a JSON object (addresses, cert files, control).

import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';

interface Options {
  http: string;
  https: string;
  dns: string;
  udp: string;
  smtp: string;
  sink: string;
  cert: string;
  key: string;
  /** The UDP echo answers only datagrams from this source port (proves bind_port); 0: from any. */
  udpSourcePort: number;
  heloName: string;
  control: string;
}

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
/** A datagram socket of the address's family (the IPv6 checker test serves from IPv6 addresses). */
const udpFor = (address: string): dgram.Socket => dgram.createSocket(net.isIP(address) === 6 ? 'udp6' : 'udp4');
type Closer = () => void;
const running = new Map<string, Closer>();
const starting = new Set<string>();

/** Echoes the Host header so the checker's regex can prove which virtualhost it sent. */
function startHttp(done: (c: Closer) => void): void {
  const server = http.createServer((req, res) => res.end(`ok host=${req.headers.host ?? ''}\n`));
  server.listen(80, o.http, () => done(() => server.close()));
}

/** 200 only for the SNI name www.example.test, so enable_sni is proved end to end. */
function startHttps(done: (c: Closer) => void): void {
  const server = https.createServer({ cert: fs.readFileSync(o.cert), key: fs.readFileSync(o.key) }, (req, res) => {
    const sni = (req.socket as import('node:tls').TLSSocket).servername;
    res.statusCode = sni === 'www.example.test' ? 200 : 421;
    res.end(`sni=${String(sni)}\n`);
  });
  server.listen(443, o.https, () => done(() => server.close()));
}

/** Answers every query NOERROR with its question echoed and no answers. */
function startDns(done: (c: Closer) => void): void {
  const socket = udpFor(o.dns);
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    const reply = Buffer.from(msg);
    reply.writeUInt16BE(0x8180, 2);
    socket.send(reply, rinfo.port, rinfo.address);
  });
  socket.bind(53, o.dns, () => done(() => socket.close()));
}

function startUdp(done: (c: Closer) => void): void {
  const socket = udpFor(o.udp);
  socket.on('message', (msg, rinfo) => {
    if ((o.udpSourcePort === 0 || rinfo.port === o.udpSourcePort) && msg.toString() === 'ping') socket.send('pong!', rinfo.port, rinfo.address);
  });
  socket.bind(9000, o.udp, () => done(() => socket.close()));
}

function startSink(done: (c: Closer) => void): void {
  const socket = udpFor(o.sink);
  socket.on('message', () => undefined);
  socket.bind(9001, o.sink, () => done(() => socket.close()));
}

function startSmtp(done: (c: Closer) => void): void {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => undefined);  // a TCP_CHECK closes without QUIT, sometimes with a reset
    s.setEncoding('latin1');
    s.write('220-mx.example.test ESMTP\r\n220 ready\r\n');
    s.on('data', (line: string) => {
      if (line === `HELO ${o.heloName}\r\n`) s.write('250 hello\r\n');
      else if (line === 'QUIT\r\n') s.end('221 bye\r\n');
      else s.write('501 who are you\r\n');
    });
  });
  server.listen(25, o.smtp, () => done(() => {
    server.close();
    for (const s of sockets) s.destroy();
  }));
}

const SERVERS: Record<string, (done: (c: Closer) => void) => void> = {
  http: startHttp, https: startHttps, dns: startDns, udp: startUdp, sink: startSink, smtp: startSmtp,
};

function start(name: string): void {
  const starter = SERVERS[name];
  if (starter === undefined || running.has(name) || starting.has(name)) return;
  starting.add(name);
  starter((close) => {
    starting.delete(name);
    running.set(name, close);
    console.log(`up ${name}`);
  });
}

function stop(name: string): void {
  const close = running.get(name);
  if (close === undefined) return;
  running.delete(name);
  close();
  console.log(`down ${name}`);
}

/** Converges on the control file's list; no file any more: the test is over. */
function follow(): void {
  let wanted: Set<string>;
  try {
    wanted = new Set(fs.readFileSync(o.control, 'utf8').split('\n').filter((n) => n !== ''));
  } catch {
    process.exit(0);
  }
  for (const name of Object.keys(SERVERS)) {
    if (wanted.has(name)) start(name);
    else stop(name);
  }
}

setInterval(follow, 50);
follow();
