// global_defs keywords of issue 11 part 5: router_id, lvs_timeouts (keepalived's forms and
// errors), and the e-mail notification keywords, accepted without a warning anywhere keepalived
// takes them.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/model.js';

const SERVICE = 'virtual_server 198.19.0.100 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n smtp_alert\n real_server 198.19.0.11 80 {\n  smtp_alert\n  TCP_CHECK {\n   smtp_alert\n  }\n }\n}\n';

describe('keepalived.conf: global_defs', () => {
  it('router_id and lvs_timeouts are read; a value not given stays 0 (keep what the director has)', () => {
    const c = parseKeepalivedConfig('global_defs {\n router_id lb-1\n lvs_timeouts tcp 7200 udp 60\n}\n', 'g.conf');
    assert.equal(c.globalDefs.routerId, 'lb-1');
    assert.deepEqual(c.globalDefs.lvsTimeouts, { tcp: 7200, tcpFin: 0, udp: 60 });
    assert.deepEqual(c.warnings, []);
  });

  it('a second lvs_timeouts line adds to the first (keepalived sets each value as it reads it)', () => {
    const c = parseKeepalivedConfig('global_defs {\n lvs_timeouts tcp 900\n lvs_timeouts tcpfin 30 tcp 1000\n}\n', 'g.conf');
    assert.deepEqual(c.globalDefs.lvsTimeouts, { tcp: 1000, tcpFin: 30, udp: 0 });
  });

  for (const [line, message] of [
    ['lvs_timeouts', "g.conf:2: lvs_timeouts: expects at least one timeout (lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS])"],
    ['lvs_timeouts tcp', 'g.conf:2: lvs_timeouts: tcp needs a number of seconds'],
    ['lvs_timeouts sctp 5', "g.conf:2: lvs_timeouts: unknown option 'sctp' (lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS])"],
    ['lvs_timeouts udp 9999999', "g.conf:2: lvs_timeouts: '9999999' is not a whole number in 0..2678400"],
    ['router_id', 'g.conf:2: router_id: expects 1 value (router_id NAME), got 0'],
  ] as const) {
    it(`error: ${line}`, () => {
      assert.throws(() => parseKeepalivedConfig(`global_defs {\n ${line}\n}\n`, 'g.conf'), (e: unknown) => e instanceof ConfigError && e.message === message);
    });
  }

  it('notification keywords and smtp_alert load without a warning', () => {
    const c = parseKeepalivedConfig(`global_defs {
 notification_email {
  ops@example.test
 }
 notification_email_from lb@example.test
 smtp_server 198.19.0.25 25
 smtp_helo_name lb.example.test
 smtp_connect_timeout 30
 smtp_alert
 smtp_alert_checker
 smtp_alert_vrrp
 no_email_faults
}
${SERVICE}`, 'g.conf');
    assert.deepEqual(c.warnings, []);
    assert.equal(c.globalDefs.lvsTimeouts, null);
  });
});
