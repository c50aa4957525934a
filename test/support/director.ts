// Mocha helpers that run a director inside a lab built by withLab: embedded through the Director
// API (default) or as bin/director in the director namespace; stopped before the lab goes away.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { arpQuery } from '../../src/lab/arp-probe.js';
import { startEmbedded, startProcess, waitForVip, type LabDirector } from '../../src/lab/director-runner.js';
import { labKeepalivedConf, type LabConfigOptions } from '../../src/lab/keepalived.js';
import type { LabHandle } from '../../src/lab/topology.js';
import type { LabFixture } from './netns.js';

export type DirectorKind = 'embedded' | 'process';

export interface DirectorFixture {
  readonly director: LabDirector;
  /** The director's MAC as seen in the first ARP answer for the VIP. */
  readonly vipMac: string;
}

/** Registers a before() hook (after withLab's) that starts a director and waits until it owns the VIP. */
export function withDirector(fx: LabFixture, kind: DirectorKind = 'embedded', o: LabConfigOptions = {}): DirectorFixture {
  let director: LabDirector | null = null;
  let vipMac = '';
  before(async function () {
    this.timeout(60_000);
    const lab = fx.lab;
    const text = labKeepalivedConf(lab, o);
    if (kind === 'embedded') {
      director = await startEmbedded(lab, parseKeepalivedConfig(text, 'lab.conf'));
    } else {
      const dir = mkdtempSync(path.join(os.tmpdir(), `director-test-${lab.prefix}-`));
      writeFileSync(path.join(dir, 'keepalived.conf'), text);
      fx.cleanup.atEnd(() => rmSync(dir, { recursive: true, force: true }));
      director = startProcess(lab, path.join(dir, 'keepalived.conf'), fx.cleanup);
    }
    const d = director;
    fx.cleanup.first(() => d.stop());
    vipMac = await waitForVip(lab, d);
  });
  return {
    get director(): LabDirector {
      if (director === null) throw new Error('director not started');
      return director;
    },
    get vipMac(): string { return vipMac; },
  };
}

/** The MAC that answers ARP for address on the router's LAN side within waitMs, or null. */
export function arpFromRouter(lab: LabHandle, address: string, waitMs = 5000): Promise<string | null> {
  return arpQuery({ ns: lab.router.ns, ifname: lab.router.ifname, address, timeoutMs: waitMs });
}
