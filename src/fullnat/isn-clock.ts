// The initial sequence numbers a FULLNAT director gives the client's side of a TCP connection
// toward its real server: a wall-clock microsecond counter, so that a connection is numbered
// after any earlier one that used the same (local address, port, real server, port) tuple.
//
// Why: real servers that close first keep such tuples in TIME_WAIT for 60 s, and Linux accepts
// a SYN on a TIME_WAIT tuple without a timestamp only when its sequence number is after the old
// connection's next expected one (tcp_timewait_state_process); a SYN that is not gets a
// challenge ACK, and the client waits for its SYN retransmit (1 s, then 3 s). The client's own
// ISN is random with respect to the old connection, so a director that reuses ports (a restart,
// a second director with the same local addresses, a backup taking over) stalled about half
// its handshakes. A clock counts forward through restarts and is the same on two directors of
// one host or NTP-synchronised hosts, so no per-process secret may enter it (it would make the
// numbers of two directors unrelated again). Microseconds, as RFC 793's clock counts in 4 µs:
// the counter wraps every 71.6 minutes, so a new connection is "after" an old one on its tuple
// when the old one started less than 35.8 minutes before it and its client sent less than one
// byte per microsecond on average (1 MB/s; a request direction rarely comes close). The cost:
// the numbers toward real servers are predictable, as they were before RFC 6528; the real
// server leg is the director's own network.

/** A wall-clock time in ms since 1970 (fractions count) as the ISN of that moment, int32. */
export function isnAt(wallMs: number): number {
  // ms * 1000 stays exact to a quarter microsecond below 2^53; the remainder is exact.
  return Math.floor((wallMs * 1000) % 4294967296) | 0;
}

/** The ISN now, from the wall clock at microsecond resolution (once per batch, not per packet). */
export function wallClockIsn(): number {
  return isnAt(performance.timeOrigin + performance.now());
}
