// The native engine through memory ports: one handler call per batch, verdicts applied by the
// core, the hold pool, bad input answered with errors or counted drops, and the layout checks.

import assert from 'node:assert/strict';
import { assertLayout, loadAddon } from '../../src/native/binding.js';
import { Action, LAYOUT, Limits, Meta as M, Method, OffloadBits, Verdict as V } from '../../src/native/layout.generated.js';
import type { NativeEngine } from '../../src/native/types.js';
import {
  arpRequest, decodeFrame, macHiLo, makePartial, parseVnet, udpFrame, ipToU32,
} from '../support/packets.js';

const MAC_IN = '02:00:00:00:0a:01';
const MAC_OUT = '02:00:00:00:0a:02';
const RS_MAC = '02:00:00:00:0b:11';

function clientFrame(i = 0): Buffer {
  return udpFrame({
    eth: { src: '02:00:00:00:0c:01', dst: MAC_IN },
    ip: { src: '198.18.1.10', dst: '198.19.0.100', id: i & 0xffff },
    udp: { srcPort: 40000 + (i % 1000), dstPort: 53, payload: Buffer.from(`hello ${i}`) },
  });
}

/** Writes a DR forward to `port` toward RS_MAC into verdict record i. */
function forwardDr(v: Uint32Array, i: number, port: number): void {
  const at = i * V.WORDS;
  const mac = macHiLo(RS_MAC);
  v[at + V.ACTION] = Action.FORWARD;
  v[at + V.METHOD] = Method.DR;
  v[at + V.PORT] = port;
  v[at + V.DST_MAC_HI] = mac.hi;
  v[at + V.DST_MAC_LO] = mac.lo;
}

describe('native engine (memory ports)', () => {
  let engine: NativeEngine;
  let pin: number;
  let pout: number;

  beforeEach(() => {
    engine = new (loadAddon().Engine)();
    pin = engine.addMemoryPort('in', MAC_IN, 1500);
    pout = engine.addMemoryPort('out', MAC_OUT, 1500);
  });
  afterEach(() => engine.close());

  describe('layout', () => {
    it('was built from the records.h TypeScript was generated from, and sizes its buffers by it', () => {
      assertLayout(loadAddon().layout);
      assert.deepEqual(loadAddon().layout, LAYOUT);
      assert.equal(engine.meta.length, Limits.BATCH_MAX * M.WORDS);
      assert.equal(engine.verdict.length, Limits.BATCH_MAX * V.WORDS);
      assert.equal(engine.heldVerdict.length, Limits.HOLD_SLOTS * V.WORDS);
      assert.equal(engine.heldMeta.length, Limits.HOLD_SLOTS * M.WORDS);
    });

    it('rejects the layout of a stale build: a moved word, a missing or extra name, a missing table', () => {
      const stale = (edit: (l: Record<string, Record<string, number>>) => void): unknown => {
        const copy = JSON.parse(JSON.stringify(LAYOUT)) as Record<string, Record<string, number>>;
        edit(copy);
        return copy;
      };
      assert.throws(() => assertLayout(stale((l) => { l.Meta!.HASH = 99; })), new RegExp(`Meta\\.HASH is 99 in the addon and ${M.HASH} in TypeScript`));
      assert.throws(() => assertLayout(stale((l) => { delete l.Verdict!.SLOT; })), /Verdict\.SLOT is undefined in the addon/);
      assert.throws(() => assertLayout(stale((l) => { l.Action!.REDIRECT = 9; })), /Action\.REDIRECT is 9 in the addon and undefined/);
      assert.throws(() => assertLayout(stale((l) => { delete l.Limits; })), /table Limits is only on one side/);
      assert.throws(() => assertLayout(undefined), /no layout export/);
    });
  });

  describe('batches', () => {
    it('parses a batch, calls the handler once, applies DR and sends on the egress port', () => {
      const calls: Array<[number, number]> = [];
      engine.onBatch((port, count) => {
        calls.push([port, count]);
        for (let i = 0; i < count; i++) {
          assert.equal(engine.meta[i * M.WORDS + M.SRC_IP], ipToU32('198.18.1.10'));
          assert.equal(engine.meta[i * M.WORDS + M.DST_PORT], 53);
          forwardDr(engine.verdict, i, pout);
        }
      });
      const frames = [0, 1, 2].map(clientFrame);
      engine.inject(pin, frames);
      assert.deepEqual(calls, [[pin, 3]]);
      const out = engine.drain(pout);
      assert.equal(out.length, 3);
      out.forEach((o, i) => {
        const d = decodeFrame(o.frame);
        assert.equal(d.dstMac, RS_MAC);
        assert.equal(d.srcMac, MAC_OUT);
        assert.deepEqual(o.frame.subarray(12), frames[i]!.subarray(12), 'only the MACs change in DR');
      });
      assert.equal(engine.drain(pout).length, 0, 'drain empties the port');
      assert.equal(engine.drain(pin).length, 0);
    });

    it('splits more than batchMax frames into batches of at most batchMax', () => {
      const sizes: number[] = [];
      engine.onBatch((_port, count) => {
        sizes.push(count);
        for (let i = 0; i < count; i++) forwardDr(engine.verdict, i, pout);
      });
      const n = Limits.BATCH_MAX * 2 + 17;
      engine.inject(pin, Array.from({ length: n }, (_, i) => clientFrame(i)));
      assert.deepEqual(sizes, [Limits.BATCH_MAX, Limits.BATCH_MAX, 17]);
      assert.equal(engine.drain(pout).length, n);
      const c = engine.counters(pin);
      assert.equal(c.rxFrames, n);
      assert.equal(c.rxBatches, 3);
      assert.equal(engine.counters(pout).txFrames, n);
    });

    it('drops frames whose verdict the handler left alone (records start as DROP)', () => {
      let round = 0;
      engine.onBatch((_port, count) => {
        if (round++ === 0) for (let i = 0; i < count; i++) forwardDr(engine.verdict, i, pout);
      });
      engine.inject(pin, [clientFrame(1)]);
      engine.inject(pin, [clientFrame(2)]);
      assert.equal(engine.drain(pout).length, 1, 'the second batch must not replay the first verdict');
    });

    it('drops everything when no handler is set', () => {
      engine.inject(pin, [clientFrame()]);
      assert.equal(engine.counters(pin).rxFrames, 1);
      assert.equal(engine.drain(pout).length + engine.drain(pin).length, 0);
    });

    it('carries the vnet header: CHECKSUM_PARTIAL is reported and kept on the way out', () => {
      const { frame, vnet } = makePartial(clientFrame());
      let offload = -1;
      engine.onBatch((_p, count) => {
        offload = engine.meta[M.OFFLOAD]!;
        for (let i = 0; i < count; i++) forwardDr(engine.verdict, i, pout);
      });
      engine.inject(pin, [frame], [vnet]);
      assert.ok(offload & OffloadBits.CSUM_PARTIAL);
      const [out] = engine.drain(pout);
      assert.deepEqual(parseVnet(out!.vnet), parseVnet(vnet));
    });

    it('answers an ARP request on the ingress port', () => {
      engine.onBatch(() => { engine.verdict[V.ACTION] = Action.ARP_REPLY; });
      engine.inject(pin, [arpRequest({ senderMac: '02:00:00:00:0c:01', senderIp: '198.19.0.1', targetIp: '198.19.0.100' })]);
      const [reply] = engine.drain(pin);
      assert.ok(reply, 'a reply leaves by the ingress port');
      const d = decodeFrame(reply.frame);
      assert.equal(d.arp?.op, 2);
      assert.equal(d.srcMac, MAC_IN);
      assert.equal(engine.drain(pout).length, 0);
    });
  });

  describe('hold pool', () => {
    it('holds a frame with its metadata and transmits it later with a held verdict', () => {
      engine.onBatch(() => {
        engine.verdict[V.ACTION] = Action.HOLD;
        engine.verdict[V.SLOT] = 5;
      });
      const frame = clientFrame(7);
      engine.inject(pin, [frame]);
      assert.equal(engine.drain(pout).length, 0);
      assert.equal(engine.heldMeta[5 * M.WORDS + M.SRC_IP], ipToU32('198.18.1.10'));
      assert.equal(engine.heldMeta[5 * M.WORDS + M.LEN], frame.length);
      forwardDr(engine.heldVerdict, 0, pout);
      engine.heldVerdict[V.SLOT] = 5;
      engine.transmitHeld(1);
      const out = engine.drain(pout);
      assert.equal(out.length, 1);
      assert.equal(decodeFrame(out[0]!.frame).dstMac, RS_MAC);
      assert.throws(() => engine.transmitHeld(1), /hold slot 5 is empty/, 'the slot is freed');
    });

    it('rejects held verdicts naming a bad slot, sending nothing', () => {
      engine.heldVerdict.fill(0);
      engine.heldVerdict[V.SLOT] = Limits.HOLD_SLOTS;
      assert.throws(() => engine.transmitHeld(1), RangeError);
      assert.throws(() => engine.transmitHeld(Limits.HOLD_SLOTS + 1), RangeError);
      engine.transmitHeld(0);
    });

    it('counts a HOLD into a slot out of range as a verdict error', () => {
      engine.onBatch(() => {
        engine.verdict[V.ACTION] = Action.HOLD;
        engine.verdict[V.SLOT] = 1_000_000;
      });
      engine.inject(pin, [clientFrame()]);
      assert.equal(engine.counters(pin).verdictErrors, 1);
    });
  });

  describe('bad input', () => {
    it('throws TypeError/RangeError for wrong arguments', () => {
      const e = engine as unknown as Record<string, (...a: unknown[]) => unknown>;
      assert.throws(() => e.inject!(9, [clientFrame()]), RangeError);
      assert.throws(() => e.inject!(pin, 'x'), TypeError);
      assert.throws(() => e.inject!(pin, ['not bytes']), TypeError);
      assert.throws(() => e.inject!(pin, [Buffer.alloc(70_000)]), RangeError);
      assert.throws(() => e.inject!(pin, [Buffer.alloc(0)]), RangeError);
      assert.throws(() => e.inject!(pin, [clientFrame()], [Buffer.alloc(3)]), RangeError);
      assert.throws(() => e.inject!(pin, [clientFrame()], []), TypeError);
      assert.throws(() => e.addMemoryPort!('x', 'zz:00', 1500), TypeError);
      assert.throws(() => e.addMemoryPort!('x', MAC_IN, 10), RangeError);
      assert.throws(() => e.send!(pout, Buffer.alloc(1600)), RangeError);
      assert.throws(() => e.send!(pout, Buffer.alloc(5)), RangeError);
      assert.throws(() => e.counters!(-1), RangeError);
      assert.throws(() => e.portInfo!(1.5), RangeError);
      assert.throws(() => e.onBatch!(42), TypeError);
      assert.throws(() => e.addPacketPort!('x', { blockSize: 1000 }), RangeError);
      assert.throws(() => e.addPacketPort!('x', { fanoutGroup: 70_000 }), RangeError);
      assert.throws(() => e.setFanoutProgram!(pin, new Uint32Array([6, 0])), /not a fanout member/);
    });

    it('counts verdicts with an egress port or action out of range, sending nothing', () => {
      engine.onBatch((_p, count) => {
        forwardDr(engine.verdict, 0, 40);
        engine.verdict[V.WORDS + V.ACTION] = 99;
        assert.equal(count, 2);
      });
      engine.inject(pin, [clientFrame(1), clientFrame(2)]);
      assert.equal(engine.counters(pin).verdictErrors, 2);
      assert.equal(engine.drain(pout).length, 0);
    });

    it('counts frames that do not parse', () => {
      const bad = clientFrame();
      bad.writeUInt8(bad.readUInt8(24) ^ 0xff, 24);  // IPv4 header checksum
      engine.inject(pin, [bad, Buffer.alloc(6, 1)]);
      assert.equal(engine.counters(pin).rxParseErrors, 2);
    });

    it('rethrows a handler exception from inject and sends nothing of that batch', () => {
      engine.onBatch((_p, count) => {
        for (let i = 0; i < count; i++) forwardDr(engine.verdict, i, pout);
        throw new Error('handler failed');
      });
      assert.throws(() => engine.inject(pin, [clientFrame()]), /handler failed/);
      assert.equal(engine.drain(pout).length, 0);
    });

    it('refuses inject() and close() from inside the handler', () => {
      const seen: string[] = [];
      engine.onBatch(() => {
        try { engine.inject(pin, [clientFrame()]); } catch (e) { seen.push((e as Error).message); }
        try { engine.close(); } catch (e) { seen.push((e as Error).message); }
      });
      engine.inject(pin, [clientFrame()]);
      assert.equal(seen.length, 2);
      assert.match(seen[0]!, /inside the batch handler/);
      assert.match(seen[1]!, /inside the batch handler/);
    });

    it('is unusable after close and closing twice is fine', () => {
      engine.close();
      engine.close();
      assert.throws(() => engine.inject(pin, [clientFrame()]), /closed/);
      assert.throws(() => engine.addMemoryPort('y', MAC_IN, 1500), /closed/);
      assert.equal(engine.meta.length, Limits.BATCH_MAX * M.WORDS, 'record buffers stay valid');
    });
  });

  describe('send and counters', () => {
    it('sends a TypeScript-built frame unchanged and counts it', () => {
      const frame = clientFrame(3);
      engine.send(pout, frame);
      const [out] = engine.drain(pout);
      assert.deepEqual(out!.frame, frame);
      assert.deepEqual(out!.vnet, Buffer.alloc(10));
      const c = engine.counters(pout);
      assert.equal(c.txFrames, 1);
      assert.equal(c.txBytes, frame.length);
      assert.deepEqual(engine.portInfo(pout), { index: pout, kind: 'memory', name: 'out', ifindex: 0, mac: MAC_OUT, mtu: 1500, ipv4: 0 });
    });
  });

  describe('pure core exports', () => {
    it('parse() fills the same record the engine does, rewrite() returns the DR frame', () => {
      const addon = loadAddon();
      const frame = clientFrame(9);
      const meta = addon.parse(frame);
      assert.equal(meta.length, M.WORDS);
      assert.equal(meta[M.DST_IP], ipToU32('198.19.0.100'));
      const v = new Uint32Array(V.WORDS);
      forwardDr(v, 0, 0);
      const out = addon.rewrite(frame, v, { mac: MAC_OUT, mtu: 1500 });
      assert.equal(out.error, 0);
      assert.equal(out.length, 1);
      assert.equal(decodeFrame(out[0]!.frame).dstMac, RS_MAC);
      assert.deepEqual(frame, clientFrame(9), 'the caller\'s frame is not modified');
      assert.throws(() => addon.rewrite(frame, new Uint32Array(2), { mac: MAC_OUT, mtu: 1500 }), TypeError);
    });
  });
});
