// `director top`: a live view of a running director over its control socket (services, real
// servers, weights, health, connections and rates), redrawn in place until q; one snapshot on
// a non-terminal or with --once.

import type { AdmSnapshot } from '../adm/model.js';
import { checkModelVersion } from '../adm/model.js';
import { ControlClient } from '../control/client.js';
import { controlSocketPath } from '../control/socket-path.js';
import type { DirectorStats } from '../director-stats.js';
import { topLines, topScreen, type TopView } from '../top/screen.js';
import { processTerminal, type Terminal } from '../top/terminal.js';
import { secondsOption, UsageError } from './args.js';
import { defineCommand, type Command } from './command.js';
import { EXIT_FAIL, EXIT_OK, type CliIo } from './io.js';
import { CONTROL_OPTIONS } from './reload.js';

const OPTIONS = {
  ...CONTROL_OPTIONS,
  interval: { value: 'S', help: 'redraw every S seconds (default 1; the rates are 2-second samples)' },
  once: { help: 'print one snapshot and exit (what top does when standard output is not a terminal)' },
} as const;

/** Keys that end top: q, Q, and Ctrl-C (which raw mode delivers as a key, not a signal). */
const QUIT_KEYS = new Set(['q', 'Q', '\x03']);

/** One reading: the snapshot and the stats, asked for together. */
async function readView(client: ControlClient, daemon: TopView['daemon']): Promise<TopView> {
  const [snapshot, stats] = await Promise.all([client.request('snapshot'), client.request('stats')]);
  checkModelVersion(snapshot as AdmSnapshot);
  return { socketPath: client.socketPath, daemon, snapshot: snapshot as AdmSnapshot, stats: stats as DirectorStats, at: new Date() };
}

/** Redraws until a quit key or a signal; throws when the director stops answering. */
async function live(client: ControlClient, daemon: TopView['daemon'], terminal: Terminal, intervalMs: number, io: CliIo): Promise<void> {
  let wake: () => void = () => {};
  let quit = false;
  const stop = (): void => {
    quit = true;
    wake();
  };
  void io.waitForSignal().then(stop);
  let view = await readView(client, daemon);
  terminal.open((key) => (QUIT_KEYS.has(key) ? stop() : undefined), () => terminal.draw(topScreen(view, terminal)));
  try {
    while (!quit) {
      terminal.draw(topScreen(view, terminal));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (!quit) view = await readView(client, daemon);
    }
  } finally {
    terminal.close();
  }
}

export function topCommandWith(terminal: () => Terminal | null): Command {
  return defineCommand(
    {
      name: 'top',
      summary: 'watch a running director: services, real servers, health and rates, live',
      about: `Shows what a running director is doing, read over its control socket and redrawn in place:
every service and real server with its forwarding method, weight now and configured, health,
active and inactive connections, and connections, packets and bytes per second (the figures
of director adm -L --rate). q quits. When standard output is not a terminal, or with --once,
it prints one snapshot and exits.`,
      options: OPTIONS,
      footer: 'exit status: 0 ok, 1 no director or it stopped answering, 2 usage error',
    },
    async (v, io) => {
      const intervalMs = secondsOption('interval', v.interval, 1) * 1000;
      if (intervalMs < 100) throw new UsageError(`option '--interval' must be at least 0.1 seconds, got '${v.interval}'`);
      const term = v.once ? null : terminal();
      let client: ControlClient;
      try {
        client = await ControlClient.connect(controlSocketPath(v), { timeoutMs: 10_000 });
      } catch (err) {
        io.err(`director top: ${(err as Error).message}`);
        return EXIT_FAIL;
      }
      try {
        const daemon = (await client.request('hello')) as TopView['daemon'];
        if (term === null) for (const line of topLines(await readView(client, daemon))) io.out(line);
        else await live(client, daemon, term, intervalMs, io);
        return EXIT_OK;
      } catch (err) {
        io.err(`director top: ${(err as Error).message}`);
        return EXIT_FAIL;
      } finally {
        client.close();
      }
    },
  );
}

export const topCommand = topCommandWith(processTerminal);
