// Neighbour Discovery through the whole data path (memory port, native batch code, classifier):
// solicitations for an owned IPv6 address answered with the exact advertisement nd-frames builds
// (whose bytes an independent script checked), the ones RFC 4861 7.1.1 discards and those for
// addresses not owned refused and counted; the resolver's IPv6 side (want6/learn6, refresh,
// failure, capacity shared with IPv4) with an injected clock; unsolicited NA.
import assert from 'node:assert/strict';
import { ArpResolver, ArpState } from '../../src/arp/resolver.js';
import { buildNd, buildSolicitedNa, buildUnsolicitedNa, ICMP6_NA, ICMP6_NS, NA_OVERRIDE, NA_SOLICITED, parseNd, solicitedNode, multicastMac, type NdFields } from '../../src/nd/nd-frames.js';
import { ipv6Words, parseIpv6 } from '../../src/net/addr6.js';
import { icmp6Frame } from '../support/packets6.js';
import { DIRECTOR_MAC, FakeClock, labConfig, memoryLabFor, ROUTER_MAC, ROUTES, type MemoryLab } from '../support/memory-plane.js';
import { PLANE6, service6 } from '../support/memory-plane6.js';

const w = (text: string): number[] => ipv6Words(parseIpv6(text));
const VIP6 = w('2001:db8::100');
/** A neighbour the lab's settle() does not answer for. */
const PEER6 = w('2001:db8::5');
const OTHER6 = w('2001:db8::101');

/** A neighbour solicitation from the router for target, as Linux sends one (multicast, SLLA). */
function ns(o: Partial<NdFields> = {}): Buffer {
  const target = o.target ?? VIP6;
  const dst = o.dst ?? solicitedNode(target);
  return buildNd({ type: ICMP6_NS, ethDst: multicastMac(dst), ethSrc: ROUTER_MAC, src: PEER6, dst, flags: 0, target, lla: ROUTER_MAC, ...o });
}

/** A lab serving 2001:db8::100 (VIP6) port 80 by DR, its start-up frames drained. */
async function labOwning6(): Promise<MemoryLab> {
  const lab = await memoryLabFor(labConfig(service6('dr')), new FakeClock(), ROUTES, PLANE6);
  await lab.settle();
  return lab;
}

describe('Neighbour Discovery in the data path', () => {
  it('answers a solicitation for an owned address with the solicited NA, and a DAD probe to all nodes', async () => {
    const lab = await labOwning6();
    try {
      lab.inject(ns());
      assert.deepEqual(lab.drain().map((f) => f.toString('hex')), [buildSolicitedNa(DIRECTOR_MAC, VIP6, PEER6, ROUTER_MAC).toString('hex')]);
      lab.inject(ns({ dst: VIP6, ethDst: DIRECTOR_MAC }));  // unicast re-confirmation
      assert.equal(lab.drain().length, 1);
      lab.inject(ns({ src: [0, 0, 0, 0], lla: null }));
      const [dad] = lab.drain();
      assert.equal(dad?.toString('hex'), buildSolicitedNa(DIRECTOR_MAC, VIP6, [0, 0, 0, 0], ROUTER_MAC).toString('hex'));
      assert.equal(parseNd(dad!)?.flags, NA_OVERRIDE);
      assert.equal(lab.stats().nd.solicitsAnswered, 3);
    } finally {
      lab.plane.close();
    }
  });

  it('announces each owned IPv6 address with an unsolicited NA at start', async () => {
    const lab = await memoryLabFor(labConfig(service6('dr')), new FakeClock(), ROUTES, PLANE6);
    try {
      const sent = (await lab.settle()).map((f) => f.toString('hex'));
      assert.ok(sent.includes(buildUnsolicitedNa(DIRECTOR_MAC, VIP6).toString('hex')), 'the NA for 2001:db8::100');
    } finally {
      lab.plane.close();
    }
  });

  it('answers nothing for invalid solicitations or addresses not owned, and counts each', async () => {
    const lab = await labOwning6();
    try {
      const cutOption = ns();
      cutOption[14 + 40 + 25] = 0;  // option length 0
      const invalid = [
        ns({ hopLimit: 254 }), ns({ target: w('ff02::1') }), cutOption, ns({ src: [0, 0, 0, 0] }) /* DAD with an SLLA */,
        ns({ src: [0, 0, 0, 0], lla: null, dst: VIP6 }) /* DAD not to the solicited-node group */,
      ];
      const consumedBefore = lab.stats().drops.nd_consumed ?? 0;  // the start-up advertisements learnt from
      lab.inject(...invalid);
      lab.inject(ns({ target: OTHER6 }));
      assert.equal(lab.drain().length, 0);
      const s = lab.stats();
      assert.equal(s.nd.invalid, invalid.length);
      assert.equal(s.drops.nd_invalid, invalid.length);
      assert.equal(s.nd.notOwned, 1);
      assert.equal(s.drops.nd_consumed, consumedBefore + 1);
      assert.equal(s.nd.solicitsAnswered, 0);
      // A wrong checksum reaches the native answer, which re-checks the bytes and refuses it.
      const badSum = ns();
      badSum[14 + 40 + 2]! ^= 1;
      lab.inject(badSum);
      assert.equal(lab.drain().length, 0);
      assert.equal(lab.stats().port.verdictErrors, 1);
    } finally {
      lab.plane.close();
    }
  });

  it('resolves an IPv6 neighbour: multicast NS from the director address on the segment, learns the NA, sends unsolicited NA', async () => {
    const lab = await labOwning6();
    try {
      const learnedBefore = lab.stats().nd.learned;  // the real servers, at start
      const entry = lab.plane.arp.want6(PEER6[0]!, PEER6[1]!, PEER6[2]!, PEER6[3]!)!;
      const [solicit] = lab.drain();
      const f = parseNd(solicit!)!;
      assert.equal(f.type, ICMP6_NS);
      assert.deepEqual(f.src, PLANE6.localIp6, "from the director's address on the segment");
      assert.deepEqual(f.dst, solicitedNode(PEER6));
      assert.equal(lab.plane.arp.ready[entry.id], 0);
      lab.inject(buildNd({
        type: ICMP6_NA, ethDst: DIRECTOR_MAC, ethSrc: ROUTER_MAC, src: PEER6, dst: f.src, flags: NA_SOLICITED | NA_OVERRIDE, target: PEER6, lla: ROUTER_MAC,
      }));
      await new Promise((r) => setImmediate(r));
      assert.equal(lab.plane.arp.ready[entry.id], 1);
      assert.equal(lab.plane.arp.macLo[entry.id], 0x000000fe);
      assert.equal(lab.stats().nd.learned, learnedBefore + 1);
      // A solicited advertisement multicast is discarded (RFC 4861 7.1.2); one answering a unicast
      // probe without the target option (as Linux sends it) re-confirms the MAC known.
      const invalidBefore = lab.stats().nd.invalid;
      lab.inject(buildNd({
        type: ICMP6_NA, ethDst: '33:33:00:00:00:01', ethSrc: ROUTER_MAC, src: PEER6, dst: w('ff02::1'), flags: NA_SOLICITED, target: PEER6, lla: ROUTER_MAC,
      }));
      assert.equal(lab.stats().nd.invalid, invalidBefore + 1);
      lab.inject(buildNd({
        type: ICMP6_NA, ethDst: DIRECTOR_MAC, ethSrc: '02:00:00:00:00:fd', src: PEER6, dst: f.src, flags: NA_SOLICITED, target: PEER6, lla: null,
      }));
      assert.equal(lab.plane.arp.macLo[entry.id], 0x000000fe);
      assert.equal(lab.stats().nd.learned, learnedBefore + 2);
      // Another MAC without Override (RFC 4861 7.2.5) keeps the one in use and re-confirms it by a
      // unicast solicitation to it; with Override the new MAC replaces it.
      lab.drain();
      const other = (flags: number) => buildNd({
        type: ICMP6_NA, ethDst: DIRECTOR_MAC, ethSrc: '02:00:00:00:00:fd', src: PEER6, dst: f.src, flags, target: PEER6, lla: '02:00:00:00:00:fd',
      });
      lab.inject(other(NA_SOLICITED));
      await new Promise((r) => setImmediate(r));
      assert.equal(lab.plane.arp.macLo[entry.id], 0x000000fe, 'no Override: the MAC in use stays');
      assert.equal(lab.plane.arp.ready[entry.id], 1);
      const probe = lab.drain().map((x) => parseNd(x)).find((x) => x?.type === ICMP6_NS);
      assert.ok(probe, 'a solicitation re-confirms the MAC in use');
      assert.deepEqual(probe.dst, PEER6, 'unicast to the neighbour');
      lab.inject(other(NA_SOLICITED | NA_OVERRIDE));
      await new Promise((r) => setImmediate(r));
      assert.equal(lab.plane.arp.macLo[entry.id], 0x000000fd, 'Override: the new MAC replaces it');
      lab.plane.sendUnsolicitedNa([VIP6]);
      assert.deepEqual(lab.drain().map((x) => x.toString('hex')), [buildUnsolicitedNa(DIRECTOR_MAC, VIP6).toString('hex')]);
    } finally {
      lab.plane.close();
    }
  });
});

describe('ICMPv6 echo in the data path', () => {
  it('answers an echo request to an owned address; one to another address is not answered', async () => {
    const lab = await labOwning6();
    try {
      const client = '2001:db8:1::10';
      const body = Buffer.from('director-echo6');
      const eth = { src: ROUTER_MAC, dst: DIRECTOR_MAC };
      lab.inject(icmp6Frame({ eth, ip: { src: client, dst: '2001:db8::100', hop: 60 }, type: 128, rest: 0x00070001, body }));
      lab.inject(icmp6Frame({ eth, ip: { src: client, dst: '2001:db8::101', hop: 60 }, type: 128, rest: 0x00070001, body }));
      const want = icmp6Frame({ eth: { src: DIRECTOR_MAC, dst: ROUTER_MAC }, ip: { src: '2001:db8::100', dst: client, hop: 64 }, type: 129, rest: 0x00070001, body });
      assert.deepEqual(lab.drain().map((f) => f.toString('hex')), [want.toString('hex')]);
      assert.equal(lab.stats().icmpSent.echoReplies, 1);
      assert.equal(lab.stats().drops.not_ours, 1);
    } finally {
      lab.plane.close();
    }
  });
});

describe('ArpResolver, IPv6 neighbours', () => {
  const make = (capacity = 8) => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const changes: number[] = [];
    const arp = new ArpResolver({
      clock, capacity, onChange: (e) => changes.push(e.id),
      sendRequest: (ip, hi, lo) => sent.push(`arp ${ip} ${hi}:${lo}`),
      sendSolicit: (a, hi, lo) => sent.push(`ns ${a.join('.')} ${hi}:${lo}`),
    });
    return { clock, sent, changes, arp };
  };

  it('want6 shares the id space with IPv4 and asks once per address', () => {
    const { arp, sent } = make();
    const v4 = arp.want(0xc6130001)!;
    const v6 = arp.want6(PEER6[0]!, PEER6[1]!, PEER6[2]!, PEER6[3]!)!;
    assert.equal(v4.id, 0);
    assert.equal(v6.id, 1);
    assert.equal(arp.want6(PEER6[0]!, PEER6[1]!, PEER6[2]!, PEER6[3]!), v6);
    assert.deepEqual(sent, ['arp 3323133953 0:0', `ns ${PEER6.join('.')} 0:0`]);
    assert.equal(arp.counters6.solicitsSent, 1);
    assert.equal(arp.room, 6);
  });

  it('learn6 only keeps wanted addresses; refresh re-confirms unicast; silence fails the entry', () => {
    const { arp, sent, clock, changes } = make();
    arp.learn6(OTHER6[0]!, OTHER6[1]!, OTHER6[2]!, OTHER6[3]!, 0x0200, 0x99);
    assert.equal(arp.get6(OTHER6[0]!, OTHER6[1]!, OTHER6[2]!, OTHER6[3]!), undefined);
    const e = arp.want6(PEER6[0]!, PEER6[1]!, PEER6[2]!, PEER6[3]!)!;
    arp.learn6(PEER6[0]!, PEER6[1]!, PEER6[2]!, PEER6[3]!, 0x0200, 0xfe);
    assert.equal(e.state, ArpState.REACHABLE);
    assert.equal(arp.ready[e.id], 1);
    assert.deepEqual(changes, [e.id]);
    sent.length = 0;
    clock.ms += 30_000;
    arp.tick();
    assert.equal(e.state, ArpState.PROBING);
    assert.deepEqual(sent, [`ns ${PEER6.join('.')} 512:254`], 'unicast to the known MAC');
    for (let i = 0; i < 3; i++) {
      clock.ms += 1_000;
      arp.tick();
    }
    assert.equal(e.state, ArpState.FAILED);
    assert.equal(arp.ready[e.id], 0);
    assert.equal(arp.counters6.failures, 1);
    assert.equal(arp.counters.failures, 0);
    arp.want6(PEER6[0]!, PEER6[1]!, PEER6[2]!, PEER6[3]!);
    assert.equal(e.state, ArpState.INCOMPLETE, 'wanted again: asked afresh');
  });

  it('capacity is shared: a full table refuses IPv6 as IPv4; entries keep their own ids', () => {
    const { arp } = make(3);
    arp.want(1);
    const words = [w('2001:db8::a'), w('2001:db8::b')];
    for (const a of words) assert.ok(arp.want6(a[0]!, a[1]!, a[2]!, a[3]!));
    assert.equal(arp.want6(9, 9, 9, 9), undefined);
    assert.equal(arp.want(2), undefined);
    for (const [i, a] of words.entries()) assert.equal(arp.get6(a[0]!, a[1]!, a[2]!, a[3]!)?.id, i + 1);
  });
});
