// The control socket over a real Unix socket in a temporary directory, with a director stand-in
// behind the ops: the protocol's replies, socket file rules (mode 0600, a 0700 directory made
// when missing, stale files replaced, live ones never taken), and abuse: random bytes, invalid
// UTF-8, JSON of every wrong shape, huge lines, half a line then silence, more clients than
// allowed, a client that never reads. After each, the daemon still answers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AdmEdit } from '../../src/adm/edit-config.js';
import type { AdmConnection } from '../../src/adm/model.js';
import { ControlClient } from '../../src/control/client.js';
import { controlOps } from '../../src/control/ops.js';
import { ControlError } from '../../src/control/protocol.js';
import { ControlServer, ControlSocketInUseError } from '../../src/control/server.js';
import { SNAPSHOT } from '../fixtures/adm/data.js';
import { exchange, FakeDirector, parsed } from '../support/control-stand-in.js';

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Deterministic bytes (xorshift), so a failure can be replayed. */
function randomBytes(seed: number, n: number): Buffer {
  let x = seed >>> 0 || 1;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

describe('control socket: protocol, socket file rules and abuse', function () {
  this.timeout(30_000);
  let dir: string;
  let socketPath: string;
  let server: ControlServer;
  let director: FakeDirector;

  async function healthy(): Promise<void> {
    const client = await ControlClient.connect(socketPath, { timeoutMs: 5000 });
    try {
      const hello = (await client.request('hello')) as { protocol: number };
      assert.equal(hello.protocol, 1);
      assert.deepEqual(await client.request('snapshot'), SNAPSHOT);
    } finally {
      client.close();
    }
  }

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'director-control-'));
    socketPath = path.join(dir, 'run', 'director', 'test.sock');
    director = new FakeDirector();
    server = await ControlServer.listen({
      path: socketPath, ops: controlOps(director, { version: 'test' }), maxClients: 4, maxRequestBytes: 4096, timeoutMs: 300,
    });
  });

  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the socket 0600 in a new 0700 directory, and removes it on close', async () => {
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(socketPath)).mode & 0o777, 0o700);
    assert.ok(statSync(socketPath).isSocket());
    await server.close();
    assert.throws(() => statSync(socketPath), /ENOENT/);
  });

  it('answers requests in order with their ids; an edit goes through whole, a refusal comes back with its words', async () => {
    const client = await ControlClient.connect(socketPath);
    try {
      const edit: AdmEdit = { kind: 'set-timeouts', timeouts: { tcp: 60, tcpFin: 0, udp: 0 } };
      assert.deepEqual(await client.request('edit', { edits: [edit, { kind: 'clear' }] }), { applied: 2 });
      assert.deepEqual(director.edits, [[edit, { kind: 'clear' }]]);
      const refused = await client.request('edit', { edits: [{ kind: 'delete-service', service: { protocol: 'tcp', address: '198.19.0.1', port: 80 } }] })
        .then(() => null, (err: unknown) => err);
      assert.ok(refused instanceof ControlError);
      assert.equal(refused.code, 'refused');
      assert.equal(refused.message, 'No such service');
    } finally {
      client.close();
    }
  });

  it('streams connections a page at a time, yielding to the event loop between pages', async () => {
    await server.close();
    director = new FakeDirector(40, 50);
    server = await ControlServer.listen({ path: socketPath, ops: controlOps(director, { version: 'test' }) });
    let turns = 0;
    let counting = true;
    const count = (): void => { turns++; if (counting) setImmediate(count); };
    setImmediate(count);
    const client = await ControlClient.connect(socketPath);
    const rows: AdmConnection[] = [];
    const final = await client.stream('connections', {}, (page) => rows.push(...(page as { connections: AdmConnection[] }).connections));
    counting = false;
    client.close();
    assert.equal(rows.length, 20 * 50, 'every row of the non-empty pages');
    assert.deepEqual(final, { pages: 20 });
    assert.equal(director.pagesServed, 40);
    assert.ok(turns >= 40, `other work ran between pages (${turns} turns for 40 pages)`);
  });

  it('answers malformed requests with an error each, on the same connection', async () => {
    const requests = [
      'not json',
      '[1,2,3]',
      '"a string"',
      'null',
      '{"v":2,"id":1,"op":"hello"}',
      '{"id":2,"op":"hello"}',
      '{"v":1,"id":{"x":1},"op":"hello"}',
      `{"v":1,"id":"${'i'.repeat(200)}","op":"hello"}`,
      '{"v":1,"id":3}',
      '{"v":1,"id":4,"op":42}',
      '{"v":1,"id":5,"op":"nope"}',
      '{"v":1,"id":6,"op":"hello","args":[1]}',
      '{"v":1,"id":7,"op":"edit","args":{"edits":"all"}}',
      '{"v":1,"id":8,"op":"edit","args":{"edits":[{"kind":"add-service"}]}}',
      '{"v":1,"id":9,"op":"edit","args":{"edits":[{"kind":"add-server","service":{"protocol":"tcp","address":"198.19.0.100","port":80},"server":{"address":"198.19.0.11","port":80},"settings":{"method":"dr","weight":70000,"upperThreshold":0,"lowerThreshold":0}}]}}',
      '{"v":1,"id":10,"op":"edit","args":{"edits":[{"kind":"add-service","service":{"protocol":"tcp","address":"198.19.0.100","port":0},"settings":{"scheduler":"rr","schedFlags":[],"persistence":0,"netmask":"255.255.255.255","laddrGroup":null}}]}}',
      '{"v":1,"id":11,"op":"edit","args":{"edits":[{"kind":"add-service","service":{"protocol":"tcp","address":"198.19.0.100","port":80},"settings":{"scheduler":"rr","schedFlags":["sh-port"],"persistence":0,"netmask":"255.255.255.255","laddrGroup":null}}]}}',
      '{"v":1,"id":12,"op":"edit","args":{"edits":[{"kind":"__proto__"}]}}',
      '{"v":1,"id":13,"op":"__proto__"}',
      '{"v":1,"id":14,"op":"reload"}',
    ];
    const want: Array<[unknown, string, RegExp]> = [
      [null, 'bad-request', /not JSON/], [null, 'bad-request', /JSON object/], [null, 'bad-request', /JSON object/],
      [null, 'bad-request', /JSON object/], [1, 'bad-version', /speaks "v":1/], [2, 'bad-version', /missing/],
      [null, 'bad-request', /"id"/], [null, 'bad-request', /"id"/], [3, 'bad-request', /"op"/], [4, 'bad-request', /"op"/],
      [5, 'unknown-op', /unknown op 'nope' \(ops: hello, snapshot, stats, connections, edit\)/], [6, 'bad-request', /"args"/],
      [7, 'bad-args', /edits: must be a non-empty array/], [8, 'bad-args', /edits\[0\]\.service: must be an object/],
      [9, 'bad-args', /edits\[0\]\.settings\.weight: must be an integer 0\.\.65535/],
      [10, 'bad-args', /Zero port specified for non-persistent service/],
      [11, 'bad-args', /incompatible scheduler flag/], [12, 'bad-args', /'__proto__' is not an edit/],
      [13, 'unknown-op', /unknown op '__proto__'/], [14, 'unknown-op', /unknown op 'reload'/],
    ];
    const replies = await exchange(socketPath, requests.join('\n') + '\n');
    assert.equal(replies.length, want.length, replies.join('\n'));
    replies.forEach((line, i) => {
      const r = parsed(line);
      const [id, code, message] = want[i]!;
      assert.equal(r.ok, false, line);
      assert.equal(r.id, id, line);
      assert.equal(r.error?.code, code, line);
      assert.match(r.error?.message ?? '', message, line);
    });
    assert.deepEqual(director.edits, [], 'nothing malformed was applied');
    await healthy();
  });

  it('answers invalid UTF-8 and random bytes with errors, never a crash', async () => {
    const invalid = await exchange(socketPath, Buffer.concat([Buffer.from('{"v":1,"id":1,"op":"he'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('llo"}\n')]));
    assert.equal(parsed(invalid[0]).error?.code, 'bad-request');
    assert.match(parsed(invalid[0]).error?.message ?? '', /UTF-8/);
    for (let seed = 1; seed <= 30; seed++) {
      const noise = randomBytes(seed, 200 + seed * 97);
      const replies = await exchange(socketPath, noise);
      const expected = noise.toString('latin1').split('\n').length;
      assert.ok(replies.length >= 1 && replies.length <= expected, `seed ${seed}: ${replies.length} replies`);
      for (const line of replies) {
        const r = parsed(line);
        assert.equal(r.ok, false, `seed ${seed}: ${line}`);
        assert.ok(['bad-request', 'bad-version', 'too-large', 'unknown-op', 'timeout'].includes(r.error?.code ?? ''), line);
      }
    }
    await healthy();
  });

  it('refuses a line over the size bound as soon as it passes it, without waiting for its end', async () => {
    const replies = await exchange(socketPath, `{"v":1,"id":1,"op":"hello","args":{"x":"${'x'.repeat(10_000)}`, { end: false });
    assert.equal(replies.length, 1);
    assert.equal(parsed(replies[0]).error?.code, 'too-large');
    assert.match(parsed(replies[0]).error?.message ?? '', /longer than 4096 bytes/);
    await healthy();
  });

  it('hangs up on half a request followed by silence, and on a silent client', async () => {
    const half = await exchange(socketPath, '{"v":1,"id":1,"op":"hel', { end: false });
    assert.equal(parsed(half[0]).error?.code, 'timeout');
    assert.match(parsed(half[0]).error?.message ?? '', /half a request \(23 bytes, no newline\)/);
    const silent = await exchange(socketPath, '', { end: false });
    assert.equal(parsed(silent[0]).error?.code, 'timeout');
    await healthy();
  });

  it('answers the last request of a client that closes its side without a newline', async () => {
    const replies = await exchange(socketPath, '{"v":1,"id":"last","op":"hello"}');
    assert.equal(parsed(replies[0]).id, 'last');
    assert.equal(parsed(replies[0]).ok, true);
  });

  it('serves a bounded number of clients and tells the next one it is busy', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => ControlClient.connect(socketPath)));
    try {
      await Promise.all(held.map((c) => c.request('hello')));
      const extra = await exchange(socketPath, '{"v":1,"id":1,"op":"hello"}\n', { end: false });
      assert.equal(parsed(extra[0]).error?.code, 'busy');
    } finally {
      held.forEach((c) => c.close());
    }
    await until(() => server.clientCount === 0, 'the held clients are gone');
    await healthy();
  });

  it('survives 200 connections opened and dropped at once, some mid-request', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => new Promise<void>((resolve) => {
      const s = net.connect(socketPath);
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.on('connect', () => {
        if (i % 3 === 0) s.write('{"v":1,"id":1,"op":"snap');
        if (i % 3 === 1) s.write('{"v":1,"id":1,"op":"snapshot"}\n');
        s.destroy();
      });
    })));
    await healthy();
  });

  it('drops a client that asks for a large answer and never reads it', async () => {
    await server.close();
    director = new FakeDirector(2000, 1000);
    server = await ControlServer.listen({ path: socketPath, ops: controlOps(director, { version: 'test' }), timeoutMs: 300 });
    const s = net.connect(socketPath);
    s.on('error', () => {});
    await new Promise((r) => s.on('connect', r));
    s.pause();
    s.write('{"v":1,"id":1,"op":"connections"}\n');
    await until(() => server.clientCount === 0, 'the server dropped the client');
    assert.ok(director.pagesServed < 2000, `the stream stopped (${director.pagesServed} of 2000 pages made)`);
    // The paused client sees its end once it reads again.
    const closed = new Promise((r) => s.on('close', r));
    s.resume();
    await closed;
    await healthy();
  });

  it('replaces a stale socket file, refuses a live one and a file that is not a socket', async () => {
    await assert.rejects(ControlServer.listen({ path: socketPath, ops: controlOps(director, { version: 'x' }) }),
      (err: unknown) => err instanceof ControlSocketInUseError && /another director is running/.test(err.message));
    await healthy();
    // A socket file nothing listens on any more, as a crashed daemon leaves it.
    const stalePath = path.join(dir, 'stale.sock');
    const crash = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    assert.equal(crash.signal, 'SIGKILL');
    assert.ok(statSync(stalePath).isSocket());
    const second = await ControlServer.listen({ path: stalePath, ops: controlOps(director, { version: 'x' }) });
    const client = await ControlClient.connect(stalePath);
    assert.equal(((await client.request('hello')) as { version: string }).version, 'x');
    client.close();
    await second.close();
    const filePath = path.join(dir, 'plain');
    writeFileSync(filePath, 'x');
    await assert.rejects(ControlServer.listen({ path: filePath, ops: {} }), /exists and is not a socket/);
  });

  it('says plainly when no director listens', async () => {
    await assert.rejects(ControlClient.connect(path.join(dir, 'none.sock')), /no director is running with control socket .*none\.sock \(ENOENT\)/);
  });
});
