// The IPVS TCP connection state machine (ip_vs_proto_tcp.c): the kernel's transition table for
// input, output and input-only (DR/TUN) packets, its default timeout per state, and which states
// count as active connections. Pure; states are small integers for a Uint8Array column.
//
// How a connection table uses it (this mirrors ip_vs_bind_dest / set_tcp_state / unbind):
//   - new connection: state NONE, counted in dest.inactConns (IPVS starts every connection
//     INACTIVE; UDP connections stay inactive for life);
//   - each TCP packet: s' = nextState(s, dir, flags), dir being OUTPUT for packets from the real
//     server, INPUT_ONLY for client packets of DR and TUN connections (their replies bypass the
//     director) and INPUT for client packets of NAT and FULLNAT ones; when isActive(s) !==
//     isActive(s') move one count between activeConns and inactConns; the timer becomes
//     timeoutFor(s') (seconds);
//   - expiry: decrement activeConns if isActive(s) else inactConns.

export const TcpState = {
  NONE: 0,
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT: 4,
  TIME_WAIT: 5,
  CLOSE: 6,
  CLOSE_WAIT: 7,
  LAST_ACK: 8,
  LISTEN: 9,
  SYNACK: 10,
} as const;
export const TCP_STATE_COUNT = 11;
export const TCP_STATE_NAMES = [
  'NONE', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'SYNACK',
] as const;

/** Which of the kernel's three tables a packet is looked up in. */
export const TcpDir = { INPUT: 0, OUTPUT: 1, INPUT_ONLY: 2 } as const;

/** TCP header flag bits as on the wire (byte 13). */
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

const { ESTABLISHED: ES, SYN_SENT: SS, SYN_RECV: SR, FIN_WAIT: FW, TIME_WAIT: TW,
  CLOSE: CL, CLOSE_WAIT: CW, LAST_ACK: LA, LISTEN: LI } = TcpState;

// [dir][event][state]; events: 0 syn, 1 fin, 2 ack, 3 rst (tcp_state_idx order). Columns:
//   NO  ES  SS  SR  FW  TW  CL  CW  LA  LI  SA
const TABLE = Uint8Array.from([
  // INPUT
  SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR,
  CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW,
  CL, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES,
  CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR,
  // OUTPUT
  SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR,
  TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW,
  ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES,
  CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL,
  // INPUT_ONLY
  SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR,
  CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW,
  CL, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES,
  CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL,
]);

/** tcp_state_idx: RST wins, then SYN, FIN, ACK; -1 when none is set. */
function eventOf(flags: number): number {
  if (flags & TcpFlag.RST) return 3;
  if (flags & TcpFlag.SYN) return 0;
  if (flags & TcpFlag.FIN) return 1;
  if (flags & TcpFlag.ACK) return 2;
  return -1;
}

/**
 * set_tcp_state's transition. A packet with none of SYN/FIN/ACK/RST moves the connection to
 * CLOSE, exactly as the kernel (its new_state starts as CLOSE). Out-of-range input gives CLOSE.
 */
export function nextState(state: number, dir: number, tcpFlags: number): number {
  if (state < 0 || state >= TCP_STATE_COUNT || dir < 0 || dir > 2) return TcpState.CLOSE;
  const ev = eventOf(tcpFlags);
  if (ev < 0) return TcpState.CLOSE;
  return TABLE[(dir * 4 + ev) * TCP_STATE_COUNT + state]!;
}

/** The kernel's default tcp_timeouts, seconds, by state. */
const TCP_TIMEOUTS_S = Uint32Array.from([2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120]);
const CLOSE_TIMEOUT_S = 10;

/** Default timeout of a TCP state, in seconds (ipvsadm --set tcp / tcpfin change ES / FW); CLOSE's for a bad state. */
export function timeoutFor(state: number): number {
  return TCP_TIMEOUTS_S[state] ?? CLOSE_TIMEOUT_S;
}

/** UDP connections: one timeout (udp_timeouts NORMAL), 300 s. */
export const UDP_TIMEOUT_S = 300;

/** ESTABLISHED counts in activeConns; every other state in inactConns. */
export function isActive(state: number): boolean {
  return state === TcpState.ESTABLISHED;
}
