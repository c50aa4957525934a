// One packet applied to its connection: the state machine's step, the real server's active and
// inactive counts when the step crosses between them, the flood guard's view of an unconfirmed
// TCP connection, and the new expiry. Shared by the IPv4 and IPv6 branches of the classifier.

import { ConnFlag, type ConnTable } from '../conntable/conn-table.js';
import { Meta } from '../native/layout.generated.js';
import { FlowDirection, type ConnStateModel, type FlowDirectionValue } from './conn-state-model.js';
import type { FloodGuard } from './flood-guard.js';
import { PROTO_TCP, type RuntimeDest } from './service-table.js';

export interface StepDeps {
  readonly meta: Uint32Array;
  readonly conns: ConnTable;
  readonly states: ConnStateModel;
  readonly guard: FloodGuard;
}

/** Steps entry e (real server dest) by the packet at mb coming from direction; tcpFlags as the state machine should see them. */
export function stepConn(d: StepDeps, e: number, dest: RuntimeDest, mb: number, direction: FlowDirectionValue, nowSec: number,
  tcpFlags = d.meta[mb + Meta.TCP_FLAGS]!): void {
  const conns = d.conns;
  const states = d.states;
  const proto = conns.proto[e]!;
  const before = conns.state[e]!;
  const after = states.next(proto, before, direction, tcpFlags);
  if (after !== before) {
    conns.state[e] = after;
    const wasActive = states.active(proto, before);
    if (wasActive !== states.active(proto, after)) {
      dest.activeConns += wasActive ? -1 : 1;
      dest.inactConns += wasActive ? 1 : -1;
    }
  }
  if (proto === PROTO_TCP && !(conns.flags[e]! & ConnFlag.CONFIRMED)) {
    const meta = d.meta;
    d.guard.observe(e, direction === FlowDirection.OUTPUT, meta[mb + Meta.TCP_FLAGS]!, meta[mb + Meta.TCP_SEQ]! | 0,
      meta[mb + Meta.TCP_ACK]! | 0, states.active(proto, after));
  }
  conns.wheel.touch(e, nowSec + d.guard.timeout(e, states.timeout(proto, after)));
}
