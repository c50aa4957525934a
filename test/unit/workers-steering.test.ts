// The fanout steering program, run as the kernel runs it (test/support/cbpf.ts) on built frames:
// every packet of a connection, both directions, names the worker that holds the connection.
import assert from 'node:assert/strict';
import { steeringProgram, workerOfClient, workerOfLocalPort } from '../../src/workers/steering.js';
import { runCbpf } from '../support/cbpf.js';
import { arpRequest, icmpEchoFrame, icmpErrorFrame, ipPacketOf, ipToU32, tcpFrame, udpFrame, fragmentFrames } from '../support/packets.js';

const VIP = '198.19.0.100';
const VIP2 = '198.19.0.101';
const LIP = '198.19.1.1';
const RS = '198.19.0.11';
const ROUTER = '198.18.0.1';
const program = steeringProgram({ owned: [VIP, VIP2, LIP].map(ipToU32), local: [LIP].map(ipToU32) });
const workerOf = (frame: Uint8Array, workers: number): number => runCbpf(program, frame) % workers;
const clients = Array.from({ length: 64 }, (_, i) => `198.18.${1 + (i >> 4)}.${10 + i}`);

describe('worker steering (fanout program)', () => {
  for (const workers of [2, 3, 16]) {
    it(`puts a client's packets to a VIP and the NAT replies to it on one worker (${workers} workers)`, () => {
      for (const [i, c] of clients.entries()) {
        const fwd = tcpFrame({ ip: { src: c, dst: i % 2 ? VIP : VIP2 }, tcp: { srcPort: 40000 + i, dstPort: 80, flags: 0x02 } });
        const reply = tcpFrame({ ip: { src: RS, dst: c }, tcp: { srcPort: 8080, dstPort: 40000 + i, flags: 0x12 } });
        const want = workerOfClient(ipToU32(c), workers);
        assert.equal(workerOf(fwd, workers), want, `forward ${c}`);
        assert.equal(workerOf(reply, workers), want, `reply ${c}`);
      }
    });

    it(`gives a FULLNAT reply to the worker its local port belongs to (${workers} workers)`, () => {
      for (const lport of [1024, 1025, 4097, 65535]) {
        const tcpReply = tcpFrame({ ip: { src: RS, dst: LIP }, tcp: { srcPort: 8080, dstPort: lport, flags: 0x10 } });
        const udpReply = udpFrame({ ip: { src: RS, dst: LIP }, udp: { srcPort: 53, dstPort: lport } });
        assert.equal(workerOf(tcpReply, workers), workerOfLocalPort(lport, workers));
        assert.equal(workerOf(udpReply, workers), workerOfLocalPort(lport, workers));
        // An ICMP error about a packet the director sent from that local port.
        const sent = ipPacketOf(tcpFrame({ ip: { src: LIP, dst: RS }, tcp: { srcPort: lport, dstPort: 8080, flags: 0x10 } }));
        const err = icmpErrorFrame({ ip: { src: '198.19.0.1', dst: LIP }, error: { type: 3, code: 4, mtu: 1400, quote: sent } });
        assert.equal(workerOf(err, workers), workerOfLocalPort(lport, workers));
      }
    });
  }

  it('gives an ICMP error about a reply toward a client to that client\'s worker', () => {
    for (const c of clients) {
      const sent = ipPacketOf(tcpFrame({ ip: { src: VIP, dst: c }, tcp: { srcPort: 80, dstPort: 40000, flags: 0x10 } }));
      const err = icmpErrorFrame({ ip: { src: ROUTER, dst: VIP }, error: { type: 3, code: 4, mtu: 1400, quote: sent } });
      assert.equal(workerOf(err, 4), workerOfClient(ipToU32(c), 4));
    }
  });

  it('keeps every fragment of a client datagram on the client\'s worker (the hash ignores ports)', () => {
    const frags = fragmentFrames({ ip: { src: clients[5]!, dst: VIP, id: 7 }, proto: 17, payload: Buffer.alloc(3000) }, 1480);
    assert.ok(frags.length > 1);
    for (const f of frags) assert.equal(workerOf(f, 4), workerOfClient(ipToU32(clients[5]!), 4));
  });

  it('spreads clients over the workers', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4096; i++) counts[workerOfClient((ipToU32('198.18.0.0') + i) >>> 0, 4)]!++;
    for (const n of counts) assert.ok(n >= 900 && n <= 1150, `${counts.join(' ')}`);
  });

  it('sends what is not IPv4 (and an echo with nothing to quote) somewhere valid', () => {
    const arp = arpRequest({ senderMac: '02:00:00:00:00:01', senderIp: ROUTER, targetIp: VIP });
    assert.equal(runCbpf(program, arp), 0);
    const echo = icmpEchoFrame({ ip: { src: clients[0]!, dst: VIP }, echo: { id: 1, seq: 1 } });
    assert.ok([0, 1].includes(workerOf(echo, 2)));
  });

  it('refuses more addresses than short jumps reach', () => {
    const many = Array.from({ length: 2000 }, (_, i) => 0xc6130000 + i);
    assert.throws(() => steeringProgram({ owned: many, local: [] }), /at most/);
  });
});
