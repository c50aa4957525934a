// keepalived.conf IPv6 virtual servers: addresses in any RFC 4291 form read into RFC 5952 text,
// ip_family, real servers of the service's family, persistence granularity as a prefix length,
// ipvsadm's [v6]:port in what `director check` prints; and the service table refusing them
// clearly while the data path serves no IPv6 service (docs/datapath.md#ipv6).
import { strict as assert } from 'node:assert';
import { summarize } from '../../src/cli/summary.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/model.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import { formatIpv6, ipv6FromWords, ipv6Words, isIPv6, parseIpv6 } from '../../src/net/addr6.js';
import { FakeClock } from '../support/memory-plane.js';

const V6 = `virtual_server 2001:DB8:0:0::100 80 {
 protocol TCP
 lb_algo sh
 lb_kind DR
 persistence_timeout 600
 persistence_granularity 64
 real_server 2001:db8::11 80
 real_server 2001:0db8::0:12 80 {
  weight 3
  TCP_CHECK { connect_timeout 3 }
 }
}`;

function load(text: string) {
  return parseKeepalivedConfig(text, 'f.conf');
}

function error(text: string): string {
  try {
    load(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  return assert.fail('no error');
}

describe('IPv6 addresses: text and record words', () => {
  it('reads every RFC 4291 form and writes RFC 5952 text', () => {
    const rows: [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'], ['::', '::'], ['::1', '::1'], ['2001:db8::', '2001:db8::'],
      ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'], ['::ffff:198.18.0.1', '::ffff:c612:1'], ['2001:db8::0:1', '2001:db8::1'],
    ];
    for (const [text, canon] of rows) assert.equal(formatIpv6(parseIpv6(text)), canon, text);
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', ':', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '2001:db8::1::2', '12345::', 'g::1', '::198.18.0.300', '198.18.0.1', '1:2:3:4:5:6:7::8']) {
      assert.equal(isIPv6(bad), false, bad);
    }
  });

  it('turns into the four record words and back', () => {
    const a = parseIpv6('2001:db8:1::10');
    const w = ipv6Words(a);
    assert.deepEqual(w, [0x20010db8, 0x00010000, 0, 0x10]);
    assert.deepEqual([...ipv6FromWords(w)], [...a]);
  });
});

describe('keepalived.conf: IPv6 virtual servers', () => {
  it('loads a DR service with IPv6 real servers, addresses in RFC 5952 text', () => {
    const c = load(V6);
    const vs = c.virtualServers[0]!;
    assert.deepEqual([vs.vip, vs.family, vs.port, vs.persistenceGranularity, vs.persistenceTimeout], ['2001:db8::100', 'inet6', 80, '64', 600]);
    assert.deepEqual(vs.realServers.map((r) => [r.address, r.weight]), [['2001:db8::11', 1], ['2001:db8::12', 3]]);
    assert.deepEqual(c.warnings.map((w) => w.message), []);
  });

  it('shows it in ipvsadm\'s [v6]:port form', () => {
    const lines = summarize(load(V6));
    assert.ok(lines.includes('TCP [2001:db8::100]:80 sh persistent 600s mask 64'), lines.join('\n'));
    assert.ok(lines.includes('  -> [2001:db8::12]:80 DR weight 3'), lines.join('\n'));
    assert.ok(lines.includes('       check TCP_CHECK [2001:db8::12]:80'), lines.join('\n'));
  });

  it('defaults the persistence granularity to /128, and a prefix alone makes the service persistent', () => {
    const plain = load(V6.replace(' persistence_timeout 600\n persistence_granularity 64\n', '')).virtualServers[0]!;
    assert.deepEqual([plain.persistenceGranularity, plain.persistenceTimeout], ['128', 0]);
    const prefixOnly = load(V6.replace(' persistence_timeout 600\n', '')).virtualServers[0]!;
    assert.deepEqual([prefixOnly.persistenceGranularity, prefixOnly.persistenceTimeout], ['64', 360]);
  });

  it('checks ip_family against the virtual_server address', () => {
    assert.equal(load(V6.replace(' protocol TCP', ' protocol TCP\n ip_family inet6')).virtualServers[0]!.family, 'inet6');
    assert.equal(error(V6.replace(' protocol TCP', ' protocol TCP\n ip_family inet')), 'f.conf:3: ip_family: inet does not match the virtual_server address 2001:db8::100');
  });

  it('refuses mixed families but TUN\'s 6in4, and the wrong kind of granularity', () => {
    assert.equal(error(V6.replace('real_server 2001:db8::11 80', 'real_server 198.19.0.11 80')),
      "f.conf:7: real_server: 198.19.0.11 is IPv4 in an IPv6 virtual_server: only TUN reaches it (6in4); NAT64 (DPVS's) is not supported");
    const sixin4 = load(V6.replace('lb_kind DR', 'lb_kind TUN').replace('real_server 2001:db8::11 80', 'real_server 198.19.0.11 80'));
    assert.deepEqual(sixin4.virtualServers[0]!.realServers.map((rs) => [rs.address, rs.method]), [['198.19.0.11', 'tun'], ['2001:db8::12', 'tun']]);
    assert.equal(error('virtual_server 198.19.0.100 80 {\n protocol TCP\n real_server 2001:db8::11 80\n}'),
      'f.conf:3: real_server: 2001:db8::11 is IPv6 in an IPv4 virtual_server');
    assert.equal(error(V6.replace('persistence_granularity 64', 'persistence_granularity 255.255.255.0')),
      "f.conf:6: persistence_granularity: an IPv6 virtual_server takes a prefix length (1..128), not '255.255.255.0'");
    assert.equal(error(V6.replace('persistence_granularity 64', 'persistence_granularity 129')),
      "f.conf:6: persistence_granularity: '129' is not a whole number in 1..128");
    assert.equal(error(V6.replace('real_server 2001:db8::11 80', 'real_server 2001:db8::zz 80')),
      "f.conf:7: real_server: '2001:db8::zz' is not an IPv4 or IPv6 address");
  });

  it('finds duplicates however the address was written', () => {
    assert.match(error(`${V6}\n${V6.replace('2001:DB8:0:0::100', '2001:db8::100')}`), /2001:db8::100 80 TCP is already defined at f.conf:1/);
  });

  it('takes IPv6 local addresses (RFC 5952 text) for an IPv6 FULLNAT service; a group of both families is refused', () => {
    const c = load(`local_address_group lips6 { 2001:DB8:2::1
 2001:db8:2:0::2 }
virtual_server 2001:db8::100 80 { protocol TCP
 lb_algo rr
 lb_kind FNAT
 laddr_group_name lips6
 real_server 2001:db8::11 8080 }`);
    assert.deepEqual(c.localAddressGroups, { lips6: ['2001:db8:2::1', '2001:db8:2::2'] });
    assert.equal(ServiceTable.build(c, new FakeClock()).localAddresses6.size, 2);
    const mixed = load(`local_address_group both { 198.19.1.1
 2001:db8:2::1 }`);
    assert.throws(() => ServiceTable.build(mixed, new FakeClock()), /local_address_group 'both' mixes IPv4 and IPv6 addresses/);
  });

  it('is served by the service table (an IPv6 VIP:port service over IPv6 real servers)', () => {
    const table = ServiceTable.build(load(V6), new FakeClock());
    assert.deepEqual(table.services6.map((s) => [s.family, s.vport, s.sched.dests.length]), [[6, 80, 2]]);
  });
});
