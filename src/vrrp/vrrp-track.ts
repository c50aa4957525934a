// The sources of VRRP tracker results: tracked interfaces (polled with `ip -o link` in the
// director's namespace: up means administratively UP with carrier, keepalived's IFF_UP and
// IFF_RUNNING) and vrrp_scripts (run every interval, dampened by rise/fall through the shared
// health dampener). Each reports (tracker name, up) when a state is first known and on change.

import { execFile } from 'node:child_process';
import type { VrrpScriptConfig } from '../config/model.js';
import { createDampener, type Dampener } from '../health/dampener.js';
import type { Clock } from '../sched/types.js';
import type { ScriptRunner } from './vrrp-scripts.js';

export type TrackerReport = (name: string, up: boolean) => void;

/** keepalived polls nothing (netlink tells it); a 1 s poll bounds how late a link change is seen. */
const LINK_POLL_MS = 1000;

/** Interfaces that are UP with carrier, from `ip -o link show` output. */
export function linksUp(output: string): Map<string, boolean> {
  const links = new Map<string, boolean>();
  for (const line of output.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)(?:@[^:]*)?:\s+<([^>]*)>/.exec(line);
    if (!m) continue;
    const flags = (m[2] as string).split(',');
    links.set(m[1] as string, flags.includes('UP') && flags.includes('LOWER_UP'));
  }
  return links;
}

export class LinkWatcher {
  private readonly known = new Map<string, boolean>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly names: readonly string[], private readonly netns: string | undefined,
              private readonly report: TrackerReport, private readonly log: (line: string) => void) {}

  start(): void {
    if (this.names.length > 0) this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private poll(): void {
    const argv = [...(this.netns === undefined ? [] : ['-n', this.netns]), '-o', 'link', 'show'];
    execFile('ip', argv, (err, stdout) => {
      if (this.stopped) return;
      if (err) this.log(`vrrp: cannot read links (ip ${argv.join(' ')}): ${err.message}`);
      else this.update(linksUp(stdout));
      this.timer = setTimeout(() => this.poll(), LINK_POLL_MS);
    });
  }

  private update(links: Map<string, boolean>): void {
    for (const name of this.names) {
      const up = links.get(name) ?? false;
      if (this.known.get(name) === up) continue;
      this.known.set(name, up);
      this.report(`if:${name}`, up);
    }
  }
}

/** One vrrp_script run every interval; its dampened result is reported as `script:NAME`. */
export class TrackScript {
  private readonly dampener: Dampener;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private reported: boolean | null = null;

  constructor(private readonly s: VrrpScriptConfig, private readonly scripts: ScriptRunner, clock: Clock,
              private readonly report: TrackerReport, private readonly log: (line: string) => void) {
    const intervalMs = s.interval * 1000;
    this.dampener = createDampener({ fall: s.fall, rise: s.rise, intervalMs, retryMs: intervalMs }, clock);
  }

  start(): void {
    void this.runOnce();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async runOnce(): Promise<void> {
    const result = await this.scripts.run(this.s.script, [], this.s.timeout * 1000);
    if (this.stopped) return;
    const v = this.dampener.observe(result.ok);
    if (this.reported !== v.up) {
      this.reported = v.up;
      this.log(`vrrp: script ${this.s.name} ${v.up ? 'succeeded' : 'failed'} (${result.detail})`);
      this.report(`script:${this.s.name}`, v.up);
    }
    this.timer = setTimeout(() => void this.runOnce(), v.nextInMs);
  }
}
