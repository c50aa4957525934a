// Live reload over a memory port, the state tables checked after each step (seesaw-style):
// an unchanged config changes nothing; an added real server joins (slow start, alpha); a removed
// one drains until its connections end; expire_nodest_conn ends them at their next packet;
// added and removed services take their VIPs along (gratuitous ARP, ARP answers).
import { strict as assert } from 'node:assert';
import { DestFlags } from '../../src/sched/types.js';
import { ROUTER_IP, ROUTER_MAC, RS, SPARE_RS } from '../support/memory-plane.js';
import { sendFrames, withReloadLab as withLab, type ReloadLab } from '../support/memory-reload.js';
import { conf, datagram, segment, servers, type VsSpec } from '../support/reload-conf.js';
import { arpRequest, decodeFrame, TCP_FLAGS } from '../support/packets.js';

const { SYN, ACK, RST } = TCP_FLAGS;
const [RS1, RS2, RS3] = RS as [string, string, string];


/** Injects frames and returns where they went. */
const send = async (lab: ReloadLab, ...frames: Buffer[]): Promise<string[]> => servers(await sendFrames(lab, ...frames));

const weights = (w: number[], body = ''): VsSpec => ({
  sched: 'wrr', body, rs: w.map((weight, i) => ({ addr: [RS1, RS2, RS3, SPARE_RS][i]!, body: `weight ${weight}` })),
});

describe('reload: real servers join and leave', () => {
  it('the same config again changes nothing: connections, counters and the rr position go on', async () => {
    const text = conf({ rs: [RS1, RS2, RS3] });
    await withLab(text, async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN), segment(40001, SYN)), ['rs1', 'rs2']);
      const before = lab.state();
      assert.deepEqual(before, [
        'TCP 198.19.0.100:80 rr',
        '  -> 198.19.0.11:80 DR weight 1 active 0 inactive 1 conns 1',
        '  -> 198.19.0.12:80 DR weight 1 active 0 inactive 1 conns 1',
        '  -> 198.19.0.13:80 DR weight 1 active 0 inactive 0 conns 0',
        'owned 198.19.0.100',
      ]);
      // Lines move (a comment on top): the same identities, nothing to change.
      const result = await lab.reload(`# edited\n\n${text}`);
      assert.deepEqual(result, { ok: true, changes: [] });
      assert.deepEqual(lab.state(), before);
      assert.deepEqual(lab.log, ['reload: no changes']);
      assert.deepEqual(await send(lab, segment(40000, ACK), segment(40002, SYN)), ['rs1', 'rs3'], 'the connection stays; rr goes on at rs3');
    });
  });

  it('an added real server joins ramping over slowstart; a reload mid-ramp keeps its place, a new weight rescales it', async () => {
    await withLab(conf(weights([100, 100], 'slowstart 4')), async (lab) => {
      const added = conf(weights([100, 100, 100], 'slowstart 4'));
      const result = await lab.reload(added);
      assert.deepEqual(result.changes.map((c) => c.message), [
        'Adding service 198.19.0.13:80 to VS TCP 198.19.0.100:80 (weight 100, DR, slow start over 4 s)',
      ]);
      assert.deepEqual(result.changes.map((c) => [c.action, c.service, c.realServer]), [['added', 'TCP 198.19.0.100:80', '198.19.0.13:80']]);
      assert.equal(lab.state()[3], '  -> 198.19.0.13:80 DR weight 20 active 0 inactive 0 conns 0', 'step 0 of 4: 1/5 of 100');
      await lab.advance(2000);
      assert.equal(lab.state()[3], '  -> 198.19.0.13:80 DR weight 60 active 0 inactive 0 conns 0');
      assert.deepEqual((await lab.reload(added)).changes, [], 'the same config again');
      assert.equal(lab.state()[3], '  -> 198.19.0.13:80 DR weight 60 active 0 inactive 0 conns 0', 'the ramp keeps its place');
      const heavier = await lab.reload(conf(weights([100, 100, 200], 'slowstart 4')));
      assert.deepEqual(heavier.changes.map((c) => c.message), ['Changing service 198.19.0.13:80 in VS TCP 198.19.0.100:80: weight 100 -> 200']);
      assert.equal(lab.state()[3], '  -> 198.19.0.13:80 DR weight 120 active 0 inactive 0 conns 0', 'step 2 of 4 toward 200');
      await lab.advance(2000);
      assert.equal(lab.state()[3], '  -> 198.19.0.13:80 DR weight 200 active 0 inactive 0 conns 0');
    });
  });

  it('an added real server with alpha and a checker stays out until its first check passes', async () => {
    await withLab(conf({ rs: [RS1, RS2] }), async (lab) => {
      const check = 'weight 1\n  alpha\n  TCP_CHECK {\n   connect_timeout 1\n   warmup 1\n  }';
      const result = await lab.reload(conf({ rs: [RS1, RS2, { addr: RS3, body: check }] }));
      assert.deepEqual(lab.log, [
        'Adding service 198.19.0.13:80 to VS TCP 198.19.0.100:80 (weight 1, DR, alpha: down until a check succeeds)',
        'Removing service 198.19.0.13:80 from VS 198.19.0.100:80 (alpha: waiting for a successful check)',
        'reload: 1 changes applied',
      ]);
      assert.equal(result.changes.length, 1);
      assert.equal(lab.state()[3], '  -> 198.19.0.13:80 DR weight 0 active 0 inactive 0 conns 0 down');
      assert.deepEqual(await send(lab, ...[41000, 41001, 41002].map((p) => segment(p, SYN))), ['rs1', 'rs2', 'rs1']);
      await lab.advance(1000);
      assert.deepEqual(lab.executor.runs.map((r) => r.key), ['tcp 198.19.0.13:80'], 'its checker runs after its warmup');
      assert.equal(lab.state()[3], '  -> 198.19.0.13:80 DR weight 1 active 0 inactive 0 conns 0 up');
    });
  });

  it('a removed real server drains: its connection goes on, new ones avoid it, its id is freed when it ends', async () => {
    await withLab(conf({ rs: [RS1, RS2, RS3] }), async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN), segment(40000, ACK)), ['rs1', 'rs1']);
      const id = lab.mem.plane.table.dests[0]!.id;
      const result = await lab.reload(conf({ rs: [RS2, RS3] }));
      assert.deepEqual(result.changes.map((c) => c.message), [
        'Removing service 198.19.0.11:80 from VS TCP 198.19.0.100:80 (draining 1 connection)',
      ]);
      assert.deepEqual(lab.state(), [
        'TCP 198.19.0.100:80 rr',
        '  -> 198.19.0.12:80 DR weight 1 active 0 inactive 0 conns 0',
        '  -> 198.19.0.13:80 DR weight 1 active 0 inactive 0 conns 0',
        'draining 198.19.0.11:80 of 198.19.0.100:80 active 1 inactive 0',
        'owned 198.19.0.100',
      ]);
      assert.deepEqual(await send(lab, segment(40000, ACK), ...[41000, 41001, 41002].map((p) => segment(p, SYN))),
        ['rs1', 'rs2', 'rs3', 'rs2'], 'the old connection stays on rs1, new ones never go there');
      assert.equal(lab.mem.plane.table.destById[id]!.flags & DestFlags.AVAILABLE, 0);
      assert.deepEqual(await send(lab, segment(40000, RST)), ['rs1']);
      await lab.advance(11_000);
      assert.equal(lab.state().some((l) => l.startsWith('draining')), false, 'drained: the id is free');
      assert.equal(lab.mem.plane.table.registry.draining.size, 0);
    });
  });

  it('expire_nodest_conn: a removed server\'s connection ends at its next packet; a SYN or a datagram is scheduled afresh', async () => {
    const tcp: VsSpec = { rs: [RS1, RS2] };
    const udp: VsSpec = { port: 53, protocol: 'UDP', rs: [RS1, RS2] };
    await withLab(conf([tcp, udp], 'expire_nodest_conn'), async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN), segment(40001, SYN), datagram(5000, 53)), ['rs1', 'rs2', 'rs1']);
      const result = await lab.reload(conf([{ rs: [RS2] }, { ...udp, rs: [RS2] }], 'expire_nodest_conn'));
      assert.deepEqual(result.changes.map((c) => c.message), [
        'Removing service 198.19.0.11:80 from VS TCP 198.19.0.100:80 (expiring 1 connection at the next packet)',
        'Removing service 198.19.0.11:53 from VS UDP 198.19.0.100:53 (expiring 1 connection at the next packet)',
      ]);
      assert.deepEqual(await send(lab, segment(40000, ACK)), [], 'dropped, and the connection is gone');
      assert.equal(lab.stats().drops.dest_gone, 1);
      await lab.advance(1000);
      assert.deepEqual(lab.state().filter((l) => l.startsWith('draining')), ['draining 198.19.0.11:53 of 198.19.0.100:53 active 0 inactive 1'],
        'the TCP one is freed at the next tick, the UDP one waits for its next datagram');
      assert.deepEqual(await send(lab, segment(40000, ACK)), [], 'no connection any more');
      assert.equal(lab.stats().drops.no_conn, 1);
      assert.deepEqual(await send(lab, segment(40000, SYN), datagram(5000, 53)), ['rs2', 'rs2'], 'the same tuples, scheduled anew');
      await lab.advance(1000);
      assert.deepEqual(lab.state().filter((l) => l.startsWith('draining')), []);
      assert.equal(lab.stats().connections, 3);
    });
  });

  it('expire_nodest_conn also ends the connections of a server its checks took out (keepalived removes it)', async () => {
    await withLab(conf({ rs: [RS1, RS2] }, 'expire_nodest_conn'), async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN), segment(40001, SYN)), ['rs1', 'rs2']);
      lab.governor.setHealth(lab.mem.plane.table.dests[0]!.id, false);
      assert.deepEqual(await send(lab, segment(40000, ACK), segment(40001, ACK)), ['rs2'], 'rs1\'s connection expired');
      assert.equal(lab.stats().drops.dest_gone, 1);
    });
  });

  it('without expire_nodest_conn the connection of a server its checks took out drains', async () => {
    await withLab(conf({ rs: [RS1, RS2] }), async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN)), ['rs1']);
      lab.governor.setHealth(lab.mem.plane.table.dests[0]!.id, false);
      assert.deepEqual(await send(lab, segment(40000, ACK), segment(40001, SYN)), ['rs1', 'rs2']);
    });
  });

  it('turning expire_nodest_conn on by reload applies to connections already draining', async () => {
    await withLab(conf({ rs: [RS1, RS2] }), async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN)), ['rs1']);
      await lab.reload(conf({ rs: [RS2] }));
      assert.deepEqual(await send(lab, segment(40000, ACK)), ['rs1'], 'draining');
      const result = await lab.reload(conf({ rs: [RS2] }, 'expire_nodest_conn'));
      assert.deepEqual(result.changes.map((c) => c.message), ['Setting expire_nodest_conn on']);
      assert.deepEqual(await send(lab, segment(40000, ACK)), []);
      assert.equal(lab.stats().connections, 0);
    });
  });
});

describe('reload: virtual servers and their VIPs', () => {
  const second: VsSpec = { vip: '198.19.0.101', rs: [RS3] };
  const askFor = (ip: string): Buffer => arpRequest({ senderMac: ROUTER_MAC, senderIp: ROUTER_IP, targetIp: ip });
  const answered = async (lab: ReloadLab, ip: string): Promise<boolean> => {
    lab.mem.inject(askFor(ip));
    return (await lab.mem.settle()).some((f) => decodeFrame(f).arp?.op === 2 && decodeFrame(f).arp?.senderIp === ip);
  };

  it('an added service\'s VIP is announced and answered; a removed one without connections is let go at once', async () => {
    await withLab(conf({ rs: [RS1] }), async (lab) => {
      assert.equal(await answered(lab, '198.19.0.101'), false);
      const result = await lab.reload(conf([{ rs: [RS1] }, second]));
      assert.deepEqual(result.changes.map((c) => c.message), [
        'Adding Virtual Server TCP 198.19.0.101:80 (rr, 1 real server)',
        'Adding service 198.19.0.13:80 to VS TCP 198.19.0.101:80 (weight 1, DR)',
      ]);
      const garp = (await lab.mem.settle()).map(decodeFrame).filter((f) => f.arp !== undefined && f.arp.senderIp === f.arp.targetIp);
      assert.deepEqual(garp.map((f) => [f.dstMac, f.arp!.senderIp, f.arp!.targetIp]), [['ff:ff:ff:ff:ff:ff', '198.19.0.101', '198.19.0.101']],
        'one gratuitous ARP, for the new VIP only');
      assert.equal(await answered(lab, '198.19.0.101'), true);
      assert.deepEqual(await send(lab, segment(40000, SYN, '198.19.0.101')), ['rs3']);
      assert.equal(lab.state().at(-1), 'owned 198.19.0.100 198.19.0.101');
      await send(lab, segment(40000, ACK, '198.19.0.101'), segment(40000, RST, '198.19.0.101'));
      await lab.advance(11_000);
      const removed = await lab.reload(conf({ rs: [RS1] }));
      assert.deepEqual(removed.changes.map((c) => c.message), [
        'Removing Virtual Server TCP 198.19.0.101:80 (no connections)',
        'Removing service 198.19.0.13:80 from VS TCP 198.19.0.101:80 (no connections)',
      ]);
      assert.equal(lab.state().at(-1), 'owned 198.19.0.100');
      assert.equal(await answered(lab, '198.19.0.101'), false);
    });
  });

  it('a removed service with a connection keeps its VIP while it drains, then lets it go; new connections to it find no service', async () => {
    await withLab(conf([{ rs: [RS1] }, second]), async (lab) => {
      assert.deepEqual(await send(lab, segment(40000, SYN, '198.19.0.101')), ['rs3']);
      const result = await lab.reload(conf({ rs: [RS1] }));
      assert.deepEqual(result.changes.map((c) => c.message), [
        'Removing Virtual Server TCP 198.19.0.101:80 (1 connection draining)',
        'Removing service 198.19.0.13:80 from VS TCP 198.19.0.101:80 (draining 1 connection)',
      ]);
      assert.equal(await answered(lab, '198.19.0.101'), true);
      assert.deepEqual(await send(lab, segment(40000, ACK, '198.19.0.101'), segment(40001, SYN, '198.19.0.101')), ['rs3']);
      assert.equal(lab.stats().drops.no_service, 1);
      assert.deepEqual(lab.stats().services.map((s) => s.vip), ['198.19.0.100'], 'listed no more');
      assert.deepEqual(await send(lab, segment(40000, RST, '198.19.0.101')), ['rs3']);
      await lab.advance(11_000);
      assert.deepEqual(lab.log.slice(-1), ['drained: no longer answering for 198.19.0.101'], 'let go once drained, without a reload');
      assert.equal(lab.state().at(-1), 'owned 198.19.0.100');
      assert.equal(await answered(lab, '198.19.0.101'), false);
    });
  });

  it('letting a drained VIP go leaves the other services alone: their scheduler goes on where it was', async () => {
    // wrr, whose position IPVS restarts whenever it is told of a change (rr keeps its place anyway).
    await withLab(conf([{ sched: 'wrr', rs: [RS1, RS2, RS3] }, second]), async (lab) => {
      const syn = async (port: number, vip = '198.19.0.100'): Promise<string[]> => servers(await sendFrames(lab, segment(port, SYN, vip)));
      assert.deepEqual(await syn(40000, '198.19.0.101'), ['rs3']);
      await lab.reload(conf({ sched: 'wrr', rs: [RS1, RS2, RS3] }));
      assert.deepEqual([...await syn(41000), ...await syn(41001)], ['rs1', 'rs2']);
      await sendFrames(lab, segment(40000, ACK, '198.19.0.101'), segment(40000, RST, '198.19.0.101'));
      await lab.advance(11_000);
      assert.deepEqual(lab.log.slice(-1), ['drained: no longer answering for 198.19.0.101']);
      assert.deepEqual([...await syn(41002), ...await syn(41003)], ['rs3', 'rs1'], 'wrr carries on after rs2');
    });
  });
});
