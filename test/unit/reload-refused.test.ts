// A reload that cannot run is refused whole over a memory port: a real server without a route,
// more next hops than the neighbour table holds, an unknown scheduler, a server twice, FULLNAT
// without its group. Nothing changes: stats, state, ids, scheduler position and traffic are as
// if it never came. And FULLNAT local addresses across reloads: no port handed out twice, a
// removed address kept while connections hold ports on it.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import type { DirectorConfig } from '../../src/config/model.js';
import { parseIpv4 } from '../../src/net/addr.js';
import { CLIENT, DIRECTOR_MAC, LIPS, RS, RS_MAC, VIP } from '../support/memory-plane.js';
import { sendFrames as send, withReloadLab as withLab, type ReloadLab } from '../support/memory-reload.js';
import { conf, segment, servers } from '../support/reload-conf.js';
import { decodeFrame, tcpFrame, TCP_FLAGS } from '../support/packets.js';

const { SYN, ACK, RST } = TCP_FLAGS;
const [RS1, RS2, RS3] = RS as [string, string, string];
const [LIP1, LIP2] = LIPS as [string, string];

/** A config the loader accepts, then bent into one only reload() would see (an embedder's, say). */
function bent(text: string, bend: (c: DirectorConfig) => void): DirectorConfig {
  const c = parseKeepalivedConfig(text, 'lab.conf');
  bend(c);
  return c;
}

describe('reload: a config that cannot run changes nothing', () => {
  const running = conf({ rs: [RS1, RS2, RS3] });
  const refusals: Array<[string, (lab: ReloadLab) => DirectorConfig, RegExp]> = [
    ['a new NAT real server without a route', (lab) => {
      lab.routes = [{ network: parseIpv4('198.19.0.0'), prefixLen: 24, gateway: 0, dev: 'mem0' }];
      return parseKeepalivedConfig(conf({ rs: [RS1, RS2, { addr: '198.18.200.5', body: 'lb_kind NAT' }] }));
    }, /^no route to real server 198\.18\.200\.5 \(tcp 198\.19\.0\.100:80 198\.18\.200\.5:80\)$/],
    ['more new next hops than the neighbour table holds', () => {
      const many = Array.from({ length: 4100 }, (_, i) => `198.19.${16 + (i >> 8)}.${i & 0xff}`);
      return parseKeepalivedConfig(conf({ rs: [RS1, ...many] }));
    }, /^4100 new next hops, but the neighbour table has room for 409\d$/],
    ['an unknown scheduler', () => bent(running, (c) => { c.virtualServers[0]!.scheduler = 'nope'; }), /unknown scheduler "nope"/],
    ['a real server twice', () => bent(running, (c) => {
      const rs = c.virtualServers[0]!.realServers;
      rs.push({ ...rs[0]!, weight: 7 });
    }), /198\.19\.0\.11:80 is configured twice/],
    ['FULLNAT without a local address group', () => bent(running, (c) => {
      c.virtualServers[0]!.realServers[0]!.method = 'fnat';
    }), /FNAT needs laddr_group_name naming a local_address_group/],
  ];

  for (const [what, make, why] of refusals) {
    it(`refuses ${what}: stats, state, ids and traffic as before`, async () => {
      await withLab(running, async (lab) => {
        assert.deepEqual(servers(await send(lab, segment(40000, SYN), segment(40001, SYN))), ['rs1', 'rs2']);
        const table = lab.mem.plane.table;
        const stats = JSON.stringify(lab.stats());
        const state = lab.state();
        const result = await lab.reloadConfig(make(lab));
        assert.equal(result.ok, false);
        assert.deepEqual(result.changes, []);
        assert.match(result.error ?? '', why);
        assert.deepEqual(lab.log, [`reload: configuration rejected, the running one stays in force: ${result.error}`]);
        assert.equal(lab.mem.plane.table, table, 'the same table runs');
        assert.equal(JSON.stringify(lab.stats()), stats);
        assert.deepEqual(lab.state(), state);
        assert.equal(table.registry.draining.size, 0);
        assert.deepEqual(servers(await send(lab, segment(40000, ACK), segment(40002, SYN), segment(40003, SYN))), ['rs1', 'rs3', 'rs1'],
          'the connection goes on, and rr where it was');
        const next = await lab.reload(conf({ rs: [RS1, RS2, RS3, '198.19.0.14'] }));
        assert.ok(next.ok);
        assert.deepEqual(lab.mem.plane.table.dests.map((d) => d.id), [0, 1, 2, 3], 'no id was taken by the refused config');
      });
    });
  }
});

describe('reload: FULLNAT local addresses', () => {
  // Cursors from the lowest port, so the pairs below are known (by default each address starts at a random port).
  before(() => { process.env.DIRECTOR_FIRST_LOCAL_PORT = '1024'; });
  after(() => { delete process.env.DIRECTOR_FIRST_LOCAL_PORT; });
  const fnat = (lips: string[]): string => `local_address_group lips {\n ${lips.join('\n ')}\n}\n${
    conf({ kind: 'FNAT', body: 'laddr_group_name lips', rs: [{ addr: RS1, port: 8080 }] })}`;
  /** Where the director sent a client's segment from: "LIP:port". */
  const via = (f: Buffer): string => `${decodeFrame(f).ip!.src}:${decodeFrame(f).ip!.tcp!.srcPort}`;
  const reply = (lip: string, lport: number, flags: number): Buffer => tcpFrame({
    eth: { src: RS_MAC[0], dst: DIRECTOR_MAC }, ip: { src: RS1, dst: lip }, tcp: { srcPort: 8080, dstPort: lport, flags, ack: 2 },
  });

  it('a changed group hands out no pair in use; a removed address stays while connections hold ports on it', async () => {
    await withLab(fnat([LIP1]), async (lab) => {
      const [a] = await send(lab, segment(40000, SYN));
      assert.equal(via(a!), `${LIP1}:1024`);
      const grown = await lab.reload(fnat([LIP1, LIP2]));
      assert.deepEqual(grown.changes.map((c) => c.message), ['Setting local_address_group lips 198.19.1.1 -> 198.19.1.1 198.19.1.2']);
      const fresh = (await send(lab, segment(40001, SYN), segment(40002, SYN))).map(via);
      assert.deepEqual(fresh.sort(), [`${LIP1}:1025`, `${LIP2}:1024`], '198.19.1.1:1024 is still in use');
      await lab.reload(fnat([LIP2]));
      assert.equal(lab.state().at(-1), `owned ${VIP} ${LIP1} ${LIP2}`, 'the old address is answered for while in use');
      const [back] = await send(lab, reply(LIP1, 1024, SYN | ACK));
      const r = decodeFrame(back!);
      assert.deepEqual([r.ip!.src, r.ip!.dst, r.ip!.tcp!.srcPort, r.ip!.tcp!.dstPort], [VIP, CLIENT, 80, 40000], 'its replies still come back');
      assert.deepEqual((await send(lab, segment(40003, SYN))).map(via), [`${LIP2}:1025`]);
      for (const cport of [40000, 40001]) await send(lab, segment(cport, ACK), segment(cport, RST));
      await lab.advance(11_000);
      assert.equal(lab.state().at(-1), `owned ${VIP} ${LIP2}`, 'let go once its last port is free');
      assert.equal(lab.log.at(-1), `drained: no longer answering for ${LIP1}`);
      assert.deepEqual(lab.stats().services[0]!.localPortsInUse, 2);
    });
  });
});
