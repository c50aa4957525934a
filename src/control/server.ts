// The daemon's control socket: a Unix socket, mode 0600, in a directory made 0700 when missing.
// A socket file left by a crashed director (nothing answers it) is replaced; one a running
// director answers is never taken over. Accepts a bounded number of clients, each served by a
// Session; the socket file goes away when the server closes.

import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { silentLogger, type Logger } from '../log/logger.js';
import { errorLine } from './protocol.js';
import { ControlRejections } from './rejections.js';
import { Session, type ControlOps } from './session.js';

export interface ControlServerOptions {
  path: string;
  ops: ControlOps;
  /** Clients served at once; more are answered 'busy' and closed. Default 16. */
  maxClients?: number;
  /** Longest request line in bytes. Default 8 MiB (an `adm -R` of a large table). */
  maxRequestBytes?: number;
  /** A client silent (or not reading) this long is dropped. Default 10 s. */
  timeoutMs?: number;
  log?: Logger;
}

/** Another director answers on the socket path. */
export class ControlSocketInUseError extends Error {
  constructor(readonly socketPath: string) {
    super(`another director is running: its control socket ${socketPath} answers (stop it, or give this one --control PATH)`);
    this.name = 'ControlSocketInUseError';
  }
}

export class ControlServer {
  private closing: Promise<void> | null = null;

  private constructor(
    readonly path: string,
    /** What the socket turned down, by reason. */
    readonly rejections: ControlRejections,
    private readonly server: net.Server,
    private readonly clients: ReadonlySet<net.Socket>,
    /** The inode we bound: close() removes the file only while it is still ours. */
    private readonly inode: number,
  ) {}

  /**
   * Checks that the socket path can be ours (its directory made, a stale file removed) and
   * throws ControlSocketInUseError when another director answers there: what a daemon checks
   * before it starts anything.
   */
  static async claim(socketPath: string): Promise<void> {
    prepareDirectory(socketPath);
    await removeStale(socketPath);
  }

  /** Binds the socket (replacing a stale one) and starts accepting clients. */
  static async listen(o: ControlServerOptions): Promise<ControlServer> {
    const log = o.log ?? silentLogger;
    const limits = { maxRequestBytes: o.maxRequestBytes ?? 8 << 20, timeoutMs: o.timeoutMs ?? 10_000 };
    const maxClients = o.maxClients ?? 16;
    await ControlServer.claim(o.path);
    const clients = new Set<net.Socket>();
    const rejections = new ControlRejections();
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      if (clients.size >= maxClients) {
        rejections.add('busy');
        socket.on('error', () => {});
        socket.end(errorLine(null, { code: 'busy', message: `${maxClients} control clients connected already, try again` }));
        setTimeout(() => socket.destroy(), limits.timeoutMs).unref();
        return;
      }
      clients.add(socket);
      socket.once('close', () => clients.delete(socket));
      new Session(socket, o.ops, limits, log, rejections);
    });
    server.on('error', (err) => log.error({ event: 'control' }, `control: ${err.message}`));
    await bind(server, o.path);
    return new ControlServer(o.path, rejections, server, clients, lstatSync(o.path).ino);
  }

  /** Clients connected now. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Stops accepting, drops every client and removes the socket file. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const c of this.clients) c.destroy();
      try {
        if (lstatSync(this.path).ino === this.inode) unlinkSync(this.path);
      } catch {
        // Already gone.
      }
    });
    return this.closing;
  }
}

/** /run/director (or wherever --control points) exists; when we make it, only root may enter. */
function prepareDirectory(socketPath: string): void {
  mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
}

/** Removes a socket file nothing answers; refuses one that answers or a file that is not a socket. */
async function removeStale(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new Error(`${socketPath} exists and is not a socket; remove it or give --control another path`);
  if (await answers(socketPath)) throw new ControlSocketInUseError(socketPath);
  unlinkSync(socketPath);
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(new Error(`cannot tell whether ${socketPath} is in use: ${err.message}`));
    });
  });
}

/** Binds with a umask that leaves the socket 0600 from its first moment, then says so with chmod. */
function bind(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const umask = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off('error', reject);
        chmodSync(socketPath, 0o600);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
}
