// Mocha helpers that run a director inside a lab built by withLab: embedded through the Director
// API (default) or as bin/director in the director namespace; stopped before the lab goes away.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { arpQuery } from '../../src/lab/arp-probe.js';
import { startEmbedded, startProcess, waitForVip, waitForVip6, type LabDirector } from '../../src/lab/director-runner.js';
import { labKeepalivedConf, type LabConfigOptions } from '../../src/lab/keepalived.js';
import type { LabHandle } from '../../src/lab/topology.js';
import type { LabFixture } from './netns.js';

export type DirectorKind = 'embedded' | 'process';

export interface DirectorFixture {
  readonly director: LabDirector;
  /** The director's MAC as seen in the first ARP answer for the VIP. */
  readonly vipMac: string;
  /** Dual-stack labs serving IPv6: the MAC of the first neighbour advertisement for the IPv6 VIP. */
  readonly vipMac6: string;
}

/**
 * Registers a before() hook (after withLab's) that starts a director and waits until it owns the
 * VIP, and the IPv6 VIP too when the lab is dual-stack and the config serves it.
 */
export function withDirector(fx: LabFixture, kind: DirectorKind = 'embedded', o: LabConfigOptions = {}): DirectorFixture {
  let director: LabDirector | null = null;
  let vipMac = '';
  let vipMac6 = '';
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
    if (lab.vip6 !== undefined && o.ipv6 !== false) vipMac6 = await waitForVip6(lab, d);
  });
  return {
    get director(): LabDirector {
      if (director === null) throw new Error('director not started');
      return director;
    },
    get vipMac(): string { return vipMac; },
    get vipMac6(): string { return vipMac6; },
  };
}

/** The MAC that answers ARP for address on the router's LAN side within waitMs, or null. */
export function arpFromRouter(lab: LabHandle, address: string, waitMs = 5000): Promise<string | null> {
  return arpQuery({ ns: lab.router.ns, ifname: lab.router.ifname, address, timeoutMs: waitMs });
}
