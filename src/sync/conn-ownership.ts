// Which director speaks for each connection when N directors sync with each other (ECMP,
// active-active): the one whose packets it carries. An entry created here by a packet is ours;
// one learnt from a peer (its stream or a table dump) is the peer's, and is never sent on from
// here, so N peers never echo each other's entries; the peer's later updates refresh it. When
// ECMP moves the flow here, its first packet here takes it over: from then on this director
// sends it, and the former owner, on hearing that, cedes it. Sending stays packet-driven on the
// director that carries the flow, so a message never causes another one.

export interface OwnershipCounters {
  /** Peers' entries whose packets started arriving here (ECMP moved the flow to this director). */
  takenOver: number;
  /** Entries of ours a peer sent an update for (the flow moved to it). */
  ceded: number;
}

export class ConnOwnership {
  readonly counters: OwnershipCounters = { takenOver: 0, ceded: 0 };
  /** 1 while entry e is a peer's: learnt, and no packet of it came here since. */
  private readonly peers: Uint8Array;

  constructor(capacity: number) {
    this.peers = new Uint8Array(capacity);
  }

  /** Entry e was created here by a packet: ours. */
  created(e: number): void {
    this.peers[e] = 0;
  }

  /** A peer's update inserted entry e (inserted) or refreshed it: the peer's from now on. */
  learnt(e: number, inserted: boolean): void {
    if (!inserted && this.peers[e] === 0) this.counters.ceded++;
    this.peers[e] = 1;
  }

  /** A packet of entry e arrived here: true when it was a peer's and is taken over now. */
  carried(e: number): boolean {
    if (this.peers[e] === 0) return false;
    this.peers[e] = 0;
    this.counters.takenOver++;
    return true;
  }

  isPeers(e: number): boolean {
    return this.peers[e] === 1;
  }

  /** Everything counts as ours (a node that becomes the only sender: VRRP master). */
  reset(): void {
    this.peers.fill(0);
  }
}
