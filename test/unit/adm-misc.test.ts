// The smaller adm pieces: names from hosts/services text, the wire model's version check,
// listings of what does not exist, and -h naming every option adm accepts.
import assert from 'node:assert/strict';
import { namesFrom, NO_NAMES } from '../../src/adm/names.js';
import { checkModelVersion } from '../../src/adm/model.js';
import { listServices } from '../../src/adm/list-services.js';
import { listLaddrGroups } from '../../src/adm/list-laddr.js';
import { OPTION_ORDER, OPTIONS } from '../../src/adm/options.js';
import { usageText, versionText } from '../../src/adm/usage.js';
import { parseAdm } from '../../src/adm/parse.js';
import { SNAPSHOT } from '../fixtures/adm/data.js';

describe('adm names from /etc/hosts and /etc/services text', () => {
  const names = namesFrom(
    '# comment\n198.19.0.1 one.lab one # trailing comment\n198.19.0.1 later.lab\n2001:db8::2 six.lab\nbroken\n',
    'http 80/tcp www # web\nhttp 80/udp\nweird 70000/tcp\nnoproto 99\ndomain 53/udp\n',
  );

  it('resolves both ways, first entry first, IPv4 only', () => {
    assert.equal(names.hostOf('198.19.0.1'), 'one.lab');
    assert.equal(names.addressOf('later.lab'), '198.19.0.1');
    assert.equal(names.addressOf('one'), '198.19.0.1');
    assert.equal(names.addressOf('six.lab'), null);
    assert.equal(names.hostOf('198.19.0.2'), null);
  });

  it('resolves services per protocol, aliases included, bad lines skipped', () => {
    assert.equal(names.serviceOf(80, 'tcp'), 'http');
    assert.equal(names.serviceOf(53, 'tcp'), null);
    assert.equal(names.portOf('www', 'tcp'), 80);
    assert.equal(names.portOf('www', 'udp'), null);
    assert.equal(names.portOf('weird', 'tcp'), null);
    assert.equal(names.portOf('noproto', 'tcp'), null);
  });

  it('NO_NAMES resolves nothing', () => {
    assert.equal(NO_NAMES.hostOf('198.19.0.1'), null);
    assert.equal(NO_NAMES.portOf('http', 'tcp'), null);
  });
});

describe('adm model and listings of what is absent', () => {
  it('refuses a snapshot of another model version', () => {
    assert.doesNotThrow(() => checkModelVersion(SNAPSHOT));
    assert.throws(() => checkModelVersion({ version: 2 }), /director speaks adm model version 2, this adm speaks 1/);
    assert.throws(() => checkModelVersion({}), /version undefined/);
  });

  it('says "No such service" for -L of an unknown service, as ipvsadm', () => {
    const cmd = parseAdm(['-L', '-n', '-t', '198.19.0.100:81'], NO_NAMES);
    assert.ok(cmd.kind === 'list' && cmd.view.what === 'services');
    const { view: { service }, format } = cmd;
    assert.throws(() => listServices(SNAPSHOT, service, format, NO_NAMES), /^Error: No such service$/);
  });

  it('says which local address group is missing', () => {
    assert.throws(() => listLaddrGroups(SNAPSHOT, 'nope'), /No such local address group: nope/);
  });
});

describe('adm option table', () => {
  it('checks every option it defines (an option missing from the order would pass unchecked)', () => {
    for (const def of OPTIONS) if (def.role === 'option') assert.ok(OPTION_ORDER.includes(def.id), def.id);
  });
});

describe('adm -h and -v', () => {
  it('-h names every command and option adm accepts', () => {
    const text = usageText();
    for (const def of OPTIONS) {
      if (def.role === 'refused' || def.long === 'tun-type') continue;
      assert.ok(text.includes(`--${def.long}`), `--${def.long} missing from the usage text`);
      if (def.short !== undefined) assert.match(text, new RegExp(`(^|[\\s|])-${def.short}([\\s|]|$)`, 'm'), `-${def.short} missing`);
    }
  });

  it('-v says which ipvsadm it speaks', () => {
    assert.equal(versionText('0.1.0'), 'director adm 0.1.0 (ipvsadm 1.31 syntax, IPVS v1.2.1)\n');
  });
});
