// `director simulate` against the live path (needs root: creates network namespaces): a director
// in a lab carries 30 HTTP connections while tcpdump records its interface; the frames it
// received are then simulated offline with the lab's own keepalived.conf. The simulation must
// choose the same real server for every flow and send the same packets (MACs aside: its
// neighbours are simulated), in DR and NAT.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { formatMac } from '../../src/net/addr.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import { countHttp } from '../../src/lab/services.js';
import { readPcap, writePcap } from '../../src/simulate/pcap.js';
import { capture } from '../support/adm-director.js';
import { startCapture } from '../support/capture.js';
import { withDirector } from '../support/director.js';
import { withLab } from '../support/netns.js';
import { waitUntil } from '../support/wait.js';
import { requireTools } from '../support/prerequisites.js';

const macOf = (frame: Buffer, at: number): string => formatMac(frame.readUInt16BE(at), frame.readUInt32BE(at + 2));
const isSyn = (frame: Buffer): boolean => frame[23] === 6 && (frame[14 + (frame[14]! & 0x0f) * 4 + 13]! & 0x12) === 0x02;
interface Report { flows: Array<{ client: { port: number }; destination: { address: string } }> }

const clientPort = (frame: Buffer): number => frame.readUInt16BE(14 + (frame[14]! & 0x0f) * 4);

for (const mode of ['dr', 'nat'] as const) {
  describe(`director simulate replays a live ${mode.toUpperCase()} capture with the same choices (needs root: creates network namespaces)`, function () {
    this.timeout(120_000);
    const fx = withLab({ mode, servers: 3 });
    withDirector(fx, 'embedded');

    it('every flow gets the same real server, and the same packets go out', async function () {
      requireTools(this, 'tcpdump');
      const { lab } = fx;
      const dir = lab.directors[0]!;
      const cap = await startCapture(fx.cleanup, dir.ns, dir.ifname, `ip and not host ${dir.address}`, { maxPackets: 2000 });
      const traffic = await countHttp(lab, lab.vip, 30);
      assert.ok(traffic.ok, JSON.stringify(traffic.result));
      const tmp = mkdtempSync(path.join(os.tmpdir(), `director-simulate-${lab.prefix}-`));
      fx.cleanup.atEnd(() => rmSync(tmp, { recursive: true, force: true }));
      const file = (name: string, content: string | Buffer): string => {
        writeFileSync(path.join(tmp, name), content);
        return path.join(tmp, name);
      };
      const out = path.join(tmp, 'out.pcap');
      // tcpdump writes each frame as it sees it, but the last ones may still be on their way when
      // the client is done: simulate what the capture holds until its outputs are all there too.
      const read = async () => {
        const records = readPcap(readFileSync(cap.file)).records;
        const received = records.filter((r) => macOf(r.frame, 6) !== dir.mac);
        const io = capture();
        const status = await main(['simulate', '-f', file('lab.conf', labKeepalivedConf(lab)), '--pcap', file('in.pcap', writePcap(received)),
          '--out', out, '--gateway', lab.router.address, '--json'], io);
        assert.equal(status, 0, io.stderr.join('\n'));
        const sent = records.filter((r) => macOf(r.frame, 6) === dir.mac);
        return { sent, report: JSON.parse(io.stdout.join('\n')) as Report, simulatedOut: readPcap(readFileSync(out)).records };
      };
      let run = await read();
      // A timeout here is reported by the frame-count assertion below, with both counts.
      await waitUntil('the capture holds every frame the simulation sends', async () => {
        run = await read();
        return run.sent.length === run.simulatedOut.length;
      }, 10_000).catch(() => {});
      await cap.stop();
      const { sent, report, simulatedOut } = run;
      const rsByMac = new Map(lab.realServers.map((rs) => [rs.mac, rs.address]));
      const live = new Map<number, string>();
      for (const r of sent) {
        const port = clientPort(r.frame);
        if (isSyn(r.frame) && !live.has(port)) live.set(port, rsByMac.get(macOf(r.frame, 0)) ?? `unknown MAC ${macOf(r.frame, 0)}`);
      }
      assert.equal(live.size, 30, 'the capture holds the 30 connections the director forwarded');
      const simulated = new Map(report.flows.map((f) => [f.client.port, f.destination.address]));
      assert.deepEqual([...simulated].sort(), [...live].sort(), 'the same real server for every client port');

      assert.equal(simulatedOut.length, sent.length, 'as many frames out as the live director sent');
      // The same packets (the MACs aside); a capture may order two frames of one batch either way.
      const packets = (frames: Array<{ frame: Buffer }>): string[] => frames.map((r) => r.frame.subarray(12).toString('hex')).sort();
      assert.deepEqual(packets(simulatedOut), packets(sent), 'the same packets out, only the MACs differ');
    });
  });
}
