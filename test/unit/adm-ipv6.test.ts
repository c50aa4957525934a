// `director adm` with IPv6: [v6]:port and bare addresses read as ipvsadm reads them (into RFC 5952
// text), -M as a prefix length, -f MARK -6, refusals in ipvsadm's words, listings byte for byte
// as ipvsadm prints IPv6 (golden-ipv6.txt, made by make-golden-ipv6.sh with printf(1)), -S output
// that -R restores, and edits that reach the configuration (the same virtual server
// keepalived.conf gives), cross the control socket's decoder unchanged, and are refused whole by a
// running director (memory port) while its data path serves no IPv6 service.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdmUsageError, type AdmCommand } from '../../src/adm/commands.js';
import { AdmEditError, planEdits, type AdmEdit } from '../../src/adm/edit-config.js';
import { namesFrom, NO_NAMES } from '../../src/adm/names.js';
import { parseAdm } from '../../src/adm/parse.js';
import { renderReadCommand, type ReadCommand } from '../../src/adm/render.js';
import { parseRestore } from '../../src/adm/restore.js';
import { saveRules } from '../../src/adm/save.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { defaultGlobalDefs, type DirectorConfig } from '../../src/config/model.js';
import { decodeEdits } from '../../src/control/wire-edits.js';
import { localGroupTexts } from '../../src/datapath/address-text.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import { CONNECTIONS6, SNAPSHOT6 } from '../fixtures/adm/data-ipv6.js';
import { RS } from '../support/memory-plane.js';
import { sendFrames, withReloadLab } from '../support/memory-reload.js';
import { conf, segment, servers } from '../support/reload-conf.js';
import { TCP_FLAGS } from '../support/packets.js';
import { FakeClock } from './sched-fixtures.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'adm');
const names = namesFrom(readFileSync(join(FIXTURES, 'hosts'), 'utf8'), readFileSync(join(FIXTURES, 'services'), 'utf8'));
const parse = (line: string): AdmCommand => parseAdm(line.split(' ').filter((w) => w !== ''), names);

function empty(): DirectorConfig {
  return {
    virtualServers: [], localAddressGroups: {}, globalDefs: defaultGlobalDefs(), vrrp: { instances: [], scripts: [], syncGroups: [] },
    warnings: [], fwmarkMatches: { 7: [] },
  } as DirectorConfig;
}

function apply(config: DirectorConfig, ...lines: string[]): DirectorConfig {
  return planEdits(config, lines.map((l) => parse(l) as AdmEdit)).config;
}

describe('adm IPv6: command lines', () => {
  it('reads [v6]:port and bare addresses into RFC 5952 text, with names for ports', () => {
    const rows: Array<[string, unknown]> = [
      ['-A -t [2001:DB8:0:0::100]:80 -s rr', { protocol: 'tcp', address: '2001:db8::100', port: 80, family: 'inet6' }],
      ['-A -u [2001:db8::101]:domain', { protocol: 'udp', address: '2001:db8::101', port: 53, family: 'inet6' }],
      ['-A -t 2001:db8::100 -p', { protocol: 'tcp', address: '2001:db8::100', port: 0, family: 'inet6' }],
      ['-A -t [::ffff:c612:64]:80', { protocol: 'tcp', address: '::ffff:c612:64', port: 80, family: 'inet6' }],
      ['-A -f 7 -6', { protocol: 'tcp', address: '0.0.0.0', port: 0, fwmark: 7, family: 'inet6' }],
      ['-A -6 -f 7', { protocol: 'tcp', address: '0.0.0.0', port: 0, fwmark: 7, family: 'inet6' }],
      ['-A -f 7', { protocol: 'tcp', address: '0.0.0.0', port: 0, fwmark: 7 }],
    ];
    for (const [line, key] of rows) {
      const c = parse(line);
      assert.ok(c.kind === 'add-service', line);
      assert.deepEqual(c.service, key, line);
    }
  });

  it('takes -M as a prefix length for IPv6 (default 128) and a netmask for IPv4', () => {
    const netmask = (line: string): string => (parse(line) as Extract<AdmCommand, { kind: 'add-service' | 'edit-service' }>).settings.netmask;
    assert.equal(netmask('-A -t [2001:db8::100]:80 -p'), '128');
    assert.equal(netmask('-A -t [2001:db8::100]:80 -p -M 64'), '64');
    assert.equal(netmask('-A -f 7 -6 -p -M 48'), '48');
    assert.equal(netmask('-A -t 198.19.0.100:80 -p'), '255.255.255.255');
  });

  it('gives a real server the service port for DR, its own for NAT, in RFC 5952 text', () => {
    const dr = parse('-a -t [2001:db8::100]:80 -r [2001:db8:0::11]:8080 -g');
    const nat = parse('-a -t [2001:db8::100]:80 -r [2001:db8::11]:8080 -m');
    const bare = parse('-a -t [2001:db8::100]:80 -r 2001:db8::11 -m');
    assert.ok(dr.kind === 'add-server' && nat.kind === 'add-server' && bare.kind === 'add-server');
    assert.deepEqual([dr.server, nat.server, bare.server],
      [{ address: '2001:db8::11', port: 80 }, { address: '2001:db8::11', port: 8080 }, { address: '2001:db8::11', port: 80 }]);
  });

  const refused: Array<[string, string]> = [
    ['-A -t [2001:db8::100]', 'illegal virtual server address[:port] specified'],
    ['-A -t [2001:db8::100]80', 'illegal virtual server address[:port] specified'],
    ['-A -t [2001:db8::zz]:80', 'illegal virtual server address[:port] specified'],
    ['-A -t [2001:db8::100]:65536', 'illegal virtual server address[:port] specified'],
    ['-A -t [198.19.0.100]:80', 'illegal virtual server address[:port] specified'],
    ['-A -t 2001:db8::100::1', 'illegal virtual server address[:port] specified'],
    ['-A -t [2001:db8::100]:80 -p -M 129', 'illegal ipv6 netmask specified'],
    ['-A -t [2001:db8::100]:80 -p -M 0', 'illegal ipv6 netmask specified'],
    ['-A -t [2001:db8::100]:80 -p -M 255.255.255.0', 'illegal ipv6 netmask specified'],
    ['-A -t 198.19.0.100:80 -p -M 64', 'illegal virtual server persistent mask specified'],
    ['-a -t [2001:db8::100]:80 -r [2001:db8::11', 'illegal real server address[:port] specified'],
    ['-a -t [2001:db8::100]:80 -r 198.19.0.11', 'Different address family is allowed only for tunneling servers'],
    ['-a -t 198.19.0.100:80 -r [2001:db8::11]:80 -m', 'Different address family is allowed only for tunneling servers'],
    ['-a -f 7 -6 -r 198.19.0.11', 'Different address family is allowed only for tunneling servers'],
    ['-a -t 198.19.0.100:80 -r [2001:db8::11]:80 -i', '2001:db8::11: a tunnel to a real server of the other address family is not supported by director'],
    ['-A -t [2001:db8::100]:80 -6', '-6 used without -f'],
    ['-L -6', '-6 used without -f'],
    ['-P --laddr-group lip1 -z 2001:db8::1-5', "illegal local address: '2001:db8::1-5' is not an IPv4 address (IPv6 is not supported yet)"],
  ];
  it('takes an IPv4 tunnel server under an IPv6 service (6in4), and deletes it', () => {
    const add = parse('-a -t [2001:db8::100]:80 -r 198.19.0.11 -i') as Extract<AdmEdit, { kind: 'add-server' | 'edit-server' }>;
    assert.deepEqual([add.server.address, add.settings.method], ['198.19.0.11', 'tun']);
    assert.equal((parse('-d -t [2001:db8::100]:80 -r 198.19.0.11') as Extract<AdmEdit, { kind: 'delete-server' }>).server.address, '198.19.0.11');
    assert.deepEqual(decodeEdits(JSON.parse(JSON.stringify({ edits: [add] }))), [add]);
  });
  for (const [line, message] of refused) {
    it(`refuses: ${line}`, () => {
      assert.throws(() => parse(line), (err: unknown) => {
        assert.ok(err instanceof AdmUsageError, String(err));
        assert.equal(err.message, message);
        return true;
      });
    });
  }
});

describe('adm IPv6: listings match ipvsadm 1.31 (golden text)', () => {
  const text = readFileSync(join(FIXTURES, 'golden-ipv6.txt'), 'utf8');
  const sections: Array<{ args: string; expected: string }> = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) sections.push({ args: line.slice(3), expected: '' });
    else if (!line.startsWith('# ') && sections.length > 0 && line !== '') sections[sections.length - 1]!.expected += `${line}\n`;
  }

  it('has the sections the fixture promises', () => assert.equal(sections.length, 7));

  for (const { args, expected } of sections) {
    it(args, () => {
      const command = parse(args);
      assert.equal(renderReadCommand(command as ReadCommand, SNAPSHOT6, CONNECTIONS6.connections, names), expected);
    });
  }
});

describe('adm IPv6: -S output restores with -R into the configuration', () => {
  it('rebuilds every IPv6 service, mark service and server from the saved rules', () => {
    const saved = saveRules(SNAPSHOT6, true, names);
    const config = planEdits(empty(), parseRestore(saved, NO_NAMES) as AdmEdit[]).config;
    const fromConfig = config.virtualServers.map((vs) => ({
      key: `${vs.fwmark ? `fwm ${vs.fwmark}` : `${vs.protocol} ${vs.vip}:${vs.port}`} ${vs.family ?? 'inet'}`,
      settings: [vs.scheduler, vs.persistenceTimeout, vs.persistenceGranularity, vs.schedFlags.join(',')],
      servers: vs.realServers.map((rs) => `${rs.address}:${rs.port} ${rs.method} ${rs.weight}`).sort(),
    }));
    const fromSnapshot = SNAPSHOT6.services.map((s) => ({
      key: `${s.fwmark ? `fwm ${s.fwmark}` : `${s.protocol} ${s.address}:${s.port}`} ${s.family ?? 'inet'}`,
      settings: [s.scheduler, s.persistence, s.netmask, s.schedFlags.join(',')],
      servers: s.realServers.map((rs) => `${rs.address}:${rs.port} ${rs.method} ${rs.weight}`).sort(),
    }));
    const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : 1);
    assert.deepEqual(fromConfig.sort(byKey), fromSnapshot.sort(byKey));
  });
});

describe('adm IPv6: edits reach the configuration', () => {
  it('-A/-a build the virtual server keepalived.conf gives for the same IPv6 service', () => {
    const config = apply(empty(), '-A -t [2001:db8::100]:80 -s sh -p 600 -M 64',
      '-a -t [2001:db8::100]:80 -r [2001:db8::11]:80 -g -w 1', '-a -t [2001:db8::100]:80 -r [2001:db8::12]:80 -g -w 3');
    const conf = parseKeepalivedConfig(`virtual_server 2001:db8::100 80 {
 protocol TCP
 lb_algo sh
 lb_kind DR
 persistence_timeout 600
 persistence_granularity 64
 real_server 2001:db8::11 80 { weight 1 }
 real_server 2001:db8::12 80 { weight 3 }
}`, 'f.conf');
    const pick = (c: DirectorConfig) => c.virtualServers.map((vs) => ({
      vip: vs.vip, port: vs.port, protocol: vs.protocol, family: vs.family, scheduler: vs.scheduler,
      persistence: vs.persistenceTimeout, granularity: vs.persistenceGranularity,
      servers: vs.realServers.map((rs) => [rs.address, rs.port, rs.method, rs.weight]),
    }));
    assert.deepEqual(pick(config), pick(conf));
  });

  it('an IPv6 FULLNAT service over an IPv6 local address group, which the service table serves', () => {
    const config = apply(empty(), '-P --laddr-group lip6 -z 2001:DB8:2::1', '-P --laddr-group lip6 -z 2001:db8:2::2',
      '-A -t [2001:db8::100]:80 -s rr --laddr-group lip6', '-a -t [2001:db8::100]:80 -r [2001:db8::11]:8080 -F');
    assert.deepEqual(config.localAddressGroups, { lip6: ['2001:db8:2::1', '2001:db8:2::2'] });
    assert.equal(config.virtualServers[0]!.realServers[0]!.method, 'fnat');
    const table = ServiceTable.build(config, new FakeClock());
    assert.equal(table.localAddresses6.size, 2);
    assert.deepEqual(localGroupTexts(table, 'lip6'), ['2001:db8:2::1', '2001:db8:2::2']);
  });

  it('-f 7 and -f 7 -6 are two services; each command finds its own', () => {
    let config = apply(empty(), '-A -f 7 -s rr', '-A -f 7 -6 -s wlc', '-a -f 7 -6 -r [2001:db8::31]:0', '-a -f 7 -r 198.19.0.31');
    assert.deepEqual(config.virtualServers.map((vs) => [vs.family ?? 'inet', vs.scheduler, vs.realServers[0]!.address]),
      [['inet', 'rr', '198.19.0.31'], ['inet6', 'wlc', '2001:db8::31']]);
    config = apply(config, '-D -f 7 -6');
    assert.deepEqual(config.virtualServers.map((vs) => vs.family ?? 'inet'), ['inet']);
    assert.throws(() => apply(config, '-E -f 7 -6 -s rr'), (e: unknown) => e instanceof AdmEditError && e.message === 'No such service');
  });

  it('one address, one service, however it was written', () => {
    const config = apply(empty(), '-A -t [2001:db8::100]:80');
    assert.throws(() => apply(config, '-A -t [2001:0DB8:0:0:0:0:0:100]:80'), (e: unknown) => e instanceof AdmEditError && e.message === 'Service already exists');
    assert.equal(apply(config, '-D -t [2001:db8:0::100]:80').virtualServers.length, 0);
  });

  it('the service table takes an edited IPv6 VIP:port service and refuses an IPv6 mark service with its reason', () => {
    const config = apply(empty(), '-A -t [2001:db8::100]:80 -s rr', '-a -t [2001:db8::100]:80 -r [2001:db8::11]:80');
    assert.equal(ServiceTable.build(config, new FakeClock()).services6.length, 1);
    const marked = apply(empty(), '-A -f 7 -6 -s rr', '-a -f 7 -6 -r [2001:db8::31]:0');
    assert.throws(() => ServiceTable.build(marked, new FakeClock()), /IPv6 firewall-mark services are not served yet/);
  });
});

describe('adm IPv6: edits over the control socket', () => {
  it('round-trips IPv6 edits through JSON', () => {
    const edits = parseRestore(`-A -t [2001:db8::100]:80 -s rr -p 300 -M 64
-a -t [2001:db8::100]:80 -r [2001:db8::11]:80 -g -w 2
-e -t [2001:db8::100]:80 -r [2001:db8::11]:80 -w 0
-d -t [2001:db8::100]:80 -r [2001:db8::11]:80
-A -f 7 -6 -s wlc
-a -f 7 -6 -r [2001:db8::31]:0
-Z -t [2001:db8::100]:80
-D -u [2001:db8::101]:53
`, NO_NAMES) as AdmEdit[];
    assert.deepEqual(decodeEdits(JSON.parse(JSON.stringify({ edits })) as Record<string, unknown>), edits);
  });

  it('an IPv6 edit it cannot serve (a NAT real server without an IPv6 route) reaches the running director, which refuses it whole and keeps forwarding', async () => {
    await withReloadLab(conf({ rs: [RS[0]!] }), async (lab) => {
      const wire = JSON.parse(JSON.stringify({ edits: parseRestore(`-A -t [2001:db8::100]:80 -s rr
-a -t [2001:db8::100]:80 -r [2001:db8::11]:80 -m
`, NO_NAMES) })) as Record<string, unknown>;
      const edits = decodeEdits(wire);
      const state = lab.state();
      const result = await lab.reloadWith((current) => planEdits(current, edits).config);
      assert.equal(result.ok, false);
      assert.match(result.error ?? '', /no IPv6 route to real server 2001:db8::11/);
      assert.deepEqual(lab.state(), state);
      assert.deepEqual(servers(await sendFrames(lab, segment(40000, TCP_FLAGS.SYN))), ['rs1']);
    });
  });

  it('refuses IPv6 edits adm could never send', () => {
    const add = parse('-a -t [2001:db8::100]:80 -r [2001:db8::11]:80') as Extract<AdmEdit, { kind: 'add-server' | 'edit-server' }>;
    const svc = parse('-A -t [2001:db8::100]:80 -p') as Extract<AdmEdit, { kind: 'add-service' | 'edit-service' }>;
    const bad: Array<[unknown, RegExp]> = [
      [{ ...add, service: { ...add.service, address: '2001:DB8::100' } }, /service\.address: must be an IPv4 dotted quad or an IPv6 address in RFC 5952 form/],
      [{ ...add, service: { ...add.service, address: '[2001:db8::100]' } }, /service\.address/],
      [{ ...add, service: { protocol: 'tcp', address: '2001:db8::100', port: 80 } }, /service\.family: an IPv6 address needs family inet6/],
      [{ ...add, service: { protocol: 'tcp', address: '198.19.0.100', port: 80, family: 'inet6' } }, /service\.family: inet6 goes with an IPv6 address or a mark service/],
      [{ ...add, service: { ...add.service, family: 'inet' } }, /service\.family: must be one of inet6/],
      [{ ...add, server: { address: '198.19.0.11', port: 80 } }, /server\.address: Different address family/],
      [{ ...svc, settings: { ...svc.settings, netmask: '255.255.255.0' } }, /settings\.netmask: persistence prefix length "255.255.255.0" is not a whole number in 1\.\.128/],
      [{ ...svc, settings: { ...svc.settings, netmask: '0' } }, /settings\.netmask/],
      [{ ...svc, settings: { ...svc.settings, netmask: 64 } }, /settings\.netmask: must be a prefix length 1\.\.128/],
    ];
    for (const [value, message] of bad) assert.throws(() => decodeEdits({ edits: [value] }), message, JSON.stringify(value));
  });
});
