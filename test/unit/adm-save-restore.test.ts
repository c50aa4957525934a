// `adm -S` output read back by `adm -R`: the commands rebuild exactly the saved table (services,
// settings, servers with configured weights and thresholds, FULLNAT groups), numeric or with
// names; and -R's own rules (comments, line numbers, read-only lines refused).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdmUsageError, type AdmCommand } from '../../src/adm/commands.js';
import { namesFrom, NO_NAMES } from '../../src/adm/names.js';
import { parseRestore } from '../../src/adm/restore.js';
import { saveRules } from '../../src/adm/save.js';
import type { AdmSnapshot } from '../../src/adm/model.js';
import { SNAPSHOT } from '../fixtures/adm/data.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'adm');
const names = namesFrom(readFileSync(join(FIXTURES, 'hosts'), 'utf8'), readFileSync(join(FIXTURES, 'services'), 'utf8'));

/** A table as plain data: groups' addresses, and per service its settings and servers' settings. */
type Table = { groups: Record<string, string[]>; services: Record<string, { settings: unknown; servers: Record<string, unknown> }> };

function tableOfSnapshot(s: AdmSnapshot): Table {
  const table: Table = { groups: {}, services: {} };
  for (const g of s.laddrGroups) table.groups[g.name] = g.addresses.map((a) => a.address);
  for (const svc of s.services) {
    const servers: Record<string, unknown> = {};
    for (const rs of svc.realServers) {
      servers[`${rs.address}:${rs.port}`] = {
        method: rs.method, weight: rs.weight, upperThreshold: rs.upperThreshold, lowerThreshold: rs.lowerThreshold,
      };
    }
    const { scheduler, schedFlags, persistence, netmask, laddrGroup } = svc;
    table.services[`${svc.protocol} ${svc.address}:${svc.port}`] = {
      settings: { scheduler, schedFlags, persistence, netmask, laddrGroup }, servers,
    };
  }
  return table;
}

/** What applying the commands to an empty table gives (only the kinds -S writes). */
function tableOfCommands(commands: AdmCommand[]): Table {
  const table: Table = { groups: {}, services: {} };
  for (const c of commands) {
    if (c.kind === 'add-laddr') {
      table.groups[c.group] = [...(table.groups[c.group] ?? []), ...c.addresses];
    } else if (c.kind === 'add-service') {
      table.services[`${c.service.protocol} ${c.service.address}:${c.service.port}`] = { settings: c.settings, servers: {} };
    } else if (c.kind === 'add-server') {
      const svc = table.services[`${c.service.protocol} ${c.service.address}:${c.service.port}`];
      assert.ok(svc, 'a server line comes after its service line');
      svc.servers[`${c.server.address}:${c.server.port}`] = c.settings;
    } else {
      assert.fail(`-S wrote a ${c.kind} line`);
    }
  }
  return table;
}

describe('adm -S output restores with adm -R', () => {
  it('rebuilds the table from numeric rules', () => {
    const commands = parseRestore(saveRules(SNAPSHOT, true, names), NO_NAMES);
    assert.deepEqual(tableOfCommands(commands), tableOfSnapshot(SNAPSHOT));
  });

  it('rebuilds the table from rules with host and service names', () => {
    const text = saveRules(SNAPSHOT, false, names);
    assert.match(text, /-A -t web-vip\.lab:http -s rr/);
    assert.deepEqual(tableOfCommands(parseRestore(text, names)), tableOfSnapshot(SNAPSHOT));
  });

  it('saves the configured weight, not the one health or slow start holds now', () => {
    const text = saveRules(SNAPSHOT, true, NO_NAMES);
    assert.match(text, /^-a -t 198\.19\.0\.100:80 -r 198\.19\.0\.13:80 -g -w 1$/m);
  });
});

describe('adm -R input', () => {
  it('reads ipvsadm-save output, comments, blank lines and a leading "ipvsadm"', () => {
    const text = [
      '# saved by ipvsadm-save',
      '-A -t 198.19.0.100:80 -s wlc',
      '',
      'ipvsadm -a -t 198.19.0.100:80 -r 198.19.0.11:80 -g -w 1   # first server',
      '-a -t 198.19.0.100:80 -r 198.19.0.22:80 -i -w 1 --tun-type ipip\r',
      '\t',
    ].join('\n');
    assert.deepEqual(parseRestore(text, NO_NAMES).map((c) => c.kind), ['add-service', 'add-server', 'add-server']);
  });

  it('names the line of a bad command and applies nothing', () => {
    const text = '-A -t 198.19.0.100:80 -s rr\n\n-a -t 198.19.0.100:80 -r 198.19.0.11 -w 70000\n';
    assert.throws(() => parseRestore(text, NO_NAMES), (err: unknown) =>
      err instanceof AdmUsageError && err.message === 'line 3: illegal weight specified');
  });

  it('refuses lines that only read or restore again', () => {
    for (const line of ['-L -n', '-S', '-R', '-G', '-h']) {
      assert.throws(() => parseRestore(`-C\n${line}\n`, NO_NAMES), (err: unknown) =>
        err instanceof AdmUsageError
        && err.message === `line 2: ${line}: only commands that change the table can be restored`);
    }
  });

  it('takes every command that changes the table', () => {
    const text = [
      '-C', '-P --laddr-group g -z 198.19.1.1', '-A -t 198.19.0.100:80', '-E -t 198.19.0.100:80 -s rr',
      '-a -t 198.19.0.100:80 -r 198.19.0.11', '-e -t 198.19.0.100:80 -r 198.19.0.11 -w 2',
      '-d -t 198.19.0.100:80 -r 198.19.0.11', '-Z', '--set 0 0 60', '-D -t 198.19.0.100:80',
      '-Q --laddr-group g -z 198.19.1.1',
    ].join('\n');
    assert.deepEqual(parseRestore(text, NO_NAMES).map((c) => c.kind), [
      'clear', 'add-laddr', 'add-service', 'edit-service', 'add-server', 'edit-server', 'delete-server', 'zero',
      'set-timeouts', 'delete-service', 'delete-laddr',
    ]);
  });
});
