// The connection state model the data path runs by default: IPVS's TCP state machine for TCP
// and its single "normal" state with the 300 s timeout for UDP.

import { isActive, nextState, TcpState, timeoutFor, UDP_TIMEOUT_S } from '../ipvs/tcp-state.js';
import type { ConnStateModel } from './conn-state-model.js';
import { PROTO_TCP } from './service-table.js';

/** UDP connections live in one state, never counted active (as IPVS). */
const UDP_NORMAL = 0;

export const ipvsStateModel: ConnStateModel = {
  initial: (proto) => (proto === PROTO_TCP ? TcpState.NONE : UDP_NORMAL),
  next: (proto, state, direction, tcpFlags) =>
    proto === PROTO_TCP ? nextState(state, direction, tcpFlags) : UDP_NORMAL,
  timeout: (proto, state) => (proto === PROTO_TCP ? timeoutFor(state) : UDP_TIMEOUT_S),
  active: (proto, state) => proto === PROTO_TCP && isActive(state),
};
