// director top's screen from one reading of a director: the adm fixture table (every forwarding
// method, flags, persistence, a quiescent server) with health from the stats, checked line by
// line, and cut to a small terminal.
import assert from 'node:assert/strict';
import type { DirectorStats } from '../../src/director-stats.js';
import type { RealServerHealth } from '../../src/health/stats.js';
import { shortRate, topLines, topScreen, type TopView } from '../../src/top/screen.js';
import { SNAPSHOT } from '../fixtures/adm/data.js';
import { SNAPSHOT6 } from '../fixtures/adm/data-ipv6.js';

/** Only what top reads of a checked server's health. */
const health = (state: 'up' | 'down', rampingUp = false): RealServerHealth => ({ state, rampingUp } as RealServerHealth);

const STATS = {
  uptimeSeconds: 93784, connections: 12510, drops: { noService: 3, badChecksum: 1 },
  services: [{
    protocol: 'tcp', vip: '198.19.0.100', port: 80, realServers: [
      { address: '198.19.0.11', port: 80, health: health('up') },
      { address: '198.19.0.12', port: 80, health: health('up', true) },
      { address: '198.19.0.13', port: 80, health: health('down') },
    ],
  }],
} as unknown as DirectorStats;

const VIEW: TopView = {
  socketPath: '/run/director/lb1.sock', daemon: { version: '0.1.0', pid: 4242 }, snapshot: SNAPSHOT, stats: STATS,
  at: new Date('2026-12-02T02:40:05Z'),
};

const SCREEN = `director top  /run/director/lb1.sock  version 0.1.0  pid 4242  02:40:05 UTC
up 1d 02:03:04  services 5  real servers 8 (1 down)  connections 12510/1048576  drops 4
rates: IPVS estimator, 2 s samples (adm -L --rate)  q: quit

Prot LocalAddress:Port Sched     Forward Weight   Health  ActConn InActConn  Conn/s  InPkt/s OutPkt/s  InByte/s OutByte/s
  -> RemoteAddress:Port
TCP  198.19.0.100:80 rr                                       123        12    1500   250.0M   100.0M   5000.0G    100.0G
  -> 198.19.0.11:80              Route   2/2      up          120         7     750   125.0M        0   2500.0G         0
  -> 198.19.0.12:80              Route   1/1      up ramp       3         5     750   125.0M        0   2500.0G         0
  -> 198.19.0.13:80              Route   0/1      down          0         0       0        0        0         0         0
TCP  198.19.0.100:443 wlc                                      25         3       2       40       36      4800    360.0K  persistent 360
  -> 198.19.0.21:8443            Masq    5/5      -            15         2       1       24       36      2880    360.0K
  -> 198.19.0.22:443             Tunnel  1/1      -            10         1       1       16        0      1920         0
TCP  198.19.0.102:8080 mh                                   12345         1      12      123      234     12345    345.7K  mh-port laddr-group lip1
  -> 198.19.0.31:80              FullNat 3/3      -         12345         1      12      123      234     12345    345.7K
TCP  198.19.0.103:25 wrr                                        0         0       0        0        0         0         0  flag-1 persistent 600
UDP  198.19.0.101:53 sh                                         0         2       0        0        0         0         0  sh-fallback sh-port
  -> 198.19.0.11:53              Route   1/1      -             0         0       0        0        0         0         0
  -> 198.19.0.12:53              Route   1/1      -             0         2       1        1        0        65         0`;

describe('director top: the screen', () => {
  it('lists services in adm -L order with their servers: method, weight now/configured, health, connections, rates', () => {
    assert.deepEqual(topLines(VIEW), SCREEN.split('\n'));
  });

  it('cuts lines to the width and says how many lines the height hides', () => {
    const small = topScreen(VIEW, { columns: 40, rows: 8 });
    assert.equal(small.length, 8);
    assert.ok(small.every((l) => l.length <= 40));
    assert.equal(small[6], 'TCP  198.19.0.100:80 rr');
    assert.equal(small[7], '... 12 more lines: enlarge the terminal');
    assert.deepEqual(topScreen(VIEW, { columns: 200, rows: 50 }), SCREEN.split('\n'));
  });

  it('fits an 80-column terminal: every ipvsadm column and Conn/s, the other rates dropped from the right', () => {
    const narrow = topScreen(VIEW, { columns: 80, rows: 50 });
    assert.ok(narrow.every((l) => l.length <= 80), narrow.join('\n'));
    assert.deepEqual(narrow.slice(4, 8), [
      'Prot LocalAddress:Port Sched Forward Weight   Health  ActConn InActConn  Conn/s',
      '  -> RemoteAddress:Port',
      'TCP  198.19.0.100:80 rr                                   123        12    1500',
      '  -> 198.19.0.11:80          Route   2/2      up          120         7     750',
    ]);
    const wider = topScreen(VIEW, { columns: 100, rows: 50 });
    assert.match(wider[4]!, /Conn\/s  InPkt\/s OutPkt\/s$/);
  });

  it('says how to start when the director has no service', () => {
    const empty = topLines({ ...VIEW, snapshot: { ...SNAPSHOT, services: [] }, stats: { ...STATS, services: [] } });
    assert.equal(empty.at(-1), '(no services: add one with director adm -A)');
    assert.match(empty[1]!, /services 0 {2}real servers 0 \(0 down\)/);
  });

  it('shows IPv6 services and servers as adm does: [address]:port, FWM N IPv6', () => {
    const lines = topLines({ ...VIEW, snapshot: SNAPSHOT6, stats: { ...STATS, services: [] } });
    assert.ok(lines.some((l) => l.startsWith('TCP  [2001:db8::100]:443 sh ')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('  -> [2001:db8::21]:8443 ')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('FWM  7 IPv6 rr ')), lines.join('\n'));
  });

  it('rates fit their columns: whole numbers below 100000, then K, M, G, T', () => {
    assert.deepEqual([0, 99_999, 100_000, 9_999_949, 12_345_678, 3e10, 2e13].map(shortRate),
      ['0', '99999', '100.0K', '9999.9K', '12.3M', '30.0G', '20.0T']);
  });
});
