// VRRP at run time without a network: the data plane's VIP gate (ARP answered and announced only
// while the instance is MASTER), reading link states, and VrrpRuntime over a fake socket with
// real timers (VRRPv3, advert_int 0.1 s, so master-down is 0.36 s): it waits as BACKUP while a
// better master advertises, takes over when the adverts stop, yields to a better one at once and
// resigns with priority 0 on stop.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { VipGate } from '../../src/datapath/vip-gate.js';
import { parseIpv4 } from '../../src/net/addr.js';
import type { NativeVrrpSocket } from '../../src/native/types.js';
import { buildVrrpIpv4, readVrrpIpv4 } from '../../src/vrrp/vrrp-frame.js';
import { VrrpRuntime } from '../../src/vrrp/vrrp-runtime.js';
import { linksUp } from '../../src/vrrp/vrrp-track.js';
import { DIRECTOR_IP, labConfig, memoryLabFor, ROUTER_IP, ROUTER_MAC, service, VIP } from '../support/memory-plane.js';
import { arpRequest, decodeFrame } from '../support/packets.js';

describe('VRRP VIP gate in the data plane', () => {
  it('answers and announces a VRRP VIP only while its instance is MASTER', async () => {
    const vrrp = parseKeepalivedConfig(CONF, 'k.conf').vrrp;
    const lab = await memoryLabFor({ ...labConfig(service('dr')), vrrp });
    try {
      const arps = (): Array<{ op: number; senderIp: string; targetIp: string }> => lab.drain().flatMap((f) => decodeFrame(f).arp ?? []);
      assert.ok(!arps().some((a) => a.senderIp === VIP), 'no gratuitous ARP for the VIP at start');
      const ask = (): void => lab.inject(arpRequest({ senderMac: ROUTER_MAC, senderIp: ROUTER_IP, targetIp: VIP }));
      ask();
      assert.deepEqual(arps().filter((a) => a.op === 2), [], 'BACKUP: no answer');
      lab.plane.gate.setMaster('VI_1', [parseIpv4(VIP)]);
      ask();
      assert.deepEqual(arps().filter((a) => a.op === 2).map((a) => a.senderIp), [VIP], 'MASTER: answered');
      lab.plane.gate.setMaster('VI_1', []);
      ask();
      assert.deepEqual(arps().filter((a) => a.op === 2), [], 'left MASTER: no answer at once');
    } finally {
      lab.plane.close();
    }
  });

  it('leaves addresses no instance names to the service table', () => {
    const table = { owns: (a: number) => a === parseIpv4('198.19.0.101') } as Parameters<VipGate['answers']>[1];
    const gate = new VipGate([parseIpv4(VIP)]);
    assert.equal(gate.answers(parseIpv4('198.19.0.101'), table), true);
    assert.equal(gate.answers(parseIpv4(VIP), table), false);
    gate.setMaster('A', [parseIpv4(VIP)]);
    gate.setMaster('B', []);
    assert.equal(gate.answers(parseIpv4(VIP), table), true, 'another instance leaving MASTER does not close it');
  });
});

describe('VRRP link tracking', () => {
  it('reads UP with carrier from ip -o link show', () => {
    const out = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT',
      '2: lan0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP',
      '3: lan1@if9: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN',
      '4: lan2: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN',
    ].join('\n');
    assert.deepEqual([...linksUp(out)], [['lo', true], ['lan0', true], ['lan1', false], ['lan2', false]]);
  });
});

const CONF = `
vrrp_instance VI_1 {
    state BACKUP
    interface lan0
    dont_track_primary
    virtual_router_id 51
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        ${VIP}/24
    }
}
`;
const PEER = parseIpv4('198.19.0.3');

class FakeSocket implements NativeVrrpSocket {
  sent: Array<{ packet: Buffer; dst: number }> = [];
  closed = false;
  private deliver: ((p: Buffer | string) => void) | null = null;
  start(onPacket: (p: Buffer | string) => void): void { this.deliver = onPacket; }
  send(packet: Uint8Array, dst: number): void { this.sent.push({ packet: Buffer.from(packet), dst }); }
  close(): void { this.closed = true; }
  hear(priority: number): void {
    const advert = { version: 3 as const, vrid: 51, priority, addresses: [parseIpv4(VIP)], intervalCs: 10 };
    this.deliver?.(buildVrrpIpv4({ advert, srcIp: PEER, ipId: 1 }));
  }
  priorities(): number[] {
    return this.sent.map((s) => { const r = readVrrpIpv4(s.packet); return r.ok ? r.packet.advert.priority : -1; });
  }
}

describe('VrrpRuntime over a fake socket (real timers, 0.1 s adverts)', function () {
  this.timeout(120_000);
  // Bounds only limit a failure: scripts are processes, and a loaded machine starts them slowly.
  const until = async (what: string, check: () => boolean): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('backup while a better master speaks, master when it stops, backup again at once, priority 0 on stop', async () => {
    const socket = new FakeSocket();
    const gate = new VipGate([parseIpv4(VIP)]);
    const garps: number[] = [];
    const log: string[] = [];
    const table = { owns: () => false } as unknown as Parameters<VipGate['answers']>[1];
    const rt = new VrrpRuntime({
      config: parseKeepalivedConfig(CONF, 'k.conf'), interface: 'lan0', localIp: parseIpv4(DIRECTOR_IP), socket, gate,
      sendGratuitousArp: (a) => garps.push(a), clock: { now: () => performance.now() }, log: (l) => log.push(l),
    });
    const state = (): string => rt.stats().instances[0]!.state;
    const speaker = setInterval(() => socket.hear(150), 50);
    try {
      rt.start();
      await until('BACKUP', () => state() === 'BACKUP');
      const t0 = Date.now();
      await until('adverts heard', () => rt.stats().advertsReceived >= 10);
      assert.equal(state(), 'BACKUP', `after ${Date.now() - t0} ms of a better master`);
      assert.equal(rt.stats().instances[0]!.master, '198.19.0.3');
      assert.equal(gate.answers(parseIpv4(VIP), table), false);
      clearInterval(speaker);
      await until('MASTER', () => state() === 'MASTER');
      assert.equal(gate.answers(parseIpv4(VIP), table), true);
      assert.deepEqual(garps, Array(5).fill(parseIpv4(VIP)), "keepalived's first set: 5 gratuitous ARPs");
      await until('adverts sent', () => socket.sent.length >= 3);
      assert.ok(socket.sent.every((s) => s.dst === parseIpv4('224.0.0.18')));
      assert.ok(socket.priorities().every((p) => p === 100));
      socket.hear(150);
      assert.equal(state(), 'BACKUP', 'a better master: BACKUP at once');
      assert.equal(gate.answers(parseIpv4(VIP), table), false, 'and the VIP is no longer answered');
      await until('MASTER again', () => state() === 'MASTER');
      rt.stop();
      assert.equal(socket.priorities().at(-1), 0, 'a clean stop resigns with priority 0');
      assert.equal(gate.answers(parseIpv4(VIP), table), false);
      assert.ok(socket.closed);
      assert.ok(log.includes('vrrp: VI_1 BACKUP -> MASTER (priority 100)'), log.join('\n'));
    } finally {
      clearInterval(speaker);
      rt.stop();
    }
  });

  it('a failing vrrp_script (weight 0) holds the instance in FAULT; notify and notify_master run with keepalived\'s arguments', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'director-vrrp-unit-'));
    const flag = path.join(dir, 'healthy');
    const notified = path.join(dir, 'notify.log');
    const script = path.join(dir, 'notify.sh');
    writeFileSync(script, `#!/bin/sh\necho "$@" >> ${notified}\n`, { mode: 0o755 });
    const conf = `vrrp_script chk {\n script "test -f ${flag}"\n interval 0.2\n}\n` +
      CONF.replace('    advert_int 0.1', `    advert_int 0.1\n    track_script {\n        chk\n    }\n    notify ${script}\n    notify_master "${script} became-master"`);
    const socket = new FakeSocket();
    const gate = new VipGate([parseIpv4(VIP)]);
    const rt = new VrrpRuntime({
      config: parseKeepalivedConfig(conf, 'k.conf'), interface: 'lan0', localIp: parseIpv4(DIRECTOR_IP), socket, gate,
      sendGratuitousArp: () => {}, clock: { now: () => performance.now() }, log: () => {},
    });
    const state = (): string => rt.stats().instances[0]!.state;
    const lines = (): string[] => (existsSync(notified) ? readFileSync(notified, 'utf8').trim().split('\n') : []);
    try {
      rt.start();
      await until('FAULT', () => state() === 'FAULT');
      writeFileSync(flag, '');
      await until('MASTER', () => state() === 'MASTER');
      await until('three notify lines and notify_master', () => lines().length >= 4);
      // Each script is its own process: under load their lines may land in any order.
      assert.deepEqual(lines().filter((l) => l.startsWith('INSTANCE')).sort(), ['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 FAULT 100', 'INSTANCE VI_1 MASTER 100']);
      assert.ok(lines().includes('became-master'), lines().join('\n'));
      rmSync(flag);
      await until('FAULT again', () => state() === 'FAULT');
      assert.equal(socket.priorities().at(-1), 0, 'MASTER to FAULT resigns with priority 0');
      assert.equal(gate.answers(parseIpv4(VIP), { owns: () => false } as unknown as Parameters<VipGate['answers']>[1]), false);
    } finally {
      rt.stop();
      // The notify scripts of the last changes (FAULT, then STOP) may still be appending to the
      // log while the directory goes: removal retries until they are done.
      rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
    }
  });
});
