// ha_suspend: the checkers of a service with ha_suspend run only while VRRP holds its VIP here
// (an instance carrying it is MASTER); a service without it, or whose VIP no instance carries,
// is checked all the time. Health manager with a fake executor and clock, VRRP states injected.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { WeightGovernor } from '../../src/control/governor.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import { awayVips, HaSuspendTracker } from '../../src/health/ha-suspend.js';
import { HealthManager } from '../../src/health/manager.js';
import { loggerFrom, silentLogger } from '../../src/log/logger.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { FakeExecutor } from '../support/fake-executor.js';

const service = (vip: string, rs: string, extra: string): string => `virtual_server ${vip} 80 {
 protocol TCP
 lb_algo rr
 lb_kind DR
 delay_loop 1
 ${extra}
 real_server ${rs} 80 {
  TCP_CHECK {
   warmup 0
  }
 }
}`;

const CONFIG = `vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  198.19.0.100/24
 }
}
${service('198.19.0.100', '198.19.0.11', 'ha_suspend')}
${service('198.19.0.101', '198.19.0.12', 'ha_suspend')}
${service('198.19.0.100', '198.19.0.13', '').replace('0.100 80', '0.100 443')}`;

describe('ha_suspend', () => {
  it('away VIPs are those an instance carries and no MASTER instance holds', () => {
    const config = parseKeepalivedConfig(CONFIG);
    assert.deepEqual([...awayVips(config.vrrp.instances, new Set())], [parseIpv4('198.19.0.100')]);
    assert.deepEqual([...awayVips(config.vrrp.instances, new Set(['VI_1']))], []);
  });

  it('checks pause while not MASTER and resume on MASTER; other services are always checked', async () => {
    const clock = { t: 0, now: () => clock.t };
    const config = parseKeepalivedConfig(CONFIG);
    const table = ServiceTable.build(config, clock);
    const ex = new FakeExecutor(clock);
    const log: string[] = [];
    const m = new HealthManager({ table, governor: new WeightGovernor({ table, clock, log: silentLogger }), executor: ex, clock,
      log: loggerFrom((l) => log.push(l)), random: () => 0 });
    const tracker = new HaSuspendTracker(config.vrrp.instances, (away) => m.suspendVips(away));
    m.suspendVips(tracker.away());
    const round = async (): Promise<string[]> => {
      ex.runs.length = 0;
      m.poll();
      await m.settled();
      clock.t += 1000;
      return ex.runs.map((r) => r.key).sort();
    };
    // .11 (ha_suspend, VIP carried by VI_1) pauses; .12 (ha_suspend, VIP nobody carries) and .13 run.
    assert.deepEqual(await round(), ['tcp 198.19.0.12:80', 'tcp 198.19.0.13:443']);
    tracker.instanceState('VI_1', 'MASTER');
    assert.deepEqual(await round(), ['tcp 198.19.0.11:80', 'tcp 198.19.0.12:80', 'tcp 198.19.0.13:443']);
    tracker.instanceState('VI_1', 'BACKUP');
    assert.deepEqual(await round(), ['tcp 198.19.0.12:80', 'tcp 198.19.0.13:443']);
    assert.deepEqual(log, [
      'Suspending healthchecker for service 198.19.0.11:80 for VS 198.19.0.100:80',
      'Activating healthchecker for service 198.19.0.11:80 for VS 198.19.0.100:80',
      'Suspending healthchecker for service 198.19.0.11:80 for VS 198.19.0.100:80',
    ]);
    await m.stop();
  });

  it('IPv6: a service on a VIP of a VRRPv3 IPv6 instance pauses and resumes with that instance', async () => {
    const clock = { t: 0, now: () => clock.t };
    const config = parseKeepalivedConfig(`vrrp_instance V6 {
 interface eth0
 virtual_router_id 61
 virtual_ipaddress {
  2001:db8::100/64
 }
}
${service('2001:db8::100', '2001:db8::11', 'ha_suspend')}
${service('2001:db8::101', '2001:db8::12', 'ha_suspend')}`);
    assert.deepEqual([...awayVips(config.vrrp.instances, new Set())], [0x2001_0db8_0000_0000_0000_0000_0000_0100n]);
    const table = ServiceTable.build(config, clock);
    const ex = new FakeExecutor(clock);
    const m = new HealthManager({ table, governor: new WeightGovernor({ table, clock, log: silentLogger }), executor: ex, clock,
      log: silentLogger, random: () => 0 });
    const tracker = new HaSuspendTracker(config.vrrp.instances, (away) => m.suspendVips(away));
    m.suspendVips(tracker.away());
    const round = async (): Promise<number> => {
      ex.runs.length = 0;
      m.poll();
      await m.settled();
      clock.t += 1000;
      return ex.runs.length;
    };
    assert.equal(await round(), 1, 'only the service whose VIP no instance carries');
    tracker.instanceState('V6', 'MASTER');
    assert.equal(await round(), 2);
    await m.stop();
  });
});
