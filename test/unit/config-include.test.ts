// keepalived `include`: paths relative to the including file, globs in sorted order, nesting,
// cycles and missing files; messages name the included file and line.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadKeepalivedConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/model.js';
import { globToRegExp } from '../../src/config/keepalived-include.js';

function service(vip: string): string {
  return `virtual_server ${vip} 80 {\n lb_algo rr\n lb_kind DR\n protocol TCP\n real_server 198.19.0.11 80\n}\n`;
}

describe('keepalived.conf: include', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `director-include-${process.pid}-`));
    fs.mkdirSync(path.join(dir, 'conf.d'));
    fs.mkdirSync(path.join(dir, 'other'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(rel: string, text: string): string {
    const p = path.join(dir, rel);
    fs.writeFileSync(p, text);
    return p;
  }

  it('expands a glob relative to the including file, in sorted order', () => {
    write('conf.d/20-b.conf', service('198.19.0.102'));
    write('conf.d/10-a.conf', service('198.19.0.101'));
    write('conf.d/README', 'not a conf');
    const main = write('keepalived.conf', 'include conf.d/*.conf\n');
    const c = loadKeepalivedConfig(main);
    assert.deepEqual(c.virtualServers.map((v) => v.vip), ['198.19.0.101', '198.19.0.102']);
  });

  it('resolves nested includes relative to each file, not the working directory', () => {
    write('other/leaf.conf', service('198.19.0.103'));
    write('conf.d/mid.conf', 'include ../other/leaf.conf\n');
    const main = write('keepalived.conf', `include ${path.join(dir, 'conf.d', 'mid.conf')}\n`);
    assert.deepEqual(loadKeepalivedConfig(main).virtualServers.map((v) => v.vip), ['198.19.0.103']);
  });

  it('includes inside a block add statements to that block', () => {
    write('conf.d/rs.conf', 'real_server 198.19.0.12 80 { weight 3 }\n');
    const main = write('keepalived.conf', 'virtual_server 198.19.0.100 80 {\n lb_algo rr\n lb_kind DR\n protocol TCP\n include conf.d/rs.conf\n}\n');
    const rs = loadKeepalivedConfig(main).virtualServers[0]!.realServers;
    assert.deepEqual(rs.map((r) => [r.address, r.weight]), [['198.19.0.12', 3]]);
  });

  it('reports errors with the included file and its line', () => {
    const inc = write('conf.d/bad.conf', '\n\nvirtual_server 198.19.0.100 80 {\n lb_kind XX\n}\n');
    const main = write('keepalived.conf', 'include conf.d/bad.conf\n');
    assert.throws(() => loadKeepalivedConfig(main), (e: unknown) =>
      e instanceof ConfigError && e.message === `${inc}:4: lb_kind: 'XX' is not one of DR, NAT, TUN, FNAT`);
  });

  it('a missing plain file is an error; a glob matching nothing is a warning', () => {
    const main = write('keepalived.conf', 'include nothing.conf\n');
    assert.throws(() => loadKeepalivedConfig(main), (e: unknown) =>
      e instanceof ConfigError && e.message === `${main}:1: include: 'nothing.conf' does not exist`);
    const main2 = write('k2.conf', `include none/*.conf\n${service('198.19.0.100')}`);
    const c = loadKeepalivedConfig(main2);
    assert.deepEqual(c.warnings.map((w) => w.message), [`${main2}:1: include: no file matches 'none/*.conf'`]);
  });

  it('detects an include cycle', () => {
    write('conf.d/a.conf', 'include b.conf\n');
    const b = write('conf.d/b.conf', 'include a.conf\n');
    const main = write('keepalived.conf', 'include conf.d/a.conf\n');
    assert.throws(() => loadKeepalivedConfig(main), (e: unknown) =>
      e instanceof ConfigError && e.message === `${b}:1: include: 'a.conf' includes itself (cycle)`.replace("'a.conf'", `'${path.join(dir, 'conf.d', 'a.conf')}'`));
  });

  it('a missing top-level file is a clear error', () => {
    const missing = path.join(dir, 'nope.conf');
    assert.throws(() => loadKeepalivedConfig(missing), (e: unknown) =>
      e instanceof ConfigError && e.message === `${missing}:1: file: cannot read the configuration file (ENOENT)`);
  });

  it('a config named by a relative path includes relative to its own directory (plain and glob)', () => {
    write('conf.d/10-a.conf', service('198.19.0.101'));
    write('other/rs.conf', service('198.19.0.102'));
    write('keepalived.conf', 'include conf.d/*.conf\ninclude other/rs.conf\n');
    const rel = path.relative(process.cwd(), path.join(dir, 'keepalived.conf'));
    assert.ok(!path.isAbsolute(rel));
    const c = loadKeepalivedConfig(rel);
    assert.deepEqual(c.virtualServers.map((v) => v.vip), ['198.19.0.101', '198.19.0.102']);
  });

  it('glob characters in the including file\'s directory are not globs', () => {
    fs.mkdirSync(path.join(dir, '[x]'));
    write('[x]/a.conf', service('198.19.0.104'));
    const main = write('[x]/keepalived.conf', 'include a.conf\n');
    assert.deepEqual(loadKeepalivedConfig(main).virtualServers.map((v) => v.vip), ['198.19.0.104']);
  });

  it('warnings come in reading order: includes where they stand, then the lines after them', () => {
    write('conf.d/a.conf', 'zap_a 1\n');
    const main = write('keepalived.conf', `zap_1 1\nvirtual_server 198.19.0.100 80 {\n real_server 198.19.0.11 80\n}\ninclude conf.d/a.conf\nzap_2 2\n`);
    assert.deepEqual(loadKeepalivedConfig(main).warnings.map((w) => w.message.replace(`${dir}/`, '')), [
      'keepalived.conf:1: unknown keyword zap_1, ignored',
      'keepalived.conf:2: no lb_algo set, using wlc (the IPVS and keepalived default)',
      'keepalived.conf:2: no lb_kind set, using NAT (the keepalived default)',
      'keepalived.conf:2: no protocol set, using UDP (as keepalived does); add "protocol TCP" for TCP services',
      'conf.d/a.conf:1: unknown keyword zap_a, ignored',
      'keepalived.conf:6: unknown keyword zap_2, ignored',
    ]);
  });

  it('glob components: * ? [..] [!..], hidden files need an explicit dot', () => {
    assert.ok(globToRegExp('*.conf').test('a.conf'));
    assert.ok(!globToRegExp('*.conf').test('a.confx'));
    assert.ok(globToRegExp('s?.conf').test('s1.conf'));
    assert.ok(globToRegExp('[ab].conf').test('b.conf'));
    assert.ok(!globToRegExp('[!ab].conf').test('a.conf'));
    assert.ok(globToRegExp('a+b(c).conf').test('a+b(c).conf'));
    write('conf.d/.hidden.conf', service('198.19.0.109'));
    const main = write('keepalived.conf', 'include conf.d/*.conf\n');
    assert.equal(loadKeepalivedConfig(main).virtualServers.length, 0);
  });
});
