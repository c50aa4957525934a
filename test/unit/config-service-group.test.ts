// keepalived's virtual_server_group (addresses, last-octet ranges, fwmark members), director's
// fwmark_match lists, `virtual_server fwmark N` and `ops`: what they load to, and every mistake
// a ConfigError naming file and line.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/model.js';

const GROUP = `virtual_server_group WEB {
  198.18.1.10 80
  198.18.1.20-22 443
  fwmark 7
}
fwmark_match 7 {
  tcp 198.18.2.0/30 8000-8002
  any 198.18.2.9
}
virtual_server group WEB {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  persistence_timeout 300
  real_server 198.18.0.11 {
  }
  real_server 198.18.0.12 8080 {
  }
}`;

function errorOf(text: string): string {
  try {
    parseKeepalivedConfig(text, 'f.conf');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('keepalived.conf: virtual_server_group and fwmark', () => {
  it('a group becomes one service per member, ranges expanded, all sharing the group', () => {
    const c = parseKeepalivedConfig(GROUP, 'f.conf');
    assert.deepEqual(c.warnings, []);
    const names = c.virtualServers.map((vs) => (vs.fwmark ? `fwmark ${vs.fwmark}` : `${vs.vip}:${vs.port}`));
    assert.deepEqual(names, ['198.18.1.10:80', '198.18.1.20:443', '198.18.1.21:443', '198.18.1.22:443', 'fwmark 7']);
    for (const vs of c.virtualServers) {
      assert.equal(vs.group, 'WEB');
      assert.equal(vs.persistenceTimeout, 300);
      assert.equal(vs.line, 10);
    }
    // A real server without a port takes the member's port; one with a port keeps it (NAT maps).
    assert.deepEqual(c.virtualServers[0]!.realServers.map((rs) => rs.port), [80, 8080]);
    assert.deepEqual(c.virtualServers[1]!.realServers.map((rs) => rs.port), [443, 8080]);
    // A mark member keeps the packet's port: 0.
    assert.deepEqual(c.virtualServers[4]!.realServers.map((rs) => rs.port), [0, 8080]);
    assert.deepEqual(c.fwmarkMatches, {
      7: [
        { protocol: 'tcp', address: '198.18.2.0', prefix: 30, portMin: 8000, portMax: 8002, line: 7 },
        { protocol: null, address: '198.18.2.9', prefix: 32, portMin: 0, portMax: 65535, line: 8 },
      ],
    });
  });

  it('DR and TUN members forward to the member port whatever the real server says', () => {
    const c = parseKeepalivedConfig(GROUP.replace('lb_kind NAT', 'lb_kind DR'), 'f.conf');
    assert.deepEqual(c.warnings, []);
    assert.deepEqual(c.virtualServers[1]!.realServers.map((rs) => rs.port), [443, 443]);
  });

  it('virtual_server fwmark N is a mark service (address 0.0.0.0, port 0), persistence not implied', () => {
    const c = parseKeepalivedConfig(`fwmark_match 3 {
  udp 198.18.3.1 53
}
virtual_server fwmark 3 {
  protocol UDP
  lb_algo rr
  lb_kind DR
  ops
  real_server 198.18.0.11 {
  }
}`, 'f.conf');
    assert.deepEqual(c.warnings, []);
    const vs = c.virtualServers[0]!;
    assert.equal(vs.fwmark, 3);
    assert.equal(vs.vip, '0.0.0.0');
    assert.equal(vs.port, 0);
    assert.equal(vs.persistenceTimeout, 0);
    assert.equal(vs.ops, true);
    assert.equal(vs.realServers[0]!.port, 0);
  });

  it('ops on a TCP service is said and ignored, as IPVS ignores it there', () => {
    const c = parseKeepalivedConfig('virtual_server 198.18.1.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n ops\n real_server 198.18.0.11 80\n}', 'f.conf');
    assert.equal(c.virtualServers[0]!.ops, undefined);
    assert.deepEqual(c.warnings.map((w) => w.message), ['f.conf:5: ops applies to UDP only (IPVS ignores it for TCP), ignored']);
  });

  it('a group nothing uses is a warning', () => {
    const c = parseKeepalivedConfig(`virtual_server_group SPARE {\n 198.18.1.1 80\n}\n${GROUP}`, 'f.conf');
    assert.deepEqual(c.warnings.map((w) => w.message), ["f.conf:1: virtual_server_group 'SPARE' is not used by any virtual_server"]);
  });

  const errors: Array<[string, string, string]> = [
    ['fwmark service without its fwmark_match',
      'virtual_server fwmark 9 {\n protocol TCP\n real_server 198.18.0.11 80\n}',
      "f.conf:1: virtual_server: fwmark 9 has no 'fwmark_match 9 { PROTO ADDRESS[/LEN] [PORT[-PORT]] }' block: director cannot read kernel marks, it marks packets itself (docs/configuration.md)"],
    ['group fwmark member without its fwmark_match', GROUP.replace('fwmark_match 7', 'fwmark_match 8'),
      "f.conf:4: fwmark: fwmark 7 has no 'fwmark_match 7 { PROTO ADDRESS[/LEN] [PORT[-PORT]] }' block: director cannot read kernel marks, it marks packets itself (docs/configuration.md)"],
    ['group not defined', GROUP.replace('virtual_server group WEB', 'virtual_server group API'),
      "f.conf:10: virtual_server: no virtual_server_group 'API' (defined: WEB)"],
    ['group defined twice', `${GROUP}\nvirtual_server_group WEB {\n 198.18.1.1 80\n}`,
      "f.conf:20: virtual_server_group: group 'WEB' is already defined at f.conf:1"],
    ['member twice (a range overlapping an address)', GROUP.replace('198.18.1.10 80', '198.18.1.21 443'),
      "f.conf:3: 198.18.1.20-22: 198.18.1.21 443 is already a member of group 'WEB' (line 2)"],
    ['range going down', GROUP.replace('198.18.1.20-22', '198.18.1.20-12'),
      "f.conf:3: 198.18.1.20-12: range '198.18.1.20-12' must end at an octet in 20..255"],
    ['member port out of range', GROUP.replace('198.18.1.10 80', '198.18.1.10 70000'),
      "f.conf:2: 198.18.1.10: port '70000' is not in 0..65535"],
    ['empty group', 'virtual_server_group E {\n}', "f.conf:1: virtual_server_group: group 'E' has no members"],
    ['mark 0', 'fwmark_match 0 {\n tcp 198.18.2.1\n}', "f.conf:1: fwmark_match: '0' is not a whole number in 1..4294967295"],
    ['match protocol', 'fwmark_match 1 {\n sctp 198.18.2.1\n}', "f.conf:2: sctp: 'sctp' is not a protocol (tcp, udp or any)"],
    ['match host bits', 'fwmark_match 1 {\n tcp 198.18.2.1/24\n}', 'f.conf:2: tcp: 198.18.2.1/24 has host bits set (the network is 198.18.2.0/24)'],
    ['match too wide', 'fwmark_match 1 {\n tcp 198.18.0.0/16\n}', 'f.conf:2: tcp: /16 is too wide: director owns every matched address, at most /24 (256 addresses)'],
    ['match port range backwards', 'fwmark_match 1 {\n tcp 198.18.2.1 90-80\n}', 'f.conf:2: tcp: port range 90-80 ends before it starts'],
    ['mark defined twice', 'fwmark_match 1 {\n tcp 198.18.2.1\n}\nfwmark_match 1 {\n udp 198.18.2.2\n}', 'f.conf:4: fwmark_match: fwmark 1 is already defined at f.conf:1'],
    ['same mark service twice (group member and own block)',
      `${GROUP}\nvirtual_server fwmark 7 {\n protocol TCP\n real_server 198.18.0.11 80\n}`,
      'f.conf:20: virtual_server: fwmark 7 is already defined at f.conf:10'],
    ['a group member clashing with a plain service',
      `${GROUP}\nvirtual_server 198.18.1.21 443 {\n protocol TCP\n real_server 198.18.0.11 443\n}`,
      'f.conf:20: virtual_server: 198.18.1.21 443 TCP is already defined at f.conf:10'],
  ];
  for (const [what, text, message] of errors) {
    it(`error: ${what}`, () => assert.equal(errorOf(text), message));
  }
});
