// Applies learnt sync entries (from a master or a state file) to this director's tables: finds
// the service and real server by identity, inserts a new connection with its state, timer and
// FULLNAT pair (reserved in the local address's port map first), or refreshes the state and
// timer of one it already has; templates likewise. Anything it cannot place is a reason, never
// an exception.

import type { ConnTable } from '../conntable/conn-table.js';
import { KeyKind } from '../conntable/conn-table.js';
import type { ConnFactory } from '../datapath/conn-factory.js';
import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';
import { Method } from '../native/layout.generated.js';
import { flowHash } from '../native/flow-hash.js';
import { DropReason } from '../datapath/drop-reasons.js';
import type { SchedPacket } from '../sched/types.js';
import type { SyncConn } from './ipvs-sync-codec.js';
import { clientSeqDelta, type AdoptSkip } from './sync-entries.js';
import type { ConnAdopter } from './sync-receiver.js';

/** The IPv6 words of an IPv4 sync entry: zero, shared, never written. */
const NO_ADDR6 = new Uint32Array(4);

export interface TableAdopterDeps {
  conns: ConnTable;
  factory: ConnFactory;
  /** The service table in force (it changes on reload). */
  services: () => ServiceTable;
  /** Connection-table time, whole seconds. */
  seconds: () => number;
  /**
   * An entry the table has already: refresh its state and timer (a backup following its master,
   * the default), or keep it as it is (a master taking a yielding node's table: its own is newer).
   */
  existing?: 'refresh' | 'keep';
  /** Told of each connection a peer's entry inserted (inserted) or refreshed. */
  learnt?: (e: number, inserted: boolean) => void;
}

export class TableAdopter implements ConnAdopter {
  constructor(private readonly d: TableAdopterDeps) {}

  adoptConn(s: SyncConn, timeoutSeconds: number): AdoptSkip | null {
    const found = resolve(this.d.services(), s);
    if (typeof found === 'string') return found;
    const { svc, dest } = found;
    const expires = this.d.seconds() + timeoutSeconds;
    const c = this.d.conns;
    const k = c.hashKey;
    const hit = c.lookup(flowHash(k[0]!, k[1]!, s.protocol, s.caddr | 0, s.cport, s.vaddr | 0, s.vport), s.protocol, s.caddr, s.cport, s.vaddr, s.vport);
    if (hit >= 0) {
      // Its client side matching another connection's reply side would make one key two.
      if ((hit & 1) !== KeyKind.IN) return 'conflict';
      if (this.d.existing === 'keep') return 'kept';
      this.d.factory.learnState(hit >> 1, s.state, expires);
      this.d.learnt?.(hit >> 1, false);
      return null;
    }
    let laddr = 0;
    let lport = 0;
    if (dest.method === Method.FNAT) {
      if (!s.fullnat) return 'fullnat-missing';
      if (!svc.localPorts?.reserve(s.fullnat.laddr, s.fullnat.lport)) return 'local-port-taken';
      ({ laddr, lport } = s.fullnat);
    }
    const p: SchedPacket = {
      proto: s.protocol, family: 4, srcAddr: s.caddr, srcPort: s.cport, dstAddr: s.vaddr, dstPort: s.vport,
      srcAddr6: NO_ADDR6, dstAddr6: NO_ADDR6,
    };
    const seqDelta = dest.method === Method.FNAT ? clientSeqDelta(s) : undefined;
    const e = this.d.factory.adopt(svc, dest, p, { laddr, lport, state: s.state, expires, ...(seqDelta !== undefined ? { seqDelta } : {}) });
    if (e >= 0) {
      this.d.learnt?.(e, true);
      return null;
    }
    return this.d.factory.failure === DropReason.NO_ROUTE ? 'no-route' : 'table-full';
  }

  adoptTemplate(s: SyncConn, timeoutSeconds: number): AdoptSkip | null {
    const found = resolve(this.d.services(), s);
    if (typeof found === 'string') return found;
    if (found.svc.config.persistenceTimeout <= 0) return 'not-persistent';
    this.d.factory.adoptTemplate(found.svc, found.dest, s.caddr, s.protocol, timeoutSeconds * 1000);
    return null;
  }
}

/** The service (protocol, VIP, port) and real server (address, port) an entry names, here. */
function resolve(services: ServiceTable, s: SyncConn): { svc: RuntimeService; dest: RuntimeDest } | AdoptSkip {
  const svc = s.fwmark !== 0 ? services.findMark(s.fwmark) : services.find(s.protocol, s.vaddr, s.vport);
  if (!svc) return 'no-service';
  // A real server with port 0 (a mark service's) takes the packet's port.
  const dest = svc.sched.dests.find((d) => d.addr === s.daddr && (d.port || s.vport) === s.dport);
  return dest ? { svc, dest } : 'no-dest';
}
