// adm edits as transformations of a director's configuration (what -A/-E/-D, -a/-e/-d, -C, -P/-Q
// do, refused in libipvs's words), and their trip over the wire: every edit `adm` parses comes
// out of the socket's decoder as it went in.
import assert from 'node:assert/strict';
import { AdmEditError, planEdits, type AdmEdit } from '../../src/adm/edit-config.js';
import { NO_NAMES } from '../../src/adm/names.js';
import { parseAdm } from '../../src/adm/parse.js';
import { parseRestore } from '../../src/adm/restore.js';
import { defaultGlobalDefs, type DirectorConfig } from '../../src/config/model.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { decodeEdits } from '../../src/control/wire-edits.js';

function empty(): DirectorConfig {
  return { virtualServers: [], localAddressGroups: {}, globalDefs: defaultGlobalDefs(), vrrp: { instances: [], scripts: [], syncGroups: [] }, warnings: [] };
}

const edit = (line: string): AdmEdit => parseAdm(line.split(' '), NO_NAMES) as AdmEdit;

function apply(config: DirectorConfig, ...lines: string[]): DirectorConfig {
  return planEdits(config, lines.map(edit)).config;
}

function refusal(config: DirectorConfig, ...lines: string[]): string {
  try {
    planEdits(config, lines.map(edit));
  } catch (err) {
    assert.ok(err instanceof AdmEditError, String(err));
    return err.message;
  }
  assert.fail(`${lines.join('; ')} was accepted`);
}

describe('adm edits: a complete DR service built on an empty configuration', () => {
  it('-A then -a three servers gives the virtual server keepalived.conf would', () => {
    const config = apply(empty(), '-A -t 198.19.0.100:80 -s wrr', '-a -t 198.19.0.100:80 -r 198.19.0.11 -g -w 2',
      '-a -t 198.19.0.100:80 -r 198.19.0.12:80 -w 1', '-a -t 198.19.0.100:80 -r 198.19.0.13 -x 100 -y 50');
    const [vs] = config.virtualServers;
    assert.ok(vs);
    assert.deepEqual({ vip: vs.vip, port: vs.port, protocol: vs.protocol, scheduler: vs.scheduler, persistence: vs.persistenceTimeout, mask: vs.persistenceGranularity },
      { vip: '198.19.0.100', port: 80, protocol: 'tcp', scheduler: 'wrr', persistence: 0, mask: '255.255.255.255' });
    assert.deepEqual(vs.realServers.map((rs) => [rs.address, rs.port, rs.method, rs.weight, rs.upperThreshold, rs.lowerThreshold]),
      [['198.19.0.11', 80, 'dr', 2, 0, 0], ['198.19.0.12', 80, 'dr', 1, 0, 0], ['198.19.0.13', 80, 'dr', 1, 100, 50]]);
  });

  it('never changes the configuration it is given, and gives it back untouched when only -Z is asked', () => {
    const before = apply(empty(), '-A -t 198.19.0.100:80 -s rr', '-a -t 198.19.0.100:80 -r 198.19.0.11');
    const frozen = structuredClone(before);
    apply(before, '-e -t 198.19.0.100:80 -r 198.19.0.11 -w 0', '-D -t 198.19.0.100:80');
    assert.deepEqual(before, frozen);
    const plan = planEdits(before, [edit('-Z -t 198.19.0.100:80'), edit('-Z')]);
    assert.equal(plan.config, before);
    assert.deepEqual(plan.zeros, [{ protocol: 'tcp', address: '198.19.0.100', port: 80 }, null]);
  });

  it('--set is the lvs_timeouts of the config: a 0 keeps what the config (or the kernel default) has', () => {
    const before = apply(empty(), '-A -t 198.19.0.100:80 -s rr');
    const set = planEdits(before, [edit('--set 60 0 20')]).config;
    assert.deepEqual(set.globalDefs.lvsTimeouts, { tcp: 60, tcpFin: 0, udp: 20 });
    assert.equal(before.globalDefs.lvsTimeouts, null);
    assert.deepEqual(planEdits(set, [edit('--set 0 30 0')]).config.globalDefs.lvsTimeouts, { tcp: 60, tcpFin: 30, udp: 20 });
  });
});

describe('adm edits: ipvsadm semantics', () => {
  const base = parseKeepalivedConfig(`local_address_group lip1 { 198.19.1.1-2 }
virtual_server 198.19.0.100 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  delay_loop 3
  real_server 198.19.0.11 8080 { weight 3
    TCP_CHECK { connect_timeout 2 } }
}
`);

  it('-E replaces every service setting, keeping the real servers and what ipvsadm has no word for', () => {
    const vs = apply(base, '-E -t 198.19.0.100:80 -s sh -b sh-port -p 600 -M 255.255.255.0').virtualServers[0]!;
    assert.deepEqual([vs.scheduler, vs.schedFlags, vs.persistenceTimeout, vs.persistenceGranularity, vs.delayLoop, vs.realServers.length],
      ['sh', ['sh-port'], 600, '255.255.255.0', 3, 1]);
    const again = apply(base, '-E -t 198.19.0.100:80 -s sh -b sh-port -p 600', '-E -t 198.19.0.100:80').virtualServers[0]!;
    assert.deepEqual([again.scheduler, again.schedFlags, again.persistenceTimeout], ['wlc', [], 0]);
  });

  it('-e replaces every server setting, keeping its health checks; without -m a DR server is meant', () => {
    const rs = apply(base, '-e -t 198.19.0.100:80 -r 198.19.0.11:8080 -m -w 0 -x 9').virtualServers[0]!.realServers[0]!;
    assert.deepEqual([rs.method, rs.weight, rs.upperThreshold, rs.checks?.length], ['nat', 0, 9, 1]);
    const again = apply(base, '-e -t 198.19.0.100:80 -r 198.19.0.11:8080 -m -x 9', '-e -t 198.19.0.100:80 -r 198.19.0.11:8080 -m');
    assert.deepEqual([again.virtualServers[0]!.realServers[0]!.weight, again.virtualServers[0]!.realServers[0]!.upperThreshold], [1, 0]);
    // DR cannot change the port, so ipvsadm (and adm) look for 198.19.0.11:80, which is not there.
    assert.equal(refusal(base, '-e -t 198.19.0.100:80 -r 198.19.0.11:8080 -w 5'), 'No such destination');
  });

  it('refuses in libipvs\'s words, and nothing of a refused list applies', () => {
    assert.equal(refusal(base, '-A -t 198.19.0.100:80'), 'Service already exists');
    assert.equal(refusal(base, '-E -t 198.19.0.100:81'), 'No such service');
    assert.equal(refusal(base, '-D -u 198.19.0.100:80'), 'No such service');
    assert.equal(refusal(base, '-Z -t 198.19.0.100:81'), 'No such service');
    assert.equal(refusal(base, '-a -t 198.19.0.100:81 -r 198.19.0.11'), 'Service not defined');
    assert.equal(refusal(base, '-a -t 198.19.0.100:80 -r 198.19.0.11:8080 -m'), 'Destination already exists');
    assert.equal(refusal(base, '-e -t 198.19.0.100:80 -r 198.19.0.12:8080 -m'), 'No such destination');
    assert.equal(refusal(base, '-d -t 198.19.0.100:80 -r 198.19.0.12:8080'), 'No such destination');
    assert.equal(refusal(base, '-d -t 198.19.0.100:81 -r 198.19.0.12:8080'), 'Service not defined');
    assert.equal(refusal(base, '-A -t 198.19.0.101:80', '-A -t 198.19.0.101:80'), 'Service already exists');
  });

  it('-C removes every service and local address group', () => {
    const config = apply(base, '-C');
    assert.deepEqual([config.virtualServers, config.localAddressGroups], [[], {}]);
    assert.deepEqual(config.vrrp, base.vrrp);
  });

  it('FULLNAT: groups made with -P, named by services, needed by -F servers, kept while used', () => {
    const config = apply(empty(), '-P --laddr-group lip1 -z 198.19.1.1-3', '-A -t 198.19.0.102:8080 -s mh --laddr-group lip1',
      '-a -t 198.19.0.102:8080 -r 198.19.0.31:80 -F -w 3', '-Q --laddr-group lip1 -z 198.19.1.2');
    assert.deepEqual(config.localAddressGroups, { lip1: ['198.19.1.1', '198.19.1.3'] });
    assert.equal(config.virtualServers[0]!.realServers[0]!.method, 'fnat');
    assert.match(refusal(empty(), '-A -t 198.19.0.102:80 --laddr-group nope'), /No such local address group: nope/);
    assert.match(refusal(empty(), '-A -t 198.19.0.102:80', '-a -t 198.19.0.102:80 -r 198.19.0.31 -F'), /needs its service to have a local address group/);
    assert.match(refusal(config, '-E -t 198.19.0.102:8080 -s mh'), /FULLNAT real servers need the service to keep a local address group/);
    assert.match(refusal(config, '-Q --laddr-group lip1 -z 198.19.1.1', '-Q --laddr-group lip1 -z 198.19.1.3'), /would be empty but TCP 198\.19\.0\.102:8080 uses it/);
    assert.match(refusal(config, '-P --laddr-group lip2 -z 198.19.1.3'), /Local address already exists: 198\.19\.1\.3 \(group lip1\)/);
    assert.match(refusal(config, '-P --laddr-group lip2 -z 198.19.0.102'), /is a virtual service address/);
    assert.match(refusal(config, '-A -t 198.19.1.1:80'), /is a local address of group lip1/);
    assert.match(refusal(config, '-Q --laddr-group lip1 -z 198.19.1.9'), /No such local address: 198\.19\.1\.9/);
    assert.deepEqual(apply(empty(), '-P --laddr-group g -z 198.19.1.5', '-Q --laddr-group g -z 198.19.1.5').localAddressGroups, {});
  });
});

describe('adm edits over the wire: what adm sends is what the daemon decodes', () => {
  const rules = `-P --laddr-group lip1 -z 198.19.1.1-3
-A -t 198.19.0.100:80 -s rr
-a -t 198.19.0.100:80 -r 198.19.0.11:80 -g -w 2
-A -t 198.19.0.100:443 -s wlc -p 360 -M 255.255.255.0
-a -t 198.19.0.100:443 -r 198.19.0.21:8443 -m -w 5
-a -t 198.19.0.100:443 -r 198.19.0.22:443 -i -w 1 --tun-type ipip -x 1000 -y 800
-A -u 198.19.0.101:0 -s sh -b sh-fallback,sh-port -p
-A -t 198.19.0.102:8080 -s mh -b mh-port --laddr-group lip1
-a -t 198.19.0.102:8080 -r 198.19.0.31:80 --fullnat -w 3 -x 500
-e -t 198.19.0.100:80 -r 198.19.0.11:80 -w 0
-d -t 198.19.0.100:80 -r 198.19.0.11:80
-E -t 198.19.0.100:80 -s wrr -b flag-3
-D -t 198.19.0.100:80
-Q --laddr-group lip1 -z 198.19.1.3
-Z -t 198.19.0.100:443
-Z
--set 900 0 60
-C
`;
  it('round-trips every kind of edit through JSON', () => {
    const edits = parseRestore(rules, NO_NAMES) as AdmEdit[];
    assert.equal(edits.length, 18);
    assert.deepEqual(decodeEdits(JSON.parse(JSON.stringify({ edits })) as Record<string, unknown>), edits);
  });

  it('refuses what adm could never send', () => {
    const good = edit('-a -t 198.19.0.100:80 -r 198.19.0.11 -w 2') as Extract<AdmEdit, { kind: 'add-server' | 'edit-server' }>;
    const bad: Array<[unknown, RegExp]> = [
      [{ ...good, service: { ...good.service, address: '198.19.0' } }, /service\.address: must be an IPv4 dotted quad/],
      [{ ...good, service: { ...good.service, protocol: 'sctp' } }, /service\.protocol: must be one of tcp, udp/],
      [{ ...good, server: { ...good.server, port: 70000 } }, /server\.port: must be an integer 0\.\.65535/],
      [{ ...good, settings: { ...good.settings, method: 'gre' } }, /settings\.method/],
      [{ ...good, settings: { ...good.settings, weight: 1.5 } }, /settings\.weight/],
      [{ ...good, settings: { ...good.settings, upperThreshold: 5, lowerThreshold: 6 } }, /lower threshold is higher/],
      [{ kind: 'add-service', service: good.service, settings: { scheduler: 'nope', schedFlags: [], persistence: 0, netmask: '255.255.255.255', laddrGroup: null } }, /not a scheduler/],
      [{ kind: 'add-service', service: good.service, settings: { scheduler: 'rr', schedFlags: [], persistence: 0, netmask: '255.0.255.0', laddrGroup: null } }, /not contiguous/],
      [{ kind: 'add-service', service: good.service, settings: { scheduler: 'rr', schedFlags: [], persistence: 0, netmask: '255.255.255.255', laddrGroup: 'a b' } }, /illegal local address group name/],
      [{ kind: 'set-timeouts', timeouts: { tcp: -1, tcpFin: 0, udp: 0 } }, /timeouts\.tcp/],
      [{ kind: 'add-laddr', group: 'g', addresses: [] }, /addresses: must be an array of 1\.\.65536/],
      [{ kind: 'add-laddr', group: 7, addresses: ['198.19.1.1'] }, /group: must be a group name/],
      [{ kind: 'zero', service: 'all' }, /service: must be an object/],
      [null, /edits\[0\]: must be an object/],
    ];
    for (const [value, message] of bad) assert.throws(() => decodeEdits({ edits: [value] }), message, JSON.stringify(value));
  });
});
