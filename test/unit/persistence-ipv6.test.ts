// IPv6 persistence granularity: the prefix length an IPv6 service takes (ipvsadm -M, keepalived
// persistence_granularity) and the client network maskIpv6 gives the data path, checked against
// hand-worked networks and a BigInt reference over the whole 128-bit address.
import assert from 'node:assert/strict';
import { maskIpv6, parsePersistencePrefix } from '../../src/ipvs/persistence.js';
import { formatIpv6, ipv6FromWords, ipv6Words, parseIpv6 } from '../../src/net/addr6.js';
import { prng } from './sched-fixtures.js';

function masked(text: string, prefix: number): string {
  const out = new Uint32Array(4);
  return formatIpv6(ipv6FromWords(maskIpv6(Uint32Array.from(ipv6Words(parseIpv6(text))), prefix, out)));
}

/** The same network from the address as one 128-bit number. */
function reference(words: ArrayLike<number>, prefix: number): number[] {
  let x = 0n;
  for (let i = 0; i < 4; i++) x = (x << 32n) | BigInt(words[i]! >>> 0);
  const all = (1n << 128n) - 1n;
  const mask = prefix === 0 ? 0n : (all << BigInt(128 - prefix)) & all;
  const net = x & mask;
  return [3, 2, 1, 0].map((i) => Number((net >> BigInt(32 * i)) & 0xffffffffn));
}

describe('IPv6 persistence granularity', () => {
  const A = '2001:db8:abcd:1234:5678:9abc:def0:1234';

  it('keeps the first prefix bits of the client address (hand-worked networks)', () => {
    const rows: [number, string][] = [
      [128, A], [127, '2001:db8:abcd:1234:5678:9abc:def0:1234'], [125, '2001:db8:abcd:1234:5678:9abc:def0:1230'],
      [64, '2001:db8:abcd:1234::'], [56, '2001:db8:abcd:1200::'], [48, '2001:db8:abcd::'], [33, '2001:db8:8000::'], [36, '2001:db8:a000::'],
      [32, '2001:db8::'], [31, '2001:db8::'], [3, '2000::'], [2, '::'], [0, '::'],
    ];
    for (const [prefix, want] of rows) assert.equal(masked(A, prefix), want, `/${prefix}`);
    assert.equal(masked('2001:db8::ffff:ffff', 112), '2001:db8::ffff:0');
  });

  it('equals a 128-bit reference for every prefix, in place or into another array', () => {
    const rnd = prng(5);
    const out = new Uint32Array(4);
    for (let n = 0; n < 50; n++) {
      const words = Uint32Array.of(rnd(), rnd(), rnd(), rnd());
      for (let prefix = 0; prefix <= 128; prefix++) {
        assert.deepEqual([...maskIpv6(words, prefix, out)], reference(words, prefix), `/${prefix}`);
      }
      const copy = words.slice();
      assert.equal(maskIpv6(copy, 64, copy), copy, 'in place returns its argument');
      assert.deepEqual([...copy], reference(words, 64));
    }
  });

  it('two clients of one /64 share a network; a /128 tells them apart', () => {
    const out1 = new Uint32Array(4);
    const out2 = new Uint32Array(4);
    const a = Uint32Array.from(ipv6Words(parseIpv6('2001:db8:1:2::10')));
    const b = Uint32Array.from(ipv6Words(parseIpv6('2001:db8:1:2:ffff::7')));
    assert.deepEqual([...maskIpv6(a, 64, out1)], [...maskIpv6(b, 64, out2)]);
    assert.notDeepEqual([...maskIpv6(a, 128, out1)], [...maskIpv6(b, 128, out2)]);
  });

  it('refuses a prefix outside 0..128 instead of masking wrongly', () => {
    const w = new Uint32Array(4);
    for (const bad of [-1, 129, 64.5, NaN]) assert.throws(() => maskIpv6(w, bad, w), RangeError, String(bad));
  });

  it('reads the prefix length an IPv6 service takes: 1..128, whole numbers only', () => {
    assert.equal(parsePersistencePrefix('64'), 64);
    assert.equal(parsePersistencePrefix('128'), 128);
    assert.equal(parsePersistencePrefix('1'), 1);
    for (const bad of ['0', '129', '', '64.0', '/64', 'ffff::', '255.255.255.0', '0064']) {
      assert.throws(() => parsePersistencePrefix(bad), /not a whole number in 1\.\.128/, bad);
    }
  });
});
