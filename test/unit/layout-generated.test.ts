// The generated name tables of the boundary records: checked in, and exactly what
// tools/gen-layout.ts makes of native/core/records.h today (CI fails on a stale copy); the
// subset parser evaluates what the header writes and refuses what it does not understand.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CC_OUT, generate, RECORDS_H, TS_OUT } from '../../tools/gen-layout.js';
import { parseRecords } from '../../tools/records-parser.js';

describe('generated record layout', () => {
  it('is what tools/gen-layout.ts makes of records.h (run `npm run gen:layout` after editing it)', () => {
    const out = generate(readFileSync(RECORDS_H, 'utf8'));
    assert.equal(readFileSync(TS_OUT, 'utf8'), out.ts, 'src/native/layout.generated.ts is stale');
    assert.equal(readFileSync(CC_OUT, 'utf8'), out.cc, 'native/addon/layout_table.generated.h is stale');
  });

  it('reads enums, namespaced constants and expressions, with their comments', () => {
    const groups = parseRecords([
      'namespace director {',
      'namespace meta {',
      'enum Word : uint32_t {',
      '  A = 0,  // first',
      '  B,      // second,',
      '          // continued',
      '  WORDS',
      '};',
      '}  // namespace meta',
      '// Kinds.',
      'enum class Kind : uint32_t { X = 2, Y, COUNT };',
      'namespace some_bits {',
      'constexpr uint32_t HI = 1 << 4 | 1;',
      '}',
      'constexpr uint32_t SIZE = (65536 + 64) * 2;',
      '}',
    ].join('\n'));
    assert.deepEqual(groups.map((g) => [g.tsName, g.qualifier, Object.fromEntries(g.entries.map((e) => [e.name, e.value]))]), [
      ['Meta', 'meta::', { A: 0, B: 1, WORDS: 2 }],
      ['Kind', 'Kind::', { X: 2, Y: 3, COUNT: 4 }],
      ['SomeBits', 'some_bits::', { HI: 17 }],
      ['Limits', '', { SIZE: 131200 }],
    ]);
    assert.equal(groups[0]!.entries[1]!.doc, 'second, continued');
    assert.equal(groups[1]!.doc, 'Kinds.');
  });

  it('refuses what it cannot generate, naming the line', () => {
    assert.throws(() => parseRecords('namespace director {\nstruct S { int x; };\n}'), /line 2: "struct" is outside the subset/);
    assert.throws(() => parseRecords('namespace director {\nconstexpr uint32_t X = sizeof(int);\n}'), /line 2: "sizeof" is not a number/);
    assert.throws(() => parseRecords('namespace director {\nenum class E : uint8_t { A };\n}'), /line 2: expected "uint32_t"/);
    assert.throws(() => parseRecords('#define X 1\nnamespace director {}'), /expected "namespace", found "#"/);
  });
});
