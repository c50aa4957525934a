// How sync messages travel: the SyncTransport interface the sender and receiver use, and its UDP
// implementation (IPVS's multicast group on the lvs_sync_daemon interface, or unicast to named
// peers). The socket lives in the process's own network namespace: a director that syncs must
// run in the namespace of its sync interface (`ip netns exec NS director run ...`).

import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';

export interface SyncTransport {
  /** This node's own source address: messages from it are its own (N peers share one sync id). */
  readonly local?: string;
  /** Sends one message to the backups (the group, or every unicast peer). */
  send(message: Buffer): void;
  /** Sends one message to one address's sync port (a table dump and its request). */
  sendTo(message: Buffer, address: string): void;
  /** Installs the handler of every message received (from any source). */
  onMessage(handler: (message: Buffer, from: string) => void): void;
  close(): Promise<void>;
}

export interface UdpSyncOptions {
  /** The interface sync runs on (lvs_sync_daemon IF): its IPv4 address is the source. */
  interface: string;
  port: number;
  group: string;
  ttl: number;
  /** Unicast peers: when non-empty, messages go to each of them instead of the group. */
  peers?: readonly string[];
  /** Join the group to receive (backups); a master only sends. */
  receive: boolean;
}

/** The first IPv4 address of an interface in this namespace; throws naming the interface. */
export function interfaceAddress(ifname: string): string {
  const found = networkInterfaces()[ifname]?.find((a) => a.family === 'IPv4');
  if (!found) throw new Error(`connection sync: interface ${ifname} has no IPv4 address in this network namespace`);
  return found.address;
}

/** Opens the socket: bound to the sync port, in the group on the interface when receiving. */
export async function openUdpSync(o: UdpSyncOptions): Promise<SyncTransport> {
  const local = interfaceAddress(o.interface);
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  let handler: (message: Buffer, from: string) => void = () => {};
  socket.on('message', (msg, rinfo) => handler(msg, rinfo.address));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    // A backup listens on the sync port; a master's source port does not matter.
    socket.bind(o.receive ? o.port : 0, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // An error after the bind (an unreachable peer) must not end the director.
  socket.on('error', () => {});
  const unicast = (o.peers?.length ?? 0) > 0;
  if (!unicast) {
    socket.setMulticastInterface(local);
    socket.setMulticastTTL(o.ttl);
    socket.setMulticastLoopback(false);
    if (o.receive) socket.addMembership(o.group, local);
  }
  // One peer list may serve every director of a set: a director is not its own peer.
  const targets = unicast ? (o.peers ?? []).filter((p) => p !== local) : [o.group];
  return {
    local,
    send: (message) => { for (const t of targets) socket.send(message, o.port, t); },
    sendTo: (message, address) => socket.send(message, o.port, address),
    onMessage: (h) => { handler = h; },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
