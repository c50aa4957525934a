// Translates between the connection table (entries, persistence templates) and IPVS sync
// entries, both ways: what a master sends and a state file holds, and what a backup or a
// restarted director learns from them. Real servers travel by identity (service VIP:port and
// real server address:port), never by position or id, so peers with the same config agree.

import { PERSIST_GROUP, PERSIST_MARK } from '../datapath/service-table.js';
import { ConnFlag as EntryFlag, type ConnTable } from '../conntable/conn-table.js';
import type { Template } from '../ipvs/persistence.js';
import { Method } from '../native/layout.generated.js';
import { ConnFlag, type SyncConn } from './ipvs-sync-codec.js';

/** The IP_VS_CONN_F_* forwarding bits of a method; FULLNAT travels as MASQ plus its option. */
function fwdFlags(method: number): number {
  if (method === Method.DR) return ConnFlag.DROUTE | ConnFlag.NOOUTPUT;
  if (method === Method.TUN) return ConnFlag.TUNNEL | ConnFlag.NOOUTPUT;
  return ConnFlag.MASQ;
}

/** Connection entry e as a sync entry, with the given timeout (seconds). */
export function connToSync(c: ConnTable, e: number, timeoutSeconds: number): SyncConn {
  const method = c.method[e]!;
  const out: SyncConn = {
    protocol: c.proto[e]!, flags: fwdFlags(method), state: c.state[e]!, cport: c.cport[e]!,
    vport: c.vport[e]!, dport: c.dport[e]!, fwmark: 0, timeoutSeconds, caddr: c.caddr[e]!, vaddr: c.vaddr[e]!,
    daddr: c.daddr[e]!,
  };
  if (method === Method.FNAT) out.fullnat = { laddr: c.laddr[e]!, lport: c.lport[e]! };
  if (c.flags[e]! & EntryFlag.CLIENT_SEQ) {
    // IPVS's in_seq is exactly the client -> real server adjustment: the peer goes on moving
    // the client's numbers by the same delta (the real server knows no others).
    const delta = c.seqDelta[e]! >>> 0;
    out.flags |= ConnFlag.IN_SEQ;
    out.seq = { in: { initSeq: 0, delta, previousDelta: delta }, out: { initSeq: 0, delta: 0, previousDelta: 0 } };
  }
  return out;
}

/** The client-side sequence delta a FULLNAT TCP entry carries (IN_SEQ), as int32; undefined when none. */
export function clientSeqDelta(s: SyncConn): number | undefined {
  return (s.flags & ConnFlag.IN_SEQ) !== 0 && s.seq !== undefined && s.fullnat !== undefined && s.protocol === 6 ? s.seq.in.delta | 0 : undefined;
}

/**
 * A persistence template as IPVS syncs it: flag TEMPLATE, the client network as caddr, client
 * port 0, the service's VIP:port (a mark service's: 0.0.0.0:0 and its fwmark) and the real
 * server it sticks to. null for a virtual_server_group's template: IPVS has no such scope to
 * sync, so a peer learns the group's connections but schedules the client's next one anew.
 */
export function templateToSync(t: Template, timeoutSeconds: number): SyncConn | null {
  const client = t.key.client;
  const scope = t.key.service;
  // An IPv6 template (its client a prefix: templateKey6) has no IPv4 sync form.
  if (scope >= PERSIST_GROUP || typeof client === 'string') return null;
  const clientNet = Math.floor(client / 256);
  const mark = scope >= PERSIST_MARK ? scope - PERSIST_MARK : 0;
  return {
    protocol: client & 0xff, flags: ConnFlag.TEMPLATE, state: 0, cport: 0,
    vport: mark ? 0 : scope % 65536, dport: t.dest.port, fwmark: mark, timeoutSeconds,
    caddr: clientNet, vaddr: mark ? 0 : Math.floor(scope / 65536), daddr: t.dest.addr,
  };
}

export function isTemplate(s: SyncConn): boolean {
  return (s.flags & ConnFlag.TEMPLATE) !== 0;
}

/** Why a learnt entry was not applied (counted per reason by whoever applies them). */
export type AdoptSkip =
  | 'no-service' | 'no-dest' | 'not-persistent' | 'fullnat-missing' | 'local-port-taken' | 'conflict' | 'no-route'
  | 'table-full' | 'expired'
  /** A handed-over entry this master already has: its own (newer) state stays. */
  | 'kept';
