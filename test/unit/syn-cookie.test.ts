// SYN cookies: what a cookie carries comes back from a good one; an expired cookie, another
// director's (another secret), another tuple or ISN, and guesses are refused.
import assert from 'node:assert/strict';
import { COOKIE_MSS, mssIndex, SynCookieJar } from '../../src/datapath/syn-cookie.js';

const CLIENT = 0xc6120a0a; // 198.18.10.10
const VIP = 0xc6130064; // 198.19.0.100

/** A jar whose keys are fixed words (k, k + 1, ...), so two jars differ only where a test wants. */
function fixedJar(first: number, epochSeconds = 32): SynCookieJar {
  let next = first;
  return new SynCookieJar(epochSeconds, (w) => { for (let i = 0; i < w.length; i++) w[i] = next++; });
}

describe('SYN cookies', () => {
  it('gives back the MSS from the table, SACK permitted and the window scale', () => {
    const jar = new SynCookieJar();
    for (const [mss, sack, wscale, want] of [[1460, true, 7, 1460], [1500, false, -1, 1460], [1452, true, 0, 1440],
      [1300, false, 14, 1300], [1299, true, 2, 536], [0, false, -1, 536], [9000, true, 9, 1460]] as const) {
      const c = jar.make(CLIENT, 40000, VIP, 80, 12345, mss, sack, wscale, 1000);
      assert.ok(jar.check(CLIENT, 40000, VIP, 80, 12345, c, 1000), `mss ${mss}`);
      assert.deepEqual(jar.data, { mss: want, sackPermitted: sack, wscale });
    }
  });

  it('maps an MSS to the largest table entry not above it', () => {
    assert.deepEqual(COOKIE_MSS.map(mssIndex), [0, 1, 2, 3]);
    assert.equal(mssIndex(535), 0);
    assert.equal(mssIndex(1439), 1);
    assert.equal(mssIndex(65535), 3);
  });

  it('holds for the epoch it was made in and the next, not after', () => {
    const jar = new SynCookieJar(32);
    const c = jar.make(CLIENT, 40000, VIP, 80, 7, 1460, true, 7, 100); // epoch 3 (96..127)
    assert.ok(jar.check(CLIENT, 40000, VIP, 80, 7, c, 127));
    assert.ok(jar.check(CLIENT, 40000, VIP, 80, 7, c, 159), 'next epoch');
    // A SYN in epoch 4 draws that epoch's key; epoch 5 reuses the slot of epoch 3's.
    jar.make(CLIENT, 1, VIP, 80, 1, 1460, true, 7, 130);
    jar.make(CLIENT, 1, VIP, 80, 1, 1460, true, 7, 165);
    assert.equal(jar.check(CLIENT, 40000, VIP, 80, 7, c, 165), false, 'two epochs later: expired');
  });

  it('refuses a cookie two epochs old even when no SYN drew a new key since', () => {
    const jar = new SynCookieJar(32);
    const c = jar.make(CLIENT, 40000, VIP, 80, 7, 1460, true, 7, 100);
    assert.equal(jar.check(CLIENT, 40000, VIP, 80, 7, c, 100 + 64), false);
    assert.equal(jar.check(CLIENT, 40000, VIP, 80, 7, c, 100 + 10 * 32), false);
  });

  it("refuses another secret's cookie (another director, or this one after a restart)", () => {
    const a = fixedJar(1);
    const b = fixedJar(101);
    const c = a.make(CLIENT, 40000, VIP, 80, 7, 1460, true, 7, 100);
    b.make(CLIENT, 9, VIP, 80, 9, 1460, true, 7, 100); // b has a key for this epoch too
    assert.ok(a.check(CLIENT, 40000, VIP, 80, 7, c, 100));
    assert.equal(b.check(CLIENT, 40000, VIP, 80, 7, c, 100), false);
    assert.equal(fixedJar(1).make(CLIENT, 40000, VIP, 80, 7, 1460, true, 7, 100), c, 'the same key makes the same cookie');
  });

  it('binds the cookie to the tuple, the client ISN and the data bits (MSS, SACK, parity, window scale)', () => {
    const jar = new SynCookieJar();
    const c = jar.make(CLIENT, 40000, VIP, 80, 7, 1460, true, 7, 100);
    assert.equal(jar.check(CLIENT + 1, 40000, VIP, 80, 7, c, 100), false);
    assert.equal(jar.check(CLIENT, 40001, VIP, 80, 7, c, 100), false);
    assert.equal(jar.check(CLIENT, 40000, VIP + 1, 80, 7, c, 100), false);
    assert.equal(jar.check(CLIENT, 40000, VIP, 81, 7, c, 100), false);
    assert.equal(jar.check(CLIENT, 40000, VIP, 80, 8, c, 100), false);
    for (let bit = 0; bit < 8; bit++) assert.equal(jar.check(CLIENT, 40000, VIP, 80, 7, (c ^ (1 << bit)) >>> 0, 100), false, `data bit ${bit} flipped`);
  });

  it('lets no more than chance through of 100,000 guessed ACKs', () => {
    const jar = new SynCookieJar();
    jar.make(CLIENT, 40000, VIP, 80, 7, 1460, true, 7, 100);
    let passed = 0;
    let x = 0x12345678;
    for (let i = 0; i < 100_000; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      if (jar.check(CLIENT, 40000 + (i & 0xff), VIP, 80, i, x, 100)) passed++;
    }
    assert.equal(passed, 0, 'odds 1 in 2^24 each');
  });
});
