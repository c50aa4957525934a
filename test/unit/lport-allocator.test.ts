import assert from 'node:assert/strict';
import { LocalAddressPorts, LocalPortAllocator, LOWEST_FIRST, type LocalEndpoint } from '../../src/fullnat/lport-allocator.js';
import { parseIpv4 } from '../../src/net/addr.js';

const LIPS = ['198.19.1.1', '198.19.1.2'].map(parseIpv4);

describe('FULLNAT local port allocation', () => {
  it('spreads over local addresses and never hands out a pair in use', () => {
    const a = new LocalPortAllocator(LIPS);
    const out: LocalEndpoint = { laddr: 0, lport: 0 };
    const seen = new Set<string>();
    for (let i = 0; i < 20000; i++) {
      assert.ok(a.allocate(out));
      const key = `${out.laddr}:${out.lport}`;
      assert.ok(!seen.has(key), `duplicate ${key}`);
      assert.ok(out.lport >= 1024 && out.lport <= 65535);
      seen.add(key);
    }
    assert.deepEqual(a.usage, [10000, 10000]);
  });

  it('fails cleanly when exhausted and recovers after release', () => {
    const a = new LocalPortAllocator([LIPS[0]!]);
    const out: LocalEndpoint = { laddr: 0, lport: 0 };
    const got: number[] = [];
    while (a.allocate(out)) got.push(out.lport);
    assert.equal(got.length, 65535 - 1024 + 1);
    assert.equal(a.allocate(out), false);
    a.release(LIPS[0]!, 30000);
    a.release(LIPS[0]!, 30000); // double release is ignored
    assert.ok(a.allocate(out));
    assert.equal(out.lport, 30000);
    assert.equal(a.allocate(out), false);
  });

  it('skips released ports only when they are free again, wrapping around the range', () => {
    const a = new LocalPortAllocator([LIPS[0]!], (addr) => new LocalAddressPorts(addr, LOWEST_FIRST));
    const out: LocalEndpoint = { laddr: 0, lport: 0 };
    for (let i = 0; i < 100; i++) a.allocate(out);
    a.release(LIPS[0]!, 1030);
    assert.ok(a.allocate(out));
    assert.equal(out.lport, 1124, 'the cursor moves on before reusing');
    assert.deepEqual(a.usage, [100]);
  });
});
