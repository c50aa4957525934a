// keepalived.conf errors and warnings: every bad value is a ConfigError with an exact message
// naming file, line, keyword and what is allowed; ignored keywords are warnings.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/model.js';

/** Wraps real-server lines in a valid TCP virtual server starting on line 1. */
function vs(body: string, head = 'virtual_server 198.19.0.100 80'): string {
  return `${head} {\n protocol TCP\n${body}\n}`;
}
const RS = ' real_server 198.19.0.11 80';

describe('keepalived.conf: errors', () => {
  const table: Array<[string, string, string]> = [
    ['lb_kind not one of the four', vs(` lb_kind XX\n${RS}`), "f.conf:3: lb_kind: 'XX' is not one of DR, NAT, TUN, FNAT"],
    ['real server method', vs(' real_server 198.19.0.11 80 {\n  lvs_method GRE\n }'), "f.conf:4: lvs_method: 'GRE' is not one of DR, NAT, TUN, FNAT"],
    ['unknown scheduler', vs(` lb_algo fastest\n${RS}`), "f.conf:3: lb_algo: 'fastest' is not one of rr, wrr, lc, wlc, sed, nq, lblc, lblcr, dh, sh, mh, fo, ovf, twos"],
    ['protocol SCTP', 'virtual_server 198.19.0.100 80 {\n protocol SCTP\n}', "f.conf:2: protocol: 'SCTP' is not one of TCP, UDP (SCTP is not supported)"],
    ['bad VIP', vs(RS, 'virtual_server 198.19.0.300 80'), "f.conf:1: virtual_server: '198.19.0.300' is not an IPv4 or IPv6 address"],
    ['IPv6 VIP with an IPv4 real server', vs(RS, 'virtual_server 2001:db8::1 80'), "f.conf:3: real_server: 198.19.0.11 is IPv4 in an IPv6 virtual_server: only TUN reaches it (6in4); NAT64 (DPVS's) is not supported"],
    ['port too big', vs(RS, 'virtual_server 198.19.0.100 65536'), "f.conf:1: virtual_server: port '65536' is not in 0..65535"],
    ['port not a number', vs(' real_server 198.19.0.11 http'), "f.conf:3: real_server: port 'http' is not in 0..65535"],
    ['weight too big', vs(' real_server 198.19.0.11 80 {\n  weight 65536\n }'), "f.conf:4: weight: '65536' is not a whole number in 0..65535"],
    ['negative weight', vs(' real_server 198.19.0.11 80 {\n  weight -1\n }'), "f.conf:4: weight: '-1' is not a whole number in 0..65535"],
    ['weight missing', vs(' real_server 198.19.0.11 80 {\n  weight\n }'), 'f.conf:4: weight: expects 1 value (weight WEIGHT), got 0'],
    ['delay_loop zero', vs(` delay_loop 0\n${RS}`), "f.conf:3: delay_loop: '0' is not a number of seconds in (0, 86400]"],
    ['persistence too long', vs(` persistence_timeout 9999999\n${RS}`), "f.conf:3: persistence_timeout: '9999999' is not a whole number in 1..2678400"],
    ['granularity not a mask', vs(` persistence_granularity 24\n${RS}`), "f.conf:3: persistence_granularity: an IPv4 virtual_server takes a netmask (such as 255.255.255.0), not '24'"],
    ['lthreshold above uthreshold', vs(' real_server 198.19.0.11 80 {\n  uthreshold 10\n  lthreshold 20\n }'), 'f.conf:3: real_server: lthreshold 20 is above uthreshold 10'],
    ['duplicate real server', vs(`${RS}\n real_server 198.19.0.11 80`), 'f.conf:4: real_server: 198.19.0.11 80 is already a real server of this virtual_server (line 3)'],
    ['duplicate virtual server', `${vs(RS)}\n${vs(RS)}`, 'f.conf:5: virtual_server: 198.19.0.100 80 TCP is already defined at f.conf:1'],
    ['sh flag with another scheduler', vs(` lb_algo rr\n sh-port\n${RS}`), 'f.conf:4: sh-port: applies only to lb_algo sh (this virtual_server uses rr)'],
    ['FNAT without a group', vs(` lb_kind FNAT\n${RS}`), 'f.conf:1: laddr_group_name: virtual_server 198.19.0.100 80 uses FNAT and needs laddr_group_name naming a local_address_group'],
    ['FNAT with an unknown group', `local_address_group g1 { 198.19.1.1 }\n${vs(` lb_kind FNAT\n laddr_group_name g2\n${RS}`)}`, "f.conf:5: laddr_group_name: no local_address_group 'g2' (defined: g1)"],
    ['FNAT on one real server only still needs the group', vs(' real_server 198.19.0.11 80 { lvs_method FNAT }'), 'f.conf:1: laddr_group_name: virtual_server 198.19.0.100 80 uses FNAT and needs laddr_group_name naming a local_address_group'],
    ['syn_proxy with DR real servers', vs(` lb_kind DR\n syn_proxy\n${RS}`), 'f.conf:4: syn_proxy: syn_proxy needs NAT or FNAT real servers: 198.19.0.11:80 is DR, whose replies bypass the director'],
    ['syn_proxy with one TUN real server', vs(` lb_kind NAT\n syn_proxy\n${RS}\n real_server 198.19.0.12 80 { lvs_method TUN }`), 'f.conf:4: syn_proxy: syn_proxy needs NAT or FNAT real servers: 198.19.0.12:80 is TUN, whose replies bypass the director'],
    ['syn_proxy with a DR sorry server', vs(` lb_kind NAT\n syn_proxy\n sorry_server 198.19.0.50 80\n sorry_server_lvs_method DR\n${RS}`), 'f.conf:4: syn_proxy: syn_proxy needs a NAT or FNAT sorry_server: 198.19.0.50:80 is DR, whose replies bypass the director'],
    ['syn_proxy on UDP', 'virtual_server 198.19.0.100 53 {\n protocol UDP\n lb_kind NAT\n syn_proxy\n}', 'f.conf:4: syn_proxy: syn_proxy needs protocol TCP (this virtual_server is UDP)'],
    ['syn_proxy with a value', vs(` lb_kind NAT\n syn_proxy maybe\n${RS}`), "f.conf:4: syn_proxy: 'maybe' is not true or false"],
    ['empty local address group', 'local_address_group g1 {\n}', "f.conf:1: local_address_group: group 'g1' has no addresses"],
    ['local address twice', 'local_address_group g1 {\n 198.19.1.1\n 198.19.1.1\n}', "f.conf:3: 198.19.1.1: address 198.19.1.1 is listed twice in group 'g1'"],
    ['local address group twice', 'local_address_group g1 { 198.19.1.1 }\nlocal_address_group g1 { 198.19.1.2 }', "f.conf:2: local_address_group: group 'g1' is already defined at f.conf:1"],
    ['local address that is a VIP', `local_address_group g1 { 198.19.0.100 }\n${vs(RS)}`, "f.conf:1: local_address_group: 198.19.0.100 in group 'g1' is also a virtual server address"],
    ['bad range', 'local_address_group g1 {\n 198.19.1.20-10\n}', "f.conf:2: 198.19.1.20-10: range '198.19.1.20-10' must end at an octet in 20..255"],
    ['ip_family inet6 on an IPv4 VIP', vs(` ip_family inet6\n${RS}`), 'f.conf:3: ip_family: inet6 does not match the virtual_server address 198.19.0.100'],
    ['ip_family neither', vs(` ip_family ipx\n${RS}`), "f.conf:3: ip_family: 'ipx' is not an address family (inet or inet6)"],
    ['virtual_server without a block', 'virtual_server 198.19.0.100 80', "f.conf:1: virtual_server: expects a block '{ ... }' after the address and port"],
    ['virtual_server with too many values', vs(RS, 'virtual_server 198.19.0.100 80 tcp'), 'f.conf:1: virtual_server: expects 1 to 2 values (virtual_server IP PORT), got 3'],
    ['unclosed block', 'virtual_server 198.19.0.100 80 {\n protocol TCP\n', "f.conf:1: virtual_server: block opened here is never closed ('}' missing)"],
    ['stray close brace', 'global_defs {\n}\n}', "f.conf:3: }: unexpected '}' with no open block"],
    ['unterminated quote', 'global_defs {\n router_id "abc\n}', 'f.conf:2: syntax: unterminated quote: "abc'],
  ];
  for (const [title, conf, message] of table) {
    it(title, () => {
      assert.throws(() => parseKeepalivedConfig(conf, 'f.conf'), (e: unknown) => {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
        assert.equal(e.message, message);
        return true;
      });
    });
  }
});

describe('keepalived.conf: warnings', () => {
  function warnings(conf: string): string[] {
    return parseKeepalivedConfig(conf, 'f.conf').warnings.map((w) => w.message);
  }

  it('names file, line and keyword of unknown keywords at every level', () => {
    assert.deepEqual(warnings(`frobnicate 1
virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind DR
 zap
 real_server 198.19.0.11 80 {
  wobble 3
 }
}`), [
      'f.conf:1: unknown keyword frobnicate, ignored',
      'f.conf:6: unknown keyword zap, ignored',
      'f.conf:8: unknown keyword wobble, ignored',
    ]);
  });

  it('says which keepalived keywords are known but not supported yet', () => {
    const list = warnings(`static_ipaddress { 198.19.0.5/24 dev eth0 }
virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind NAT
 persistence_engine sip
 real_server 198.19.0.11 80 { SSL_GET { url { path / } } }
}`);
    assert.deepEqual(list, [
      'f.conf:1: keyword static_ipaddress not supported yet, ignored',
      'f.conf:6: keyword persistence_engine not supported yet, ignored',
    ]);
  });

  it('reports keepalived defaults it applies (scheduler, method, protocol)', () => {
    assert.deepEqual(warnings('virtual_server 198.19.0.100 80 {\n real_server 198.19.0.11 80\n}'), [
      'f.conf:1: no lb_algo set, using wlc (the IPVS and keepalived default)',
      'f.conf:1: no lb_kind set, using NAT (the keepalived default)',
      'f.conf:1: no protocol set, using UDP (as keepalived does); add "protocol TCP" for TCP services',
    ]);
  });

  it('port 0 without persistence becomes persistent, as keepalived does', () => {
    const c = parseKeepalivedConfig(vs(' lb_algo rr\n lb_kind DR\n real_server 198.19.0.11', 'virtual_server 198.19.0.100 0'), 'f.conf');
    assert.equal(c.virtualServers[0]!.persistenceTimeout, 360);
    assert.deepEqual(c.warnings.map((w) => w.message), [
      'f.conf:1: port 0 (all ports) is only valid for persistent services, persistence_timeout set to 360 (as keepalived does)',
    ]);
  });

  it('persistence_timeout 0 is a warning and leaves persistence off, as keepalived goes on', () => {
    const c = parseKeepalivedConfig(vs(` lb_algo rr\n lb_kind DR\n persistence_timeout 0\n${RS}`), 'f.conf');
    assert.equal(c.virtualServers[0]!.persistenceTimeout, 0);
    assert.deepEqual(c.warnings.map((w) => w.message), ['f.conf:5: 0 is not a timeout (1..2678400), persistence off (as keepalived goes on)']);
  });

  it('warnings are in line order whichever part of the loader found them', () => {
    // Found in this order: global_defs first, then the rest top-down, then the validator (protocol).
    const c = parseKeepalivedConfig(`zap 1\nvirtual_server 198.19.0.100 80 {\n lb_algo rr\n lb_kind DR\n real_server 198.19.0.11 80 {\n  wobble\n }\n}\nglobal_defs {\n wibble\n}\n`, 'f.conf');
    assert.deepEqual(c.warnings.map((w) => `${w.line} ${w.keyword}`), ['1 zap', '2 virtual_server', '6 wobble', '10 wibble']);
  });

  it('drops a virtual server with no real server, as keepalived does', () => {
    const c = parseKeepalivedConfig(vs(' lb_algo rr\n lb_kind DR'), 'f.conf');
    assert.equal(c.virtualServers.length, 0);
    assert.deepEqual(c.warnings.map((w) => w.message), ['f.conf:1: virtual_server 198.19.0.100 80 has no real_server, ignored (as keepalived does)']);
  });

  it('DR/TUN real server ports follow the virtual port', () => {
    const c = parseKeepalivedConfig(vs(' lb_algo rr\n lb_kind DR\n real_server 198.19.0.11 8080'), 'f.conf');
    assert.equal(c.virtualServers[0]!.realServers[0]!.port, 80);
    assert.deepEqual(c.warnings.map((w) => w.message), ['f.conf:5: port 8080 ignored: DR keeps the virtual port 80']);
  });

  it('laddr_group_name without FNAT is ignored with a warning', () => {
    const c = parseKeepalivedConfig(`local_address_group g { 198.19.1.1 }\n${vs(` lb_algo rr\n lb_kind NAT\n laddr_group_name g\n${RS}`)}`, 'f.conf');
    assert.deepEqual(c.warnings.map((w) => w.message), ['f.conf:6: laddr_group_name ignored: no real server of this virtual_server uses FNAT']);
  });

  it('every warning carries file, line and keyword fields', () => {
    const w = parseKeepalivedConfig('zap 1', 'f.conf').warnings[0]!;
    assert.deepEqual({ file: w.file, line: w.line, keyword: w.keyword }, { file: 'f.conf', line: 1, keyword: 'zap' });
  });
});
