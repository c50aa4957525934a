// ha_suspend with VRRP (needs root: creates network namespaces): a director whose vrrp_instance
// carries the VIP starts BACKUP, so the checkers of its ha_suspend service are suspended and no
// check runs; with no peer it becomes MASTER after the master-down interval, the checkers are
// activated and the real server's check result arrives. keepalived's log lines say both.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { Director } from '../../src/director.js';
import { waitForVip } from '../../src/lab/director-runner.js';
import { labVrrpInstance } from '../../src/lab/keepalived.js';
import { withLab } from '../support/netns.js';
import { waitUntil } from '../support/wait.js';

describe('ha_suspend: checkers run only while VRRP holds the VIP (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 1 });

  it('suspended while BACKUP, activated on MASTER, then the check runs', async () => {
    const host = fx.lab.directors[0]!;
    const rs = fx.lab.realServers[0]!;
    const text = `${labVrrpInstance(fx.lab, { ifname: host.ifname, priority: 100, vrid: 61 })}
virtual_server ${fx.lab.vip} 80 {
  protocol TCP
  lb_algo rr
  lb_kind DR
  delay_loop 1
  ha_suspend
  real_server ${rs.address} 80 {
    TCP_CHECK {
      connect_timeout 5
      warmup 0
    }
  }
}`;
    const log: string[] = [];
    const director = await Director.start({
      config: parseKeepalivedConfig(text, 'ha.conf'), interface: host.ifname, netns: host.ns, localAddress: host.address,
      log: (l) => log.push(l),
    });
    fx.cleanup.first(() => director.stop());
    const check = () => director.stats().services[0]!.realServers[0]!.health!.checks[0]!;
    const suspended = `Suspending healthchecker for service ${rs.address}:80 for VS ${fx.lab.vip}:80`;
    const activated = `Activating healthchecker for service ${rs.address}:80 for VS ${fx.lab.vip}:80`;
    assert.ok(log.includes(suspended), log.join('\n'));
    // Until VRRP makes this node MASTER (no peer: after the master-down interval) no check runs.
    await waitUntil('MASTER and the checkers activated', () => {
      if (!log.includes(activated)) assert.equal(check().ok, null, 'a check ran while suspended');
      return log.includes(activated);
    }, 30_000);
    assert.ok(log.some((l) => l.includes('BACKUP -> MASTER')), log.join('\n'));
    await waitUntil('the first check result', () => check().ok === true, 20_000);
    await waitForVip(fx.lab);
  });
});
