// One BFD session (RFC 5880 asynchronous mode, no authentication, no echo) as a step machine:
// receive() takes a decoded control packet, poll(now) runs the transmit and detection timers and
// says when it wants to run next. The caller owns sockets and clock; packets leave through `send`.

/** Session states, wire values (RFC 5880 4.1). */
export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
export type BfdStateValue = (typeof BfdState)[keyof typeof BfdState];
export const BFD_STATE_NAMES = ['AdminDown', 'Down', 'Init', 'Up'] as const;
/** Diagnostic codes used here (RFC 5880 4.1). */
export const BfdDiag = { None: 0, DetectionExpired: 1, NeighborDown: 3 } as const;

export const BFD_PACKET_BYTES = 24;
const BFD_VERSION = 1;

export interface BfdPacket {
  diag: number;
  state: BfdStateValue;
  poll: boolean;
  final: boolean;
  detectMult: number;
  myDiscr: number;
  yourDiscr: number;
  /** Microseconds. */
  desiredMinTxUs: number;
  requiredMinRxUs: number;
}

export function encodeBfd(p: BfdPacket): Buffer {
  const b = Buffer.alloc(BFD_PACKET_BYTES);
  b[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  b[1] = (p.state << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0);
  b[2] = p.detectMult;
  b[3] = BFD_PACKET_BYTES;
  b.writeUInt32BE(p.myDiscr, 4);
  b.writeUInt32BE(p.yourDiscr, 8);
  b.writeUInt32BE(p.desiredMinTxUs, 12);
  b.writeUInt32BE(p.requiredMinRxUs, 16);
  return b;
}

/** A control packet, or why it must be discarded (RFC 5880 6.8.6, first checks). */
export function decodeBfd(b: Buffer): BfdPacket | string {
  if (b.length < BFD_PACKET_BYTES) return `${b.length} bytes, shorter than a control packet`;
  const [b0 = 0, b1 = 0, mult = 0, length = 0] = b;
  if (b0 >> 5 !== BFD_VERSION) return `version ${b0 >> 5}`;
  if (length < BFD_PACKET_BYTES || length > b.length) return `length field ${length}`;
  if ((b1 & 0x04) !== 0) return 'authentication is not supported';
  if ((b1 & 0x01) !== 0) return 'multipoint bit set';
  if (mult === 0) return 'detect multiplier 0';
  const p: BfdPacket = {
    diag: b0 & 0x1f, state: (b1 >> 6) as BfdStateValue, poll: (b1 & 0x20) !== 0, final: (b1 & 0x10) !== 0,
    detectMult: mult, myDiscr: b.readUInt32BE(4), yourDiscr: b.readUInt32BE(8),
    desiredMinTxUs: b.readUInt32BE(12), requiredMinRxUs: b.readUInt32BE(16),
  };
  if (p.myDiscr === 0) return 'my discriminator 0';
  if (p.yourDiscr === 0 && p.state !== BfdState.Down && p.state !== BfdState.AdminDown) return 'your discriminator 0 outside Down';
  return p;
}

export interface BfdTimers {
  /** Our discriminator, non-zero and unique in this process. */
  localDiscr: number;
  /** Microseconds: required min rx, desired min tx while Up, desired tx while not Up (>= 1 s per RFC). */
  minRxUs: number;
  minTxUs: number;
  idleTxUs: number;
  multiplier: number;
  /** Send nothing until the peer has spoken. */
  passive: boolean;
}

export class BfdSession {
  state: BfdStateValue = BfdState.Down;
  diag: number = BfdDiag.None;
  private remoteDiscr = 0;
  private remoteMinRxUs = 1;
  private remoteDesiredTxUs = 0;
  private remoteMult = 0;
  private desiredTxUs: number;
  private pollActive = false;
  private nextTxAt = 0;
  private detectAt = Infinity;

  constructor(private readonly t: BfdTimers, private readonly send: (packet: Buffer) => void, private readonly random = Math.random) {
    this.desiredTxUs = t.idleTxUs;
  }

  /** Handles a packet already matched to this session (RFC 5880 6.8.6); `now` in ms. */
  receive(p: BfdPacket, now: number): void {
    this.remoteDiscr = p.myDiscr;
    this.remoteMinRxUs = p.requiredMinRxUs;
    this.remoteDesiredTxUs = p.desiredMinTxUs;
    this.remoteMult = p.detectMult;
    if (p.final) this.pollActive = false;
    this.detectAt = now + this.detectionMs();
    if (p.state === BfdState.AdminDown) {
      if (this.state !== BfdState.Down) this.enter(BfdState.Down, BfdDiag.NeighborDown);
    } else if (this.state === BfdState.Down) {
      if (p.state === BfdState.Down) this.enter(BfdState.Init, BfdDiag.None);
      else if (p.state === BfdState.Init) this.enter(BfdState.Up, BfdDiag.None);
    } else if (this.state === BfdState.Init) {
      if (p.state === BfdState.Init || p.state === BfdState.Up) this.enter(BfdState.Up, BfdDiag.None);
    } else if (p.state === BfdState.Down) {
      this.enter(BfdState.Down, BfdDiag.NeighborDown);
    }
    if (p.poll) this.transmit(now, true);
  }

  /** Runs what is due at `now` (ms); returns when it wants to run next. */
  poll(now: number): number {
    if (now >= this.detectAt) {
      this.detectAt = Infinity;
      this.remoteDiscr = 0;
      this.remoteMinRxUs = 1;
      if (this.state === BfdState.Init || this.state === BfdState.Up) this.enter(BfdState.Down, BfdDiag.DetectionExpired);
    }
    const silent = (this.t.passive && this.remoteDiscr === 0) || this.remoteMinRxUs === 0;
    if (silent) return Math.min(this.detectAt, now + this.t.idleTxUs / 1000);
    if (now >= this.nextTxAt) this.transmit(now, false);
    return Math.min(this.detectAt, this.nextTxAt);
  }

  private detectionMs(): number {
    return (this.remoteMult * Math.max(this.t.minRxUs, this.remoteDesiredTxUs)) / 1000;
  }

  private enter(state: BfdStateValue, diag: number): void {
    this.state = state;
    this.diag = diag;
    // Up sends at min_tx, anything else at the idle rate; a change is announced with a poll.
    const want = state === BfdState.Up ? this.t.minTxUs : this.t.idleTxUs;
    if (want !== this.desiredTxUs) {
      this.desiredTxUs = want;
      this.pollActive = true;
      this.nextTxAt = 0;
    }
  }

  /** Sends one packet; periodic ones are jittered 75-100 % (75-90 % with multiplier 1, RFC 6.8.7). */
  private transmit(now: number, final: boolean): void {
    this.send(encodeBfd({
      diag: this.diag, state: this.state, poll: this.pollActive && !final, final, detectMult: this.t.multiplier,
      myDiscr: this.t.localDiscr, yourDiscr: this.remoteDiscr, desiredMinTxUs: this.desiredTxUs, requiredMinRxUs: this.t.minRxUs,
    }));
    if (final) return;
    const intervalMs = Math.max(this.desiredTxUs, this.remoteMinRxUs) / 1000;
    const jitter = 0.75 + this.random() * (this.t.multiplier === 1 ? 0.15 : 0.25);
    this.nextTxAt = now + intervalMs * jitter;
  }
}
