// A program run on a pseudo-terminal for tests: a detached tmux session of a fixed size on its
// own tmux server (its own socket name, so no other tmux on the machine is touched), whose
// screen is read as text the way a person sees it, and keys typed into it.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pty {
  /** The screen as it is now, one string per row, trailing blanks dropped. */
  screen(): Promise<string[]>;
  /** Waits until the screen matches (polling), up to timeoutMs; returns that screen. */
  waitFor(match: (screen: string[]) => boolean, timeoutMs: number, what: string): Promise<string[]>;
  /** Types keys as tmux send-keys names them ('q', 'C-c'). */
  keys(...keys: string[]): Promise<void>;
  /** Ends the session and its tmux server; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts argv on a columns x rows terminal. When argv exits the shell prints
 * "exited STATUS" and waits (bounded) so the final screen can still be read.
 */
export async function startPty(name: string, argv: readonly string[], columns: number, rows: number): Promise<Pty> {
  const tmux = (...args: string[]) => run('tmux', ['-L', name, ...args], { timeout: 10_000 });
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  await tmux('-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows),
    `${quoted}; echo "exited $?"; sleep 120`);
  const screen = async (): Promise<string[]> => (await tmux('capture-pane', '-p', '-t', name)).stdout.split('\n').map((l) => l.trimEnd());
  let closed = false;
  return {
    screen,
    async waitFor(match, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      let last: string[] = [];
      while (Date.now() < deadline) {
        last = await screen();
        if (match(last)) return last;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`pty: no ${what} within ${timeoutMs} ms; the screen:\n${last.join('\n')}`);
    },
    async keys(...keys) {
      await tmux('send-keys', '-t', name, ...keys);
    },
    async close() {
      if (closed) return;
      closed = true;
      await tmux('kill-server').catch(() => undefined);
    },
  };
}
