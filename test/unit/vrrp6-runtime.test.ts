// VRRPv3 over IPv6 at run time without a network: VrrpRuntime with an IPv6 instance over fake
// sockets and real timers (advert_int 0.1 s, so master-down is 0.3 s + skew): backup while a
// better master speaks from its link-local address, master when it stops (adverts to ff02::12
// with hop limit 255 from our link-local address, unsolicited NA rounds for the VIPs, the gate
// answering them), refused adverts counted by reason, priority 0 on stop; and the gate's IPv6 side.

import assert from 'node:assert/strict';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { VipGate } from '../../src/datapath/vip-gate.js';
import { parseIpv6 } from '../../src/net/addr6.js';
import type { NativeVrrpSocket } from '../../src/native/types.js';
import { buildVrrpIpv6, ipv6Bytes, ipv6FromBytes, ipv6ToWords, readVrrpIpv6, VRRP_GROUP6 } from '../../src/vrrp/vrrp-packet6.js';
import { VrrpRuntime, vrrpAddresses } from '../../src/vrrp/vrrp-runtime.js';

const a6 = (text: string): bigint => ipv6FromBytes(parseIpv6(text));
const w6 = (a: bigint): Uint32Array => Uint32Array.from(ipv6ToWords(a));
/** A service table owning no IPv6 address. */
const NONE = { owns6: (): boolean => false };
const OUR_LL = a6('fe80::2');
const PEER_LL = a6('fe80::3');
const VIPS = [a6('2001:db8:1::100'), a6('2001:db8:1::101')];
const CONF = `
vrrp_instance V6 {
    interface lan0
    dont_track_primary
    virtual_router_id 61
    priority 100
    advert_int 0.1
    virtual_ipaddress {
        2001:db8:1::100/64
        2001:db8:1::101/64
    }
}
`;

class FakeSocket6 implements NativeVrrpSocket {
  sent: Buffer[] = [];
  closed = false;
  private deliver: ((p: Buffer | string) => void) | null = null;
  start(onPacket: (p: Buffer | string) => void): void { this.deliver = onPacket; }
  send(packet: Uint8Array): void { this.sent.push(Buffer.from(packet)); }
  close(): void { this.closed = true; }
  linkLocal(): Buffer { return Buffer.from(ipv6Bytes(OUR_LL)); }
  hear(priority: number, over: { src?: bigint; hopLimit?: number } = {}): void {
    const advert = { version: 3 as const, vrid: 61, priority, addresses: VIPS, intervalCs: 10 };
    this.deliver?.(buildVrrpIpv6({ advert, src: over.src ?? PEER_LL, ...(over.hopLimit !== undefined ? { hopLimit: over.hopLimit } : {}) }));
  }
}

class IdleSocket implements NativeVrrpSocket {
  started = false;
  start(): void { this.started = true; }
  send(): void { throw new Error('no IPv4 instance: nothing to send'); }
  close(): void {}
}

describe('VrrpRuntime with an IPv6 instance over fake sockets (real timers, 0.1 s adverts)', function () {
  this.timeout(60_000);
  const until = async (what: string, check: () => boolean): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('backup, takeover with adverts from the link-local address and NA rounds, drops counted, priority 0 on stop', async () => {
    const config = parseKeepalivedConfig(CONF, 'k.conf');
    const socket = new IdleSocket();
    const socket6 = new FakeSocket6();
    const gate = new VipGate(vrrpAddresses(config));
    const rounds: bigint[][] = [];
    const rt = new VrrpRuntime({
      config, interface: 'lan0', localIp: 0, socket, socket6, gate, sendGratuitousArp: () => assert.fail('no ARP for IPv6'),
      announceIpv6: (addrs) => rounds.push([...addrs]), clock: { now: () => performance.now() }, log: () => {},
    });
    const state = (): string => rt.stats().instances[0]!.state;
    const speaker = setInterval(() => socket6.hear(150), 50);
    try {
      rt.start();
      assert.equal(socket.started, false, 'no IPv4 instance: the IPv4 socket is not read');
      await until('adverts heard', () => rt.stats().advertsReceived >= 10);
      assert.equal(state(), 'BACKUP');
      assert.equal(rt.stats().instances[0]!.master, 'fe80::3');
      assert.deepEqual(rt.stats().instances[0]!.addresses, ['2001:db8:1::100', '2001:db8:1::101']);
      assert.equal(gate.answers6(w6(VIPS[0]!), 0, NONE), false);
      socket6.hear(150, { hopLimit: 254 });
      socket6.hear(150, { src: a6('2001:db8:1::3') });
      assert.deepEqual(rt.stats().drops, { 'hop-limit': 1, 'source-not-link-local': 1 });
      clearInterval(speaker);
      const stoppedAt = performance.now();
      await until('MASTER', () => state() === 'MASTER');
      // v3 master-down: 3 x 0.1 s + (256 - 100) x 0.1 s / 256 = 0.361 s after the last advert.
      const took = performance.now() - stoppedAt;
      assert.ok(took >= 300 && took < 1500, `takeover after ${took.toFixed(0)} ms`);
      assert.ok(VIPS.every((v) => gate.answers6(w6(v), 0, NONE)), 'MASTER: the gate answers both VIPs');
      assert.deepEqual(rounds, Array(5).fill(VIPS), "keepalived's first set: 5 rounds of unsolicited NA");
      await until('adverts sent', () => socket6.sent.length >= 3);
      for (const p of socket6.sent) {
        const r = readVrrpIpv6(p);
        assert.ok(r.ok);
        assert.deepEqual([r.packet.src, r.packet.dst, r.packet.hopLimit, r.packet.advert.priority, r.packet.advert.intervalCs], [OUR_LL, VRRP_GROUP6, 255, 100, 10]);
      }
      socket6.hear(150);
      assert.equal(state(), 'BACKUP', 'a better master: BACKUP at once');
      assert.equal(gate.answers6(w6(VIPS[1]!), 0, NONE), false, 'and its VIPs are no longer answered');
      await until('MASTER again', () => state() === 'MASTER');
      rt.stop();
      const last = readVrrpIpv6(socket6.sent.at(-1)!);
      assert.ok(last.ok && last.packet.advert.priority === 0, 'a clean stop resigns with priority 0');
      assert.ok(socket6.closed);
    } finally {
      clearInterval(speaker);
      rt.stop();
    }
  });

  it('refuses an IPv6 instance without an IPv6 socket, and an interface without a link-local address', () => {
    const config = parseKeepalivedConfig(CONF, 'k.conf');
    const base = { config, interface: 'lan0', localIp: 0, socket: new IdleSocket(), gate: new VipGate(), sendGratuitousArp: () => {}, clock: { now: () => 0 }, log: () => {} };
    assert.throws(() => new VrrpRuntime(base), /vrrp_instance V6 is IPv6: no IPv6 VRRP socket was opened/);
    const noLinkLocal = Object.assign(new FakeSocket6(), { linkLocal: () => null });
    assert.throws(() => new VrrpRuntime({ ...base, socket6: noLinkLocal }), /interface lan0 has no IPv6 link-local address/);
  });
});

describe('VIP gate, IPv6 side', () => {
  it('answers a VRRP IPv6 address only while its instance is MASTER; others as the table says', () => {
    const other = a6('2001:db8:1::200');
    const gate = new VipGate([VIPS[0]!, 0xc6130064]);
    // The address sits at an offset, as in a meta record.
    const rec = new Uint32Array(12);
    const at = (a: bigint): Uint32Array => { rec.set(ipv6ToWords(a), 8); return rec; };
    const table = { owns6: (w: Uint32Array, off: number): boolean => w[off + 3] === ipv6ToWords(other)[3] };
    assert.deepEqual([gate.answers6(at(VIPS[0]!), 8, table), gate.answers6(at(other), 8, table), gate.answers6(at(other), 8, NONE)], [false, true, false]);
    assert.deepEqual([gate.decides6(at(VIPS[0]!), 8), gate.decides6(w6(other))], [true, false]);
    gate.setMaster('V6', [VIPS[0]!]);
    assert.equal(gate.answers6(at(VIPS[0]!), 8, NONE), true);
    gate.setMaster('V6', []);
    assert.equal(gate.answers6(w6(VIPS[0]!), 0, table), false);
  });
});
