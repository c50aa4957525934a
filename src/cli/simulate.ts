// `director simulate`: a configuration run offline over a capture (pcap) or a flow list. The
// same data path as `director run` on an in-memory port: which real server gets each flow, how
// the flows spread, and (with --out) the frames the director would send. No root, no devices.

import { serviceAddresses } from '../datapath/service-table.js';
import { readFileSync, writeFileSync } from 'node:fs';
import type { DirectorConfig } from '../config/model.js';
import { formatMac, ipv4Problem, parseIpv4, parseMac } from '../net/addr.js';
import { firstPacket, parseFlowList } from '../simulate/flow-list.js';
import { readPcap, writePcap, type PcapRecord } from '../simulate/pcap.js';
import { distribution, reportLines, type SimulationReport } from '../simulate/report.js';
import { neighbourMac, Simulation } from '../simulate/simulation.js';
import { UsageError } from './args.js';
import { DEFAULT_CONFIG, loadConfig } from './check.js';
import { defineCommand } from './command.js';
import { EXIT_FAIL, EXIT_OK, type CliIo } from './io.js';

/** The director's MAC for a flow list when --mac is not given (locally administered). */
const DEFAULT_MAC = '02:00:00:00:0d:01';

function address(option: string, text: string | undefined): number | null {
  if (text === undefined) return null;
  const problem = ipv4Problem(text);
  if (problem !== null) throw new UsageError(`--${option}: ${problem}`);
  return parseIpv4(text);
}

function mac(text: string): string {
  try {
    parseMac(text);
  } catch {
    throw new UsageError(`--mac: '${text}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  }
  return text.toLowerCase();
}

/** A capture's director: the destination MAC of its first IPv4 frame to a virtual server's address. */
function macFromCapture(records: readonly PcapRecord[], config: DirectorConfig): string | null {
  const vips = new Set(serviceAddresses(config).map(parseIpv4));
  const first = records.find((r) => r.frame.length >= 34 && r.frame.readUInt16BE(12) === 0x0800 && vips.has(r.frame.readUInt32BE(30)));
  return first === undefined ? null : formatMac(first.frame.readUInt16BE(0), first.frame.readUInt32BE(2));
}

export const simulateCommand = defineCommand(
  {
    name: 'simulate',
    summary: 'run a configuration offline over a pcap or a flow list: which real server gets each flow',
    about: `Runs the director's own data path (classifier, schedulers, connection table, native rewrite)
on an in-memory port, with no root and no devices. Input is a capture (--pcap, classic pcap with
Ethernet frames as tcpdump -w writes them; the capture's times drive the clock, so timeouts and
persistence act as they would have) or a flow list (--flows: one 'tcp|udp CLIENT:PORT VIP:PORT'
per line; each flow's first packet, 1 ms apart). Prints the real server each new connection got
and the spread over every service's real servers; --out writes the frames the director would
have sent. Neighbours are simulated: ARP for address A is answered with MAC 02:5e:A (its four
bytes in hex), and that ARP exchange is not written. Health checks do not run: every real server
counts as up with its configured weight.`,
    options: {
      config: { value: 'FILE', short: 'f', help: `keepalived.conf to simulate (default ${DEFAULT_CONFIG})` },
      'config-id': { value: 'ID', short: 'i', help: "keepalived's -i: selects the '@ID' lines" },
      pcap: { value: 'FILE', help: 'frames as they reached the director (a capture on its interface)' },
      flows: { value: 'FILE', help: "a flow list: 'tcp|udp CLIENT:PORT VIP:PORT' per line, '#' comments" },
      out: { value: 'FILE', help: 'write the frames the director would send to this pcap file' },
      mac: { value: 'MAC', help: `the director's MAC (default: with --pcap, the destination of the first frame to a VIP; else ${DEFAULT_MAC})` },
      address: { value: 'IP', help: "the director's own address on the segment (ARP sender, TUN's outer source)" },
      gateway: { value: 'IP', help: 'next hop toward clients (default: clients are on the segment too); real servers are always on it' },
      summary: { help: 'print only the spread over real servers, not one line per flow' },
      json: { help: 'print one JSON object (input, output, flows, services with their spread, drops)' },
    },
    footer: 'exit status: 0 simulated, 1 the config or input does not load, 2 usage error',
  },
  async (v, io) => {
    if ((v.pcap === undefined) === (v.flows === undefined)) throw new UsageError('give exactly one of --pcap FILE and --flows FILE');
    const own = address('address', v.address) ?? 0;
    const gateway = address('gateway', v.gateway);
    const givenMac = v.mac === undefined ? undefined : mac(v.mac);
    const config = loadConfig(v.config ?? DEFAULT_CONFIG, (level, message) => io.err(`${level === 'warn' ? 'warning' : 'error'}: ${message}`),
      { allowUnchecked: true, ...(v['config-id'] !== undefined ? { configId: v['config-id'] } : {}) });
    if (config === null) return EXIT_FAIL;
    if (own === 0 && config.virtualServers.some((vs) => vs.realServers.some((rs) => rs.method === 'tun'))) {
      throw new UsageError("a TUN service needs --address: the director's own address is the tunnel's outer source");
    }
    let input: { file: string; records: PcapRecord[]; mac: string };
    try {
      input = v.pcap !== undefined ? pcapInput(v.pcap, givenMac, config, io) : flowInput(v.flows!, givenMac);
    } catch (err) {
      io.err(`director simulate: ${(err as Error).message}`);
      return EXIT_FAIL;
    }
    const report = await simulate(config, input, { address: own, gateway, out: v.out ?? null });
    if (v.out !== undefined) writeFileSync(v.out, writePcap(report.sent));
    if (v.json) io.out(JSON.stringify(report.report, null, 2));
    else for (const line of reportLines(report.report, v.summary)) io.out(line);
    return EXIT_OK;
  },
);

function pcapInput(file: string, givenMac: string | undefined, config: DirectorConfig, io: CliIo): { file: string; records: PcapRecord[]; mac: string } {
  const pcap = readPcap(readFileSync(file));
  if (pcap.cutTail > 0) io.err(`warning: ${file}: the last ${pcap.cutTail} bytes are a cut record (a capture stopped while writing), ignored`);
  const cut = pcap.records.filter((r) => r.frame.length < r.wireLength).length;
  if (cut > 0) io.err(`warning: ${file}: ${cut} frames were cut by the capture's snap length; they are simulated as cut`);
  const found = givenMac ?? macFromCapture(pcap.records, config);
  if (found === null) throw new Error(`${file}: no frame to a virtual server's address, so no director MAC to take; give --mac`);
  return { file, records: pcap.records, mac: found };
}

function flowInput(file: string, givenMac: string | undefined): { file: string; records: PcapRecord[]; mac: string } {
  const director = givenMac ?? DEFAULT_MAC;
  const records = parseFlowList(readFileSync(file, 'utf8'), file).map((flow, i) => {
    const frame = firstPacket(flow, neighbourMac(flow.client), director);
    return { timeMs: i, frame, wireLength: frame.length };
  });
  return { file, records, mac: director };
}

async function simulate(config: DirectorConfig, input: { file: string; records: PcapRecord[]; mac: string },
  o: { address: number; gateway: number | null; out: string | null }): Promise<{ report: SimulationReport; sent: PcapRecord[] }> {
  const start = input.records[0]?.timeMs ?? 0;
  const sim = new Simulation({ config, mac: input.mac, address: o.address, gateway: o.gateway }, start);
  try {
    await sim.settle();
    for (const r of input.records) await sim.feed(r.frame, r.timeMs);
    const last = input.records.at(-1)?.timeMs ?? start;
    const report: SimulationReport = {
      input: { file: input.file, frames: input.records.length, spanSeconds: (last - start) / 1000 },
      output: { file: o.out, frames: sim.sent.length },
      flows: sim.choices.map(({ protocol, client, virtual, destination, local, method }) => ({ protocol, client, virtual, destination, local, method })),
      services: distribution(config, sim.choices),
      drops: sim.drops(),
    };
    return { report, sent: sim.sent };
  } finally {
    sim.close();
  }
}
