// virtual_server_group and fwmark services end to end in a DR netns lab, with real HTTP traffic:
// a persistent group over VIP:80 and VIP:443 keeps each client address on one real server on
// both ports, and a `virtual_server fwmark` fed by a fwmark_match list receives and spreads the
// connections to an address no VIP:port service names.

import assert from 'node:assert/strict';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { NO_NAMES } from '../../src/adm/names.js';
import { parseAdm } from '../../src/adm/parse.js';
import { renderReadCommand, type ReadCommand } from '../../src/adm/render.js';
import { Director } from '../../src/director.js';
import { waitForVip } from '../../src/lab/director-runner.js';
import { addAddress } from '../../src/lab/netns.js';
import { spawnInNamespace } from '../../src/lab/process.js';
import { labTool, runClient } from '../../src/lab/services.js';
import { withLab } from '../support/netns.js';

/** Two more client addresses beside the lab's 198.18.1.10: three clients to spread. */
const CLIENTS = ['198.18.1.10', '198.18.1.11', '198.18.1.12'];
/** The address only the fwmark_match list names. */
const MARKED = '198.19.0.120';

describe('virtual_server_group and fwmark end to end, DR (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 3 });
  let director: Director | null = null;

  before(async function () {
    this.timeout(60_000);
    const lab = fx.lab;
    for (const ip of CLIENTS.slice(1)) await addAddress(lab.client.ns, lab.client.ifname, `${ip}/24`);
    // DR: each real server holds the marked address on lo (as the lab's setup holds the VIP) and serves 443 too.
    const https = lab.realServers.map((rs) => {
      const p = spawnInNamespace(rs.ns, [process.execPath, labTool('http-server.js'), '--name', rs.name, '--port', '443']);
      fx.cleanup.process(p);
      return p;
    });
    for (const rs of lab.realServers) await addAddress(rs.ns, 'lo', `${MARKED}/32`);
    await Promise.all(https.map((p) => p.waitFor(/^ready /m)));
    const reals = lab.realServers.map((rs) => `    real_server ${rs.address} 80 {\n    }`).join('\n');
    const config = parseKeepalivedConfig(`virtual_server_group WEB {
    ${lab.vip} 80
    ${lab.vip} 443
}
virtual_server group WEB {
    protocol TCP
    lb_algo rr
    lb_kind DR
    persistence_timeout 300
${reals}
}
fwmark_match 9 {
    tcp ${MARKED} 80
}
virtual_server fwmark 9 {
    protocol TCP
    lb_algo rr
    lb_kind DR
${reals}
}
`, 'group.conf');
    assert.deepEqual(config.warnings.map((w) => w.message), []);
    const host = lab.directors[0]!;
    const d = await Director.start({ config, interface: host.ifname, netns: host.ns, localAddress: host.address });
    director = d;
    fx.cleanup.first(() => d.stop());
    await waitForVip(lab);
  });

  async function count(source: string, target: string, connections: number, firstPort?: number): Promise<Record<string, number>> {
    const r = await runClient(fx.lab.client.ns, 'http-client.js',
      ['count', '--target', target, '--connections', String(connections), '--source', source, '--timeout', '30000',
        ...(firstPort === undefined ? [] : ['--first-port', String(firstPort)])]);
    assert.ok(r.ok, JSON.stringify(r.result));
    return r.result.counts as Record<string, number>;
  }

  it('A virtual_server_group with persistence keeps one client on one real server across ports 80 and 443', async function () {
    const vip = fx.lab.vip;
    const chosen: string[] = [];
    for (const client of CLIENTS) {
      const web = await count(client, `${vip}:80`, 5);
      const tls = await count(client, `${vip}:443`, 5);
      const again = await count(client, `${vip}:80`, 5);
      const servers = new Set([...Object.keys(web), ...Object.keys(tls), ...Object.keys(again)]);
      assert.equal(servers.size, 1, `${client}: ${JSON.stringify({ web, tls, again })}`);
      chosen.push([...servers][0]!);
    }
    // rr gave each new client the next server: persistence, not a single busy server.
    assert.deepEqual([...chosen].sort(), ['rs1', 'rs2', 'rs3']);
    const stats = director!.stats() as { services?: Array<{ realServers: Array<{ conns: number }> }> } | null;
    const conns = stats?.services?.slice(0, 2).map((s) => s.realServers.reduce((n, r) => n + r.conns, 0));
    assert.deepEqual(conns, [30, 15], 'member :80 took 30 connections, member :443 took 15');
  });

  it('a fwmark service receives the traffic its fwmark_match marks and spreads it with rr', async function () {
    // Ports of their own: a port the kernel reuses at once would meet the director's entry of an
    // earlier connection (kept for the FIN_WAIT timeout) and go to that real server unscheduled,
    // which once gave 10/11/9.
    const counts = await count(CLIENTS[0]!, `${MARKED}:80`, 30, 31000);
    assert.deepEqual(counts, { rs1: 10, rs2: 10, rs3: 10 });
  });

  it('adm -L shows the group as its members and the mark service as FWM, as ipvsadm does', function () {
    const listing = renderReadCommand(parseAdm(['-L', '-n'], NO_NAMES) as ReadCommand, director!.snapshot(), [], NO_NAMES);
    const services = listing.split('\n').filter((l) => /^(TCP|UDP|FWM) /.test(l));
    assert.deepEqual(services, [`TCP  ${fx.lab.vip}:80 rr persistent 300`, `TCP  ${fx.lab.vip}:443 rr persistent 300`, 'FWM  9 rr']);
  });
});
