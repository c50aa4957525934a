// Resource caps: the per-source new-connection limiter on its own (GCRA rate and burst, its
// sketch's false refusals, crafted sources), then every cap through the real data path on a
// memory port (source_conn_rate, hold_queue_size and hold_queue_per_address, frag_cache_size),
// each counted when hit in stats and in the Prometheus drop series; plus the keywords.
import assert from 'node:assert/strict';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { defaultLimits, type LimitsConfig } from '../../src/config/model.js';
import { SourceRateLimiter } from '../../src/datapath/source-rate.js';
import { flowHash } from '../../src/native/flow-hash.js';
import { RateSampler } from '../../src/control/rates.js';
import { createMetricsRegistry } from '../../src/metrics/prometheus.js';
import { CLIENT, DIRECTOR_MAC, FakeClock, memoryLab, ROUTER_MAC, RS_MAC, service, VIP, type MemoryLab } from '../support/memory-plane.js';
import { decodeFrame, fragmentFrames, PROTO, tcpFrame, TCP_FLAGS, udpFrame } from '../support/packets.js';
import { parseExposition, valueOf } from '../support/prom-text.js';

const KEY = Uint32Array.of(0x01234567, 0x89abcdef);
const ip = (a: number, b: number): number => ((198 << 24) | (18 << 16) | (a << 8) | b) >>> 0;

describe('per-source rate limiter', () => {
  it('admits a burst at once, then one connection per interval; each source has its own budget', () => {
    const rl = new SourceRateLimiter({ rate: 10, burst: 5, slots: 1024 }, KEY);
    const t0 = 1_000_000;
    const a = ip(1, 1);
    const b = ip(1, 2);
    const burst = Array.from({ length: 8 }, () => rl.admit(a, t0));
    assert.deepEqual(burst, [true, true, true, true, true, false, false, false]);
    assert.equal(rl.admit(b, t0), true, 'another source is not limited by the first');
    assert.equal(rl.admit(a, t0 + 99), false, 'less than 1/rate later: still over');
    assert.equal(rl.admit(a, t0 + 100), true, '1/rate later: one more');
    assert.equal(rl.admit(a, t0 + 100), false);
    // A second of silence gives the whole burst back, and no more.
    const later = Array.from({ length: 7 }, () => rl.admit(a, t0 + 2000));
    assert.equal(later.filter(Boolean).length, 5);
    assert.equal(rl.stats().limited, 3 + 1 + 1 + 2);
  });

  it('holds a source over its rate to the rate over time', () => {
    const rl = new SourceRateLimiter({ rate: 50, burst: 10, slots: 4096 }, KEY);
    let admitted = 0;
    // 1,000 attempts a second for 10 s, one every millisecond.
    for (let ms = 0; ms < 10_000; ms++) if (rl.admit(ip(7, 7), 5_000_000 + ms)) admitted++;
    assert.ok(admitted >= 500 && admitted <= 500 + 10, `${admitted} admitted in 10 s at 50/s with a burst of 10`);
  });

  it('rarely refuses a source within its rate because of others: 1,000 sources, 4,096 buckets a row', () => {
    const rl = new SourceRateLimiter({ rate: 1, burst: 1, slots: 4096 }, KEY);
    let refused = 0;
    for (let i = 0; i < 1000; i++) if (!rl.admit(ip(16 + (i >> 8), i & 255), 1_000_000)) refused++;
    // Wrongly refused only when both of its buckets already hold an earlier source: the i-th
    // source with odds (1 - e^(-i/4096))^2, about 1.7% over the run; one row alone would be 11%.
    assert.ok(refused <= 40, `${refused} of 1,000 single connections refused`);
  });

  it('sources crafted against a guessed key do not reach a victim: the key is secret', () => {
    const victim = ip(1, 10);
    const slots = 128;
    const guessedKey = Uint32Array.of(1, 2);
    // The attacker searches all of 198.18.0.0/15 for sources that share both of the victim's
    // buckets under the guessed key (the sketch's hash is public, only its key is not).
    const aimed: number[] = [];
    for (let s = 0; s < 1 << 17; s++) {
      const src = (ip(0, 0) + s) >>> 0;
      if (src !== victim && bucket(guessedKey, src, 0, slots) === bucket(guessedKey, victim, 0, slots) &&
          bucket(guessedKey, src, 1, slots) === bucket(guessedKey, victim, 1, slots)) aimed.push(src);
    }
    assert.ok(aimed.length >= 3, `the attack finds its sources (${aimed.length})`);
    const fooled = new SourceRateLimiter({ rate: 1, burst: 1, slots }, guessedKey);
    for (const src of aimed) fooled.admit(src, 0);
    assert.equal(fooled.admit(victim, 0), false, 'under the guessed key they lock the victim out');
    const real = new SourceRateLimiter({ rate: 1, burst: 1, slots }, KEY);
    for (const src of aimed) real.admit(src, 0);
    assert.equal(real.admit(victim, 0), true, 'under the real key the victim still gets in');
  });
});

/** The sketch's bucket of src in a row, as source-rate.ts defines it (the attacker's model). */
function bucket(key: Uint32Array, src: number, row: number, slots: number): number {
  return Math.floor(((flowHash(key[0]!, key[1]!, 0, src | 0, row, 0, 0) >>> 0) * slots) / 2 ** 32);
}

function syn(src: string, sport: number): Buffer {
  return tcpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src, dst: VIP }, tcp: { srcPort: sport, dstPort: 80, flags: TCP_FLAGS.SYN, seq: 1 } });
}

function limits(o: Partial<LimitsConfig>): LimitsConfig {
  return { ...defaultLimits(), ...o };
}

async function dropsSeries(lab: MemoryLab, reason: string): Promise<number> {
  const rates = new RateSampler(lab.clock);
  rates.sample(lab.plane.table);
  const registry = createMetricsRegistry({ plane: lab.plane, rates, up: () => true });
  return valueOf(parseExposition(await registry.metrics()), 'director_drops_total', { reason });
}

describe('resource caps through the data path (memory port, DR)', () => {
  it('source_conn_rate: a source over its rate is refused and counted, another source is served', async () => {
    const lab = await memoryLab(service('dr'), new FakeClock(), { limits: limits({ sourceConnRate: 5, sourceConnBurst: 5 }) });
    try {
      await lab.settle();
      const noisy = '198.18.2.20';
      for (let p = 0; p < 50; p++) lab.inject(syn(noisy, 30000 + p));
      for (let p = 0; p < 3; p++) lab.inject(syn(CLIENT, 40000 + p));
      const sent = await lab.settle();
      const from = (src: string) => sent.filter((f) => decodeFrame(f).ip?.src === src && RS_MAC.includes(decodeFrame(f).dstMac)).length;
      assert.equal(from(noisy), 5, 'the burst, then nothing');
      assert.equal(from(CLIENT), 3, 'the other client is served');
      let s = lab.stats();
      assert.equal(s.drops.source_rate, 45);
      assert.deepEqual(s.limits.sourceRate, { rate: 5, burst: 5, slots: 65_536, limited: 45 });
      assert.equal(s.connections, 8, 'refused sources took no entries');
      assert.equal(await dropsSeries(lab, 'source_rate'), 45);
      // A second later the source has earned 5 more.
      lab.clock.ms += 1000;
      for (let p = 50; p < 60; p++) lab.inject(syn(noisy, 30000 + p));
      assert.equal((await lab.settle()).length, 5);
      s = lab.stats();
      assert.equal(s.drops.source_rate, 50);
    } finally {
      lab.plane.close();
    }
  });

  it('hold_queue_size and hold_queue_per_address: frames beyond either are dropped as hold_full', async () => {
    const lab = await memoryLab(service('dr'), new FakeClock(), { limits: limits({ holdQueue: 4, holdPerAddress: 2 }) });
    try {
      // Nothing resolved yet: every SYN's frame waits for its real server's MAC. rr spreads the
      // ten over three servers (4, 3, 3): two of each may wait, and four in all.
      for (let p = 0; p < 10; p++) lab.inject(syn(CLIENT, 41000 + p));
      const s = lab.stats();
      assert.equal(s.limits.holdQueue.held, 4);
      assert.deepEqual(s.limits.holdQueue, { held: 4, capacity: 4, perAddress: 2 });
      assert.equal(s.drops.hold_full, 6);
      assert.equal(s.drops.unresolved, undefined);
      const sent = await lab.settle();
      assert.equal(sent.filter((f) => RS_MAC.includes(decodeFrame(f).dstMac)).length, 4, 'the held four go once resolved');
      assert.equal(await dropsSeries(lab, 'hold_full'), 6);
    } finally {
      lab.plane.close();
    }
  });

  it('frag_cache_size: a datagram forgotten for a newer one is counted, its later fragments are orphans', async () => {
    const lab = await memoryLab(service('dr', { protocol: 'udp', port: 53 }), new FakeClock(), { limits: limits({ fragCache: 1 }) });
    try {
      await lab.settle();
      const payload = Buffer.concat([Buffer.from([0x13, 0x88, 0, 53, 0, 208, 0, 0]), Buffer.alloc(200, 1)]);
      const datagram = (id: number) => fragmentFrames({
        eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP, id }, proto: PROTO.UDP, payload,
      }, 64);
      const [a, b] = [datagram(1), datagram(2)];
      lab.inject(a[0]!, b[0]!); // two first fragments, one slot: the second evicts the first
      lab.inject(...a.slice(1), ...b.slice(1));
      const sent = await lab.settle();
      assert.equal(sent.length, 2 + (b.length - 1), 'both first fragments, and the later ones of the remembered datagram');
      const s = lab.stats();
      assert.deepEqual(s.limits.fragCache, { slots: 1, evicted: 1 });
      assert.equal(s.drops.fragment, a.length - 1);
      const m = parseExposition(await createMetricsRegistry({ plane: lab.plane, rates: new RateSampler(lab.clock), up: () => true }).metrics());
      assert.equal(valueOf(m, 'director_frag_cache_evictions_total'), 1);
      assert.equal(valueOf(m, 'director_frag_cache_slots'), 1);
    } finally {
      lab.plane.close();
    }
  });

  it('conn_table_size: a full table refuses new connections as table_full', async () => {
    // UDP: outside the flood guard's unconfirmed budget, so the table itself is what fills.
    const lab = await memoryLab(service('dr', { protocol: 'udp', port: 53 }), new FakeClock(), { connCapacity: 8 });
    try {
      await lab.settle();
      for (let p = 0; p < 12; p++) {
        lab.inject(udpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: CLIENT, dst: VIP }, udp: { srcPort: 42000 + p, dstPort: 53 } }));
      }
      assert.equal((await lab.settle()).length, 8);
      const s = lab.stats();
      assert.deepEqual(s.limits.connTable, { size: 8, capacity: 8 });
      assert.equal(s.drops.table_full, 4);
    } finally {
      lab.plane.close();
    }
  });
});

describe('resource caps: configuration', () => {
  const vs = 'virtual_server 198.19.0.100 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 198.19.0.11 80 {\n }\n}\n';

  it('reads the global_defs keywords, without warnings', () => {
    const c = parseKeepalivedConfig(`global_defs {\n hold_queue_size 32\n hold_queue_per_address 4\n frag_cache_size 1000\n` +
      ` source_conn_rate 200\n source_conn_burst 400\n source_table_size 1024\n}\n${vs}`, 'k.conf');
    assert.deepEqual(c.globalDefs.limits,
      { holdQueue: 32, holdPerAddress: 4, fragCache: 1000, sourceConnRate: 200, sourceConnBurst: 400, sourceTable: 1024 });
    assert.deepEqual(c.warnings, []);
  });

  it('defaults without them, and rejects bad values with file and line', () => {
    assert.deepEqual(parseKeepalivedConfig(vs, 'k.conf').globalDefs.limits,
      { holdQueue: 64, holdPerAddress: 16, fragCache: 4096, sourceConnRate: 0, sourceConnBurst: 0, sourceTable: 65_536 });
    const bad = (line: string, re: RegExp) => assert.throws(() => parseKeepalivedConfig(`global_defs {\n ${line}\n}\n${vs}`, 'k.conf'), re);
    bad('hold_queue_size 65', /k\.conf:2: hold_queue_size/);
    bad('hold_queue_size 0', /k\.conf:2: hold_queue_size/);
    bad('hold_queue_per_address x', /k\.conf:2: hold_queue_per_address/);
    bad('frag_cache_size 0', /k\.conf:2: frag_cache_size/);
    bad('source_conn_rate -1', /k\.conf:2: source_conn_rate/);
    bad('source_conn_burst 1 2', /k\.conf:2: source_conn_burst/);
    bad('source_table_size 0', /k\.conf:2: source_table_size/);
  });
});
