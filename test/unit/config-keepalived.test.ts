// keepalived.conf loading: good configs convert to the expected DirectorConfig, and a real
// keepalived.conf (DR, health checks, VRRP) loads unchanged, warning only about what is not run.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import type { VirtualServerConfig } from '../../src/config/model.js';

/** The classic keepalived LVS-DR sample (global_defs, VRRP, TCP_CHECK/HTTP_GET), test addresses. */
const REAL_DR_CONF = `! Configuration File for keepalived

global_defs {
   notification_email {
     admins@example.com
   }
   notification_email_from lvs@example.com
   smtp_server 198.19.0.250
   smtp_connect_timeout 30
   router_id LVS_DEVEL
}

vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        198.19.0.100/24 dev eth0
    }
}

virtual_server 198.19.0.100 80 {
    delay_loop 6
    lb_algo rr
    lb_kind DR
    persistence_timeout 50
    protocol TCP

    real_server 198.19.0.11 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 3
            retry 3
            delay_before_retry 3
        }
    }
    real_server 198.19.0.12 80 {
        weight 2
        HTTP_GET {
            url {
              path /healthz
              status_code 200
            }
            connect_timeout 3
        }
    }
}
`;

const base: Omit<VirtualServerConfig, 'realServers' | 'line'> = {
  vip: '198.19.0.100',
  port: 80,
  protocol: 'tcp',
  scheduler: 'rr',
  schedFlags: [],
  method: 'dr',
  delayLoop: 60,
  persistenceTimeout: 0,
  persistenceGranularity: '255.255.255.255',
  laddrGroup: null,
  slowStart: 0,
  synProxy: false,
};

describe('keepalived.conf: good configs', () => {
  it('loads the classic DR sample unchanged, with warnings only', () => {
    const c = parseKeepalivedConfig(REAL_DR_CONF, '/etc/keepalived/keepalived.conf');
    assert.equal(c.virtualServers.length, 1);
    const vs = c.virtualServers[0]!;
    assert.deepEqual({ ...vs, realServers: [] }, { ...base, delayLoop: 6, persistenceTimeout: 50, realServers: [], line: 28 });
    assert.deepEqual(vs.realServers.map((r) => [r.address, r.port, r.weight, r.method, r.line]), [
      ['198.19.0.11', 80, 1, 'dr', 35],
      ['198.19.0.12', 80, 2, 'dr', 43],
    ]);
    assert.deepEqual(c.warnings.map((w) => w.message), []);
    assert.equal(c.globalDefs.routerId, 'LVS_DEVEL');
    assert.deepEqual(c.vrrp.instances.map((i) => [i.name, i.state, i.interface, i.vrid, i.priority, i.authPass, i.virtualAddresses.map((a) => `${a.address}/${a.prefix} ${a.dev}`)]), [
      ['VI_1', 'MASTER', 'eth0', 51, 100, '1111', ['198.19.0.100/24 eth0']],
    ]);
  });

  const table: Array<{ title: string; conf: string; check: (vs: VirtualServerConfig) => void }> = [
    {
      title: 'defaults: wlc, NAT, UDP, delay_loop 60, weight 1, thresholds 0',
      conf: 'virtual_server 198.19.0.100 53 {\n real_server 198.19.0.11 53\n}',
      check: (vs) => {
        assert.deepEqual([vs.scheduler, vs.method, vs.protocol, vs.delayLoop], ['wlc', 'nat', 'udp', 60]);
        assert.deepEqual(vs.realServers[0], { address: '198.19.0.11', port: 53, weight: 1, method: 'nat', upperThreshold: 0, lowerThreshold: 0, line: 2 });
      },
    },
    {
      title: 'aliases lvs_sched / lvs_method, case-insensitive method and protocol',
      conf: 'virtual_server 198.19.0.100 80 {\n lvs_sched sh\n lvs_method tun\n protocol udp\n real_server 198.19.0.11 80 {}\n}',
      check: (vs) => assert.deepEqual([vs.scheduler, vs.method, vs.protocol], ['sh', 'tun', 'udp']),
    },
    {
      title: 'per-real-server method, weight, thresholds; NAT port mapping kept',
      conf: `virtual_server 198.19.0.100 80 {
 lb_algo wrr
 lb_kind DR
 protocol TCP
 real_server 198.19.0.11 80 { weight 4 }
 real_server 198.19.0.12 8080 { lvs_method NAT
   weight 0
   uthreshold 100
   lthreshold 50 }
 real_server 198.19.0.13 80 { lb_kind TUN }
}`,
      check: (vs) => assert.deepEqual(vs.realServers.map((r) => [r.address, r.port, r.method, r.weight, r.upperThreshold, r.lowerThreshold]), [
        ['198.19.0.11', 80, 'dr', 4, 0, 0],
        ['198.19.0.12', 8080, 'nat', 0, 100, 50],
        ['198.19.0.13', 80, 'tun', 1, 0, 0],
      ]),
    },
    {
      title: 'scheduler flags as bare keywords, before or after lb_algo',
      conf: 'virtual_server 198.19.0.100 80 {\n sh-port\n lb_algo sh\n sh-fallback\n protocol TCP\n real_server 198.19.0.11 80\n}',
      check: (vs) => assert.deepEqual(vs.schedFlags.sort(), ['sh-fallback', 'sh-port']),
    },
    {
      title: 'keepalived flag-1/flag-2 mean fallback/port for mh',
      conf: 'virtual_server 198.19.0.100 80 {\n lb_algo mh\n flag-1\n flag-2\n protocol TCP\n real_server 198.19.0.11 80\n}',
      check: (vs) => assert.deepEqual(vs.schedFlags.sort(), ['mh-fallback', 'mh-port']),
    },
    {
      title: 'persistence: timeout, granularity, bare persistence_timeout is 360',
      conf: 'virtual_server 198.19.0.100 443 {\n persistence_timeout\n persistence_granularity 255.255.255.0\n protocol TCP\n real_server 198.19.0.11 443\n}',
      check: (vs) => assert.deepEqual([vs.persistenceTimeout, vs.persistenceGranularity], [360, '255.255.255.0']),
    },
    {
      title: 'granularity alone implies the default persistence (keepalived)',
      conf: 'virtual_server 198.19.0.100 443 {\n persistence_granularity 255.255.0.0\n protocol TCP\n real_server 198.19.0.11 443\n}',
      check: (vs) => assert.equal(vs.persistenceTimeout, 360),
    },
    {
      title: 'port 0 with persistence: all ports, real server port follows',
      conf: 'virtual_server 198.19.0.100 0 {\n persistence_timeout 600\n lb_kind DR\n protocol TCP\n real_server 198.19.0.11 0\n}',
      check: (vs) => assert.deepEqual([vs.port, vs.persistenceTimeout, vs.realServers[0]!.port], [0, 600, 0]),
    },
    {
      title: 'real server without a port takes the virtual port',
      conf: 'virtual_server 198.19.0.100 8443 {\n protocol TCP\n real_server 198.19.0.11\n}',
      check: (vs) => assert.equal(vs.realServers[0]!.port, 8443),
    },
    {
      title: 'virtual_server weight is the default real server weight',
      conf: 'virtual_server 198.19.0.100 80 {\n weight 7\n protocol TCP\n real_server 198.19.0.11 80\n real_server 198.19.0.12 80 { weight 2 }\n}',
      check: (vs) => assert.deepEqual(vs.realServers.map((r) => r.weight), [7, 2]),
    },
    {
      title: 'slowstart (director extension) and fractional delay_loop',
      conf: 'virtual_server 198.19.0.100 80 {\n slowstart 30\n delay_loop 1.5\n protocol TCP\n real_server 198.19.0.11 80\n}',
      check: (vs) => assert.deepEqual([vs.slowStart, vs.delayLoop], [30, 1.5]),
    },
    {
      title: "'{' on the next line and quoted values",
      conf: 'virtual_server 198.19.0.100 "80"\n{\n lb_algo "lc"\n protocol TCP\n real_server 198.19.0.11 80\n}',
      check: (vs) => assert.deepEqual([vs.port, vs.scheduler], [80, 'lc']),
    },
  ];
  for (const t of table) {
    it(t.title, () => {
      const c = parseKeepalivedConfig(t.conf);
      assert.equal(c.virtualServers.length, 1);
      t.check(c.virtualServers[0]!);
    });
  }

  it('FULLNAT: local_address_group with ranges and DPVS device names', () => {
    const c = parseKeepalivedConfig(`local_address_group laddr_g1 {
  198.19.1.1 eth1
  198.19.1.10-12
}
virtual_server 198.19.0.100 80 {
  lb_algo rr
  lb_kind FNAT
  protocol TCP
  laddr_group_name laddr_g1
  real_server 198.19.0.11 8080
}`);
    assert.deepEqual(c.localAddressGroups, { laddr_g1: ['198.19.1.1', '198.19.1.10', '198.19.1.11', '198.19.1.12'] });
    const vs = c.virtualServers[0]!;
    assert.deepEqual([vs.method, vs.laddrGroup, vs.realServers[0]!.port], ['fnat', 'laddr_g1', 8080]);
    assert.deepEqual(c.warnings.map((w) => w.message), [
      "keepalived.conf:2: device 'eth1' ignored: local addresses live on the director's interface",
    ]);
  });

  it('keeps several services, in file order', () => {
    const c = parseKeepalivedConfig(`virtual_server 198.19.0.100 80 { protocol TCP
 real_server 198.19.0.11 80 }
virtual_server 198.19.0.100 80 { protocol UDP
 real_server 198.19.0.11 80 }
virtual_server 198.19.0.101 443 { protocol TCP
 real_server 198.19.0.12 443 }`);
    assert.deepEqual(c.virtualServers.map((v) => `${v.protocol} ${v.vip}:${v.port}`), ['tcp 198.19.0.100:80', 'udp 198.19.0.100:80', 'tcp 198.19.0.101:443']);
  });
});
