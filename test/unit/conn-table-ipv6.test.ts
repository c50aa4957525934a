// IPv6 keys in the connection table: flowHash6 is the parser's flow_hash6 (meta HASH of random
// IPv6 frames), in and out keys of DR, NAT and FULLNAT entries are found by their packets'
// tuples and by nothing else (not by IPv4 lookups of the same numbers), and a crowded table
// keeps every key findable through insertions and backward-shift removals in random order.
import assert from 'node:assert/strict';
import { ADDR6_WORDS, Addr6, ConnFlag, ConnTable, KeyKind, type NewConn } from '../../src/conntable/conn-table.js';
import { loadAddon } from '../../src/native/binding.js';
import { flowHash6 } from '../../src/native/flow-hash.js';
import { Meta, Method } from '../../src/native/layout.generated.js';
import { formatIpv6, ipv6FromWords } from '../../src/net/addr6.js';
import { tcp6Frame, udp6Frame } from '../support/packets6.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

const KEY = Uint32Array.of(0x01234567, 0x89abcdef);
const text = (w: Uint32Array, at = 0) => formatIpv6(ipv6FromWords(w, at));

/** Random addresses in 2001:db8::/32, four words. */
function addr(r: () => number): Uint32Array {
  return Uint32Array.of(0x20010db8, r(), r(), r());
}

describe('IPv6 flow hash', () => {
  it('flowHash6 is the parser\'s meta HASH for TCP and UDP frames under random keys', () => {
    const { parse } = loadAddon();
    const r = prng(7);
    for (let i = 0; i < 300; i++) {
      const key = Uint32Array.of(r(), r());
      const [src, dst] = [addr(r), addr(r)];
      const [sport, dport] = [1 + (r() % 65535), 1 + (r() % 65535)];
      const ip = { src: text(src), dst: text(dst) };
      const tcp = parse(tcp6Frame({ ip, tcp: { srcPort: sport, dstPort: dport } }), undefined, key);
      assert.equal(tcp[Meta.HASH], flowHash6(key[0]!, key[1]!, 6, src, 0, sport, dst, 0, dport) >>> 0);
      const udp = parse(udp6Frame({ ip, udp: { srcPort: sport, dstPort: dport } }), undefined, key);
      assert.equal(udp[Meta.HASH], flowHash6(key[0]!, key[1]!, 17, src, 0, sport, dst, 0, dport) >>> 0);
    }
  });
});

describe('connection table, IPv6 keys', () => {
  const hash = (proto: number, s: Uint32Array, so: number, sp: number, d: Uint32Array, dof: number, dp: number) =>
    flowHash6(KEY[0]!, KEY[1]!, proto, s, so, sp, d, dof, dp);

  function row(method: number, flags: number): NewConn {
    return {
      proto: 6, caddr: 0, cport: 40000, vaddr: 0, vport: 80, daddr: 0, dport: 8080, laddr: 1, lport: 5000, method,
      flags: flags | ConnFlag.V6, service: 1, dest: 1, nhop: 0, state: 1, expires: 100,
    };
  }

  function words(r: () => number): Uint32Array {
    const w = new Uint32Array(ADDR6_WORDS);
    for (const at of [Addr6.C, Addr6.V, Addr6.D, Addr6.L]) w.set(addr(r), at);
    return w;
  }

  it('finds DR, NAT and FULLNAT entries by their in and out tuples, and nothing by the wrong ones', () => {
    const t = new ConnTable(64, 0, KEY);
    const r = prng(3);
    const cases = [
      [Method.DR, 0], [Method.NAT, ConnFlag.HAS_OUT], [Method.FNAT, ConnFlag.HAS_OUT | ConnFlag.OUT_TO_LIP],
    ] as const;
    for (const [method, flags] of cases) {
      const w = words(r);
      const e = t.insert6(row(method, flags), w, 0);
      assert.ok(e >= 0);
      assert.equal(t.lookup6(hash(6, w, Addr6.C, 40000, w, Addr6.V, 80), 6, w, Addr6.C, 40000, w, Addr6.V, 80), (e << 1) | KeyKind.IN);
      const back = flags & ConnFlag.OUT_TO_LIP ? [Addr6.L, 5000] as const : [Addr6.C, 40000] as const;
      const out = t.lookup6(hash(6, w, Addr6.D, 8080, w, back[0], back[1]), 6, w, Addr6.D, 8080, w, back[0], back[1]);
      assert.equal(out, flags & ConnFlag.HAS_OUT ? (e << 1) | KeyKind.OUT : -1);
      // Another protocol, port or one word changed: not this connection.
      assert.equal(t.lookup6(hash(17, w, Addr6.C, 40000, w, Addr6.V, 80), 17, w, Addr6.C, 40000, w, Addr6.V, 80), -1);
      const other = Uint32Array.from(w);
      other[Addr6.C + 3] = (other[Addr6.C + 3]! + 1) >>> 0;
      assert.equal(t.lookup6(hash(6, other, Addr6.C, 40000, w, Addr6.V, 80), 6, other, Addr6.C, 40000, w, Addr6.V, 80), -1);
      // An IPv4 lookup of the zero IPv4 fields never meets an IPv6 entry.
      for (let h = 0; h < 64; h++) assert.equal(t.lookup(h * 0x4000000, 6, 0, 40000, 0, 80), -1);
      assert.equal(text(t.addr6, e * ADDR6_WORDS + Addr6.D), text(w, Addr6.D));
    }
  });

  it('keeps every key findable through random inserts and removals in a crowded table', () => {
    const t = new ConnTable(512, 0, KEY);
    const r = prng(11);
    const live = new Map<number, Uint32Array>();
    for (let round = 0; round < 4000; round++) {
      if (live.size < 500 && (r() & 3) !== 0) {
        const w = words(r);
        const e = t.insert6(row(Method.FNAT, ConnFlag.HAS_OUT | ConnFlag.OUT_TO_LIP), w, 0);
        if (e >= 0) live.set(e, w);
      } else if (live.size > 0) {
        const e = [...live.keys()][r() % live.size]!;
        t.evict(e);
        live.delete(e);
      }
    }
    assert.equal(t.size, live.size);
    for (const [e, w] of live) {
      assert.equal(t.lookup6(hash(6, w, Addr6.C, 40000, w, Addr6.V, 80), 6, w, Addr6.C, 40000, w, Addr6.V, 80), e << 1);
      assert.equal(t.lookup6(hash(6, w, Addr6.D, 8080, w, Addr6.L, 5000), 6, w, Addr6.D, 8080, w, Addr6.L, 5000), (e << 1) | 1);
    }
  });
});
