// Which VIPs this director announces to its routers, and keeping the routing daemon in step: a
// VIP is announced while the director runs, is not draining, and has a service on it with a
// real server the scheduler may pick (effective weight above 0: checked up, not quiesced);
// otherwise it is withdrawn, so ECMP stops sending this director flows it cannot serve.

import type { AdmSnapshot } from '../adm/model.js';
import type { Logger } from '../log/logger.js';
import { compareAddresses } from '../adm/text.js';

/** The routing daemon, as the announcer drives it (bird through birdc; a fake in tests). */
export interface RouteDaemon {
  /** Makes exactly these addresses (IPv4 /32 and IPv6 /128 routes) the ones announced; rejects with the daemon's reason. */
  announce(addresses: readonly string[]): Promise<void>;
  /** Where announcements go, for logs. */
  readonly describe: string;
}

/** The VIPs of snapshot that can take a new connection now: IPv4 ones in address order, then IPv6 ones. */
export function serviceableVips(snapshot: AdmSnapshot): string[] {
  // A mark service has no address of its own (0.0.0.0): its fwmark_match addresses are not announced.
  const vips = new Set(snapshot.services.filter((s) => !s.fwmark && s.realServers.some((rs) => rs.effectiveWeight > 0))
    .map((s) => s.address));
  return [...vips].sort(compareAddresses);
}

export class RouteAnnouncer {
  /** What the daemon holds now; null until the first update succeeded. */
  private announced: string[] | null = null;
  private draining = false;
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly daemon: RouteDaemon, private readonly log: Logger) {}

  /** The addresses announced now (empty before the first update). */
  get current(): readonly string[] {
    return this.announced ?? [];
  }

  /** Brings the announcement in line with snapshot (nothing while draining); a failure is logged and retried on the next update. */
  update(snapshot: AdmSnapshot): Promise<void> {
    return this.apply(() => (this.draining ? [] : serviceableVips(snapshot)));
  }

  /** Withdraws every route and announces none again (drain and stop): resolves once the daemon holds none. */
  withdrawAll(): Promise<void> {
    this.draining = true;
    return this.apply(() => [], true);
  }

  /** One change at a time, in order: a slow daemon never sees two at once. */
  private apply(wanted: () => string[], mustSucceed = false): Promise<void> {
    const run = this.busy.then(async () => {
      const next = wanted();
      if (this.announced !== null && same(next, this.announced)) return;
      try {
        await this.daemon.announce(next);
      } catch (err) {
        this.log.error({ event: 'announce', daemon: this.daemon.describe }, `routes not updated (${(err as Error).message}); retrying`);
        if (mustSucceed) throw err;
        return;
      }
      const before = this.announced ?? [];
      const added = next.filter((a) => !before.includes(a));
      const removed = before.filter((a) => !next.includes(a));
      if (added.length > 0) this.log.info({ event: 'announce', addresses: added }, `announce: ${added.join(', ')} via ${this.daemon.describe}`);
      if (removed.length > 0) this.log.info({ event: 'withdraw', addresses: removed }, `withdraw: ${removed.join(', ')} via ${this.daemon.describe}`);
      this.announced = next;
    });
    this.busy = run.catch(() => {});
    return run;
  }
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
