// Neighbour Discovery frames, byte-exact: the expected hex was made by an independent Python
// script (struct + ipaddress, ICMPv6 checksum summed over the RFC 8200 pseudo-header), and
// every frame reads back through parseNd into the fields it was built from.

import assert from 'node:assert/strict';
import {
  buildNd, buildNeighbourSolicitation, linkLocalOf, buildSolicitedNa, buildUnsolicitedNa, icmpv6Checksum, multicastMac, parseNd,
  solicitedNode, ICMP6_NA, NA_OVERRIDE, NA_SOLICITED,
} from '../../src/nd/nd-frames.js';
import { ipv6Words, parseIpv6 } from '../../src/net/addr6.js';

const w = (text: string): number[] => ipv6Words(parseIpv6(text));
const OUR = '02:00:00:00:00:02';
const PEER = '02:00:00:00:00:11';

const cases: Array<{ what: string; frame: () => Buffer; hex: string }> = [
  {
    what: 'multicast NS to the solicited-node group, with the source link-layer option',
    frame: () => buildNeighbourSolicitation(OUR, w('2001:db8::2'), w('2001:db8::11')),
    hex: '3333ff00001102000000000286dd6000000000203aff20010db8000000000000000000000002ff0200000000000000000001ff00001187001c070000000020010db80000000000000000000000110101020000000002',
  },
  {
    what: 'unicast NS re-confirming a known neighbour',
    frame: () => buildNeighbourSolicitation(OUR, w('2001:db8::2'), w('2001:db8::11'), PEER),
    hex: '02000000001102000000000286dd6000000000203aff20010db800000000000000000000000220010db80000000000000000000000118700ec520000000020010db80000000000000000000000110101020000000002',
  },
  {
    what: 'NS from :: (no source link-layer option)',
    frame: () => buildNeighbourSolicitation(OUR, w('::'), w('2001:db8::11')),
    hex: '3333ff00001102000000000286dd6000000000183aff00000000000000000000000000000000ff0200000000000000000001ff00001187004ccd0000000020010db8000000000000000000000011',
  },
  {
    what: 'unsolicited NA to all nodes, Override only',
    frame: () => buildUnsolicitedNa(OUR, w('2001:db8::100')),
    hex: '33330000000102000000000286dd6000000000203aff20010db8000000000000000000000100ff0200000000000000000000000000018800f72b2000000020010db80000000000000000000001000201020000000002',
  },
  {
    what: 'solicited NA back to the soliciter, Solicited and Override',
    frame: () => buildSolicitedNa(OUR, w('2001:db8::100'), w('2001:db8::11'), PEER),
    hex: '02000000001102000000000286dd6000000000203aff20010db800000000000000000000010020010db8000000000000000000000011880088656000000020010db80000000000000000000001000201020000000002',
  },
  {
    what: 'the NA answering a DAD probe (from ::) goes to all nodes, Solicited clear',
    frame: () => buildSolicitedNa(OUR, w('2001:db8::100'), w('::'), PEER),
    hex: '33330000000102000000000286dd6000000000203aff20010db8000000000000000000000100ff0200000000000000000000000000018800f72b2000000020010db80000000000000000000001000201020000000002',
  },
];

describe('nd-frames', () => {
  for (const c of cases) {
    it(`${c.what}: exact bytes, and back through parseNd and buildNd unchanged`, () => {
      const frame = c.frame();
      assert.equal(frame.toString('hex'), c.hex);
      const fields = parseNd(frame);
      assert.ok(fields);
      assert.equal(fields.hopLimit, 255);
      assert.equal(buildNd(fields).toString('hex'), c.hex);
    });
  }

  it('the unsolicited NA carries Override, not Solicited nor Router, and its target as the option MAC', () => {
    const f = parseNd(buildUnsolicitedNa(OUR, w('2001:db8::100')))!;
    assert.equal(f.type, ICMP6_NA);
    assert.equal(f.flags, NA_OVERRIDE);
    assert.equal(f.flags & NA_SOLICITED, 0);
    assert.equal(f.lla, OUR);
    assert.deepEqual(f.dst, [0xff020000, 0, 0, 1]);
  });

  it('takes addresses as a Uint32Array too', () => {
    const a = buildNeighbourSolicitation(OUR, Uint32Array.from(w('2001:db8::2')), Uint32Array.from(w('2001:db8::11')));
    assert.equal(a.toString('hex'), cases[0]!.hex);
  });

  it('the EUI-64 link-local address of a MAC (the NS source without an address of our own)', () => {
    assert.deepEqual(linkLocalOf('02:00:00:00:0d:01'), w('fe80::ff:fe00:d01'));
    assert.deepEqual(linkLocalOf('52:54:00:12:34:56'), w('fe80::5054:ff:fe12:3456'));
  });

  it('solicited-node group and multicast MAC from the last 24 bits', () => {
    assert.deepEqual(solicitedNode(w('2001:db8::abcd:ef12:3456')), w('ff02::1:ff12:3456'));
    assert.equal(multicastMac(w('ff02::1:ff12:3456')), '33:33:ff:12:34:56');
  });

  it('parseNd refuses a wrong checksum, a cut option and other ICMPv6', () => {
    const good = buildUnsolicitedNa(OUR, w('2001:db8::100'));
    const badSum = Buffer.from(good);
    badSum[14 + 40 + 3]! ^= 1;
    assert.equal(parseNd(badSum), null);
    const zeroOpt = Buffer.from(good);
    zeroOpt[14 + 40 + 25] = 0;  // option length 0 is invalid (RFC 4861 4.6)
    zeroOpt.writeUInt16BE(icmpv6Checksum(zeroOpt, 14), 14 + 40 + 2);
    assert.equal(parseNd(zeroOpt), null);
    const echo = Buffer.from(good);
    echo[14 + 40] = 128;
    assert.equal(parseNd(echo), null);
    assert.equal(parseNd(good.subarray(0, 60)), null);
  });
});
