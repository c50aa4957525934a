// The keepalived.conf corpus (test/fixtures/keepalived-corpus, production layouts: conf.d
// includes, definitions and replication, conditional lines per node, scripts, FULLNAT, service
// groups and fwmark services, a broken include) through `director check`, compared line by line with each case's golden output.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

const CORPUS = path.join(__dirname, '..', 'fixtures', 'keepalived-corpus');

/** What `director check -f FILE [-i ID]` prints (stderr, then stdout) and its exit status. */
async function check(file: string, id: string | null): Promise<{ status: number; lines: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => void out.push(l), err: (l) => void err.push(l), waitForSignal: () => new Promise(() => {}) };
  // A fixed id, so no case depends on this machine's host name; the corpus's scripts are not on this host.
  const status = await main(['check', '-f', file, '-i', id ?? 'corpus', '--skip-scripts'], io);
  return { status, lines: [...err, ...out].map((l) => l.split(CORPUS).join('CORPUS')) };
}

describe('keepalived.conf corpus: director check against golden output', () => {
  const cases = fs.readdirSync(CORPUS).filter((d) => fs.statSync(path.join(CORPUS, d)).isDirectory()).sort();

  it('holds the layouts it is meant to (a corpus that shrinks is a failure)', () => {
    assert.deepEqual(cases, ['broken', 'conditional', 'conf-d', 'definitions', 'fullnat', 'groups', 'scripts']);
  });

  for (const name of cases) {
    const dir = path.join(CORPUS, name);
    const idsFile = path.join(dir, 'ids');
    const ids = fs.existsSync(idsFile) ? fs.readFileSync(idsFile, 'utf8').split('\n').filter((l) => l !== '') : [null];
    for (const id of ids) {
      it(`${name}${id !== null ? ` with -i ${id}` : ''}`, async () => {
        const golden = fs.readFileSync(path.join(dir, id !== null ? `golden-${id}.txt` : 'golden.txt'), 'utf8').split('\n');
        const { status, lines } = await check(path.join(dir, 'keepalived.conf'), id);
        assert.deepEqual(lines, golden.slice(0, -1));
        assert.equal(status, lines.some((l) => l.startsWith('error: ')) ? 1 : 0);
      });
    }
  }
});
