// FULLNAT path MTU discovery on the real-server leg, in a netns lab (needs root: creates network
// namespaces). The lab's director serves one real server that sits behind a router (gw) whose
// link to it is 1280 bytes, while both ends of the connection announce MSS 1460. A client's
// upload then meets the narrow link on the far side of the director: gw answers each full
// segment with fragmentation-needed to the segment's source, the director's local address. The
// director must hand that error to the client, rewritten to the client's connection, and with
// the quoted sequence number moved back from the real server leg's numbering (FULLNAT
// translates the client's numbers) to the client's: Linux drops an error quoting a number
// outside its window, and the upload stalls. The test checks that the upload completes and that
// the client learned the path MTU to the VIP; it fails with the quoted number left as it came.

import assert from 'node:assert/strict';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { startEmbedded, waitForVip } from '../../src/lab/director-runner.js';
import * as nl from '../../src/lab/netns.js';
import { spawnInNamespace } from '../../src/lab/process.js';
import { HTTP_PORT, labTool, runClient } from '../../src/lab/services.js';
import { ADDR } from '../../src/lab/topology.js';
import { withLab } from '../support/netns.js';

const NARROW_MTU = 1280;
const BYTES = 4_000_000;
/** gw's address on the lab's LAN, and the far side: gw .1, the real server .10. */
const GW_LAN = '198.19.0.250';
const FAR_NET = '198.19.8.0/24';
const GW_FAR = '198.19.8.1';
const FAR_SERVER = '198.19.8.10';
const LIP = '198.19.1.1';

describe('FULLNAT path MTU on the real-server leg: a router behind the director narrows the path, and its frag-needed reaches the client with the quoted sequence number moved back (needs root)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'fnat', servers: 1, startServers: false });

  before(async function () {
    this.timeout(60_000);
    const { lab, cleanup } = fx;
    const gw = `${lab.prefix}-gw`;
    const far = `${lab.prefix}-far`;
    for (const ns of [gw, far]) {
      await nl.addNamespace(ns);
      cleanup.namespace(ns);
    }
    await nl.addVethPair(gw, 'lan0', lab.lanNs, 'gw');
    await nl.setMaster(lab.lanNs, 'gw', lab.bridge);
    await nl.linkUp(lab.lanNs, 'gw');
    await nl.addAddress(gw, 'lan0', `${GW_LAN}/24`);
    await nl.linkUp(gw, 'lan0');
    await nl.addVethPair(gw, 'far0', far, 'lan0');
    await nl.addAddress(gw, 'far0', `${GW_FAR}/24`);
    await nl.addAddress(far, 'lan0', `${FAR_SERVER}/24`);
    // Only gw's side is narrow: the real server keeps 1500 and so announces MSS 1460.
    await nl.ipIn(gw, ['link', 'set', 'dev', 'far0', 'mtu', String(NARROW_MTU)]);
    await nl.linkUp(gw, 'far0');
    await nl.linkUp(far, 'lan0');
    await nl.sysctl(gw, 'net.ipv4.ip_forward', 1);
    await nl.addRoute(gw, ADDR.lipNet, lab.directors[0]!.address);
    await nl.addRoute(far, ADDR.lipNet, GW_FAR);
    // Read by the director at start: its real server is reached through gw.
    await nl.addRoute(lab.directors[0]!.ns, FAR_NET, GW_LAN);

    const server = spawnInNamespace(far, [process.execPath, labTool('http-server.js'), '--name', 'far', '--port', String(HTTP_PORT)]);
    cleanup.process(server);
    await server.waitFor(/^ready /m);
    const conf = [
      `local_address_group lips {`, `    ${LIP}`, '}',
      `virtual_server ${lab.vip} ${HTTP_PORT} {`, '    lb_algo rr', '    lb_kind FNAT', '    protocol TCP',
      '    laddr_group_name lips', `    real_server ${FAR_SERVER} ${HTTP_PORT} {`, '        weight 1', '    }', '}',
    ].join('\n');
    const director = await startEmbedded(lab, parseKeepalivedConfig(conf, 'pmtu.conf'));
    cleanup.first(() => director.stop());
    await waitForVip(lab, director);
  });

  it(`completes an upload through the ${NARROW_MTU}-byte link behind the director; the client learns that path MTU`, async function () {
    const { lab } = fx;
    const r = await runClient(lab.client.ns, 'http-client.js',
      ['upload', '--target', `${lab.vip}:${HTTP_PORT}`, '--bytes', String(BYTES), '--seed', '41', '--timeout', '30000'], 40_000);
    assert.ok(r.ok, `the upload stalled or failed (a path MTU black hole?): ${JSON.stringify(r.result)}`);
    assert.equal(r.result.bytes, BYTES);
    assert.equal(r.result.server, 'far');
    const cache = await nl.ipIn(lab.client.ns, ['-4', '-o', 'route', 'show', 'cache', lab.vip]);
    assert.match(cache, new RegExp(`\\bmtu ${NARROW_MTU}\\b`), `the client learned no path MTU to the VIP: ${cache}`);
    console.log(`      ${String(r.result.mbitps)} Mbit/s; client: ${cache.trim()}`);
  });
});
