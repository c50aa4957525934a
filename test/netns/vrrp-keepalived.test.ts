// VRRP interop with keepalived 2.2.7 on one LAN (needs root: creates network namespaces): the
// director on dir1 and keepalived on dir2 run one virtual router for the lab's VIP; they elect
// one master, either takes over from the other, the higher priority preempts back, and the
// router's neighbour entry for the VIP follows the master (the new master's gratuitous ARP). A
// director with connection sync returning beside a keepalived master asks it for its table
// (director's extension), gets no answer, and preempts after preempt_sync_wait with a warning.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { Director } from '../../src/director.js';
import { labKeepalivedConf, labVrrpInstance } from '../../src/lab/keepalived.js';
import { KeepalivedPeer } from '../../src/lab/keepalived-peer.js';
import { neighbours } from '../../src/lab/netns.js';
import { startDirector as startDirectorProcess } from '../support/ha-lab.js';
import { withLab } from '../support/netns.js';
import { arpFromRouter } from '../support/director.js';
import { ping } from '../support/ping.js';
import { requireTools } from '../support/prerequisites.js';

describe('VRRP with keepalived as the peer (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 1, directors: 2, startServers: false });
  let peer: KeepalivedPeer;
  let director: Director | null = null;
  const log: string[] = [];

  const lab = (): typeof fx.lab => fx.lab;
  const ourMac = (): string => lab().directors[0]!.mac;
  const peerMac = (): string => lab().directors[1]!.mac;
  const peerConf = (priority: number): string => labVrrpInstance(lab(), { ifname: lab().directors[1]!.ifname, priority });
  const ourState = (): string | undefined => director?.stats().vrrp?.instances[0]?.state;

  async function startDirector(priority: number): Promise<void> {
    const host = lab().directors[0]!;
    const text = labKeepalivedConf(lab(), { udp: false }) + labVrrpInstance(lab(), { ifname: host.ifname, priority });
    director = await Director.start({
      config: parseKeepalivedConfig(text, 'dir1.conf'), interface: host.ifname, netns: host.ns,
      localAddress: host.address, log: (l) => log.push(l),
    });
    fx.cleanup.first(async () => { await director?.stop(); });
  }

  /** The router's own entry for the VIP (no new ARP request: only a gratuitous ARP moves it). */
  async function routerEntry(): Promise<string | null> {
    return (await neighbours(lab().router.ns, lab().router.ifname)).find((n) => n.address === lab().vip)?.mac ?? null;
  }

  async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; director log: ${log.join(' | ')}; keepalived: ${peer.log.slice(-800)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async function () {
    requireTools(this, 'keepalived', 'python3');
    const dir = mkdtempSync(path.join(os.tmpdir(), `director-vrrp-${lab().prefix}-`));
    fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
    peer = new KeepalivedPeer(lab().directors[1]!.ns, dir, fx.cleanup);
    fx.cleanup.first(() => peer.stop());
  });

  it('keepalived at 150 is master; the director at 100 stays backup and never answers ARP for the VIP', async () => {
    await peer.start(peerConf(150));
    await waitFor('keepalived MASTER', () => peer.state === 'MASTER');
    await startDirector(100);
    await waitFor('director BACKUP', () => ourState() === 'BACKUP');
    // Longer than a master-down interval (3 s + skew): a backup that heard nothing would take over.
    const heard = director!.stats().vrrp!.advertsReceived;
    await waitFor('4 adverts heard', () => director!.stats().vrrp!.advertsReceived >= heard + 4);
    assert.equal(ourState(), 'BACKUP');
    assert.equal(director!.stats().vrrp!.instances[0]!.master, lab().directors[1]!.address);
    assert.equal(await arpFromRouter(lab(), lab().vip), peerMac(), 'only keepalived answers for the VIP');
  });

  it('keepalived stops cleanly (priority 0): the director takes over and the router learns its MAC from its gratuitous ARP', async () => {
    // The router resolves the VIP once, the usual way; from then on only gratuitous ARP moves it.
    assert.ok(await ping(lab().router.ns, lab().vip), 'the VIP answers an echo');
    assert.equal(await routerEntry(), peerMac());
    await new Promise((r) => setTimeout(r, 1100)); // Linux ignores an ARP update within locktime (1 s) of the last one
    const t0 = Date.now();
    await peer.stop();
    await waitFor('director MASTER', () => ourState() === 'MASTER');
    await waitFor('router entry on the director', async () => (await routerEntry()) === ourMac());
    console.log(`      director master ${Date.now() - t0} ms after keepalived's SIGTERM`);
    assert.equal(await arpFromRouter(lab(), lab().vip), ourMac());
  });

  it('keepalived returns at 150 and preempts; the director yields and stops answering', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    await peer.start(peerConf(150));
    await waitFor('keepalived MASTER', () => peer.state === 'MASTER');
    await waitFor('director BACKUP', () => ourState() === 'BACKUP');
    await waitFor('router entry on keepalived', async () => (await routerEntry()) === peerMac());
    assert.equal(await arpFromRouter(lab(), lab().vip), peerMac());
  });

  it('keepalived at 50 yields to the director at 100 (the director preempts); the director\'s clean stop hands back', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    await peer.start(peerConf(50));
    await waitFor('keepalived BACKUP', () => peer.state === 'BACKUP');
    await waitFor('director MASTER', () => ourState() === 'MASTER');
    await waitFor('router entry on the director', async () => (await routerEntry()) === ourMac());
    assert.equal(await arpFromRouter(lab(), lab().vip), ourMac());
    await new Promise((r) => setTimeout(r, 1100));
    const t0 = Date.now();
    await director!.stop();
    await waitFor('keepalived MASTER', () => peer.state === 'MASTER');
    console.log(`      keepalived master ${Date.now() - t0} ms after the director's clean stop`);
    await waitFor('router entry on keepalived', async () => (await routerEntry()) === peerMac());
  });

  it('a director with sync returning at 150 beside keepalived master at 50: no table answer, preempts after preempt_sync_wait with a warning', async () => {
    await waitFor('keepalived MASTER', () => peer.state === 'MASTER');
    const host = lab().directors[0]!;
    const dir = mkdtempSync(path.join(os.tmpdir(), `director-vrrp-sync-${lab().prefix}-`));
    fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'dir1-sync.conf');
    writeFileSync(file, labKeepalivedConf(lab(), { udp: false, globalDefs: [`lvs_sync_daemon ${host.ifname} VI_LAB`] }) +
      labVrrpInstance(lab(), { ifname: host.ifname, priority: 150 }).replace('    advert_int 1\n', '    advert_int 1\n    preempt_sync_wait 1\n'));
    const p = await startDirectorProcess(lab(), 0, file, ['--log-format', 'human'], fx.cleanup);
    const keepalivedIp = lab().directors[1]!.address;
    await waitFor('the director MASTER', () => / -> MASTER \(/.test(p.stderr), 30_000);
    const warned = /vrrp: VI_LAB preempts master (\S+) without its connection table after (\d+) ms \(preempt_sync_wait\): ([^\n]*)/.exec(p.stderr);
    assert.ok(warned, `no timeout warning: ${p.stderr.split('\n').filter((l) => /vrrp:|sync:/.test(l)).join(' | ')}`);
    console.log(`      held ${warned[2]} ms: ${warned[3]}`);
    assert.equal(warned[1], keepalivedIp);
    assert.ok(Number(warned[2]) >= 1000, 'held the whole preempt_sync_wait');
    assert.match(warned[3] ?? '', /no answer/);
    assert.ok(p.stderr.indexOf(warned[0]) < p.stderr.indexOf(' -> MASTER ('), 'warned before becoming MASTER');
    await waitFor('keepalived BACKUP', () => peer.state === 'BACKUP');
    await waitFor('router entry on the director', async () => (await routerEntry()) === ourMac());
    await p.stop(3000);
  });
});
