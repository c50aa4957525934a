// VRRPv3 over IPv6 interop with keepalived 2.2.7 (needs root: creates network namespaces): the
// director on dir1 and keepalived on dir2 run one IPv6 virtual router (VRID 61, 2001:db8:10::100)
// on the lab's LAN, link-local sources and 2001:db8::/32 only. They elect one master; the
// director takes over when keepalived stops cleanly (priority 0: after the skew) and when it
// crashes (after master-down), and gives back when keepalived returns with a higher priority.
// The router's capture shows both routers' adverts to ff02::12 with hop limit 255 from their
// link-local addresses. On takeover the router's neighbour entry for the VIP moves to the
// director by its unsolicited NA alone (no new solicitation): DataPlane.sendUnsolicitedNa, wired
// into director.ts (announceIpv6).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { Director } from '../../src/director.js';
import { KeepalivedPeer } from '../../src/lab/keepalived-peer.js';
import { deleteNeighbour, ipIn, neighbours } from '../../src/lab/netns.js';
import { runInNamespace } from '../../src/lab/process.js';
import type { LabHost } from '../../src/lab/topology.js';
import { ipv6Bytes, isLinkLocal6, readVrrpFrame6, VRRP_GROUP6 } from '../../src/vrrp/vrrp-packet6.js';
import { formatIpv6 } from '../../src/net/addr6.js';
import { startCapture, type Capture } from '../support/capture.js';
import { withLab } from '../support/netns.js';
import { requireTools } from '../support/prerequisites.js';

const VIP6 = '2001:db8:10::100';

function instance(ifname: string, priority: number): string {
  return [
    'vrrp_instance VI_6 {', '    state BACKUP', `    interface ${ifname}`, '    virtual_router_id 61',
    `    priority ${priority}`, '    advert_int 1', '    virtual_ipaddress {', `        ${VIP6}/64`, '    }', '}', '',
  ].join('\n');
}

describe('VRRPv3 over IPv6 with keepalived as the peer (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 1, directors: 2, startServers: false });
  let peer: KeepalivedPeer;
  let director: Director | null = null;
  let capture: Capture;
  const log: string[] = [];
  const lab = (): typeof fx.lab => fx.lab;
  const ourState = (): string | undefined => director?.stats().vrrp?.instances[0]?.state;

  async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; director log: ${log.join(' | ')}; keepalived: ${peer.log.slice(-800)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The host's link-local address once duplicate address detection is over (adverts leave from it). */
  async function linkLocal(h: LabHost): Promise<string> {
    let found = '';
    await waitFor(`${h.name} link-local address`, async () => {
      const out = await ipIn(h.ns, ['-6', '-o', 'addr', 'show', 'dev', h.ifname, 'scope', 'link']);
      found = /inet6 (fe80::[0-9a-f:]+)\/64/.exec(out)?.[1] ?? '';
      return found !== '' && !/tentative/.test(out);
    });
    return found;
  }

  /** The router's own entry for the VIP (only an unsolicited NA moves it without a new solicitation). */
  async function routerEntry(): Promise<string | null> {
    return (await neighbours(lab().router.ns, lab().router.ifname)).find((n) => n.address === VIP6)?.mac ?? null;
  }

  /** One datagram from the router to the VIP: the router's kernel resolves it (NS, answered by the master). */
  async function routerResolves(): Promise<void> {
    const send = `import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b'x', ('${VIP6}', 9))`;
    await runInNamespace(lab().router.ns, ['python3', '-c', send]);
  }

  async function startDirector(priority: number): Promise<void> {
    const host = lab().directors[0]!;
    director = await Director.start({
      config: parseKeepalivedConfig(instance(host.ifname, priority), 'dir1.conf'), interface: host.ifname, netns: host.ns,
      localAddress: host.address, log: (l) => log.push(l),
    });
    fx.cleanup.first(async () => { await director?.stop(); });
  }

  before(async function () {
    requireTools(this, 'keepalived', 'tcpdump', 'python3');
    const dir = mkdtempSync(path.join(os.tmpdir(), `director-vrrp6-${lab().prefix}-`));
    fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
    peer = new KeepalivedPeer(lab().directors[1]!.ns, dir, fx.cleanup);
    fx.cleanup.first(() => peer.stop());
    const hosts = [lab().router, ...lab().directors];
    await Promise.all(hosts.map((h, i) => ipIn(h.ns, ['-6', 'addr', 'add', `2001:db8:10::${i + 1}/64`, 'dev', h.ifname, 'nodad'])));
    await Promise.all(hosts.map(linkLocal));
    capture = await startCapture(fx.cleanup, lab().router.ns, lab().router.ifname, 'ip6 proto 112', { maxPackets: 2000 });
  });

  it('keepalived at 150 is master; the director at 100 stays backup, hearing it from its link-local address', async () => {
    await peer.start(instance(lab().directors[1]!.ifname, 150));
    await waitFor('keepalived MASTER', () => peer.state === 'MASTER');
    await startDirector(100);
    await waitFor('director BACKUP', () => ourState() === 'BACKUP');
    const heard = director!.stats().vrrp!.advertsReceived;
    await waitFor('4 adverts heard', () => director!.stats().vrrp!.advertsReceived >= heard + 4);
    assert.equal(ourState(), 'BACKUP');
    assert.equal(director!.stats().vrrp!.instances[0]!.master, await linkLocal(lab().directors[1]!));
    assert.deepEqual(director!.stats().vrrp!.drops, {});
  });

  it('keepalived stops cleanly (priority 0): the director takes over after its skew time', async () => {
    await routerResolves();
    await waitFor('router entry on keepalived', async () => (await routerEntry()) === lab().directors[1]!.mac);
    const t0 = performance.now();
    await peer.stop();
    await waitFor('director MASTER', () => ourState() === 'MASTER');
    const took = performance.now() - t0;
    console.log(`      director master ${took.toFixed(0)} ms after keepalived's SIGTERM (skew (256-100)/256 s = 609 ms)`);
    assert.ok(took < 3000, 'a resignation is taken over after the skew, not master-down');
  });

  it('the router\'s neighbour entry for the VIP moves to the director (its unsolicited NA)', async () => {
    assert.ok(!log.some((l) => /unsolicited neighbour advertisements are not built/.test(l)), 'announceIpv6 is wired');
    const t0 = performance.now();
    await waitFor('router entry on the director', async () => (await routerEntry()) === lab().directors[0]!.mac, 10_000);
    console.log(`      router entry on the director ${(performance.now() - t0).toFixed(0)} ms after the takeover was seen`);
    // Resolved afresh, the VIP is answered by the director alone (its gate lets ND answer as MASTER).
    await deleteNeighbour(lab().router.ns, lab().router.ifname, VIP6);
    await routerResolves();
    await waitFor('router resolves the VIP to the director', async () => (await routerEntry()) === lab().directors[0]!.mac);
  });

  it('keepalived returns at 150 and preempts; the director yields and no longer answers for the VIP', async () => {
    await peer.start(instance(lab().directors[1]!.ifname, 150));
    await waitFor('keepalived MASTER', () => peer.state === 'MASTER');
    await waitFor('director BACKUP', () => ourState() === 'BACKUP');
    await deleteNeighbour(lab().router.ns, lab().router.ifname, VIP6);
    await routerResolves();
    await waitFor('router resolves the VIP to keepalived', async () => (await routerEntry()) === lab().directors[1]!.mac);
  });

  it('keepalived crashes (no resignation): the director takes over after master-down (3 s + 609 ms)', async () => {
    const t0 = performance.now();
    await peer.crash();
    await waitFor('director MASTER', () => ourState() === 'MASTER');
    const took = performance.now() - t0;
    console.log(`      director master ${took.toFixed(0)} ms after keepalived's crash (master-down 3609 ms after its last advert)`);
    assert.ok(took > 2500 && took < 6000, `took ${took.toFixed(0)} ms`);
  });

  it('keepalived at 50 yields to the director at 100; the director\'s clean stop hands back to it', async () => {
    await peer.start(instance(lab().directors[1]!.ifname, 50));
    await waitFor('keepalived BACKUP', () => peer.state === 'BACKUP');
    // Longer than keepalived's master-down (3 s + 207/256 s): it stays BACKUP only if it takes our adverts.
    const sent = director!.stats().vrrp!.advertsSent;
    await waitFor('5 more adverts sent', () => director!.stats().vrrp!.advertsSent >= sent + 5);
    assert.deepEqual([ourState(), peer.state, peer.entered('MASTER')], ['MASTER', 'BACKUP', 0]);
    assert.doesNotMatch(peer.log, /checksum|invalid|bad|mismatch/i, 'keepalived found nothing wrong with our adverts');
    const t0 = performance.now();
    await director!.stop();
    await waitFor('keepalived MASTER', () => peer.state === 'MASTER');
    console.log(`      keepalived master ${(performance.now() - t0).toFixed(0)} ms after the director's clean stop`);
  });

  it('on the wire: both routers advertise to ff02::12 with hop limit 255 from their link-local addresses', async () => {
    const { frames } = await capture.stop();
    const ours = await linkLocal(lab().directors[0]!);
    const theirs = await linkLocal(lab().directors[1]!);
    const bySource = new Map<string, { count: number; priorities: Set<number> }>();
    for (const f of frames) {
      const read = readVrrpFrame6(f);
      assert.ok(read.ok, read.ok ? '' : `unreadable advert: ${read.reason}`);
      const p = read.packet;
      assert.deepEqual([p.dst, p.hopLimit, isLinkLocal6(p.src), p.advert.vrid, p.advert.intervalCs], [VRRP_GROUP6, 255, true, 61, 100]);
      assert.deepEqual(p.advert.addresses.map((a) => formatIpv6(ipv6Bytes(a))), [VIP6]);
      assert.equal(f.subarray(0, 6).toString('hex'), '333300000012', 'to the ff02::12 group MAC');
      const src = formatIpv6(ipv6Bytes(p.src));
      const entry = bySource.get(src) ?? { count: 0, priorities: new Set<number>() };
      entry.count++;
      entry.priorities.add(p.advert.priority);
      bySource.set(src, entry);
    }
    assert.deepEqual([...bySource.keys()].sort(), [ours, theirs].sort());
    console.log(`      ${frames.length} adverts: director ${bySource.get(ours)!.count}, keepalived ${bySource.get(theirs)!.count}`);
    assert.deepEqual([...bySource.get(ours)!.priorities].sort((a, b) => a - b), [0, 100], 'the director advertised at 100 and resigned with 0');
    assert.ok(bySource.get(theirs)!.priorities.has(150) && bySource.get(theirs)!.priorities.has(0));
  });
});
