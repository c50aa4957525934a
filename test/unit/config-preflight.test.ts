// Preflight checks against a fake system reader: capabilities, interface, ip_forward, rp_filter,
// addresses the kernel would own, TAP device; each message says what to do. What cannot be read
// fails the check (an error saying what), never passes it.
import { strict as assert } from 'node:assert';
import { runPreflight, hasErrors, ownedAddresses, formatFinding } from '../../src/preflight/preflight.js';
import { effectiveCapabilities } from '../../src/preflight/checks.js';
import { localReader, netnsReader, parseIpAddrJson, ReadError, type InterfaceAddress, type SystemReader } from '../../src/preflight/reader.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';

const ALL_CAPS = 'Name:\tnode\nCapEff:\t000001ffffffffff\n';
const NO_NET_CAPS = 'CapEff:\t0000000000000000\n';

function fake(files: Record<string, string>, dirs: Record<string, string[]> = {}, addrs: InterfaceAddress[] = []): SystemReader {
  return {
    readFile: (p) => files[p] ?? null,
    listDir: (p) => dirs[p] ?? null,
    addresses: () => addrs,
  };
}

const healthy: Record<string, string> = {
  '/proc/self/status': ALL_CAPS,
  '/sys/class/net/eth0/ifindex': '2\n',
  '/proc/sys/net/ipv4/ip_forward': '0\n',
  '/proc/sys/net/ipv4/conf/all/rp_filter': '0\n',
  '/proc/sys/net/ipv4/conf/eth0/rp_filter': '2\n',
};
const config = parseKeepalivedConfig(`local_address_group g { 198.19.1.1 }
virtual_server 198.19.0.100 80 { lb_algo rr
 lb_kind FNAT
 laddr_group_name g
 protocol TCP
 real_server 198.19.0.11 80 }`);

describe('preflight (fake reader, no root needed)', () => {
  it('passes a healthy system with no findings', () => {
    assert.deepEqual(runPreflight({ config, interface: 'eth0' }, fake(healthy)), []);
  });

  it('passes a config with VRRP (instance, script, sync group) with no findings and no config warning', () => {
    const withVrrp = parseKeepalivedConfig(`vrrp_script chk { script "true" }
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 priority 100
 virtual_ipaddress { 198.19.0.100/24 }
 track_script { chk }
}
vrrp_instance VI_2 {
 interface eth0
 virtual_router_id 52
 priority 100
 virtual_ipaddress { 198.19.0.101/24 }
}
vrrp_sync_group G {
 group {
  VI_1
  VI_2
 }
}
virtual_server 198.19.0.100 80 { lb_algo rr
 lb_kind DR
 protocol TCP
 real_server 198.19.0.11 80 }`);
    assert.deepEqual(withVrrp.warnings, []);
    assert.deepEqual(runPreflight({ config: withVrrp, interface: 'eth0' }, fake(healthy)), []);
  });

  const table: Array<[string, Record<string, string>, InterfaceAddress[], string[]]> = [
    ['missing capabilities', { '/proc/self/status': NO_NET_CAPS }, [],
      ['error: missing CAP_NET_RAW and CAP_NET_ADMIN: run director as root (or give node these capabilities with setcap cap_net_raw,cap_net_admin+ep)']],
    ['only CAP_NET_RAW missing', { '/proc/self/status': 'CapEff:\t0000000000001000\n' }, [],
      ['error: missing CAP_NET_RAW: run director as root (or give node these capabilities with setcap cap_net_raw,cap_net_admin+ep)']],
    ['ip_forward on', { '/proc/sys/net/ipv4/ip_forward': '1\n' }, [],
      ['error: net.ipv4.ip_forward=1: the kernel would also forward VIP traffic; turn it off: sysctl -w net.ipv4.ip_forward=0']],
    ['rp_filter strict on all', { '/proc/sys/net/ipv4/conf/all/rp_filter': '1\n', '/proc/sys/net/ipv4/conf/eth0/rp_filter': '0\n' }, [],
      ['warning: rp_filter is strict on eth0: the kernel may drop health-check replies that arrive asymmetrically; relax it: sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2']],
    ['VIP and LIP on interfaces', {}, [{ ifname: 'eth0', address: '198.19.0.100', prefixlen: 24 }, { ifname: 'eth0', address: '198.19.0.2', prefixlen: 24 }, { ifname: 'lo', address: '198.19.1.1', prefixlen: 32 }],
      ['error: 198.19.0.100 is configured on eth0, so the kernel would answer for it instead of director; remove it: ip addr del 198.19.0.100/24 dev eth0',
        'error: 198.19.1.1 is configured on lo, so the kernel would answer for it instead of director; remove it: ip addr del 198.19.1.1/32 dev lo']],
  ];
  for (const [title, override, addrs, expected] of table) {
    it(title, () => {
      const findings = runPreflight({ config, interface: 'eth0' }, fake({ ...healthy, ...override }, {}, addrs));
      assert.deepEqual(findings.map(formatFinding), expected);
      assert.equal(hasErrors(findings), expected.some((e) => e.startsWith('error')));
    });
  }

  it('a missing interface lists the available ones (not lo)', () => {
    const reader = fake({ ...healthy }, { '/sys/class/net': ['eth0', 'lo', 'veth1'] });
    const findings = runPreflight({ config, interface: 'eth9' }, reader);
    assert.deepEqual(findings.map(formatFinding), ["error: interface 'eth9' does not exist; pass --interface with one of: eth0, veth1"]);
  });

  it('with an IPv6 service, IPv6 forwarding (all or the interface) is an error; without one it is not looked at', () => {
    const v6 = parseKeepalivedConfig(`virtual_server 2001:db8::100 80 { lb_algo rr
 lb_kind DR
 protocol TCP
 real_server 2001:db8::11 80 }`);
    const on = { ...healthy, '/proc/sys/net/ipv6/conf/all/forwarding': '0\n', '/proc/sys/net/ipv6/conf/eth0/forwarding': '1\n' };
    assert.deepEqual(runPreflight({ config: v6, interface: 'eth0' }, fake(on)).map(formatFinding),
      ['error: net.ipv6.conf.eth0.forwarding=1: the kernel would also forward IPv6 VIP traffic; turn it off: sysctl -w net.ipv6.conf.eth0.forwarding=0']);
    assert.deepEqual(runPreflight({ config, interface: 'eth0' }, fake(on)), []);
    // IPv6 off in the kernel (no such keys): nothing to forward.
    assert.deepEqual(runPreflight({ config: v6, interface: 'eth0' }, fake(healthy)), []);
  });

  it('TAP mode needs /dev/net/tun and skips the interface checks', () => {
    const reader = fake({ '/proc/self/status': ALL_CAPS, '/proc/sys/net/ipv4/ip_forward': '1\n' }, { '/dev/net': [] });
    assert.deepEqual(runPreflight({ config, tap: 'dtap0' }, reader).map((f) => f.check), ['tap']);
    const ok = fake({ '/proc/self/status': ALL_CAPS }, { '/dev/net': ['tun'] });
    assert.deepEqual(runPreflight({ config, tap: 'dtap0' }, ok), []);
  });

  it('unreadable CapEff is an error: capabilities it cannot see are not assumed', () => {
    const findings = runPreflight({ config }, fake({}));
    assert.deepEqual(findings.map((f) => [f.level, f.check]), [['error', 'capabilities']]);
  });

  it('a read that fails is an error naming what could not be read, not a pass', () => {
    const failing: SystemReader = {
      ...fake(healthy),
      addresses: () => { throw new ReadError('ip -j -4 addr show failed: Cannot open netlink socket'); },
    };
    assert.deepEqual(runPreflight({ config, interface: 'eth0' }, failing).map(formatFinding), [
      'error: could not check whether the kernel owns a VIP: ip -j -4 addr show failed: Cannot open netlink socket',
    ]);
    const garbled = fake({ ...healthy, '/proc/sys/net/ipv4/ip_forward': 'x\n' });
    assert.deepEqual(runPreflight({ config, interface: 'eth0' }, garbled).map(formatFinding), [
      'error: could not check net.ipv4.ip_forward: /proc/sys/net/ipv4/ip_forward holds "x\\n", not a number',
    ]);
  });

  it('a namespace that cannot be entered fails every check that reads it', () => {
    const findings = runPreflight({ config, interface: 'eth0' }, netnsReader(`director-no-such-ns-${process.pid}`))
      .filter((f) => f.check !== 'capabilities');
    assert.deepEqual(findings.map((f) => [f.level, f.check]), [['error', 'interface'], ['error', 'ip_forward'], ['error', 'address']]);
    for (const f of findings) assert.match(f.message, /^could not check .*: ip (netns exec|-n) director-no-such-ns-\d+ .* failed: /);
  });

  it('the local reader: missing is null, unreadable throws', () => {
    const r = localReader();
    assert.equal(r.readFile('/proc/self/no-such-file'), null);
    assert.equal(r.listDir('/no/such/dir'), null);
    assert.throws(() => r.readFile('/proc/self'), ReadError);
    assert.match(r.readFile('/proc/self/status') ?? '', /CapEff/);
  });

  it('owned addresses: VIPs plus the local addresses of FNAT services', () => {
    assert.deepEqual(ownedAddresses(config), ['198.19.0.100', '198.19.1.1']);
  });

  it('parses CapEff and ip -j addr output', () => {
    assert.equal(effectiveCapabilities(ALL_CAPS), 0x1ffffffffffn);
    assert.equal(effectiveCapabilities('nothing'), null);
    const json = '[{"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8}]},{"ifname":"eth0","addr_info":[{"family":"inet6","local":"2001:db8::1"}]}]';
    assert.deepEqual(parseIpAddrJson(json), [{ ifname: 'lo', address: '127.0.0.1', prefixlen: 8 }]);
    assert.throws(() => parseIpAddrJson('not json'), /not JSON: not json/);
  });
});
