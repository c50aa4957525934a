// A `director run` on an empty keepalived.conf in a netns lab's director namespace, for tests
// that build and watch its table with `director adm` (run in-process against its control socket),
// and readers for adm's -L listings.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NO_NAMES } from '../../src/adm/names.js';
import { admMain } from '../../src/cli/adm.js';
import type { CliIo } from '../../src/cli/io.js';
import { ControlClient } from '../../src/control/client.js';
import { CONTROL_DIR } from '../../src/control/socket-path.js';
import type { DirectorStats } from '../../src/director-stats.js';
import { startProcess, type LabDirector } from '../../src/lab/director-runner.js';
import { countHttp } from '../../src/lab/services.js';
import type { LabFixture } from './netns.js';

export interface Captured extends CliIo { stdout: string[]; stderr: string[] }

export function capture(input = ''): Captured {
  const io: Captured = {
    stdout: [], stderr: [],
    out: (l) => void io.stdout.push(l), err: (l) => void io.stderr.push(l),
    waitForSignal: () => new Promise(() => {}), readInput: async () => input,
  };
  return io;
}

/** A service or server row of `-L -n` in any layout: its words after the address. */
export interface Row { kind: 'service' | 'server'; address: string; words: string[] }

export function rows(listing: string): Row[] {
  return listing.split('\n').flatMap((line): Row[] => {
    const svc = /^(TCP|UDP)\s+(\S+)\s*(.*)$/.exec(line);
    if (svc) return [{ kind: 'service', address: `${svc[1]} ${svc[2]}`, words: (svc[3] ?? '').split(/\s+/).filter(Boolean) }];
    const rs = /^ {2}-> (\d\S+)\s+(.*)$/.exec(line);
    return rs ? [{ kind: 'server', address: rs[1] ?? '', words: (rs[2] ?? '').split(/\s+/).filter(Boolean) }] : [];
  });
}

/** The numbers of one row of a --stats or --rate listing. */
export function numbers(listing: string, address: string, kind: Row['kind'] = 'service'): number[] {
  const row = rows(listing).find((r) => r.kind === kind && r.address === address);
  assert.ok(row, `${address} in\n${listing}`);
  return row.words.map(Number);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface AdmDirector {
  readonly director: LabDirector;
  readonly socketPath: string;
  /** A temporary directory for config files (removed with the lab). */
  readonly dir: string;
  /** `director adm ARGV --control SOCKET` in this process; asserts exit 0, returns stdout. */
  adm(...argv: string[]): Promise<string>;
  /** The same when it is meant to fail: exit status and stderr. */
  admRefused(argv: string[], input?: string): Promise<{ code: number; stderr: string }>;
}

/** Registers a before() hook starting `director run` on an empty keepalived.conf in the lab's director namespace. */
export function withAdmDirector(fx: LabFixture): AdmDirector {
  let director: LabDirector | null = null;
  let socketPath = '';
  let dir = '';
  before(async function () {
    this.timeout(60_000);
    const { lab } = fx;
    dir = mkdtempSync(path.join(os.tmpdir(), `director-adm-${lab.prefix}-`));
    fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'empty.conf'), '# no virtual_server: director adm builds the table\n');
    socketPath = path.join(CONTROL_DIR, `${lab.directors[0]!.ns}.sock`);
    fx.cleanup.atEnd(() => rmSync(socketPath, { force: true }));
    const started = startProcess(lab, path.join(dir, 'empty.conf'), fx.cleanup);
    director = started;
    fx.cleanup.first(() => started.stop());
    // The log (stderr, human lines in a lab) announces the socket: event=control path=PATH.
    const [, announced] = await started.process!.waitFor(/ event=control path=(\S+)/, 20_000, 'stderr');
    assert.equal(announced, socketPath, 'the default socket of a director run inside netns NS is /run/director/NS.sock');
  });
  const admRefused = async (argv: string[], input = ''): Promise<{ code: number; stderr: string; stdout: string }> => {
    const io = capture(input);
    const code = await admMain([...argv, '--control', socketPath], io, NO_NAMES);
    return { code, stderr: io.stderr.join('\n'), stdout: io.stdout.length === 0 ? '' : `${io.stdout.join('\n')}\n` };
  };
  return {
    get director(): LabDirector {
      if (director === null) throw new Error('director not started');
      return director;
    },
    get socketPath(): string { return socketPath; },
    get dir(): string { return dir; },
    adm: async (...argv) => {
      const r = await admRefused(argv);
      assert.equal(r.code, 0, `adm ${argv.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
    admRefused: async (argv, input) => {
      const { code, stderr } = await admRefused(argv, input);
      return { code, stderr };
    },
  };
}

/**
 * Client ports for spreads, below the kernel's ephemeral range and never used twice in a run: a
 * closed connection's port is free again for the client at once, but the director keeps its
 * FIN_WAIT entry (two minutes) and sends a new connection on that port to the old real server
 * (IPVS's conn_reuse_mode 1), which skewed exact rr counts (9/10/11, 9/9/12 under load).
 */
const SPREAD_PORTS = { next: 10_000, last: 32_000 };

export function freshClientPorts(n: number): number {
  if (SPREAD_PORTS.next + n > SPREAD_PORTS.last) throw new Error('spread: client ports 10000-32000 used up in this run');
  const first = SPREAD_PORTS.next;
  SPREAD_PORTS.next += n;
  return first;
}

export async function spread(fx: LabFixture, n: number): Promise<Record<string, number>> {
  const r = await countHttp(fx.lab, fx.lab.vip, n, 1, freshClientPorts(n));
  assert.ok(r.ok, JSON.stringify(r.result));
  return r.counts;
}


/** Frames the director dropped because no service matched (its stats, over the control socket). */
export async function noServiceDrops(socketPath: string): Promise<number> {
  const client = await ControlClient.connect(socketPath);
  try {
    return ((await client.request('stats')) as DirectorStats).drops.no_service ?? 0;
  } finally {
    client.close();
  }
}

