// `director drain`: asks a running director, over its control socket, to withdraw its routes,
// serve its established connections until they end (or a timeout), and then stop; prints how
// the drain went once the director has answered.

import { ControlClient } from '../control/client.js';
import { DEFAULT_DRAIN_SECONDS } from '../control/ops.js';
import { controlSocketPath } from '../control/socket-path.js';
import type { DrainResult } from '../announce/drain.js';
import { secondsOption } from './args.js';
import { defineCommand } from './command.js';
import { EXIT_FAIL, EXIT_OK } from './io.js';
import { CONTROL_OPTIONS } from './reload.js';

/** Margin beyond the drain's own timeout for the answer to arrive. */
const ANSWER_MARGIN_MS = 30_000;

export const drainCommand = defineCommand(
  {
    name: 'drain',
    summary: 'withdraw a running director\'s routes, let its connections end, then stop it',
    about: `Tells the running director to withdraw the routes it announces (--bird-routes), so that routers
send new flows to the other directors; it goes on forwarding its established connections until
they have all ended or the timeout runs out, then stops as on SIGTERM (writing its --state-file).
Prints what was withdrawn and how many connections were left.`,
    options: {
      ...CONTROL_OPTIONS,
      timeout: { value: 'S', help: `wait at most S seconds for connections to end (default ${DEFAULT_DRAIN_SECONDS})` },
    },
    footer: 'exit status: 0 drained (connections may be left: see the output), 1 no director or refused, 2 usage error',
  },
  async (v, io) => {
    const timeout = secondsOption('timeout', v.timeout, DEFAULT_DRAIN_SECONDS);
    let client: ControlClient;
    try {
      client = await ControlClient.connect(controlSocketPath(v), { timeoutMs: timeout * 1000 + ANSWER_MARGIN_MS });
    } catch (err) {
      io.err(`director drain: ${(err as Error).message}`);
      return EXIT_FAIL;
    }
    try {
      const r = (await client.request('drain', { timeout })) as DrainResult;
      if (r.shared > 0) io.out(`sent the sync peers ${r.shared} connections and templates`);
      io.out(`withdrawn: ${r.withdrawn.length === 0 ? 'none (no routes announced)' : r.withdrawn.join(', ')}`);
      io.out(r.timedOut ? `timed out after ${r.seconds.toFixed(1)} s with ${r.active} connections left; the director stops now`
        : `all connections ended after ${r.seconds.toFixed(1)} s; the director stops now`);
      return EXIT_OK;
    } catch (err) {
      io.err(`director drain: ${(err as Error).message}`);
      return EXIT_FAIL;
    } finally {
      client.close();
    }
  },
);
