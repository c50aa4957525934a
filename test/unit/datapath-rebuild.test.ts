// A service table rebuilt and swapped in under running connections (memory port): connections
// keep their real server by id when servers are inserted before it or removed, a removed
// server's connection drains to its end while new ones go elsewhere, counters carry on, and the
// drained server's id is freed once its last connection expired.
import assert from 'node:assert/strict';
import { ServiceTable } from '../../src/datapath/service-table.js';
import {
  CLIENT, DIRECTOR_MAC, labConfig, memoryLab, ROUTER_MAC, RS, RS_MAC, service, SPARE_RS, SPARE_RS_MAC, VIP,
} from '../support/memory-plane.js';
import { decodeFrame, tcpFrame, TCP_FLAGS } from '../support/packets.js';

function segment(cport: number, flags: number): Buffer {
  return tcpFrame({
    eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP },
    tcp: { srcPort: cport, dstPort: 80, flags, seq: 1 },
  });
}

/** Where each frame went, by destination MAC (DR): rs1..rs3, or spare. */
function servers(frames: Buffer[]): string[] {
  const names: Record<string, string> = { [RS_MAC[0]!]: 'rs1', [RS_MAC[1]!]: 'rs2', [RS_MAC[2]!]: 'rs3', [SPARE_RS_MAC]: 'spare' };
  return frames.map((f) => names[decodeFrame(f).dstMac] ?? decodeFrame(f).dstMac);
}

describe('data path, service table rebuilt under running connections', () => {
  it('connections keep their real server by id; a removed one drains, then its id is freed', async () => {
    const lab = await memoryLab(service('dr'));
    try {
      await lab.settle();
      lab.inject(segment(40000, TCP_FLAGS.SYN), segment(40001, TCP_FLAGS.SYN));
      lab.inject(segment(40000, TCP_FLAGS.ACK), segment(40001, TCP_FLAGS.ACK));
      assert.deepEqual(servers(await lab.settle()), ['rs1', 'rs2', 'rs1', 'rs2']);
      const [rs1, rs2, rs3] = lab.table.dests;
      // A server inserted before rs2, rs1 removed: positions all move, identities do not.
      const vs = service('dr');
      const spare = { ...vs.realServers[0]!, address: SPARE_RS };
      vs.realServers = [spare, vs.realServers[1]!, vs.realServers[2]!];
      const next = ServiceTable.build(labConfig(vs), lab.clock, lab.table);
      assert.deepEqual(next.dests.slice(1).map((d) => d.id), [rs2!.id, rs3!.id]);
      lab.plane.install(next);
      assert.equal(lab.plane.table, next);
      await lab.settle();
      lab.inject(segment(40001, TCP_FLAGS.ACK), segment(40000, TCP_FLAGS.ACK));
      assert.deepEqual(servers(await lab.settle()), ['rs2', 'rs1'], 'both connections stay where they were');
      for (let p = 0; p < 6; p++) lab.inject(segment(41000 + p, TCP_FLAGS.SYN));
      const fresh = servers(await lab.settle());
      assert.ok(!fresh.includes('rs1') && fresh.includes('spare'), `new connections avoid the removed server: ${fresh.join(' ')}`);
      const listed = lab.stats().services[0]!.realServers;
      assert.deepEqual(listed.map((r) => r.address), [SPARE_RS, RS[1], RS[2]]);
      assert.deepEqual([listed[1]!.conns, listed[1]!.inPkts, listed[1]!.activeConns], [1 + 2, 3 + 2, 1],
        'rs2 counts its connection from before the rebuild and its new ones');
      // rs1's connection ends (RST: CLOSE, 10 s); once expired the id is free.
      lab.inject(segment(40000, TCP_FLAGS.RST));
      assert.deepEqual(servers(await lab.settle()), ['rs1']);
      assert.ok(next.registry.draining.has(rs1!.id));
      lab.clock.ms += 11_000;
      lab.plane.tick();
      assert.ok(!next.registry.draining.has(rs1!.id), 'drained and freed');
    } finally {
      lab.plane.close();
    }
  });
});
