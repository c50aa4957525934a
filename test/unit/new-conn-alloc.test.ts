// New connections allocate nothing on the JavaScript heap when persistence is off: the young
// generation's used size, read before and after thousands of SYNs of new flows through a data
// plane on a memory port (native parse and rewrite, the TypeScript classifier, scheduler and
// connection factory), grows by no more than a few bytes per connection. Counted in bytes, not
// time: a window in which a collection ran is measured again, so a busy machine cannot fail it.
// Each case runs in a fresh process (test/support/new-conn-alloc-proc.ts), as the director's
// data plane does, and also with --no-turbo-inlining: the result must not lean on the JIT
// inlining the path, where every number that crosses a call unconverted would be boxed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const PROBE = path.resolve(__dirname, '../support/new-conn-alloc-proc.ts');

async function bytesPerConn(method: string, proto: string, flags: string[], family = 'v4'): Promise<{ perConn: number; conns: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--import', 'tsx', PROBE, method, proto, family], { timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { perConn: number; conns: number };
}

describe('new connections allocate nothing (persistence off)', function () {
  this.timeout(180_000);
  // Bound: a few bytes per connection. One object or boxed number per connection is 16 bytes
  // or more; what stays (under 1 byte per frame) is per batch of 256 and is there for frames of
  // established flows and for dropped frames alike.
  const BOUND = 4;
  const cases = [['dr', 'tcp'], ['nat', 'tcp'], ['fnat', 'tcp'], ['tun', 'tcp'], ['dr', 'udp']] as const;
  for (const inlining of [true, false]) {
    for (const [method, proto] of cases) {
      it(`${method.toUpperCase()} ${proto.toUpperCase()}${inlining ? '' : ', no inlining'}: under ${BOUND} bytes per new connection`, async () => {
        const r = await bytesPerConn(method, proto, inlining ? [] : ['--no-turbo-inlining']);
        if (process.env.DIRECTOR_TEST_VERBOSE) console.log(`      ${method} ${proto}: ${r.perConn.toFixed(2)} B/conn over ${r.conns} conns`);
        assert.ok(r.perConn < BOUND, `${r.perConn.toFixed(1)} bytes allocated per new connection`);
      });
    }
  }
  // IPv6 (docs/datapath.md#ipv6): the same bound, connection table side words included.
  for (const [method, proto] of [['dr', 'tcp'], ['nat', 'tcp'], ['fnat', 'tcp'], ['tun', 'tcp'], ['dr', 'udp']] as const) {
    it(`IPv6 ${method.toUpperCase()} ${proto.toUpperCase()}: under ${BOUND} bytes per new connection`, async () => {
      const r = await bytesPerConn(method, proto, [], 'v6');
      if (process.env.DIRECTOR_TEST_VERBOSE) console.log(`      v6 ${method} ${proto}: ${r.perConn.toFixed(2)} B/conn over ${r.conns} conns`);
      assert.ok(r.perConn < BOUND, `${r.perConn.toFixed(1)} bytes allocated per new IPv6 connection`);
    });
  }
});
