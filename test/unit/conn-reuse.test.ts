// IPVS conn_reuse_mode 1 over a memory port: a client SYN on the ports of a connection that is
// closing or closed (TIME_WAIT, CLOSE) replaces it and is scheduled afresh; a SYN on a live
// connection stays with it. The state table is checked after each step.
import { strict as assert } from 'node:assert';
import { RS } from '../support/memory-plane.js';
import { sendFrames, withReloadLab as withLab, type ReloadLab } from '../support/memory-reload.js';
import { conf, segment, servers } from '../support/reload-conf.js';
import { TCP_FLAGS } from '../support/packets.js';

const { SYN, ACK, RST } = TCP_FLAGS;
const [RS1, RS2] = RS as [string, string];

const send = async (lab: ReloadLab, ...frames: Buffer[]): Promise<string[]> => servers(await sendFrames(lab, ...frames));

describe('connection reuse (IPVS conn_reuse_mode 1)', () => {
  it('a SYN on a closed connection\'s ports is a new connection, scheduled afresh (rr moves on)', async () => {
    await withLab(conf({ rs: [RS1, RS2] }), async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN), segment(40000, ACK), segment(40000, RST)), ['rs1', 'rs1', 'rs1']);
      assert.equal(lab.state()[1], '  -> 198.19.0.11:80 DR weight 1 active 0 inactive 1 conns 1', 'closed: inactive');
      assert.deepEqual(await send(lab, segment(40000, SYN)), ['rs2'], 'the closed one is replaced, rr gives rs2');
      assert.deepEqual(lab.state().slice(1, 3), [
        '  -> 198.19.0.11:80 DR weight 1 active 0 inactive 0 conns 1',
        '  -> 198.19.0.12:80 DR weight 1 active 0 inactive 1 conns 1',
      ]);
      assert.equal(lab.stats().connections, 1);
      assert.deepEqual(await send(lab, segment(40000, ACK)), ['rs2'], 'the new connection carries the flow');
    });
  });

  it('a SYN on a live connection\'s ports stays with it (a retransmitted SYN, or a client bug)', async () => {
    await withLab(conf({ rs: [RS1, RS2] }), async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN), segment(40000, ACK), segment(40000, SYN)), ['rs1', 'rs1', 'rs1']);
      assert.equal(lab.stats().connections, 1);
    });
  });

  it('a server its checks took out gets no reused ports: the SYN goes to a live server, not to the closed connection\'s', async () => {
    await withLab(conf({ rs: [RS1, RS2] }), async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN), segment(40000, ACK), segment(40000, RST)), ['rs1', 'rs1', 'rs1']);
      lab.governor.setHealth(lab.mem.plane.table.dests[0]!.id, false);
      assert.deepEqual(await send(lab, segment(40000, SYN), segment(40000, ACK)), ['rs2', 'rs2']);
    });
  });
});
