// DR mode end to end in a netns lab: real HTTP and UDP traffic from the client namespace through
// the VIP to three real servers, ARP ownership of the VIP, no forwarding of foreign traffic,
// and 20 MB each way intact byte for byte (veth offloads: partial checksums, GSO frames).

import assert from 'node:assert/strict';
import { deleteNeighbour, neighbours, setNeighbour } from '../../src/lab/netns.js';
import type { NsProcess } from '../../src/lab/process.js';
import { countHttp, runClient, UDP_PORT, HTTP_PORT } from '../../src/lab/services.js';
import { arpFromRouter, withDirector, type DirectorKind } from '../support/director.js';
import { withLab, type LabFixture } from '../support/netns.js';
import { pmtuCase } from '../support/pmtu-case.js';
import { waitUntil } from '../support/wait.js';

const BLOB = 20_000_000;

function udpServer(fx: LabFixture, name: string): NsProcess {
  const p = fx.servers.find((s) => s.argv.some((a) => a.endsWith('udp-server.js')) && s.argv.includes(name));
  if (p === undefined) throw new Error(`no UDP server on ${name}`);
  return p;
}

const rxLines = (p: NsProcess): number => (p.stdout.match(/^rx /gm) ?? []).length;

interface Drops { drops?: Record<string, number> }
const notOurs = (stats: unknown): number => ((stats as Drops | null)?.drops?.not_ours ?? 0);

function drSuite(kind: DirectorKind): void {
  describe(`DR end to end, director ${kind} (needs root: creates network namespaces)`, function () {
    this.timeout(120_000);
    const fx = withLab({ mode: 'dr', servers: 3, udp: true });
    const dir = withDirector(fx, kind);

    it('spreads 30 HTTP connections over three real servers 10/10/10 with rr', async function () {
      const r = await countHttp(fx.lab, fx.lab.vip, 30);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.counts, { rs1: 10, rs2: 10, rs3: 10 });
    });

    it('spreads 30 UDP flows (a new source port each) 10/10/10', async function () {
      const r = await runClient(fx.lab.client.ns, 'udp-client.js', ['--target', `${fx.lab.vip}:${UDP_PORT}`, '--count', '30']);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.deepEqual(r.result.counts, { rs1: 10, rs2: 10, rs3: 10 });
    });

    it("answers ARP for the VIP with the director's MAC", async function () {
      const directorMac = fx.lab.directors[0]!.mac;
      assert.equal(dir.vipMac, directorMac);
      assert.equal(await arpFromRouter(fx.lab, fx.lab.vip), directorMac);
      const entry = (await neighbours(fx.lab.router.ns, fx.lab.router.ifname)).find((n) => n.address === fx.lab.vip);
      assert.equal(entry?.mac, directorMac, 'the router forwards VIP traffic to the director');
    });

    it("does not forward a packet for a non-VIP address sent to the director's MAC", async function () {
      const { lab } = fx;
      const rs1 = lab.realServers[0]!;
      const server = udpServer(fx, 'rs1');
      // A reply ends each wait at once; waiting for one that must not come takes the whole 300 ms.
      const probe = (expect: number): ReturnType<typeof runClient> => runClient(lab.client.ns, 'udp-client.js',
        ['--target', `${rs1.address}:${UDP_PORT}`, '--count', '5', '--expect', String(expect), '--wait', expect > 0 ? '10000' : '300']);
      // Control: the probe reaches rs1 when the router uses rs1's own MAC.
      const before = rxLines(server);
      assert.ok((await probe(5)).ok);
      assert.equal(rxLines(server) - before, 5);
      // Now steer frames for rs1's address to the director's MAC instead.
      const dropsBefore = notOurs(dir.director.stats());
      await setNeighbour(lab.router.ns, lab.router.ifname, rs1.address, lab.directors[0]!.mac);
      try {
        const steered = rxLines(server);
        const r = await probe(0);
        assert.equal(r.result.replies, 0, JSON.stringify(r.result));
        assert.equal(rxLines(server) - steered, 0, 'rs1 saw nothing');
        // A director process reports its counters once a second: wait for the report.
        await waitUntil('5 not_ours drops in the director stats', () => notOurs(dir.director.stats()) - dropsBefore >= 5);
      } finally {
        await deleteNeighbour(lab.router.ns, lab.router.ifname, rs1.address);
      }
    });

    it('carries a 20 MB download through the VIP intact, byte for byte', async function () {
      const r = await runClient(fx.lab.client.ns, 'http-client.js',
        ['download', '--target', `${fx.lab.vip}:${HTTP_PORT}`, '--bytes', String(BLOB), '--seed', '7', '--timeout', '60000'], 70_000);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.equal(r.result.bytes, BLOB);
      console.log(`      download ${r.result.mbitps} Mbit/s via ${r.result.server}`);
    });

    it('carries a 20 MB upload through the VIP intact (sha256 checked by the real server)', async function () {
      const r = await runClient(fx.lab.client.ns, 'http-client.js',
        ['upload', '--target', `${fx.lab.vip}:${HTTP_PORT}`, '--bytes', String(BLOB), '--seed', '9', '--timeout', '60000'], 70_000);
      assert.ok(r.ok, JSON.stringify(r.result));
      assert.equal(r.result.bytes, BLOB);
      console.log(`      upload ${r.result.mbitps} Mbit/s via ${r.result.server}`);
    });

    pmtuCase(fx, 'dr');
  });
}

drSuite('embedded');
drSuite('process');
