// The service table by identity: a rebuild from the previous table keeps the ids (and with them
// counts, weights and counters) of unchanged services and real servers whatever their position,
// removed real servers drain until nothing points at them, a bad config changes nothing.
import { strict as assert } from 'node:assert';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { IdentityRegistry, MAX_IDS } from '../../src/datapath/identities.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import { DestFlags } from '../../src/sched/types.js';
import { packet } from './sched-fixtures.js';

const clock = { now: () => 0 };

function conf(servers: string[], scheduler = 'rr', extra = ''): string {
  return `virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo ${scheduler}
 lb_kind DR
${servers.map((s) => ` real_server ${s} 80 { weight 10 }`).join('\n')}
}
${extra}`;
}

function table(servers: string[], previous?: ServiceTable, scheduler = 'rr', extra = ''): ServiceTable {
  return ServiceTable.build(parseKeepalivedConfig(conf(servers, scheduler, extra)), clock, previous);
}

/** Real server id by its last address octet, as the table lists them. */
function ids(t: ServiceTable): Record<string, number> {
  return Object.fromEntries(t.dests.map((d) => [String(d.addr & 0xff), d.id]));
}

describe('service table: identities across rebuilds', () => {
  it('keeps the ids of unchanged real servers when one is inserted before them and another removed', () => {
    const a = table(['198.19.0.11', '198.19.0.12', '198.19.0.13']);
    const b = table(['198.19.0.14', '198.19.0.12', '198.19.0.13'], a);
    assert.deepEqual([ids(b)['12'], ids(b)['13']], [ids(a)['12'], ids(a)['13']]);
    assert.equal(new Set(Object.values(ids(b))).size, 3, 'the new one has an id of its own');
    assert.equal(b.services[0]!.id, a.services[0]!.id);
    assert.equal(b.registry, a.registry);
  });

  it('what runs (connection counts, weight, traffic counters) follows the id into the new table', () => {
    const a = table(['198.19.0.11', '198.19.0.12']);
    const before = a.dests[1]!;
    before.activeConns = 3;
    before.weight = 4;
    a.registry.destCounters.addIn(before.id, 1500);
    a.registry.serviceCounters.addConn(a.services[0]!.id);
    const b = table(['198.19.0.10', '198.19.0.12'], a);
    const after = b.dests[1]!;
    assert.notEqual(after, before, 'a new read-only view');
    assert.deepEqual([after.id, after.activeConns, after.weight], [before.id, 3, 4]);
    const c = b.registry.destCounters;
    assert.deepEqual([c.inPkts[after.id], c.inBytes[after.id], b.registry.serviceCounters.conns[b.services[0]!.id]], [1, 1500, 1]);
    assert.equal(b.dests[0]!.weight, 10, 'a new real server starts at its configured weight');
  });

  it('a removed real server with connections drains: reachable by id, out of the service, until reaped', () => {
    const a = table(['198.19.0.11', '198.19.0.12']);
    const gone = a.dests[0]!;
    gone.inactConns = 1;
    const b = table(['198.19.0.12'], a);
    assert.deepEqual(b.dests.map((d) => d.id), [a.dests[1]!.id]);
    assert.equal(b.destById[gone.id]?.addr, gone.addr, 'its connection still finds it');
    assert.equal(b.destById[gone.id]!.flags & DestFlags.AVAILABLE, 0);
    assert.ok(b.registry.draining.has(gone.id));
    b.reap();
    assert.ok(b.registry.draining.has(gone.id), 'held while a connection points at it');
    gone.inactConns = 0;
    b.reap();
    assert.ok(!b.registry.draining.has(gone.id));
    const c = table(['198.19.0.12', '198.19.0.15'], b);
    assert.equal(ids(c)['15'], gone.id, 'the freed id is reused');
    assert.deepEqual([c.dests[1]!.inactConns, c.dests[1]!.flags, c.registry.destCounters.conns[gone.id]], [0, DestFlags.AVAILABLE, 0]);
    assert.equal(c.destById[gone.id]!.addr & 0xff, 15);
  });

  it('a removed real server nothing points at is freed at once; one added back while draining gets its id back', () => {
    const a = table(['198.19.0.11', '198.19.0.12']);
    const [idle, busy] = a.dests;
    busy!.activeConns = 1;
    const b = table([], a);
    assert.deepEqual([...b.registry.draining], [busy!.id]);
    assert.equal(b.destById[idle!.id], undefined);
    assert.deepEqual(b.serviceById.map((s) => s.id), [a.services[0]!.id], 'the draining server holds its service');
    assert.ok(b.owns(a.services[0]!.vip), 'and its VIP, for the packets of its connections');
    const c = table(['198.19.0.12'], b);
    assert.equal(c.dests[0]!.id, busy!.id);
    assert.equal(c.dests[0]!.flags & DestFlags.AVAILABLE, DestFlags.AVAILABLE);
    assert.equal(c.registry.draining.size, 0);
  });

  it('an unchanged scheduler keeps its state (rr goes on where it was); a changed one starts fresh', () => {
    const pick = (t: ServiceTable): number => {
      const svc = t.services[0]!;
      return svc.scheduler.schedule(svc.schedState, svc.sched, packet(1, 1, svc.vip), clock)!.addr & 0xff;
    };
    const a = table(['198.19.0.11', '198.19.0.12', '198.19.0.13']);
    assert.deepEqual([pick(a), pick(a)], [11, 12]);
    const b = table(['198.19.0.11', '198.19.0.12', '198.19.0.13'], a);
    assert.equal(pick(b), 13);
    const c = table(['198.19.0.11', '198.19.0.12', '198.19.0.13'], b, 'wrr');
    assert.equal(c.services[0]!.scheduler.name, 'wrr');
    assert.equal(pick(c), 11);
  });

  it('a config that cannot run is refused whole, and the previous ids stand', () => {
    const a = table(['198.19.0.11', '198.19.0.12']);
    const bad = parseKeepalivedConfig(conf(['198.19.0.13']));
    bad.virtualServers[0]!.scheduler = 'nope';
    assert.throws(() => ServiceTable.build(bad, clock, a), /unknown scheduler "nope"/);
    const twice = parseKeepalivedConfig(conf(['198.19.0.13']));
    twice.virtualServers[0]!.realServers.push({ ...twice.virtualServers[0]!.realServers[0]! });
    assert.throws(() => ServiceTable.build(twice, clock, a), /tcp 198\.19\.0\.100:80 198\.19\.0\.13:80 is configured twice/);
    assert.equal(a.registry.draining.size, 0);
    const b = table(['198.19.0.11', '198.19.0.12'], a);
    assert.deepEqual(ids(b), ids(a));
  });

  it('services keep their ids by (protocol, VIP, port), whatever their order', () => {
    const udp = 'virtual_server 198.19.0.100 53 {\n protocol UDP\n lb_algo rr\n lb_kind DR\n real_server 198.19.0.11 53\n}';
    const a = table(['198.19.0.11'], undefined, 'rr', udp);
    const b = ServiceTable.build(parseKeepalivedConfig(`${udp}\n${conf(['198.19.0.11'])}`), clock, a);
    assert.deepEqual(b.services.map((s) => [s.vport, s.id]), a.services.map((s) => [s.vport, s.id]).reverse());
    assert.equal(b.find(17, a.services[1]!.vip, 53)?.id, a.services[1]!.id);
  });

  it('ids fit 16 bits: one real server too many is refused before anything changes', () => {
    const r = new IdentityRegistry();
    const many = Array.from({ length: MAX_IDS }, (_, i) => ({ key: `rs ${i}`, weight: 1 }));
    const first = r.assign([{ key: 'svc', dests: many }]);
    assert.equal(Math.max(...(first.dests[0] ?? [])), MAX_IDS - 1);
    const more = [...many, { key: 'rs one more', weight: 1 }];
    assert.throws(() => r.assign([{ key: 'svc', dests: more }]), /at most 65536 real servers/);
    assert.equal(r.assign([{ key: 'svc', dests: many.slice(0, 1) }]).dests[0]?.[0], 0, 'the old ids stand');
  });
});
