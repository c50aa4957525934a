// The documentation holds what the code does: README's walkthrough config and its `director check`
// output, the keepalived.conf examples in docs/ load as described, and every relative link
// (file and #anchor) between README.md, docs/*.md and BENCHMARKS.md resolves.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { summarize } from '../../src/cli/summary.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';

const ROOT = path.join(__dirname, '..', '..');

function read(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

/** The first fenced block (no language) after `marker`: a heading line or a sentence. */
function blockAfter(file: string, marker: string): string {
  const text = read(file);
  const at = text.indexOf(marker);
  assert.ok(at >= 0, `${file} has '${marker}'`);
  const m = /```\n([\s\S]*?)\n```/.exec(text.slice(at));
  assert.ok(m, `${file} has a code block after '${marker}'`);
  return m[1] as string;
}

/** Every fenced block (no language) that holds a keepalived.conf, in file order. */
function configBlocks(file: string): string[] {
  const blocks = [...read(file).matchAll(/```\n([\s\S]*?)\n```/g)].map((m) => m[1] as string);
  return blocks.filter((b) => /^(!.*\n)?(virtual_server|local_address_group) /.test(b));
}

describe('docs: README walkthrough', () => {
  const conf = blockAfter('README.md', 'Write `/etc/director/keepalived.conf`:');

  it('the config loads without warnings: one DR service, three real servers with a TCP check', () => {
    const c = parseKeepalivedConfig(conf);
    assert.deepEqual(c.warnings, []);
    const vs = c.virtualServers[0];
    assert.equal(c.virtualServers.length, 1);
    assert.deepEqual([vs?.vip, vs?.port, vs?.protocol, vs?.method, vs?.scheduler], ['198.19.0.100', 80, 'tcp', 'dr', 'wlc']);
    assert.deepEqual(vs?.realServers.map((r) => [r.address, r.weight, r.checks?.map((k) => k.kind)]), [
      ['198.19.0.11', 1, ['tcp']], ['198.19.0.12', 1, ['tcp']], ['198.19.0.13', 1, ['tcp']],
    ]);
  });

  it('shows what `director check` prints for it', () => {
    const shown = blockAfter('README.md', 'Check it; this is what director understood:').split('\n');
    assert.match(shown[0] as string, /^\$ \.\/bin\/director check --config (\S+)$/);
    const file = (shown[0] as string).split(' ').at(-1) as string;
    assert.deepEqual(shown.slice(1), [...summarize(parseKeepalivedConfig(conf)), `config ok: ${file}`]);
  });
});

describe('docs: keepalived.conf examples', () => {
  it('configuration.md: the DR example loads with its TCP_CHECK and no warnings', () => {
    const c = parseKeepalivedConfig(blockAfter('docs/configuration.md', '## DR example'));
    assert.deepEqual(c.virtualServers.map((v) => [v.method, v.scheduler, v.realServers.length]), [['dr', 'wrr', 3]]);
    assert.deepEqual(c.virtualServers[0]?.realServers[0]?.checks?.map((k) => k.kind), ['tcp']);
    assert.deepEqual(c.warnings, []);
  });

  it('configuration.md: the FULLNAT example loads without warnings', () => {
    const c = parseKeepalivedConfig(blockAfter('docs/configuration.md', '## FULLNAT example'));
    assert.deepEqual(c.virtualServers.map((v) => [v.method, v.laddrGroup, v.schedFlags]), [['fnat', 'laddr_g1', ['mh-port']]]);
    assert.deepEqual(c.warnings, []);
  });

  it("configuration.md: the config language example gives each node its weights (-i lb1 or any other)", () => {
    const text = blockAfter('docs/configuration.md', "## keepalived's config language");
    const weights = (configId: string) => {
      const c = parseKeepalivedConfig(text, 'keepalived.conf', { configId });
      assert.deepEqual(c.warnings, []);
      return c.virtualServers[0]?.realServers.map((r) => `${r.address} ${r.weight}`);
    };
    assert.deepEqual(weights('lb1'), ['198.19.0.11 2', '198.19.0.12 2', '198.19.0.13 2', '198.19.0.14 2']);
    assert.deepEqual(weights('lb2'), ['198.19.0.11 1', '198.19.0.12 1', '198.19.0.13 1', '198.19.0.14 1']);
  });

  it('forwarding.md: the DR, NAT and FULLNAT examples load without warnings, each with its method', () => {
    const blocks = configBlocks('docs/forwarding.md');
    const loaded = blocks.map((b) => parseKeepalivedConfig(b));
    assert.deepEqual(loaded.map((c) => c.warnings), [[], [], []]);
    assert.deepEqual(loaded.map((c) => c.virtualServers[0]?.method), ['dr', 'nat', 'fnat']);
    assert.equal(loaded[1]?.virtualServers[0]?.realServers[0]?.port, 8080, 'the NAT example maps the port');
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = read(file).replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1] as string)));
}

describe('docs: links', () => {
  const files = ['README.md', 'BENCHMARKS.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

  it('every relative link points at a file that exists, and at a heading in it', () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = read(file).replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1] as string;
        if (/^[a-z]+:/.test(target)) continue;
        const [rel = '', anchor] = target.split('#');
        const resolved = rel === '' ? file : path.normalize(path.join(path.dirname(file), rel));
        if (!fs.existsSync(path.join(ROOT, resolved))) broken.push(`${file}: ${target} (no ${resolved})`);
        else if (anchor !== undefined && !anchors(resolved).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('docs/README.md lists every page in docs/', () => {
    const index = read('docs/README.md');
    const pages = files.filter((f) => f.startsWith('docs/') && f !== 'docs/README.md').map((f) => path.basename(f));
    assert.deepEqual(pages.filter((p) => !index.includes(`](${p})`)), []);
  });
});
