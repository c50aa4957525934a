// Live reload over a memory port, settings that change under running connections: the
// scheduler (fresh, new connections only), weights (at once, respecting health), thresholds
// (OVERLOAD at once), the forwarding method (per connection), health checkers (kept, new,
// removed, in flight); and reloads applied one at a time, in order.
import { strict as assert } from 'node:assert';
import { DestFlags } from '../../src/sched/types.js';
import { RS, VIP } from '../support/memory-plane.js';
import { sendFrames as send, withReloadLab as withLab } from '../support/memory-reload.js';
import { conf, segment, servers, type VsSpec } from '../support/reload-conf.js';
import { decodeFrame, TCP_FLAGS } from '../support/packets.js';

const { SYN, ACK } = TCP_FLAGS;
const [RS1, RS2, RS3] = RS as [string, string, string];

const syns = (from: number, n: number): Buffer[] => Array.from({ length: n }, (_, i) => segment(from + i, SYN));
const messages = (r: { changes: Array<{ message: string }> }): string[] => r.changes.map((c) => c.message);
const TCP_CHECK = 'TCP_CHECK {\n   connect_timeout 1\n   warmup 0\n  }';

describe('reload: settings of running services', () => {
  it("global_defs lvs_timeouts are set again by every reload that has them; one without leaves them", async () => {
    await withLab(conf({ rs: [RS1] }, 'lvs_timeouts tcp 100'), async (lab) => {
      const timeouts = () => ({ ...lab.mem.plane.timeouts });
      assert.deepEqual(timeouts(), { tcp: 100, tcpFin: 120, udp: 300 });
      await lab.reload(conf({ rs: [RS1] }, 'lvs_timeouts tcpfin 30 udp 60'));
      assert.deepEqual(timeouts(), { tcp: 100, tcpFin: 30, udp: 60 });
      assert.ok(lab.log.includes('Changing timeouts (tcp tcpfin udp): 100 120 300 -> 100 30 60 (connections at their next packet)'), lab.log.join('\n'));
      await lab.reload(conf({ rs: [RS1] }));
      assert.deepEqual(timeouts(), { tcp: 100, tcpFin: 30, udp: 60 });
    });
  });

  it('a changed scheduler starts fresh for new connections; existing ones stay where they are', async () => {
    const rs = [{ addr: RS1, body: 'weight 1' }, { addr: RS2, body: 'weight 3' }];
    await withLab(conf({ sched: 'rr', rs }), async (lab) => {
      assert.deepEqual(servers(await send(lab, ...syns(40000, 2))), ['rs1', 'rs2']);
      const result = await lab.reload(conf({ sched: 'wrr', rs }));
      assert.deepEqual(messages(result), ['Changing Virtual Server TCP 198.19.0.100:80: lb_algo rr -> wrr (new connections only)']);
      assert.deepEqual(result.changes[0]!.details, ['lb_algo rr -> wrr (new connections only)']);
      assert.deepEqual(servers(await send(lab, segment(40000, ACK), segment(40001, ACK))), ['rs1', 'rs2']);
      assert.deepEqual(servers(await send(lab, ...syns(41000, 4))), ['rs2', 'rs2', 'rs1', 'rs2'], 'wrr from the top: weight 3 at cw 3, 2, 1; weight 1 at cw 1');
      assert.equal(lab.state()[0], 'TCP 198.19.0.100:80 wrr');
    });
  });

  it('a changed weight applies at once; a server its checks took out stays at 0 and comes back at the new weight', async () => {
    const spec = (w1: number, w2: number): VsSpec => ({
      sched: 'wrr', body: 'delay_loop 1', rs: [{ addr: RS1, body: `weight ${w1}\n  ${TCP_CHECK}` }, { addr: RS2, body: `weight ${w2}` }],
    });
    await withLab(conf(spec(1, 1)), async (lab) => {
      lab.executor.answers.set(`tcp ${RS1}:80`, { ok: false, detail: 'refused', latencyMs: 1 });
      await lab.advance(100);
      assert.equal(lab.state()[1], '  -> 198.19.0.11:80 DR weight 0 active 0 inactive 0 conns 0 down');
      const result = await lab.reload(conf(spec(5, 3)));
      assert.deepEqual(messages(result), [
        'Changing service 198.19.0.11:80 in VS TCP 198.19.0.100:80: weight 1 -> 5',
        'Changing service 198.19.0.12:80 in VS TCP 198.19.0.100:80: weight 1 -> 3',
      ]);
      assert.deepEqual(lab.state().slice(1, 3), [
        '  -> 198.19.0.11:80 DR weight 0 active 0 inactive 0 conns 0 down',
        '  -> 198.19.0.12:80 DR weight 3 active 0 inactive 0 conns 0',
      ]);
      assert.equal(lab.stats().services[0]!.realServers[0]!.health!.configWeight, 5);
      lab.executor.answers.clear();
      await lab.advance(1000);
      assert.equal(lab.state()[1], '  -> 198.19.0.11:80 DR weight 5 active 0 inactive 0 conns 0 up');
      const spread = servers(await send(lab, ...syns(41000, 8)));
      assert.deepEqual([spread.filter((s) => s === 'rs1').length, spread.filter((s) => s === 'rs2').length], [5, 3]);
    });
  });

  it('changed thresholds set or clear OVERLOAD at once', async () => {
    const spec = (upper: number): VsSpec => ({ rs: [{ addr: RS1, body: `weight 1\n  uthreshold ${upper}` }, RS2] });
    await withLab(conf(spec(0)), async (lab) => {
      assert.deepEqual(servers(await send(lab, ...syns(40000, 2))), ['rs1', 'rs2']);
      const rs1 = (): number => lab.mem.plane.table.dests[0]!.flags & DestFlags.OVERLOAD;
      assert.deepEqual(messages(await lab.reload(conf(spec(1)))), ['Changing service 198.19.0.11:80 in VS TCP 198.19.0.100:80: uthreshold 0 -> 1']);
      assert.equal(rs1(), DestFlags.OVERLOAD, 'one connection reaches the new upper threshold');
      assert.deepEqual(servers(await send(lab, ...syns(41000, 3))), ['rs2', 'rs2', 'rs2']);
      await lab.reload(conf(spec(5)));
      assert.equal(rs1(), 0, 'raised: cleared');
      assert.deepEqual(servers(await send(lab, ...syns(42000, 2))), ['rs1', 'rs2']);
    });
  });

  it('a changed forwarding method: the connection keeps DR, new connections to the server go NAT', async () => {
    await withLab(conf({ rs: [RS1, RS2] }), async (lab) => {
      const [dr] = await send(lab, segment(40000, SYN));
      assert.deepEqual([servers([dr!]), decodeFrame(dr!).ip!.dst], [['rs1'], VIP]);
      const result = await lab.reload(conf({ rs: [{ addr: RS1, body: 'weight 1\n  lb_kind NAT' }, RS2] }));
      assert.deepEqual(messages(result), ['Changing service 198.19.0.11:80 in VS TCP 198.19.0.100:80: lb_kind DR -> NAT (new connections only)']);
      assert.equal(lab.state()[1], '  -> 198.19.0.11:80 NAT weight 1 active 0 inactive 1 conns 1');
      const [still] = await send(lab, segment(40000, ACK));
      assert.deepEqual([servers([still!]), decodeFrame(still!).ip!.dst], [['rs1'], VIP], 'DR: only the MAC changes');
      const fresh = (await send(lab, ...syns(41000, 2))).map(decodeFrame).find((f) => f.ip!.dst === RS1);
      assert.ok(fresh, 'a new connection to rs1 has its address as destination: NAT');
      assert.equal(fresh.ip!.tcp!.dstPort, 80);
    });
  });
});

describe('reload: health checkers follow the table', () => {
  const withCheck = (check = TCP_CHECK, extra = ''): VsSpec => ({
    body: `delay_loop 5${extra}`, rs: [{ addr: RS1, body: `weight 1\n  ${check}` }, { addr: RS2, body: `weight 1\n  ${TCP_CHECK}` }],
  });
  const DOWN = { ok: false, detail: 'refused', latencyMs: 1 } as const;

  it('an unchanged checker keeps its state and schedule, whatever moved in the file', async () => {
    await withLab(conf(withCheck()), async (lab) => {
      lab.executor.answers.set(`tcp ${RS1}:80`, DOWN);
      await lab.advance(100);
      assert.equal(lab.state()[1], '  -> 198.19.0.11:80 DR weight 0 active 0 inactive 0 conns 0 down');
      const runs = lab.executor.runs.length;
      const result = await lab.reload(`# a comment moves every line\n${conf(withCheck())}`);
      assert.deepEqual(result.changes, []);
      assert.equal(lab.state()[1], '  -> 198.19.0.11:80 DR weight 0 active 0 inactive 0 conns 0 down', 'still down');
      await lab.advance(1000);
      assert.equal(lab.executor.runs.length, runs, 'no check before its delay_loop is due');
      lab.executor.answers.clear();
      await lab.advance(5000);
      assert.equal(lab.state()[1], '  -> 198.19.0.11:80 DR weight 1 active 0 inactive 0 conns 0 up');
    });
  });

  it('a changed checker starts afresh; with every checker removed a server is up', async () => {
    await withLab(conf(withCheck()), async (lab) => {
      lab.executor.answers.set(`tcp ${RS1}:80`, DOWN);
      await lab.advance(100);
      const http = 'HTTP_GET {\n   url {\n    path /health\n   }\n   connect_timeout 1\n   warmup 0\n  }';
      const result = await lab.reload(conf(withCheck(http)));
      assert.deepEqual(messages(result), ['Changing service 198.19.0.11:80 in VS TCP 198.19.0.100:80: checkers TCP_CHECK -> HTTP_GET']);
      assert.ok(lab.log.includes('Adding service 198.19.0.11:80 to VS 198.19.0.100:80 (weight 1) (checkers changed)'), lab.log.join('\n'));
      await lab.advance(100);
      assert.equal(lab.executor.runs.at(-1)!.key, `http ${RS1}:80`, 'the new checker runs at once (no warmup)');
      lab.executor.answers.set(`http ${RS1}:80`, DOWN);
      await lab.advance(20_000);
      assert.equal(lab.state()[1], '  -> 198.19.0.11:80 DR weight 0 active 0 inactive 0 conns 0 down');
      const none = await lab.reload(conf({ body: 'delay_loop 5', rs: [RS1, { addr: RS2, body: `weight 1\n  ${TCP_CHECK}` }] }));
      assert.deepEqual(messages(none), ['Changing service 198.19.0.11:80 in VS TCP 198.19.0.100:80: checkers HTTP_GET -> (none)']);
      assert.equal(lab.state()[1], '  -> 198.19.0.11:80 DR weight 1 active 0 inactive 0 conns 0', 'no checkers: up');
    });
  });

  it('a result still in flight for a removed server is ignored', async () => {
    await withLab(conf(withCheck()), async (lab) => {
      await lab.advance(100);
      lab.executor.holding = true;
      lab.executor.answers.set(`tcp ${RS2}:80`, DOWN);
      // Its next check starts and hangs (advance() would wait for it).
      lab.mem.clock.ms += 5000;
      lab.health.poll();
      assert.ok(lab.executor.runs.some((r) => r.key === `tcp ${RS2}:80` && r.at === lab.mem.clock.ms), 'a check of rs2 is in flight');
      const inFlight = lab.executor.runs.filter((r) => r.key === `tcp ${RS2}:80`).length;
      const result = await lab.reload(conf({ body: 'delay_loop 5', rs: [{ addr: RS1, body: `weight 1\n  ${TCP_CHECK}` }] }));
      assert.deepEqual(messages(result), ['Removing service 198.19.0.12:80 from VS TCP 198.19.0.100:80 (no connections)']);
      const logged = lab.log.length;
      lab.executor.release();
      await lab.advance(10_000);
      assert.deepEqual(lab.log.slice(logged), [], 'no "failed", no health change for a server that is gone');
      assert.equal(lab.executor.runs.filter((r) => r.key === `tcp ${RS2}:80`).length, inFlight, 'and no more checks of it');
    });
  });
});

describe('reload: one at a time', () => {
  it('a second reload waits for the first and is diffed against it', async () => {
    await withLab(conf({ rs: [RS1, RS2] }), async (lab) => {
      const added = conf({ rs: [RS1, RS2, RS3] });
      const reweighted = conf({ rs: [{ addr: RS1, body: 'weight 2' }, RS2, RS3] });
      const [first, second] = await Promise.all([lab.reload(added), lab.reload(reweighted)]);
      assert.deepEqual(messages(first), ['Adding service 198.19.0.13:80 to VS TCP 198.19.0.100:80 (weight 1, DR)']);
      assert.deepEqual(messages(second), ['Changing service 198.19.0.11:80 in VS TCP 198.19.0.100:80: weight 1 -> 2']);
      assert.deepEqual(lab.state().slice(1, 4).map((l) => l.split(' ').slice(3, 6).join(' ')), [
        '198.19.0.11:80 DR weight', '198.19.0.12:80 DR weight', '198.19.0.13:80 DR weight',
      ]);
      assert.equal(lab.mem.plane.table.dests[0]!.weight, 2);
    });
  });
});
