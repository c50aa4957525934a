// keepalived.conf health checker blocks: a real config with TCP_CHECK, HTTP_GET and MISC_CHECK
// loads with no "not supported" warnings for them; keepalived's inheritance (checker, real
// server, virtual server, kind default); errors and warnings name file, line and keyword.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import type { HttpCheckConfig, MiscCheckConfig } from '../../src/config/model.js';

const REAL = `! keepalived.conf as people write it
global_defs {
   router_id LVS_DEVEL
}
virtual_server 198.19.0.100 80 {
    delay_loop 6
    lb_algo wlc
    lb_kind DR
    protocol TCP
    retry 2

    real_server 198.19.0.11 80 {
        weight 100
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 3
            delay_before_retry 2
        }
    }
    real_server 198.19.0.12 80 {
        weight 100
        HTTP_GET {
            url {
              path /healthz
              digest 9b3a0c85a887a256d6939da88aabd8cd
              status_code 200
            }
            url {
              path /ready
            }
            connect_timeout 2
            nb_get_retry 3
        }
    }
    real_server 198.19.0.13 80 {
        weight 100
        delay_loop 3
        MISC_CHECK {
            misc_path "/usr/local/bin/check_load 198.19.0.13"
            misc_timeout 5
            misc_dynamic
            user nobody nogroup
        }
    }
}
`;

describe('keepalived.conf: health checkers', () => {
  const c = parseKeepalivedConfig(REAL, 'k.conf');
  const [a, b, d] = c.virtualServers[0]!.realServers;

  it('loads a real config with no warning about its checkers', () => {
    assert.deepEqual(c.warnings.map((w) => w.message), [
      'k.conf:32: nb_get_retry is deprecated, use retry (as keepalived says)',
    ]);
    assert.ok(!c.warnings.some((w) => /CHECK|HTTP_GET/.test(w.keyword)));
  });

  it('TCP_CHECK: connect to the real server, retry from the virtual server, own delay_before_retry', () => {
    assert.deepEqual(a!.checks, [{
      kind: 'tcp', line: 15, connectIp: '198.19.0.11', connectPort: 80, connectTimeout: 3,
      timing: { delayLoop: 6, retry: 2, delayBeforeRetry: 2, warmup: 6, rise: 1 },
    }]);
    assert.equal(a!.inhibitOnFailure, true);
  });

  it('HTTP_GET: urls with digest and status codes (default 2xx), nb_get_retry, 3 s retry default', () => {
    const h = b!.checks![0] as HttpCheckConfig;
    assert.deepEqual(h.urls, [
      { path: '/healthz', statusCodes: [[200, 200]], digest: '9b3a0c85a887a256d6939da88aabd8cd' },
      { path: '/ready', statusCodes: [[200, 299]], digest: null },
    ]);
    assert.deepEqual([h.connectTimeout, h.timing.retry, h.timing.delayBeforeRetry, h.virtualhost], [2, 3, 3, null]);
    assert.equal(b!.inhibitOnFailure, undefined);
  });

  it('MISC_CHECK: command line, timeout, dynamic; delay_loop from the real server; retry inherited', () => {
    const m = d!.checks![0] as MiscCheckConfig;
    assert.deepEqual([m.path, m.timeout, m.dynamic, m.timing.delayLoop, m.timing.retry, m.timing.warmup],
      ['/usr/local/bin/check_load 198.19.0.13', 5, true, 3, 2, 3]);
    assert.deepEqual(m.runAs, { user: 'nobody', group: 'nogroup', defaultUser: null, secure: false });
  });

  it('kind defaults: MISC_CHECK retry 0, misc_timeout = delay_loop; TCP retry 1, 1 s; connect_timeout 5', () => {
    const k = parseKeepalivedConfig(`virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind NAT
 delay_loop 4
 real_server 198.19.0.11 8080 {
  MISC_CHECK {
   misc_path /bin/true
  }
  TCP_CHECK {
   connect_ip 198.19.0.21
   connect_port 81
  }
  AGENT_CHECK {
   connect_port 9999
   rise 3
  }
  alpha
 }
}`).virtualServers[0]!.realServers[0]!;
    const [misc, tcp, agent] = k.checks!;
    assert.deepEqual([misc!.timing.retry, (misc as MiscCheckConfig).timeout], [0, 4]);
    assert.deepEqual(tcp, { kind: 'tcp', line: 10, connectIp: '198.19.0.21', connectPort: 81, connectTimeout: 5,
      timing: { delayLoop: 4, retry: 1, delayBeforeRetry: 1, warmup: 4, rise: 1 } });
    assert.deepEqual([agent!.kind, (agent as { connectPort: number }).connectPort, agent!.timing.rise], ['agent', 9999, 3]);
    assert.equal(k.alpha, true);
  });

  const errors: Array<[string, string, RegExp]> = [
    ['MISC_CHECK without misc_path', 'MISC_CHECK {\n misc_timeout 3\n}', /f.conf:6: MISC_CHECK: needs misc_path/],
    ['HTTP_GET without url', 'HTTP_GET {\n connect_timeout 3\n}', /f.conf:6: HTTP_GET: needs at least one url/],
    ['AGENT_CHECK without connect_port', 'AGENT_CHECK {\n}', /f.conf:6: AGENT_CHECK: needs connect_port/],
    ['bad digest', 'HTTP_GET {\n url {\n path /\n digest xyz\n }\n}', /f.conf:9: digest: 'xyz' is not an md5 digest/],
    ['bad status code', 'HTTP_GET {\n url {\n path /\n status_code 99\n }\n}', /f.conf:9: status_code: '99' is not a status code or range in 100..599/],
    ['relative url path', 'HTTP_GET {\n url {\n path healthz\n }\n}', /f.conf:8: path: 'healthz' is not an absolute path/],
    ['bad retry', 'TCP_CHECK {\n retry -1\n}', /f.conf:7: retry: '-1' is not a whole number/],
    ['bad connect_timeout', 'TCP_CHECK {\n connect_timeout 0\n}', /f.conf:7: connect_timeout: '0' is not a number of seconds/],
    ['bad connect_ip', 'TCP_CHECK {\n connect_ip 2001:db8::1\n}', /f.conf:7: connect_ip: .*IPv6 is not supported yet/],
  ];
  for (const [title, block, re] of errors) {
    it(`error: ${title}`, () => {
      const conf = `virtual_server 198.19.0.100 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 198.19.0.11 80 {\n${block}\n }\n}`;
      assert.throws(() => parseKeepalivedConfig(conf, 'f.conf'), (e: Error) => re.test(e.message));
    });
  }

  it('warns about checker keywords not acted on and unknown ones; bindto is honoured', () => {
    const c = parseKeepalivedConfig(`virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind DR
 sorry_server 198.19.0.50 80
 real_server 198.19.0.11 80 {
  TCP_CHECK {
   bindto 198.19.0.2
   zap 1
   log_all_failures
  }
  MISC_CHECK {
   misc_path /bin/true
   misc_dynamic
  }
  AGENT_CHECK {
   connect_port 9999
  }
 }
}`, 'f.conf');
    assert.deepEqual(c.warnings.map((x) => x.message), [
      'f.conf:9: unknown keyword zap, ignored',
      'f.conf:10: keyword log_all_failures not supported, ignored',
      'f.conf:16: more than one load report (misc_dynamic or AGENT_CHECK) for this real server: their weights will fight',
    ]);
    assert.deepEqual((c.virtualServers[0]!.realServers[0]!.checks![0] as { source?: unknown }).source,
      { address: '198.19.0.2', port: 0, device: null });
  });
});
