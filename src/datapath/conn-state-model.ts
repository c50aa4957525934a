// What the data path needs of a protocol state machine: the state a new connection starts in,
// the next state per packet, its timeout, and whether it counts as an active connection.

/** Which way a packet travels relative to the connection (IPVS's input/output/input-only). */
export const FlowDirection = {
  /** Client to real server, through the director, replies also through it (NAT, FULLNAT). */
  INPUT: 0,
  /** Real server back to the client, through the director (NAT, FULLNAT). */
  OUTPUT: 1,
  /** Client to real server where replies bypass the director (DR, TUN). */
  INPUT_ONLY: 2,
} as const;
export type FlowDirectionValue = (typeof FlowDirection)[keyof typeof FlowDirection];

export interface ConnStateModel {
  /** State of a connection just created, before its first packet is applied. */
  initial(proto: number): number;
  next(proto: number, state: number, direction: FlowDirectionValue, tcpFlags: number): number;
  /** Seconds a connection in this state lives without traffic. */
  timeout(proto: number, state: number): number;
  /** Counts in activeconns (else inactconns), as IPVS. */
  active(proto: number, state: number): boolean;
  /**
   * A client's new connection attempt (TCP SYN) on the same addresses and ports may replace a
   * connection in this state: it is closing or closed, so the attempt is scheduled afresh
   * (IPVS conn_reuse_mode 1, its default: TIME_WAIT and CLOSE).
   */
  reusable(proto: number, state: number): boolean;
}
