// A health check executor for tests: answers from a table keyed by "kind host:port" (default
// ok), records every run, and can hold answers back to play a check still in flight.
import type { CheckExecutor, CheckOutcome, CheckSpec } from '../../src/health/types.js';

export class FakeExecutor implements CheckExecutor {
  readonly answers = new Map<string, CheckOutcome>();
  readonly runs: Array<{ at: number; key: string }> = [];
  closed = false;
  /** While true, runs wait until release(). */
  holding = false;
  private readonly held: Array<() => void> = [];

  constructor(private readonly clock: { now(): number }) {}

  static key(spec: CheckSpec): string {
    if (spec.kind === 'misc' || spec.kind === 'file') return `${spec.kind} ${spec.path}`;
    if (spec.kind === 'bfd') return `bfd ${spec.neighbor}`;
    return spec.kind === 'ping' ? `ping ${spec.connectIp}` : `${spec.kind} ${spec.connectIp}:${spec.connectPort}`;
  }

  async run(spec: CheckSpec): Promise<CheckOutcome> {
    const key = FakeExecutor.key(spec);
    this.runs.push({ at: this.clock.now(), key });
    if (this.holding) await new Promise<void>((r) => this.held.push(r));
    return this.answers.get(key) ?? { ok: true, detail: 'fake ok', latencyMs: 1 };
  }

  /** Lets every held run answer (with the answers in the table now). */
  release(): void {
    this.holding = false;
    for (const go of this.held.splice(0)) go();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
