// The connection state model the data path runs by default: IPVS's TCP state machine for TCP
// and its single "normal" state for UDP, with the three timeouts ipvsadm --set and keepalived's
// lvs_timeouts change (TCP ESTABLISHED, TCP FIN_WAIT, UDP) held where they can be changed while
// it runs.

import { isActive, nextState, TcpState, timeoutFor, UDP_TIMEOUT_S } from '../ipvs/tcp-state.js';
import type { ConnStateModel } from './conn-state-model.js';
import { PROTO_TCP } from './service-table.js';

/** UDP connections live in one state, never counted active (as IPVS). */
const UDP_NORMAL = 0;

/** Seconds; 0 in a change keeps the value, as ipvsadm --set. */
export interface ConnTimeoutValues {
  tcp: number;
  tcpFin: number;
  udp: number;
}

/** The three changeable timeouts, the kernel's defaults until changed. */
export class ConnTimeouts implements ConnTimeoutValues {
  tcp = timeoutFor(TcpState.ESTABLISHED);
  tcpFin = timeoutFor(TcpState.FIN_WAIT);
  udp = UDP_TIMEOUT_S;

  /** Takes each non-zero value; a connection gets the new timeout at its next packet (as IPVS). */
  apply(change: ConnTimeoutValues): void {
    if (change.tcp > 0) this.tcp = change.tcp;
    if (change.tcpFin > 0) this.tcpFin = change.tcpFin;
    if (change.udp > 0) this.udp = change.udp;
  }
}

export function ipvsStateModel(timeouts: ConnTimeouts = new ConnTimeouts()): ConnStateModel {
  const tcpTimeout = (state: number): number =>
    state === TcpState.ESTABLISHED ? timeouts.tcp : state === TcpState.FIN_WAIT ? timeouts.tcpFin : timeoutFor(state);
  return {
    initial: (proto) => (proto === PROTO_TCP ? TcpState.NONE : UDP_NORMAL),
    next: (proto, state, direction, tcpFlags) =>
      proto === PROTO_TCP ? nextState(state, direction, tcpFlags) : UDP_NORMAL,
    timeout: (proto, state) => (proto === PROTO_TCP ? tcpTimeout(state) : timeouts.udp),
    active: (proto, state) => proto === PROTO_TCP && isActive(state),
    reusable: (proto, state) => proto === PROTO_TCP && (state === TcpState.TIME_WAIT || state === TcpState.CLOSE),
  };
}
