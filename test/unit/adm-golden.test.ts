// ipvsadm 1.31's output layouts from golden text: each section of test/fixtures/adm/golden.txt
// (made with printf(1) and ipvsadm.c's formats, see make-golden.sh) names an adm command line;
// parsing it and rendering the fixture table must give the section byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAdm } from '../../src/adm/parse.js';
import { namesFrom } from '../../src/adm/names.js';
import { renderReadCommand, type ReadCommand } from '../../src/adm/render.js';
import { CONNECTIONS, SNAPSHOT } from '../fixtures/adm/data.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'adm');
const names = namesFrom(readFileSync(join(FIXTURES, 'hosts'), 'utf8'), readFileSync(join(FIXTURES, 'services'), 'utf8'));

function sections(): Array<{ args: string; expected: string }> {
  const text = readFileSync(join(FIXTURES, 'golden.txt'), 'utf8');
  const out: Array<{ args: string; expected: string }> = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) out.push({ args: line.slice(3), expected: '' });
    else if (!line.startsWith('# ') && out.length > 0 && line !== '') out[out.length - 1]!.expected += `${line}\n`;
  }
  return out;
}

describe('adm listings match ipvsadm 1.31 (golden text)', () => {
  const all = sections();

  it('has the layouts the fixture promises', () => {
    assert.equal(all.length, 19);
  });

  for (const { args, expected } of all) {
    it(args, () => {
      const command = parseAdm(args.split(' '), names);
      assert.ok(command.kind === 'list' || command.kind === 'save' || command.kind === 'list-laddr', command.kind);
      const text = renderReadCommand(command as ReadCommand, SNAPSHOT, CONNECTIONS.connections, names);
      assert.equal(text, expected);
    });
  }
});
