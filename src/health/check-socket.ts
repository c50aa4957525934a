// Opens the sockets of connecting checkers, honouring keepalived's bindto, bind_port and bind_if:
// Node's own sockets when no device is named, else a socket the addon made and bound to the
// device (Node cannot set SO_BINDTODEVICE), adopted by Node through its file descriptor.

import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { CheckSource } from '../config/model.js';
import { loadAddon } from '../native/binding.js';
import type { CheckSocketSource } from '../native/types.js';

export interface CheckTarget {
  connectIp: string;
  connectPort: number;
  source?: CheckSource | undefined;
}

export function nativeSource(s: CheckSource): CheckSocketSource {
  return {
    ...(s.device !== null ? { device: s.device } : {}),
    ...(s.address !== null ? { address: s.address } : {}),
    ...(s.port !== 0 ? { port: s.port } : {}),
  };
}

/** A TCP connection under way; failures (a missing bind_if device too) arrive as 'error'. */
export function connectStream(t: CheckTarget): net.Socket {
  const s = t.source;
  if (s?.device == null) {
    return net.connect({
      host: t.connectIp, port: t.connectPort,
      ...(s?.address != null ? { localAddress: s.address } : {}), ...(s?.port ? { localPort: s.port } : {}),
    });
  }
  let fd: number;
  try {
    fd = loadAddon().openCheckSocket('tcp', nativeSource(s));
  } catch (err) {
    const socket = new net.Socket();
    process.nextTick(() => socket.destroy(err as Error));
    return socket;
  }
  return new net.Socket({ fd }).connect({ host: t.connectIp, port: t.connectPort });
}

/** A TLS connection over connectStream; the certificate is not verified (keepalived's SSL_GET does not). */
export function connectTls(t: CheckTarget, servername: string | null): tls.TLSSocket {
  return tls.connect({
    socket: connectStream(t), rejectUnauthorized: false, ...(servername !== null ? { servername } : {}),
  });
}

/** A UDP socket bound as the source says and connected to the target (so ICMP errors come back). */
export function openDatagram(t: CheckTarget): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIP(t.connectIp) === 6 ? 'udp6' : 'udp4');
    const fail = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    const connect = (): void => socket.connect(t.connectPort, t.connectIp, () => {
      socket.off('error', fail);
      resolve(socket);
    });
    const s = t.source;
    try {
      if (s?.device != null) socket.bind({ fd: loadAddon().openCheckSocket('udp', nativeSource(s)) }, connect);
      else if (s !== undefined) socket.bind({ ...(s.address !== null ? { address: s.address } : {}), port: s.port }, connect);
      else connect();
    } catch (err) {
      fail(err as Error);
    }
  });
}
