// The TAP attachment end to end: the director creates a TAP device with its own MAC in the LAN
// namespace, the test bridges it to the LAN, and real traffic from the client reaches the real
// servers through the VIP in DR mode, including 20 MB each way (TAP offloads: vnet headers).

import assert from 'node:assert/strict';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { Director } from '../../src/director.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import { linkInfo, linkUp, setMaster } from '../../src/lab/netns.js';
import { countHttp, runClient, HTTP_PORT } from '../../src/lab/services.js';
import { arpFromRouter } from '../support/director.js';
import { withLab } from '../support/netns.js';

const TAP = 'dtap0';
/** An address of its own on the LAN, unused by the lab: the director's ARP sender. */
const TAP_ADDRESS = '198.19.0.9';

describe('TAP attachment, DR end to end (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 3 });
  let director: Director;

  before(async function () {
    this.timeout(30_000);
    const lab = fx.lab;
    const config = parseKeepalivedConfig(labKeepalivedConf(lab), 'lab.conf');
    const d = await Director.start({ config, tap: TAP, netns: lab.lanNs, localAddress: TAP_ADDRESS });
    director = d;
    fx.cleanup.first(() => d.stop());
    await setMaster(lab.lanNs, TAP, lab.bridge);
    await linkUp(lab.lanNs, TAP);
  });

  it("answers ARP for the VIP with the engine's own MAC, not the TAP device's", async function () {
    const engineMac = director.stats().port.mac;
    assert.equal(await arpFromRouter(fx.lab, fx.lab.vip), engineMac);
    assert.notEqual(engineMac, (await linkInfo(fx.lab.lanNs, TAP)).mac, 'a bridge drops frames from the port\'s own MAC');
  });

  it('spreads 30 HTTP connections 10/10/10 with rr through the TAP', async function () {
    const r = await countHttp(fx.lab, fx.lab.vip, 30);
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.deepEqual(r.counts, { rs1: 10, rs2: 10, rs3: 10 });
  });

  it('carries 20 MB up and down through the VIP intact', async function () {
    const target = `${fx.lab.vip}:${HTTP_PORT}`;
    const transfer = (kind: string): ReturnType<typeof runClient> => runClient(fx.lab.client.ns, 'http-client.js',
      [kind, '--target', target, '--bytes', '20000000', '--timeout', '60000'], 70_000);
    const down = await transfer('download');
    assert.ok(down.ok, JSON.stringify(down.result));
    const up = await transfer('upload');
    assert.ok(up.ok, JSON.stringify(up.result));
    const drops = director.stats().drops;
    assert.equal(drops.parse_error ?? 0, 0);
    assert.equal(drops.unresolved ?? 0, 0);
  });

  it('stop() is idempotent, and stats still read after it (the port\'s final counters)', async function () {
    const first = director.stop();
    assert.equal(director.stop(), first, 'the same promise');
    await first;
    const s = director.stats();
    assert.ok(s.port.txFrames > 0 && s.port.kind === 'tap', JSON.stringify(s.port));
  });
});
