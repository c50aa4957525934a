// A director stand-in behind the control socket's ops, and a raw client that writes bytes and
// collects the reply lines: shared by the control socket's tests and its fuzzer.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AdmEdit } from '../../src/adm/edit-config.js';
import type { AdmConnection } from '../../src/adm/model.js';
import type { ControlTarget } from '../../src/control/ops.js';
import { SNAPSHOT } from '../fixtures/adm/data.js';

function connection(i: number): AdmConnection {
  return {
    protocol: 'tcp', expires: 900, state: 'ESTABLISHED', client: { address: '198.18.1.10', port: 1024 + i },
    virtual: { address: '198.19.0.100', port: 80 }, destination: { address: '198.19.0.11', port: 80 }, local: null,
  };
}

/** A director stand-in: a fixed snapshot, `pages` pages of connections, edits recorded. */
export class FakeDirector implements ControlTarget {
  edits: AdmEdit[][] = [];
  pagesServed = 0;
  constructor(private readonly pages = 3, private readonly rows = 100) {}
  snapshot() { return SNAPSHOT; }
  stats() { return { uptimeSeconds: 1 }; }
  *connections(): Generator<AdmConnection[]> {
    for (let p = 0; p < this.pages; p++) {
      this.pagesServed++;
      yield p % 2 === 1 ? [] : Array.from({ length: this.rows }, (_, i) => connection(p * this.rows + i));
    }
  }
  async edit(edits: readonly AdmEdit[]): Promise<void> {
    if (edits.some((e) => e.kind === 'delete-service')) throw new Error('No such service');
    this.edits.push([...edits]);
  }
}

/** Raw exchange: writes bytes (optionally ending our side), collects every line until the server closes. */
export function exchange(socketPath: string, data: Buffer | string, o: { end?: boolean; waitMs?: number } = {}): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let got = '';
    const timer = setTimeout(() => { s.destroy(); resolve(lines(got)); }, o.waitMs ?? 5000);
    s.on('data', (d) => { got += d.toString('utf8'); });
    s.on('error', reject);
    s.on('close', () => { clearTimeout(timer); resolve(lines(got)); });
    s.on('connect', () => {
      s.write(data);
      if (o.end !== false) s.end();
    });
  });
}

export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

export function parsed(line: string | undefined): { id: unknown; ok: boolean; error?: { code: string; message: string }; result?: unknown } {
  assert.ok(line !== undefined, 'a reply line');
  return JSON.parse(line) as ReturnType<typeof parsed>;
}

