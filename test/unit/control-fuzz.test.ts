// The control socket's own fuzzer (fast-check) over a real Unix socket: random bytes, random JSON,
// requests of every shape, lines over the size bound, half lines left open, and crowds of
// clients doing all of it at once. Properties: the server stays up and answers a valid request
// afterwards; every request line gets exactly one final answer; every bad one an error line (or
// a hang-up) that is counted under its reason; the counters add up to what clients were told.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ControlClient } from '../../src/control/client.js';
import { controlOps } from '../../src/control/ops.js';
import { ControlServer } from '../../src/control/server.js';
import { exchange, FakeDirector, parsed } from '../support/control-stand-in.js';
import { runs } from '../support/property-runs.js';

const MAX_BYTES = 4096;
const TIMEOUT_MS = 200;
const CODES = ['bad-request', 'bad-version', 'too-large', 'unknown-op', 'bad-args', 'refused', 'timeout', 'busy', 'internal'];

/** Requests with a plausible skeleton and random flesh: every field right, wrong or missing. */
const request = fc.record({
  v: fc.oneof(fc.constant(1), fc.constant(1), fc.jsonValue()),
  id: fc.oneof(fc.integer(), fc.string({ maxLength: 40 }), fc.constant(null), fc.jsonValue()),
  op: fc.oneof(fc.constantFrom('hello', 'snapshot', 'stats', 'edit', 'nope', '__proto__', 'constructor', 'toString'), fc.string({ maxLength: 80 }), fc.jsonValue()),
  args: fc.oneof(fc.constant(undefined), fc.object(), fc.jsonValue(), fc.record({ edits: fc.jsonValue() })),
}, { requiredKeys: [] });

/** A line without a newline in it. */
const noNewline = (s: string): string => s.replace(/\n/g, ' ');

describe('control socket fuzzer', function () {
  this.timeout(120_000);
  let dir: string;
  let socketPath: string;
  let server: ControlServer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'director-control-fuzz-'));
    socketPath = path.join(dir, 'control.sock');
    server = await ControlServer.listen({
      path: socketPath, ops: controlOps(new FakeDirector(), { version: 'fuzz' }), maxClients: 8, maxRequestBytes: MAX_BYTES, timeoutMs: TIMEOUT_MS,
    });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Until the server has let go of every client (a closed one is released a moment later). */
  async function idle(): Promise<void> {
    for (let waited = 0; server.clientCount > 0; waited += 10) {
      assert.ok(waited < 10_000, `${server.clientCount} clients still held`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The daemon still answers a well-formed request on a fresh connection. */
  async function answersHello(): Promise<void> {
    const client = await ControlClient.connect(socketPath, { timeoutMs: 5000 });
    try {
      assert.equal(((await client.request('hello')) as { protocol: number }).protocol, 1);
    } finally {
      client.close();
    }
  }

  /** Sends lines (closing our side), checks one final answer each, errors counted; returns the error count. */
  async function oneAnswerEach(lineTexts: string[]): Promise<number> {
    await idle();
    const before = server.rejections.total;
    const replies = (await exchange(socketPath, lineTexts.map((l) => `${l}\n`).join(''))).map((l) => parsed(l));
    const finals = replies.filter((r) => (r as { more?: boolean }).more !== true);
    assert.equal(finals.length, lineTexts.length, `one answer per line:\n${lineTexts.join('\n')}`);
    const errors = finals.filter((r) => !r.ok);
    for (const e of errors) assert.ok(CODES.includes(e.error?.code ?? ''), JSON.stringify(e));
    assert.equal(server.rejections.total - before, errors.length, 'every error line counted');
    return errors.length;
  }

  it('random bytes: only error lines, each counted, and the server answers afterwards', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3000 }), async (bytes) => {
      await idle();
      const before = server.rejections.total;
      const replies = await exchange(socketPath, Buffer.from(bytes));
      const segments = Buffer.from(bytes).toString('latin1').split('\n').length;
      assert.ok(replies.length >= 1 && replies.length <= segments, `${replies.length} replies for ${segments} segments`);
      for (const line of replies) {
        const r = parsed(line);
        assert.equal(r.ok, false, line);
        assert.ok(CODES.includes(r.error?.code ?? ''), line);
      }
      assert.equal(server.rejections.total - before, replies.length, 'every error line counted');
    }), runs(60));
    await answersHello();
  });

  it('random JSON values, one per line: one error answer each', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 20 }), async (values) => {
      const texts = values.map((v) => JSON.stringify(v) ?? 'null');
      const errors = await oneAnswerEach(texts);
      assert.equal(errors, texts.length, 'no JSON value that is not a request object passes');
    }), runs(60));
    await answersHello();
  });

  it('requests of every shape: exactly one final answer each, errors counted', async () => {
    let good = 0;
    let bad = 0;
    await fc.assert(fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 16 }), async (reqs) => {
      const texts = reqs.map((r) => noNewline(JSON.stringify(r)));
      const errors = await oneAnswerEach(texts);
      bad += errors;
      good += texts.length - errors;
    }), runs(80));
    assert.ok(good > 0 && bad > 0, `both answers and errors were exercised (${good} ok, ${bad} errors)`);
    await answersHello();
  });

  it('lines over the size bound: a too-large error and a hang-up, counted, wherever the bound is passed', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: MAX_BYTES + 1, max: 200_000 }), fc.boolean(), async (size, withNewline) => {
      await idle();
      const before = server.rejections.toJSON()['too-large'] ?? 0;
      const body = `{"v":1,"id":1,"op":"hello","args":{"x":"${'x'.repeat(size)}"}}${withNewline ? '\n' : ''}`;
      const replies = await exchange(socketPath, body, { end: false });
      assert.equal(replies.length, 1);
      assert.equal(parsed(replies[0]).error?.code, 'too-large');
      assert.equal((server.rejections.toJSON()['too-large'] ?? 0) - before, 1);
    }), runs(15));
    await answersHello();
  });

  it('half lines left open: a timeout error and a hang-up, counted', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 200 }).map(noNewline), async (half) => {
      await idle();
      const before = server.rejections.toJSON().timeout ?? 0;
      const replies = await exchange(socketPath, half, { end: false });
      assert.equal(replies.length, 1, replies.join('\n'));
      assert.equal(parsed(replies[0]).error?.code, 'timeout');
      assert.equal((server.rejections.toJSON().timeout ?? 0) - before, 1);
    }), runs(10));
    await answersHello();
  });

  it('crowds of clients (valid, garbage, half lines, dropped mid-request): the server stays up and bounded', async () => {
    const behaviour = fc.constantFrom('hello', 'garbage', 'half', 'drop', 'silent');
    await fc.assert(fc.asyncProperty(fc.array(behaviour, { minLength: 10, maxLength: 60 }), async (crowd) => {
      await idle();
      const before = server.rejections.total;
      const outcomes = await Promise.all(crowd.map((b) => new Promise<{ lines: number; errors: number }>((resolve) => {
        const s = net.connect(socketPath);
        let got = '';
        s.on('data', (d) => { got += d.toString(); });
        const settle = (): void => {
          const ls = got.split('\n').filter((l) => l !== '');
          resolve({ lines: ls.length, errors: ls.filter((l) => !parsed(l).ok).length });
        };
        s.on('error', settle);
        s.on('close', settle);
        s.on('connect', () => {
          if (b === 'hello') s.end('{"v":1,"id":1,"op":"hello"}\n');
          else if (b === 'garbage') s.end('\u0000\u00ff{{{\n');
          else if (b === 'half') s.write('{"v":1,"id":1,"op":"sta');
          else if (b === 'drop') { s.write('{"v":1,"id":1,"op":"snapshot"}\n'); s.destroy(); }
        });
      })));
      const told = outcomes.reduce((n, o) => n + o.errors, 0);
      // Clients that dropped themselves may miss the error line they were sent: counted >= told.
      assert.ok(server.rejections.total - before >= told, `${server.rejections.total - before} counted, ${told} told`);
      for (const [i, b] of crowd.entries()) {
        if (b === 'half' || b === 'silent' || b === 'garbage') assert.ok(outcomes[i]!.errors >= 1, `${b} client got an error line`);
        if (b === 'hello') assert.equal(outcomes[i]!.lines, 1, 'a hello client got one line (its answer, or busy)');
      }
      // Every client is gone from its side: the server lets go of them too, then serves again.
      await idle();
      await answersHello();
    }), runs(8));
    await answersHello();
    const counted = server.rejections.toJSON();
    assert.ok((counted.busy ?? 0) > 0 && (counted.timeout ?? 0) > 0, JSON.stringify(counted));
  });
});
