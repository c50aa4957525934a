// keepalived's config language (keepalived.conf(5), "ADVANCED CONFIGURATION"): `$NAME=` definitions
// and their substitution (multiline too, recursive at use time), `@ID` / `@^ID` conditional lines
// against the config id, `~SEQ` / `~SEQx` / `~LST` replication, predefined names, includes that
// definitions and conditions produce; each with the lines the reader hands on, the man page's
// own examples among them, and hostile input refused at its line.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigReader } from '../../src/config/keepalived-reader.js';
import { loadKeepalivedConfig, parseKeepalivedConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/model.js';

/** The logical lines read from `text` as `line: text`. */
function read(text: string, configId = 'main'): string[] {
  const items = new ConfigReader({ configId, warn: () => {} }).read('f.conf', text);
  return items.flatMap((i) => (i.kind === 'line' ? [`${i.line}: ${i.text}`] : []));
}

function texts(text: string, configId = 'main'): string[] {
  return read(text, configId).map((l) => l.replace(/^\d+: /, ''));
}

function refused(text: string, message: string): void {
  assert.throws(() => read(text), (e: unknown) => e instanceof ConfigError && e.message === message, message);
}

describe('keepalived.conf language: definitions', () => {
  it('$NAME before a blank, a comma, a ")" or the end; ${NAME} anywhere; undefined names stay', () => {
    assert.deepEqual(texts('$A=10.0\n$B=x\nip $A.1 ${A}.2 $A,$A) ${B}y $By $UNDEF ${UNDEF}'), ['ip $A.1 10.0.2 10.0,10.0) xy $By $UNDEF ${UNDEF}']);
  });

  it('substitution is done at use time and recursively (the man page example)', () => {
    assert.deepEqual(texts('$ADDRESS_BASE=198.19.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32'),
      ['198.19.0.100/32', '198.19.10.100/32']);
  });

  it('a definition is $NAME=VALUE at the start of a line: no blank before "=", empty values allowed, comments cut', () => {
    assert.deepEqual(texts('$E=\n$V=  a b # note\n[${E}] [${V}] [$E]\n$X =1\n'), ['[] [a b] [$E]', '$X =1']);
  });

  it('multiline definitions: lines ended by "\\\\", expanded where the name ends a line, nested definitions inside', () => {
    const conf = `$RS= \\
 real_server 198.19.0.\${RS_NUM} 80 { \\
   weight \${W} \\
 }
$VS= \\
virtual_server 198.19.\${VS_NUM}.100 80 { \\
  $RS_NUM=11 \\
  $RS \\
  $RS_NUM=12 \\
  $RS \\
}
$W=2
$VS_NUM=0
$VS
$VS_NUM=1
$VS`;
    assert.deepEqual(read(conf), [
      '14: virtual_server 198.19.0.100 80 {', '14: real_server 198.19.0.11 80 {', '14: weight 2', '14: }',
      '14: real_server 198.19.0.12 80 {', '14: weight 2', '14: }', '14: }',
      '16: virtual_server 198.19.1.100 80 {', '16: real_server 198.19.0.11 80 {', '16: weight 2', '16: }',
      '16: real_server 198.19.0.12 80 {', '16: weight 2', '16: }', '16: }',
    ]);
  });

  it('a multiline definition ends at a blank line; comment lines inside are skipped; mid-line it is not expanded', () => {
    assert.deepEqual(texts('$M=a \\\n# note\nb \\\n\nc\nx $M y\n$M'), ['c', 'x $M y', 'a', 'b']);
  });

  it('predefined: _PWD, _INSTANCE, _HASH and _BANG (escaped, so no comment starts), _ENV, _RANDOM', () => {
    process.env.DIRECTOR_TEST_VAR = 'v1';
    try {
      const [pwd, inst, hash, env, rnd] = texts('${_PWD}\n${_INSTANCE}\na${_HASH}b${_BANG}c\n${_ENV DIRECTOR_TEST_VAR}\n${_RANDOM 5 7}', 'lb1');
      assert.equal(pwd, process.cwd());
      assert.deepEqual([inst, hash, env], ['lb1', 'a\\#b\\!c', 'v1']);
      assert.ok(['5', '6', '7'].includes(rnd!), rnd);
    } finally {
      delete process.env.DIRECTOR_TEST_VAR;
    }
  });

  it('a definition that refers to itself is refused at the line that uses it', () => {
    refused('$A=$A\n\nx $A', 'f.conf:3: syntax: parameter substitution does not end (a definition that refers to itself?)');
    refused(`$A=\${A}${'x'.repeat(100)}\nx $A`, 'f.conf:2: syntax: parameter substitution makes the line longer than 65536 characters');
  });
});

describe('keepalived.conf language: conditional lines (@ID, @^ID)', () => {
  const conf = 'global_defs {\n @main router_id main_router\n @backup router_id backup_router\n}\nunicast_peer {\n @^main 198.19.0.2\n @^backup 198.19.0.3\n @^backup2 198.19.0.4\n}';

  it('the man page example with config id main and backup', () => {
    assert.deepEqual(texts(conf, 'main'), ['global_defs {', 'router_id main_router', '}', 'unicast_peer {', '198.19.0.3', '198.19.0.4', '}']);
    assert.deepEqual(texts(conf, 'backup'), ['global_defs {', 'router_id backup_router', '}', 'unicast_peer {', '198.19.0.2', '198.19.0.4', '}']);
  });

  it('conditional definitions, and a definition that makes a conditional line', () => {
    assert.deepEqual(texts('@main $P=240\n@backup $P=200\npriority $P\n$IF_MAIN=@main\n$IF_MAIN priority 250', 'backup'), ['priority 200']);
    assert.deepEqual(texts('$IF_MAIN=@main\n$IF_MAIN priority 250', 'main'), ['priority 250']);
  });

  it('an @ID with nothing after it is dropped', () => {
    assert.deepEqual(texts('@main\nx', 'main'), ['x']);
  });
});

describe('keepalived.conf language: ~SEQ and ~LST', () => {
  it('~SEQ(VAR, START, END) and the defaults of END alone', () => {
    assert.deepEqual(texts('~SEQ(SUBNET, 0, 3) ip_address 198.19.${SUBNET}.1'), ['ip_address 198.19.0.1', 'ip_address 198.19.1.1', 'ip_address 198.19.2.1', 'ip_address 198.19.3.1']);
    assert.deepEqual(texts('~SEQ(N, 3) n$N'), ['n1', 'n2', 'n3']);
    assert.deepEqual(texts('~SEQ(N, -2) n$N'), ['n-1', 'n-2']);
    assert.deepEqual(texts('~SEQ(N, 10, -5, 0) n$N'), ['n10', 'n5', 'n0']);
  });

  it('~SEQx formats in hexadecimal; numbers may be hexadecimal or definitions', () => {
    const want = ['ip_address fe80::20:90:1', 'ip_address fe80::20:a0:1', 'ip_address fe80::20:b0:1', 'ip_address fe80::20:c0:1'];
    assert.deepEqual(texts('~SEQx(SUBNET, 144, 16, 192) ip_address fe80::20:${SUBNET}:1'), want);
    assert.deepEqual(texts('$S=0x90\n~SEQx(SUBNET, $S, 0x10, 0xc0) ip_address fe80::20:${SUBNET}:1'), want);
  });

  it('several on a line nest, the first outermost; each round keeps the line number', () => {
    assert.deepEqual(read('\n~SEQ(A, 1, 2) ~SEQ(B, 5, 6) x.${A}.${B}'), ['2: x.1.5', '2: x.1.6', '2: x.2.5', '2: x.2.6']);
  });

  it('~LST of one variable, of several in {}, nested, and with ~SEQ (the man page examples)', () => {
    assert.deepEqual(texts('~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) 198.19.${IP}.${IP1}'), ['198.19.10.1', '198.19.20.4', '198.19.5.6', '198.19.12.8']);
    assert.deepEqual(texts('~LST(IP, 1, 2) ~LST(IP1, 5,6,7) 198.18.${IP}.${IP1}'),
      ['198.18.1.5', '198.18.1.6', '198.18.1.7', '198.18.2.5', '198.18.2.6', '198.18.2.7']);
    assert.deepEqual(texts('~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(IP2,18,1,19) 198.${IP2}.${IP}.${IP1}'),
      ['198.18.10.1', '198.19.10.1', '198.18.20.4', '198.19.20.4']);
    assert.deepEqual(texts('~LST({A, B}, {1}, {2, 3}) [${A}|${B}]'), ['[1|]', '[2|3]']);
  });

  it('replicates a multiline definition: each round expands the whole definition', () => {
    assert.deepEqual(texts('$RS= \\\nreal_server 198.19.0.${N} 80 { \\\n weight 1 \\\n}\n~SEQ(N, 11, 12) $RS'),
      ['real_server 198.19.0.11 80 {', 'weight 1', '}', 'real_server 198.19.0.12 80 {', 'weight 1', '}']);
  });

  for (const [line, message] of [
    ['~SEQ(A) x', 'f.conf:1: ~SEQ: ~SEQ expects (VAR, [START,] [STEP,] END) then the text'],
    ['~SEQ(A, x) y', 'f.conf:1: ~SEQ: ~SEQ values must be 1 to 3 whole numbers (END, START END, or START STEP END)'],
    ['~SEQ(A, 1, 0, 5) y', 'f.conf:1: ~SEQ: ~SEQ step 0 or pointing away from END'],
    ['~SEQ(A, 1, -1, 5) y', 'f.conf:1: ~SEQ: ~SEQ step 0 or pointing away from END'],
    ['~SEQx(A, -5, 5) y', 'f.conf:1: ~SEQ: ~SEQx is only valid for positive numbers'],
    ['~SEQ(A, 1, 99999999) y', 'f.conf:1: ~SEQ: ~SEQ of 99999999 rounds (at most 1000000)'],
    ['~LST(A) y', 'f.conf:1: ~LST: ~LST needs variable names and at least one value'],
    ['~LST({A}, {1, 2}) y', 'f.conf:1: ~LST: ~LST has more values in a set than variables'],
    ['~LST(A, 1', "f.conf:1: ~LST: ~LST misses its ')'"],
  ] as const) {
    it(`refused at its line: ${line}`, () => refused(line, message));
  }

  it('nested replication that never ends is refused, not run for ever', function () {
    this.timeout(30_000);
    refused('~SEQ(A, 1, 1000000) ~SEQ(B, 1, 1000000) $X=1', 'f.conf:1: syntax: the configuration takes more than 2000000 lines to read (replication too deep?)');
  });
});

describe('keepalived.conf language: whole configurations', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-language-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a replicated pool of real servers loads as services, errors point at the source line', () => {
    const c = parseKeepalivedConfig(`$VIP=198.19.0.100
virtual_server $VIP 80 {
 protocol TCP
 lb_algo rr
 lb_kind DR
 ~SEQ(N, 11, 14) real_server 198.19.0.\${N} 80
}`, 'f.conf');
    assert.deepEqual(c.virtualServers[0]!.realServers.map((r) => `${r.address} ${r.line}`), ['198.19.0.11 6', '198.19.0.12 6', '198.19.0.13 6', '198.19.0.14 6']);
    assert.throws(() => parseKeepalivedConfig('~SEQ(N, 1, 2) virtual_server 198.19.0.${N}00 80 {\n}', 'f.conf'),
      (e: unknown) => e instanceof ConfigError && e.message === "f.conf:1: virtual_server: block opened here is never closed ('}' missing)");
    assert.throws(() => parseKeepalivedConfig('virtual_server 198.19.0.100 80 {\n lb_kind DR\n\n ~SEQ(N, 254, 256) real_server 198.19.0.${N} 80\n}', 'f.conf'),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith('f.conf:4: real_server: ') && e.message.includes('198.19.0.256'), 'the bad round at the ~SEQ line');
  });

  it('definitions made in an included file hold after it; _PWD is the directory of the file that uses it', () => {
    fs.mkdirSync(path.join(dir, 'conf.d'));
    // Substitution is done at use time, so ${_PWD} inside a definition is where $HERE is used.
    fs.writeFileSync(path.join(dir, 'conf.d', 'defs.conf'), '$RS_PORT=8080\n$HERE=${_PWD}\n');
    fs.writeFileSync(path.join(dir, 'keepalived.conf'), 'include conf.d/defs.conf\nvirtual_server 198.19.0.100 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 198.19.0.11 $RS_PORT {\n  MISC_CHECK {\n   misc_path "${HERE}/check.sh"\n  }\n }\n}\n');
    const rs = loadKeepalivedConfig(path.join(dir, 'keepalived.conf')).virtualServers[0]!.realServers[0]!;
    assert.equal(rs.port, 8080);
    assert.equal((rs.checks![0] as { path: string }).path, `${fs.realpathSync(dir)}/check.sh`);
  });

  it('an include line made by a condition or a definition is followed', () => {
    fs.writeFileSync(path.join(dir, 'lb1.conf'), 'virtual_server 198.19.0.101 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 198.19.0.11 80\n}\n');
    fs.writeFileSync(path.join(dir, 'lb2.conf'), 'virtual_server 198.19.0.102 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 198.19.0.11 80\n}\n');
    fs.writeFileSync(path.join(dir, 'keepalived.conf'), '@lb1 include lb1.conf\n$NODE=${_INSTANCE}\n@^lb1 include ${NODE}.conf\n');
    const vips = (id: string) => loadKeepalivedConfig(path.join(dir, 'keepalived.conf'), { configId: id }).virtualServers.map((v) => v.vip);
    assert.deepEqual(vips('lb1'), ['198.19.0.101']);
    assert.deepEqual(vips('lb2'), ['198.19.0.102']);
  });

  it('a byte order mark is ignored in every file, included ones too; a huge include pattern is not echoed', () => {
    fs.writeFileSync(path.join(dir, 'vs.conf'), '\uFEFFvirtual_server 198.19.0.100 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 198.19.0.11 80\n}\n');
    fs.writeFileSync(path.join(dir, 'keepalived.conf'), '\uFEFFinclude vs.conf\n');
    const c = loadKeepalivedConfig(path.join(dir, 'keepalived.conf'));
    assert.deepEqual([c.virtualServers.length, c.warnings], [1, []]);
    assert.throws(() => parseKeepalivedConfig(`\ninclude ${'p'.repeat(5000)}`, 'f.conf'),
      (e: unknown) => e instanceof ConfigError && e.message === 'f.conf:2: include: a pattern of 5000 characters (at most 4096)');
  });

  it('a block cannot run out of its file: the included file is named', () => {
    fs.writeFileSync(path.join(dir, 'open.conf'), 'virtual_server 198.19.0.100 80 {\n');
    fs.writeFileSync(path.join(dir, 'keepalived.conf'), 'include open.conf\n}\n');
    assert.throws(() => loadKeepalivedConfig(path.join(dir, 'keepalived.conf')), (e: unknown) =>
      e instanceof ConfigError && e.message === `${path.join(dir, 'open.conf')}:1: virtual_server: block opened here is never closed ('}' missing)`);
  });
});
