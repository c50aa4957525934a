// Fuzzing the keepalived.conf reader (fast-check): random text, and token soup made of the
// format's own keywords, values, braces, quotes, comments, continuations and includes. Whatever
// the input, loading returns a config or throws a ConfigError; every error and warning names
// file:line with a line that exists (>= 1, within the file when it is the main file), and no
// message grows with the input (a huge token is never echoed whole).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { loadKeepalivedConfig, parseKeepalivedConfig } from '../../src/config/load.js';
import { ConfigError, type ConfigWarning } from '../../src/config/model.js';
import { runs } from '../support/property-runs.js';

/** Longest message allowed: the longest fixed text plus a word of the lexer's maximum length. */
const MAX_MESSAGE = 1200 + 4096;

const KEYWORDS = [
  'global_defs', 'router_id', 'lvs_sync_daemon', 'virtual_server', 'real_server', 'protocol', 'lb_algo', 'lb_kind',
  'persistence_timeout', 'delay_loop', 'weight', 'TCP_CHECK', 'HTTP_GET', 'MISC_CHECK', 'url', 'path', 'digest',
  'status_code', 'connect_timeout', 'connect_port', 'misc_path', 'local_address_group', 'laddr_group_name',
  'vrrp_instance', 'state', 'interface', 'virtual_router_id', 'priority', 'advert_int', 'virtual_ipaddress',
  'authentication', 'auth_type', 'auth_pass', 'track_script', 'vrrp_script', 'script', 'vrrp_sync_group', 'group',
  'unicast_peer', 'include', 'uthreshold', 'inhibit_on_failure', 'sorry_server', 'SSL_GET', 'nonsense_keyword',
];
const VALUES = [
  '198.19.0.100', '198.19.0.11', '198.19.1.1-5', '80', '0', '65536', '-1', '1.5', 'TCP', 'UDP', 'DR', 'NAT', 'TUN',
  'FNAT', 'rr', 'wlc', 'MASTER', 'BACKUP', 'eth0', 'PASS', 'secret', '255', '2001:db8::1', 'a.conf', '*.conf',
  'missing.conf', 'self.conf', '[ab].conf', 'x?', '/',
];
const PUNCT = ['{', '}', '"', '#', '!', '\\', '\\#', ' ', '\t', '\n', '\n', '\n', '\r\n', '\\\n', '\uFEFF', '"a b"'];

const tokenSoup = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...KEYWORDS) },
    { weight: 4, arbitrary: fc.constantFrom(...VALUES) },
    { weight: 6, arbitrary: fc.constantFrom(...PUNCT) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  ),
  { maxLength: 120 },
).map((parts) => parts.join(' '));

/** Valid-looking blocks, nested and concatenated, so the fuzzer reaches the converters. */
const block: fc.Arbitrary<string> = fc.letrec<{ block: string }>((tie) => ({
  block: fc.tuple(fc.constantFrom(...KEYWORDS), fc.array(fc.constantFrom(...VALUES), { maxLength: 3 }),
    fc.option(fc.array(tie('block'), { maxLength: 4 }), { nil: undefined, depthSize: 'small' }))
    .map(([k, args, body]) => `${k} ${args.join(' ')}${body === undefined ? '' : ` {\n${body.join('\n')}\n}`}`),
})).block;

/** A fresh folder per run holding the files include patterns may match. */
let dir = '';
let FILE = '';

function writeIncludes(): void {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-config-fuzz-'));
  FILE = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(path.join(dir, 'a.conf'), 'virtual_server 198.19.0.100 80 {\n real_server 198.19.0.11 80\n}\n');
  fs.writeFileSync(path.join(dir, 'b.conf'), 'weight 3\n');
  fs.writeFileSync(path.join(dir, 'self.conf'), 'include self.conf\n');
}

function positioned(where: { file: string; line: number }, message: string, text: string): void {
  assert.ok(Number.isInteger(where.line) && where.line >= 1, `line ${where.line}: ${message.slice(0, 200)}`);
  assert.ok(message.startsWith(`${where.file}:${where.line}: `), `message without file:line: ${message.slice(0, 200)}`);
  assert.ok(message.length <= MAX_MESSAGE, `message of ${message.length} characters`);
  if (where.file === FILE) assert.ok(where.line <= text.split(/\r?\n/).length, `line ${where.line} past the end`);
}

/** Loads text; fails the property on anything but a config or a ConfigError with a position. */
function loadsOrRejects(text: string): void {
  let warnings: ConfigWarning[];
  try {
    warnings = parseKeepalivedConfig(text, FILE).warnings;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Error(`not a ConfigError: ${String(err)}`, { cause: err });
    positioned(err, err.message, text);
    return;
  }
  for (const w of warnings) positioned(w, w.message, text);
}

describe('keepalived.conf reader under fuzzing (fast-check)', () => {
  before(writeIncludes);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('random text: a config or a positioned ConfigError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), loadsOrRejects), runs(1500));
  });

  it('token soup of keywords, values, braces, quotes and comments', () => {
    fc.assert(fc.property(tokenSoup, loadsOrRejects), runs(3000));
  });

  it('nested blocks, includes among them', () => {
    fc.assert(fc.property(fc.array(block, { maxLength: 6 }), (blocks) => loadsOrRejects(blocks.join('\n'))), runs(1500));
  });
  describe('keepalived.conf reader: what fuzzing found', () => {
    it('5000 nested blocks: a ConfigError at the block too deep, not a stack overflow', () => {
      const text = 'virtual_server 198.19.0.100 80 {\n'.repeat(5000) + '}\n'.repeat(5000);
      assert.throws(() => parseKeepalivedConfig(text, FILE), (e: unknown) =>
        e instanceof ConfigError && e.message === `${FILE}:33: virtual_server: blocks nested deeper than 32`);
    });

    it('a 50 MB word is refused at its line without being echoed', () => {
      const text = `global_defs {\n}\n${'x'.repeat(50 << 20)}\n`;
      assert.throws(() => parseKeepalivedConfig(text, FILE), (e: unknown) =>
        e instanceof ConfigError && e.message === `${FILE}:3: syntax: a word of 52428800 characters (at most 4096)`);
    });

    it('an unterminated quote echoes only the start of what follows it', () => {
      const text = `router_id "${'y'.repeat(100000)}`;
      assert.throws(() => parseKeepalivedConfig(text, FILE), (e: unknown) =>
        e instanceof ConfigError && e.message === `${FILE}:1: syntax: unterminated quote: "${'y'.repeat(40)}... (100001 characters)`);
    });

    it('a UTF-8 byte order mark before the first keyword is ignored', () => {
      const text = '\uFEFFvirtual_server 198.19.0.100 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 198.19.0.11 80\n}\n';
      fs.writeFileSync(path.join(dir, 'bom.conf'), text);
      const config = loadKeepalivedConfig(path.join(dir, 'bom.conf'));
      assert.equal(config.virtualServers.length, 1);
      assert.deepEqual(config.warnings, []);
    });

    it('a missing file is reported at line 1', () => {
      const missing = path.join(dir, 'nowhere.conf');
      assert.throws(() => loadKeepalivedConfig(missing), (e: unknown) =>
        e instanceof ConfigError && e.line === 1 && e.message === `${missing}:1: file: cannot read the configuration file (ENOENT)`);
    });
  });
});
