// SYN flood defences through the real data path (memory port, DR, fake clock): the budget of
// unconfirmed connections, drop_entry's eviction of the oldest, the rate detector with fast aging,
// drop_packet, and that established connections are never evicted or refused. Plus the config
// keywords that set them.
import assert from 'node:assert/strict';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { defaultFloodConfig, type FloodConfig } from '../../src/config/model.js';
import { CLIENT, DIRECTOR_MAC, FakeClock, memoryLab, ROUTER_MAC, RS, RS_MAC, service, VIP, type MemoryLab } from '../support/memory-plane.js';
import { decodeFrame, tcpFrame, TCP_FLAGS, udpFrame } from '../support/packets.js';

function segment(src: string, sport: number, flags: number): Buffer {
  return tcpFrame({
    eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src, dst: VIP },
    tcp: { srcPort: sport, dstPort: 80, flags, seq: 1 },
  });
}

/** The i-th spoofed flood source, from 198.18.128.0/17 (never the legitimate client's /24). */
function floodSource(i: number): string {
  return `198.18.${128 + (i >> 8)}.${i & 255}`;
}

function flood(lab: MemoryLab, from: number, count: number): void {
  for (let i = from; i < from + count; i++) lab.inject(segment(floodSource(i), 40000 + (i & 1023), TCP_FLAGS.SYN));
}

/** Opens n client connections (SYN, then ACK: ESTABLISHED as a DR director sees it). */
async function establish(lab: MemoryLab, n: number, firstPort = 20000): Promise<number[]> {
  const ports = Array.from({ length: n }, (_, k) => firstPort + k);
  for (const p of ports) lab.inject(segment(CLIENT, p, TCP_FLAGS.SYN));
  for (const p of ports) lab.inject(segment(CLIENT, p, TCP_FLAGS.ACK));
  const sent = await lab.settle();
  assert.equal(sent.length, 2 * n, 'every handshake packet forwarded');
  return ports;
}

/** Sends one data segment per port; returns how many were forwarded to a real server. */
async function dataThrough(lab: MemoryLab, ports: number[], src = CLIENT): Promise<number> {
  for (const p of ports) lab.inject(segment(src, p, TCP_FLAGS.ACK | TCP_FLAGS.PSH));
  const sent = await lab.settle();
  return sent.filter((f) => RS_MAC.includes(decodeFrame(f).dstMac)).length;
}

function options(o: Partial<FloodConfig>): FloodConfig {
  return { ...defaultFloodConfig(), ...o };
}

describe('SYN flood defences (data path over a memory port)', () => {
  it('bounds unconfirmed connections: a flood takes its budget and no more, established flows keep flowing', async () => {
    const lab = await memoryLab(service('dr'), new FakeClock(), { connCapacity: 64, flood: options({ maxUnconfirmed: 16 }) });
    try {
      await lab.settle();
      const legit = await establish(lab, 10);
      flood(lab, 0, 200);
      const forwarded = (await lab.settle()).length;
      assert.equal(forwarded, 16, 'the budget admits 16 unconfirmed connections');
      const s = lab.stats();
      assert.equal(s.drops.unconfirmed_full, 184);
      assert.equal(s.drops.table_full, undefined, 'the table itself never filled');
      assert.equal(s.connections, 26);
      assert.equal(s.flood.unconfirmed, 16);
      assert.equal(s.flood.unconfirmedLimit, 16);
      assert.equal(await dataThrough(lab, legit), 10, 'every established connection still forwards');
      assert.equal(lab.stats().services[0]!.realServers.reduce((a, r) => a + r.activeConns, 0), 10);
    } finally {
      lab.plane.close();
    }
  });

  it('drop_entry: a new connection evicts the oldest unconfirmed one, never an established one', async () => {
    const lab = await memoryLab(service('dr'), new FakeClock(),
      { connCapacity: 64, flood: options({ maxUnconfirmed: 16, dropEntry: true }) });
    try {
      await lab.settle();
      const legit = await establish(lab, 5);
      flood(lab, 0, 100);
      assert.equal((await lab.settle()).length, 100, 'every SYN admitted, each over budget evicting the oldest');
      // A legitimate client now gets in, and completes its handshake.
      const late = await establish(lab, 1, 30000);
      const s = lab.stats();
      assert.equal(s.flood.evicted, 100 - 16 + 1);
      assert.equal(s.flood.unconfirmed, 15, 'the late client is confirmed; 15 flood entries left');
      assert.equal(s.connections, 5 + 1 + 15);
      assert.equal(s.drops.unconfirmed_full, undefined);
      assert.equal(await dataThrough(lab, [...legit, ...late]), 6, 'established connections all kept');
      // The youngest flood entries survive, the oldest are gone (a non-SYN without a connection is dropped).
      const newest = 99;
      assert.equal(await dataThrough(lab, [40000 + newest], floodSource(newest)), 1);
      assert.equal(await dataThrough(lab, [40000], floodSource(0)), 0);
      assert.equal(lab.stats().drops.no_conn, 1);
    } finally {
      lab.plane.close();
    }
  });

  it('detects a flood by the new-connection rate and ages unconfirmed connections fast while it lasts', async () => {
    const clock = new FakeClock();
    const lab = await memoryLab(service('dr'), clock, { connCapacity: 1024, flood: options({ connRate: 50, synTimeout: 3 }) });
    try {
      await lab.settle();
      const legit = await establish(lab, 2);
      assert.equal(lab.stats().flood.underFlood, false);
      flood(lab, 0, 100);
      await lab.settle();
      let s = lab.stats();
      assert.equal(s.flood.underFlood, true);
      assert.equal(s.flood.floodSeconds, 1);
      // Still under flood a second later (the last whole second was over the rate): a legitimate
      // client gets in and, once established, is no longer subject to fast aging.
      clock.ms += 1000;
      flood(lab, 100, 60);
      assert.equal((await lab.settle()).length, 60, 'fast aging refuses nothing');
      const late = await establish(lab, 1, 30000);
      s = lab.stats();
      assert.equal(s.flood.newConnRate, 102, 'the first second counted every attempt');
      assert.equal(s.connections, 2 + 100 + 60 + 1);
      clock.ms += 4000;
      lab.plane.tick();
      s = lab.stats();
      // The first 50 attempts came before the detector tripped: they keep SYN_RECV's 60 s.
      assert.equal(s.connections, 2 + 48 + 1, 'entries made under flood lived 3 s');
      assert.equal(s.flood.underFlood, false, 'quiet for over a second: the flood is over');
      assert.equal(await dataThrough(lab, [...legit, ...late]), 3);
    } finally {
      lab.plane.close();
    }
  });

  it('drop_packet: under flood, new connections beyond the rate in each second are refused', async () => {
    const clock = new FakeClock();
    const lab = await memoryLab(service('dr'), clock, { connCapacity: 1024, flood: options({ connRate: 50, dropPacket: true }) });
    try {
      await lab.settle();
      flood(lab, 0, 120);
      assert.equal((await lab.settle()).length, 50);
      clock.ms += 1000;
      flood(lab, 120, 80);
      assert.equal((await lab.settle()).length, 50, 'the next second admits the rate again');
      const s = lab.stats();
      assert.equal(s.drops.flood_rate, 70 + 30);
      assert.equal(s.flood.floodSeconds, 2);
      assert.equal(s.flood.newConnRate, 120);
    } finally {
      lab.plane.close();
    }
  });

  it('NAT: confirms only a client that acknowledges the real server\'s SYN-ACK', async () => {
    const lab = await memoryLab(service('nat'), new FakeClock(), { connCapacity: 64, flood: options({ maxUnconfirmed: 16 }) });
    const fromClient = (src: string, sport: number, flags: number, ack = 0): Buffer => tcpFrame({
      eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src, dst: VIP }, tcp: { srcPort: sport, dstPort: 80, flags, seq: 1, ack },
    });
    /** The SYN, and the real server's SYN-ACK (ISN 5000) back through the director. */
    const handshake = async (src: string, sport: number): Promise<void> => {
      lab.inject(fromClient(src, sport, TCP_FLAGS.SYN));
      const [syn] = await lab.settle();
      const rs = RS.indexOf(decodeFrame(syn!).ip!.dst);
      lab.inject(tcpFrame({ eth: { src: RS_MAC[rs], dst: DIRECTOR_MAC }, ip: { src: RS[rs]!, dst: src },
        tcp: { srcPort: 8080, dstPort: sport, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, seq: 5000, ack: 2 } }));
      assert.equal((await lab.settle()).length, 1, 'the SYN-ACK goes back to the client');
    };
    try {
      await lab.settle();
      await handshake(CLIENT, 20001);
      lab.inject(fromClient(CLIENT, 20001, TCP_FLAGS.ACK, 5001));
      assert.equal((await lab.settle()).length, 1);
      await handshake(floodSource(1), 20002);
      lab.inject(fromClient(floodSource(1), 20002, TCP_FLAGS.ACK, 777_777));
      // No SYN-ACK seen at all: a blind SYN then ACK.
      lab.inject(fromClient(floodSource(2), 20003, TCP_FLAGS.SYN), fromClient(floodSource(2), 20003, TCP_FLAGS.ACK, 5001));
      assert.equal((await lab.settle()).length, 3);
      let s = lab.stats();
      assert.equal(s.services[0]!.realServers.reduce((a, r) => a + r.activeConns, 0), 3, 'all three ESTABLISHED for IPVS');
      assert.equal(s.flood.unconfirmed, 2, 'only the client that saw the SYN-ACK is confirmed');
      // A later segment acknowledging the SYN-ACK (and some data) confirms after all.
      lab.inject(fromClient(floodSource(1), 20002, TCP_FLAGS.ACK | TCP_FLAGS.PSH, 5001 + 1000));
      await lab.settle();
      s = lab.stats();
      assert.equal(s.flood.unconfirmed, 1);
    } finally {
      lab.plane.close();
    }
  });

  it('UDP flows count towards the rate but never towards the unconfirmed budget', async () => {
    const vs = service('dr', { protocol: 'udp' });
    const lab = await memoryLab(vs, new FakeClock(), { connCapacity: 64, flood: options({ maxUnconfirmed: 4 }) });
    try {
      await lab.settle();
      for (let i = 0; i < 10; i++) {
        lab.inject(udpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src: floodSource(i), dst: VIP },
          udp: { srcPort: 5000, dstPort: 80 } }));
      }
      assert.equal((await lab.settle()).length, 10);
      const s = lab.stats();
      assert.equal(s.flood.unconfirmed, 0);
      assert.equal(s.connections, 10);
    } finally {
      lab.plane.close();
    }
  });
});

describe('SYN flood defences: configuration', () => {
  const vs = 'virtual_server 198.19.0.100 80 {\n protocol TCP\n lb_kind DR\n real_server 198.19.0.11 80 {\n }\n}\n';

  it('reads the global_defs keywords', () => {
    const c = parseKeepalivedConfig(`global_defs {\n conn_table_size 4096\n syn_flood_rate 2000\n syn_flood_timeout 5\n` +
      ` unconfirmed_limit 1000\n drop_entry\n drop_packet false\n}\n${vs}`, 'k.conf');
    assert.equal(c.globalDefs.connTableSize, 4096);
    assert.deepEqual(c.globalDefs.flood, { connRate: 2000, synTimeout: 5, maxUnconfirmed: 1000, dropEntry: true, dropPacket: false });
    assert.deepEqual(c.warnings.filter((w) => /flood|unconfirmed|drop_|conn_table/.test(w.message)), []);
  });

  it('defaults without them, and rejects bad values with file and line', () => {
    assert.deepEqual(parseKeepalivedConfig(vs, 'k.conf').globalDefs.flood, defaultFloodConfig());
    assert.throws(() => parseKeepalivedConfig(`global_defs {\n syn_flood_timeout 0\n}\n${vs}`, 'k.conf'), /k\.conf:2: syn_flood_timeout/);
    assert.throws(() => parseKeepalivedConfig(`global_defs {\n conn_table_size 0\n}\n${vs}`, 'k.conf'), /k\.conf:2: conn_table_size/);
    assert.throws(() => parseKeepalivedConfig(`global_defs {\n unconfirmed_limit many\n}\n${vs}`, 'k.conf'), /k\.conf:2: unconfirmed_limit/);
  });
});
