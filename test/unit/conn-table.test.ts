import assert from 'node:assert/strict';
import { ConnFlag, ConnTable, KeyKind, type NewConn } from '../../src/conntable/conn-table.js';
import { flowHash, randomFlowHashKey } from '../../src/native/flow-hash.js';
import { parseIpv4 } from '../../src/net/addr.js';

const TCP = 6;
const VIP = parseIpv4('198.19.0.100');
const RS = parseIpv4('198.19.0.11');
const LIP = parseIpv4('198.19.1.1');

const KEY = randomFlowHashKey();

/** A lookup as the classifier makes it: with the tuple's flow hash under the table's key. */
function find(t: ConnTable, proto: number, src: number, sport: number, dst: number, dport: number): number {
  return t.lookup(flowHash(KEY[0]!, KEY[1]!, proto, src, sport, dst, dport), proto, src, sport, dst, dport);
}

function conn(overrides: Partial<NewConn>): NewConn {
  return {
    proto: TCP, caddr: parseIpv4('198.18.1.10'), cport: 40000, vaddr: VIP, vport: 80,
    daddr: RS, dport: 8080, laddr: 0, lport: 0, method: 0, flags: 0, service: 0, dest: 0, nhop: 0,
    state: 0, expires: 100, ...overrides,
  };
}

describe('ConnTable', () => {
  it('finds a connection by its in key and tells the direction', () => {
    const t = new ConnTable(16, 0, KEY);
    const e = t.insert(conn({}));
    const hit = find(t, TCP, parseIpv4('198.18.1.10'), 40000, VIP, 80);
    assert.equal(hit >> 1, e);
    assert.equal(hit & 1, KeyKind.IN);
    assert.equal(find(t, TCP, parseIpv4('198.18.1.10'), 40001, VIP, 80), -1);
    assert.equal(find(t, 17, parseIpv4('198.18.1.10'), 40000, VIP, 80), -1);
  });

  it('takes the hash and addresses as uint32 or int32 alike (the classifier passes int32)', () => {
    const t = new ConnTable(16, 0, KEY);
    const e = t.insert(conn({ flags: ConnFlag.HAS_OUT }));
    const client = parseIpv4('198.18.1.10');
    assert.ok(client >= 2 ** 31 && (client | 0) < 0, 'the case that differs between the two forms');
    const hash = flowHash(KEY[0]!, KEY[1]!, TCP, client, 40000, VIP, 80);
    assert.equal(t.lookup(hash | 0, TCP, client | 0, 40000, VIP | 0, 80), (e << 1) | KeyKind.IN);
    assert.equal(t.lookup(hash, TCP, client, 40000, VIP, 80), (e << 1) | KeyKind.IN);
    const reply = flowHash(KEY[0]!, KEY[1]!, TCP, RS, 8080, client, 40000);
    assert.equal(t.lookup(reply | 0, TCP, RS | 0, 8080, client | 0, 40000), (e << 1) | KeyKind.OUT);
  });

  it('has no out key for DR connections and one for NAT (replies to the client)', () => {
    const t = new ConnTable(16, 0, KEY);
    t.insert(conn({ cport: 1 }));
    const nat = t.insert(conn({ cport: 2, flags: ConnFlag.HAS_OUT }));
    assert.equal(find(t, TCP, RS, 8080, parseIpv4('198.18.1.10'), 1), -1);
    const hit = find(t, TCP, RS, 8080, parseIpv4('198.18.1.10'), 2);
    assert.equal(hit, (nat << 1) | KeyKind.OUT);
  });

  it('matches FULLNAT replies addressed to the LIP and local port', () => {
    const t = new ConnTable(16, 0, KEY);
    const e = t.insert(conn({ laddr: LIP, lport: 5000, flags: ConnFlag.HAS_OUT | ConnFlag.OUT_TO_LIP }));
    assert.equal(find(t, TCP, RS, 8080, LIP, 5000), (e << 1) | KeyKind.OUT);
    assert.equal(find(t, TCP, RS, 8080, parseIpv4('198.18.1.10'), 40000), -1);
  });

  it('returns -1 when full and reuses freed entries', () => {
    const t = new ConnTable(2, 0, KEY);
    assert.notEqual(t.insert(conn({ cport: 1, expires: 5 })), -1);
    assert.notEqual(t.insert(conn({ cport: 2, expires: 50 })), -1);
    assert.equal(t.insert(conn({ cport: 3 })), -1);
    const expired: number[] = [];
    assert.equal(t.expire(10, (e) => expired.push(t.cport[e]!)), 1);
    assert.deepEqual(expired, [1]);
    assert.equal(t.size, 1);
    assert.notEqual(t.insert(conn({ cport: 3 })), -1);
    assert.equal(find(t, TCP, parseIpv4('198.18.1.10'), 1, VIP, 80), -1);
  });

  it('stays consistent with a reference map through random inserts and expiries', () => {
    const cap = 4096;
    const t = new ConnTable(cap, 0, KEY);
    const live = new Map<string, number>();
    let seed = 12345;
    const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    for (let now = 1; now <= 400; now++) {
      for (let k = 0; k < 40; k++) {
        const cport = 1024 + rand(60000);
        const caddr = parseIpv4('198.18.0.0') + rand(4096);
        const key = `${caddr}:${cport}`;
        if (live.has(key) || t.size === cap) continue;
        const nat = rand(2) === 1;
        const e = t.insert(conn({ caddr, cport, expires: now + 1 + rand(30), flags: nat ? ConnFlag.HAS_OUT : 0 }));
        live.set(key, e);
      }
      t.expire(now, (e) => live.delete(`${t.caddr[e]}:${t.cport[e]}`));
      for (const [key, e] of live) {
        const [caddr, cport] = key.split(':').map(Number) as [number, number];
        assert.equal(find(t, TCP, caddr, cport, VIP, 80) >> 1, e);
        if (t.flags[e]! & ConnFlag.HAS_OUT) assert.equal(find(t, TCP, RS, 8080, caddr, cport) >> 1, e);
      }
      assert.equal(t.size, live.size);
    }
  });

  it('rejects a silly capacity with a clear error', () => {
    assert.throws(() => new ConnTable(0, 0, KEY), /capacity/);
  });
});
