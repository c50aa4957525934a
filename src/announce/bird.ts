// bird2 as the route daemon: director writes the VIP routes into a file that the host's
// bird.conf includes (two static protocols: `director_vips` of /32 blackhole routes for the
// IPv4 VIPs, `director_vips6` of /128 ones for the IPv6 VIPs, which the bird.conf exports to
// its BGP peers), then asks bird to read its configuration again through its control socket
// (`birdc configure`), which changes routes without resetting sessions. Both protocols are
// always written, empty or not, so a bird.conf may name either before there is a VIP of its
// family.

import { execFile } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import type { RouteDaemon } from './announcer.js';

/** The static protocols' names in the routes file; the bird.conf filters its exports on them. */
export const BIRD_PROTOCOL = 'director_vips';
export const BIRD_PROTOCOL6 = 'director_vips6';
export const DEFAULT_BIRDC_SOCKET = '/run/bird/bird.ctl';
const BIRDC_TIMEOUT_MS = 10_000;

/** The routes file bird includes, announcing these addresses (IPv4 and IPv6 alike). */
export function birdRoutesFile(addresses: readonly string[], pid = process.pid): string {
  const v6 = addresses.filter((a) => a.includes(':'));
  const v4 = addresses.filter((a) => !a.includes(':'));
  return [
    `# Written by director (pid ${pid}): the VIPs it announces now. Do not edit; included by bird.conf.`,
    `protocol static ${BIRD_PROTOCOL} {`,
    '  ipv4;',
    ...v4.map((a) => `  route ${a}/32 blackhole;`),
    '}',
    `protocol static ${BIRD_PROTOCOL6} {`,
    '  ipv6;',
    ...v6.map((a) => `  route ${a}/128 blackhole;`),
    '}',
    '',
  ].join('\n');
}

export interface BirdOptions {
  /** The file bird.conf includes. */
  routesFile: string;
  /** bird's control socket. */
  socket: string;
}

export class Bird implements RouteDaemon {
  readonly describe: string;

  constructor(private readonly o: BirdOptions) {
    this.describe = `bird (${o.socket})`;
  }

  async announce(addresses: readonly string[]): Promise<void> {
    // Written whole, then renamed: bird never reads half a file.
    const tmp = `${this.o.routesFile}.tmp`;
    writeFileSync(tmp, birdRoutesFile(addresses));
    renameSync(tmp, this.o.routesFile);
    await this.configure();
  }

  private configure(): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile('birdc', ['-s', this.o.socket, 'configure'], { timeout: BIRDC_TIMEOUT_MS }, (err, stdout, stderr) => {
        const said = `${stdout}${stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^BIRD .* ready\.$/.test(l));
        if (err === null && said.some((l) => /^Reconfigur/.test(l))) resolve();
        else reject(new Error(`birdc configure: ${said.join('; ') || (err as Error).message}`));
      });
    });
  }
}
