// keepalived.conf VRRP blocks (vrrp_instance, vrrp_script, vrrp_sync_group) and the global_defs
// keywords director acts on: values and keepalived's defaults, exact file:line errors, and the
// corrections keepalived makes with a warning.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { ConfigError, defaultFloodConfig, defaultLimits } from '../../src/config/model.js';

const FULL = `global_defs {
  vrrp_version 2
  script_user keepalived_script users
  enable_script_security
  lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82
  vrrp_garp_master_delay 10
}
vrrp_script chk_http {
  script "/usr/local/bin/check_http 198.19.0.100"
  interval 2
  weight -30
  rise 2
  fall 3
  timeout 1.5
  user nobody nogroup
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  nopreempt
  authentication {
    auth_type PASS
    auth_pass s3cret
  }
  virtual_ipaddress {
    198.19.0.100/24 dev eth0 label eth0:vip
    198.19.0.101
  }
  unicast_src_ip 198.19.0.2
  unicast_peer {
    198.19.0.3
  }
  track_interface {
    eth0
    eth1 weight -20
  }
  track_script {
    chk_http
  }
  notify_master "/etc/keepalived/master.sh VI_1" root
  notify_backup /etc/keepalived/backup.sh
  notify "/etc/keepalived/any.sh"
  garp_master_repeat 3
  garp_master_refresh 60
  garp_lower_prio_repeat 2
}
vrrp_instance VI_2 {
  version 3
  interface eth0
  virtual_router_id 52
  advert_int 0.25
  virtual_ipaddress {
    198.19.0.102
  }
}
`;
const GROUP = `vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify_fault "/etc/keepalived/group-fault.sh"
}
`;

/** Warnings other than the one saying connection sync is not run yet (tested on its own below). */
function messages(c: { warnings: Array<{ message: string }> }): string[] {
  return c.warnings.map((w) => w.message).filter((m) => !/does not run yet/.test(m));
}

describe('keepalived.conf: VRRP', () => {
  const c = parseKeepalivedConfig(FULL, 'k.conf');

  it('loads every VRRP keyword (and lvs_sync_daemon, which runs) without a warning', () => {
    assert.deepEqual(c.warnings.map((w) => w.message), []);
  });

  it('global_defs: version, script user, security, lvs_sync_daemon, garp defaults', () => {
    assert.deepEqual(c.globalDefs, {
      routerId: null,
      lvsTimeouts: null,
      vrrpVersion: 2,
      scriptUser: { user: 'keepalived_script', group: 'users' },
      enableScriptSecurity: true,
      lvsSyncDaemon: { interface: 'eth1', instance: 'VI_1', syncId: 7, maxLen: 1400, port: 8849, ttl: 2, group: '224.0.0.82', line: 5 },
      garp: { masterDelay: 10, masterRepeat: 5, masterRefresh: 0, masterRefreshRepeat: 1, lowerPrioDelay: 10, lowerPrioRepeat: 5 },
      vrrpLowerPrioNoAdvert: false,
      vrrpHigherPrioSendAdvert: false,
      limits: defaultLimits(),
      expireNodestConn: false,
      connTableSize: null,
      flood: defaultFloodConfig(),
    });
  });

  it('vrrp_script: values, and the user', () => {
    assert.deepEqual(c.vrrp.scripts, [{
      name: 'chk_http', script: { command: '/usr/local/bin/check_http 198.19.0.100', user: 'nobody', group: 'nogroup' },
      interval: 2, timeout: 1.5, weight: -30, reverse: false, rise: 2, fall: 3, line: 8,
    }]);
  });

  it('vrrp_instance: every keyword', () => {
    const i = c.vrrp.instances[0]!;
    assert.deepEqual({ ...i, trackInterfaces: [], trackScripts: [], virtualAddresses: [] }, {
      name: 'VI_1', state: 'BACKUP', interface: 'eth0', vrid: 51, priority: 150, version: 2, family: 4, advertInt: 1,
      preempt: false, preemptDelay: 0, preemptSyncWait: 5, virtualAddresses: [], authPass: 's3cret', unicastSrcIp: '198.19.0.2',
      unicastPeers: ['198.19.0.3'], trackInterfaces: [], trackScripts: [], dontTrackPrimary: false,
      notify: {
        master: { command: '/etc/keepalived/master.sh VI_1', user: 'root', group: null },
        backup: { command: '/etc/keepalived/backup.sh', user: null, group: null },
        fault: null, stop: null, any: { command: '/etc/keepalived/any.sh', user: null, group: null },
      },
      garp: { masterDelay: 10, masterRepeat: 3, masterRefresh: 60, masterRefreshRepeat: 1, lowerPrioDelay: 10, lowerPrioRepeat: 2 },
      line: 17,
    });
    assert.deepEqual(i.virtualAddresses, [
      { address: '198.19.0.100', prefix: 24, dev: 'eth0', label: 'eth0:vip', line: 29 },
      { address: '198.19.0.101', prefix: 32, dev: null, label: null, line: 30 },
    ]);
  });

  it('trackers: the script weight is the script\'s unless the instance says one', () => {
    const i = c.vrrp.instances[0]!;
    assert.deepEqual(i.trackInterfaces.map((t) => [t.name, t.weight, t.reverse, t.line]), [['eth0', 0, false, 37], ['eth1', -20, false, 38]]);
    assert.deepEqual(i.trackScripts.map((t) => [t.name, t.weight, t.reverse, t.line]), [['chk_http', -30, false, 41]]);
  });

  it('v3 instance: version per instance, 0.01 s steps', () => {
    const i = c.vrrp.instances[1]!;
    assert.deepEqual([i.version, i.advertInt, i.state, i.priority], [3, 0.25, 'BACKUP', 100]);
  });

  it('sync group: members and notify; members keep unweighted trackers only (as keepalived)', () => {
    const g = parseKeepalivedConfig(FULL + GROUP, 'k.conf');
    assert.deepEqual(g.vrrp.syncGroups, [{
      name: 'G1', instances: ['VI_1', 'VI_2'], line: 59,
      notify: { master: null, backup: null, fault: { command: '/etc/keepalived/group-fault.sh', user: null, group: null }, stop: null, any: null },
    }]);
    const i = g.vrrp.instances[0]!;
    assert.deepEqual(i.trackInterfaces.map((t) => [t.name, t.weight]), [['eth0', 0], ['eth1', 0]]);
    assert.deepEqual(i.trackScripts, []);
    assert.deepEqual(messages(g), [
      'k.conf:38: weight of tracked interface eth1 ignored: VI_1 is in a vrrp_sync_group (as keepalived does)',
      'k.conf:41: weighted track_script chk_http ignored: VI_1 is in a vrrp_sync_group (as keepalived does)',
    ]);
  });
});

describe('keepalived.conf: VRRP defaults and corrections', () => {
  const inst = (body: string, head = ''): string => `${head}vrrp_instance V {\n interface eth0\n virtual_router_id 9\n${body}\n virtual_ipaddress { 198.19.0.100 }\n}`;
  const load = (text: string) => parseKeepalivedConfig(text, 'f.conf');

  it('state MASTER without priority is the owner (255); priority 255 without state is MASTER', () => {
    assert.deepEqual([load(inst(' state MASTER')).vrrp.instances[0]!.priority, load(inst(' priority 255')).vrrp.instances[0]!.state], [255, 'MASTER']);
    const d = load(inst('')).vrrp.instances[0]!;
    assert.deepEqual([d.state, d.priority, d.version, d.advertInt, d.preempt, d.authPass, d.garp.masterRepeat], ['BACKUP', 100, 2, 1, true, null, 5]);
  });

  it('global_defs expire_nodest_conn (a director extension): bare or true is on, false off, anything else an error', () => {
    const g = (v: string) => load(`global_defs {\n expire_nodest_conn${v}\n}\n`).globalDefs.expireNodestConn;
    assert.deepEqual([g(''), g(' true'), g(' false'), load('').globalDefs.expireNodestConn], [true, true, false, false]);
    assert.throws(() => g(' maybe'), /f\.conf:2: expire_nodest_conn: /);
  });

  it('global vrrp_version 3 applies to instances without their own', () => {
    assert.equal(load(inst('', 'global_defs {\n vrrp_version 3\n}\n')).vrrp.instances[0]!.version, 3);
  });

  const corrections: Array<[string, string, string]> = [
    ['v2 fractional advert_int is rounded', inst(' advert_int 1.6'), 'f.conf:4: VRRPv2 advert_int must be whole seconds: 1.6 rounded to 2 (as keepalived does); use version 3 for shorter'],
    ['v3 has no authentication', inst(' version 3\n authentication {\n  auth_type PASS\n  auth_pass x\n }'), 'f.conf:7: VRRPv3 has no authentication: ignored (as keepalived does)'],
    ['password longer than 8', inst(' authentication {\n  auth_type PASS\n  auth_pass 123456789\n }'), 'f.conf:6: password longer than 8 characters, truncated (as keepalived does)'],
    ['nopreempt with state MASTER', inst(' state MASTER\n priority 100\n nopreempt'), 'f.conf:6: nopreempt ignored: it needs state BACKUP and a priority below 255 (as keepalived does)'],
    ['preempt_delay with nopreempt', inst(' nopreempt\n preempt_delay 5'), 'f.conf:5: preempt_delay ignored with nopreempt (as keepalived does)'],
    ['owner tracker weights', inst(' priority 255\n track_interface {\n  eth1 weight 10\n }'), 'f.conf:6: weight of tracked interface eth1 ignored: V is the address owner (priority 255) (as keepalived does)'],
    ['no virtual address', 'vrrp_instance V {\n interface eth0\n virtual_router_id 9\n}', 'f.conf:1: vrrp_instance V has no virtual_ipaddress'],
    ['deprecated bare sync id', `global_defs {\n lvs_sync_daemon eth0 V 5\n}\n${inst('')}`, 'f.conf:2: a bare sync id is deprecated: write "id N" (as keepalived says)'],
    ['unsupported instance keyword', inst(' use_vmac'), 'f.conf:4: keyword use_vmac not supported yet, ignored'],
  ];
  for (const [title, text, message] of corrections) {
    it(title, () => assert.deepEqual(messages(load(text)), [message]));
  }

  it('lvs_sync_daemon: the sync id defaults to the instance VRID; port and group to IPVS defaults', () => {
    const sd = load(`global_defs {\n lvs_sync_daemon eth0 inst V\n}\n${inst('')}`).globalDefs.lvsSyncDaemon;
    assert.deepEqual(sd, { interface: 'eth0', instance: 'V', syncId: 9, maxLen: null, port: 8848, ttl: 1, group: '224.0.0.81', line: 2 });
  });
});

describe('keepalived.conf: VRRP errors', () => {
  const inst = (body: string, name = 'V'): string => `vrrp_instance ${name} {\n interface eth0\n virtual_router_id 9\n${body}\n}`;
  const table: Array<[string, string, string]> = [
    ['no interface', 'vrrp_instance V {\n virtual_router_id 9\n}', 'f.conf:1: vrrp_instance: needs interface (the interface the instance advertises on)'],
    ['no VRID', 'vrrp_instance V {\n interface eth0\n}', 'f.conf:1: vrrp_instance: needs virtual_router_id (1..255)'],
    ['VRID 0', 'vrrp_instance V {\n interface eth0\n virtual_router_id 0\n}', "f.conf:3: virtual_router_id: '0' is not a whole number in 1..255"],
    ['priority 256', inst(' priority 256'), "f.conf:4: priority: '256' is not a whole number in 1..255"],
    ['state SLAVE', inst(' state SLAVE'), "f.conf:4: state: 'SLAVE' is not MASTER or BACKUP"],
    ['IPv6 prefix 129', inst(' virtual_ipaddress {\n  2001:db8::1/129\n }'), "f.conf:5: 2001:db8::1/129: '129' is not a whole number in 0..128"],
    ['IPv6 instance without a VIP', inst(' native_ipv6'), 'f.conf:1: vrrp_instance: (V) No VIP specified; at least one is required (VRRPv3, as keepalived)'],
    ['unicast_src_ip of the other family', inst(' unicast_src_ip 198.19.0.2\n virtual_ipaddress {\n  2001:db8::1\n }'), 'f.conf:4: unicast_src_ip: 198.19.0.2 is not IPv6, the family of vrrp_instance V'],
    ['prefix 33', inst(' virtual_ipaddress {\n  198.19.0.100/33\n }'), "f.conf:5: 198.19.0.100/33: '33' is not a whole number in 0..32"],
    ['AH authentication', inst(' authentication {\n  auth_type AH\n  auth_pass x\n }'), "f.conf:5: auth_type: 'AH' is not supported (only PASS: IPsec AH is not implemented)"],
    ['auth without password', inst(' authentication {\n  auth_type PASS\n }'), 'f.conf:4: authentication: needs auth_type PASS and auth_pass'],
    ['v3 interval above 40.95', inst(' version 3\n advert_int 41'), 'f.conf:5: advert_int: 41 s is above the VRRPv3 maximum of 40.95 s'],
    ['track weight 254', inst(' track_interface {\n  eth1 weight 254\n }'), "f.conf:5: eth1: '254' is not a whole number in -253..253"],
    ['unknown track_script', inst(' track_script {\n  nope\n }'), "f.conf:4: track_script: no vrrp_script 'nope' (defined: none)"],
    ['same VRID on one interface', `${inst('', 'A')}\n${inst('', 'B')}`, 'f.conf:6: vrrp_instance: virtual_router_id 9 on eth0 (IPv4) is already used by A (line 1)'],
    ['instance name twice', `${inst('')}\n${inst('')}`, "f.conf:6: vrrp_instance: vrrp_instance 'V' is already defined at f.conf:1"],
    ['sync group with an unknown instance', 'vrrp_sync_group G {\n group {\n  X\n }\n}', "f.conf:1: vrrp_sync_group: no vrrp_instance 'X' for sync group G"],
    ['vrrp_script without script', 'vrrp_script s {\n interval 2\n}', 'f.conf:1: vrrp_script: needs script (the command to run)'],
    ['notify with too many words', inst(' notify_master /bin/a b c d'), 'f.conf:4: notify_master: expects a script and at most a user and group (notify_master "/path/to/script ARGS" [USER [GROUP]])'],
    ['lvs_sync_daemon with an unknown instance', 'global_defs {\n lvs_sync_daemon eth0 inst NOPE\n}', "f.conf:2: lvs_sync_daemon: no vrrp_instance 'NOPE' (defined: none)"],
    ['lvs_sync_daemon group not multicast', 'global_defs {\n lvs_sync_daemon eth0 group 198.19.0.1\n}', 'f.conf:2: lvs_sync_daemon: group 198.19.0.1 is not a multicast address'],
    ['lvs_sync_daemon unknown option', 'global_defs {\n lvs_sync_daemon eth0 V id 1 speed 9\n}', "f.conf:2: lvs_sync_daemon: unknown option 'speed' (expected inst, id, maxlen, port, ttl or group)"],
    ['vrrp_version 4', 'global_defs {\n vrrp_version 4\n}', "f.conf:2: vrrp_version: '4' is not a whole number in 2..3"],
  ];
  it('warns and goes on where keepalived does: a VIP listed twice, a sync group without a group block', () => {
    const c = parseKeepalivedConfig(`${inst(' virtual_ipaddress {\n  198.19.0.100\n  198.19.0.100/24 label eth0:1\n }')}\nvrrp_sync_group G {\n V\n}\n`, 'f.conf');
    assert.deepEqual(c.vrrp.instances[0]?.virtualAddresses.map((a) => a.address), ['198.19.0.100']);
    assert.deepEqual(c.vrrp.syncGroups, []);
    assert.deepEqual(c.warnings.map((w) => w.message), [
      'f.conf:4: (V): VIP 198.19.0.100 duplicates a VIP - ignoring (as keepalived)',
      'f.conf:9: vrrp_sync_group G has no group { INSTANCE ... } block with an instance: ignored, as keepalived does',
      'f.conf:10: unknown keyword V, ignored',
    ]);
  });

  it("takes vrrp_instance's lvs_sync_daemon_interface (deprecated) as global lvs_sync_daemon IF INSTANCE, unless global_defs has one", () => {
    const legacy = parseKeepalivedConfig(inst(' lvs_sync_daemon_interface eth1'), 'f.conf');
    const sd = legacy.globalDefs.lvsSyncDaemon;
    assert.deepEqual([sd?.interface, sd?.instance, sd?.syncId, sd?.port, sd?.group], ['eth1', 'V', 9, 8848, '224.0.0.81']);
    assert.deepEqual(legacy.warnings.map((w) => w.message).filter((m) => !/no virtual_ipaddress/.test(m)),
      ['f.conf:4: (V) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon']);
    const both = parseKeepalivedConfig(`global_defs {\n lvs_sync_daemon eth2 V\n}\n${inst(' lvs_sync_daemon_interface eth1')}`, 'f.conf');
    assert.equal(both.globalDefs.lvsSyncDaemon?.interface, 'eth2');
    assert.match(both.warnings.at(-1)!.message, /^f\.conf:7: \(V\) lvs_sync_daemon_interface has already been specified as eth2 - ignoring$/);
  });

  for (const [title, text, message] of table) {
    it(title, () => {
      assert.throws(() => parseKeepalivedConfig(text, 'f.conf'), (e: unknown) => {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
        assert.equal(e.message, message);
        return true;
      });
    });
  }
});

describe('keepalived.conf: IPv6 vrrp_instance (VRRPv3 over IPv6)', () => {
  const inst = (body: string, name = 'V6', vrid = 9): string => `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n${body}\n}`;
  const load = (text: string): ReturnType<typeof parseKeepalivedConfig> => parseKeepalivedConfig(text, 'f.conf');

  it('the first VIP decides the family; IPv6 runs version 3 whatever vrrp_version says; addresses in RFC 5952 text', () => {
    const c = load(`global_defs {\n vrrp_version 2\n}\n${inst(' advert_int 0.5\n virtual_ipaddress {\n  FE80::0:1/64 dev eth0\n  2001:DB8:0::100\n }')}`);
    const v = c.vrrp.instances[0]!;
    assert.deepEqual([v.family, v.version, v.advertInt], [6, 3, 0.5]);
    assert.deepEqual(v.virtualAddresses.map((a) => [a.address, a.prefix, a.dev]), [['fe80::1', 64, 'eth0'], ['2001:db8::100', 128, null]]);
    assert.deepEqual(c.warnings.map((w) => w.message), []);
  });

  it('an address or unicast peer of the other family is dropped with keepalived\'s complaint', () => {
    const c = load(inst(' unicast_peer {\n  2001:db8::2\n  198.19.0.3\n }\n virtual_ipaddress {\n  2001:db8::100\n  198.19.0.100\n }'));
    const v = c.vrrp.instances[0]!;
    assert.deepEqual([v.family, v.unicastPeers, v.virtualAddresses.map((a) => a.address)], [6, ['2001:db8::2'], ['2001:db8::100']]);
    assert.deepEqual(c.warnings.map((w) => w.message), [
      'f.conf:6: VRRP instance V6 and unicast peer address 198.19.0.3 must be of the same family - skipping (as keepalived)',
      'f.conf:10: (V6): address family must match VRRP instance [198.19.0.100] - ignoring (as keepalived)',
    ]);
  });

  it('an IPv4 first VIP makes an IPv4 instance, and its IPv6 VIPs are dropped', () => {
    const c = load(inst(' virtual_ipaddress {\n  198.19.0.100\n  2001:db8::100\n }'));
    assert.deepEqual([c.vrrp.instances[0]!.family, c.vrrp.instances[0]!.virtualAddresses.length], [4, 1]);
    assert.match(c.warnings[0]!.message, /address family must match VRRP instance \[2001:db8::100\]/);
  });

  it('native_ipv6 makes the instance IPv6 before its addresses say so', () => {
    const c = load(inst(' native_ipv6\n virtual_ipaddress {\n  198.19.0.100\n  fe80::1\n }'));
    assert.deepEqual([c.vrrp.instances[0]!.family, c.vrrp.instances[0]!.virtualAddresses.map((a) => a.address)], [6, ['fe80::1']]);
  });

  it('version 2 on IPv6 is corrected to 3 with keepalived\'s strict-mode warning; a global first VIP is warned about', () => {
    const c = load(inst(' version 2\n virtual_ipaddress {\n  2001:db8::100\n }'));
    assert.equal(c.vrrp.instances[0]!.version, 3);
    assert.deepEqual(c.warnings.map((w) => w.message), [
      'f.conf:4: (V6) cannot use IPv6 with VRRP version 2; setting version 3 (as keepalived in strict mode)',
      'f.conf:6: (V6) the first IPv6 VIP address should be link local (as keepalived says; RFC 5798 5.2.9)',
    ]);
  });

  it('one VRID may run an IPv4 and an IPv6 router on one interface; two IPv6 ones may not', () => {
    const v4 = inst(' virtual_ipaddress {\n  198.19.0.100\n }', 'A');
    const v6 = (name: string): string => inst(' virtual_ipaddress {\n  fe80::1\n }', name);
    assert.equal(load(`${v4}\n${v6('B')}`).vrrp.instances.length, 2);
    assert.throws(() => load(`${v6('B')}\n${v6('C')}`), /virtual_router_id 9 on eth0 \(IPv6\) is already used by B/);
  });

  it('unicast_src_ip and unicast_peer take IPv6', () => {
    const c = load(inst(' unicast_src_ip 2001:db8::1\n unicast_peer {\n  2001:db8::2\n }\n virtual_ipaddress {\n  2001:db8::100\n }'));
    assert.deepEqual([c.vrrp.instances[0]!.unicastSrcIp, c.vrrp.instances[0]!.unicastPeers], ['2001:db8::1', ['2001:db8::2']]);
    assert.deepEqual(c.warnings, []);
  });
});
