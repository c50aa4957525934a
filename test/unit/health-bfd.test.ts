// BFD (RFC 5880) without a network: control packets byte for byte, what a receiver must discard,
// and two sessions wired back to back on a fake clock: the three-way handshake to Up, the poll
// sequence for the faster Up rate, Down when packets stop (detection time) or the peer says so.
import { strict as assert } from 'node:assert';
import { BfdDiag, BfdSession, BfdState, decodeBfd, encodeBfd, type BfdPacket, type BfdTimers } from '../../src/health/bfd-session.js';

const packet: BfdPacket = {
  diag: BfdDiag.DetectionExpired, state: BfdState.Up, poll: true, final: false, detectMult: 3,
  myDiscr: 0x11223344, yourDiscr: 0x55667788, desiredMinTxUs: 100_000, requiredMinRxUs: 200_000,
};

describe('BFD control packets', () => {
  it('encode byte for byte (version 1, diag, state and flags, lengths, discriminators, intervals)', () => {
    assert.equal(encodeBfd(packet).toString('hex'), '21e00318' + '11223344' + '55667788' + '000186a0' + '00030d40' + '00000000');
    assert.deepEqual(decodeBfd(encodeBfd(packet)), packet);
  });

  it('what must be discarded is, with the reason', () => {
    const bad = (edit: (b: Buffer) => void): string | BfdPacket => {
      const b = encodeBfd(packet);
      edit(b);
      return decodeBfd(b);
    };
    assert.equal(decodeBfd(Buffer.alloc(10)), '10 bytes, shorter than a control packet');
    assert.equal(bad((b) => { b[0] = 0x41; }), 'version 2');
    assert.equal(bad((b) => { b[1] = b[1]! | 0x04; }), 'authentication is not supported');
    assert.equal(bad((b) => { b[1] = b[1]! | 0x01; }), 'multipoint bit set');
    assert.equal(bad((b) => { b[2] = 0; }), 'detect multiplier 0');
    assert.equal(bad((b) => { b[3] = 30; }), 'length field 30');
    assert.equal(bad((b) => b.writeUInt32BE(0, 4)), 'my discriminator 0');
    assert.equal(bad((b) => b.writeUInt32BE(0, 8)), 'your discriminator 0 outside Down');
  });
});

/** Two sessions joined by a link that can be cut, on a clock the test advances. */
class Pair {
  now = 0;
  linkUp = true;
  readonly sent: Array<{ from: 'a' | 'b'; p: BfdPacket }> = [];
  readonly a: BfdSession;
  readonly b: BfdSession;

  constructor(a: Partial<BfdTimers> = {}, b: Partial<BfdTimers> = {}) {
    const timers = (discr: number, over: Partial<BfdTimers>): BfdTimers =>
      ({ localDiscr: discr, minRxUs: 100_000, minTxUs: 100_000, idleTxUs: 1_000_000, multiplier: 3, passive: false, ...over });
    this.a = new BfdSession(timers(1, a), (bytes) => this.carry('a', bytes), () => 0.5);
    this.b = new BfdSession(timers(2, b), (bytes) => this.carry('b', bytes), () => 0.5);
  }

  private carry(from: 'a' | 'b', bytes: Buffer): void {
    const p = decodeBfd(bytes);
    assert.ok(typeof p !== 'string', p as string);
    this.sent.push({ from, p });
    if (this.linkUp) (from === 'a' ? this.b : this.a).receive(p, this.now);
  }

  /** Advances the clock from timer to timer until `ms` have passed. */
  run(ms: number): void {
    const end = this.now + ms;
    for (let i = 0; i < 100_000 && this.now <= end; i++) {
      const next = Math.min(this.a.poll(this.now), this.b.poll(this.now));
      this.now = Math.max(this.now + 0.001, Math.min(next, end + 0.001));
    }
  }
}

describe('BFD sessions back to back (fake clock)', () => {
  it('reach Up through Init, then send at min_tx after a poll answered with final', () => {
    const pair = new Pair();
    pair.run(1000);
    assert.deepEqual([pair.a.state, pair.b.state], [BfdState.Up, BfdState.Up]);
    const fromA = pair.sent.filter((s) => s.from === 'a');
    const states = (who: 'a' | 'b'): number[] => pair.sent.filter((s) => s.from === who).map((s) => s.p.state).filter((st, i, all) => st !== all[i - 1]);
    // a speaks first (Down); b moves to Init on it; a goes Up on b's Init, b on a's Up.
    assert.deepEqual([states('a'), states('b')], [[BfdState.Down, BfdState.Up], [BfdState.Init, BfdState.Up]]);
    const polls = fromA.filter((s) => s.p.poll);
    assert.ok(polls.length >= 1 && polls.every((s) => s.p.desiredMinTxUs === 100_000), 'Up announced by a poll with the new rate');
    assert.ok(pair.sent.some((s) => s.from === 'b' && s.p.final), 'answered with final');
    const before = pair.sent.length;
    pair.run(1000);
    const perSecond = pair.sent.slice(before).filter((s) => s.from === 'a').length;
    assert.ok(perSecond >= 10 && perSecond <= 14, `about one packet per 100 ms (x0.875 jitter): ${perSecond}`);
    assert.ok(pair.sent.slice(before).every((s) => !s.p.poll), 'the poll sequence ended');
  });

  it('Down with "detection time expired" once packets stop for multiplier x interval, Up again after', () => {
    const pair = new Pair();
    pair.run(1000);
    pair.linkUp = false;
    const cut = pair.now;
    while (pair.a.state === BfdState.Up && pair.now - cut < 2000) pair.run(10);
    assert.deepEqual([pair.a.state, pair.a.diag], [BfdState.Down, BfdDiag.DetectionExpired]);
    assert.ok(pair.now - cut <= 300 + 10, `detected within 3 x 100 ms: ${pair.now - cut} ms`);
    pair.linkUp = true;
    pair.run(3000);
    assert.deepEqual([pair.a.state, pair.b.state], [BfdState.Up, BfdState.Up]);
  });

  it('Down with "neighbor signaled down" when the peer says AdminDown or Down', () => {
    const pair = new Pair();
    pair.run(1000);
    pair.a.receive({ ...packet, state: BfdState.AdminDown, myDiscr: 2, yourDiscr: 1, poll: false }, pair.now);
    assert.deepEqual([pair.a.state, pair.a.diag], [BfdState.Down, BfdDiag.NeighborDown]);
  });

  it('a passive session says nothing until the peer speaks', () => {
    const pair = new Pair({ passive: true }, { passive: true });
    pair.run(3000);
    assert.deepEqual([pair.sent.length, pair.a.state], [0, BfdState.Down]);
    const active = new Pair({ passive: true });
    active.run(3000);
    assert.deepEqual([active.a.state, active.b.state], [BfdState.Up, BfdState.Up]);
  });
});
