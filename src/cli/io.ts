// Where CLI commands write their output and how they wait for signals, injectable so commands
// run in-process in tests.

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Whether err() writes to a terminal (logs are human lines there, JSON lines elsewhere). */
  errIsTTY?: boolean;
  /** Resolves when SIGINT or SIGTERM arrives (tests resolve it themselves). */
  waitForSignal(): Promise<string>;
  /**
   * Calls handler on every SIGHUP until the returned function is called; while subscribed, a
   * HUP no longer ends the process. Absent: the command has no reload.
   */
  onHangup?(handler: () => void): () => void;
  /** All of standard input (`adm -R` reads its rules there); absent where there is none. */
  readInput?(): Promise<string>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const processIo: CliIo = {
  readInput: readStdin,
  out: (line) => void process.stdout.write(line + '\n'),
  err: (line) => void process.stderr.write(line + '\n'),
  errIsTTY: process.stderr.isTTY === true,
  waitForSignal: () =>
    new Promise((resolve) => {
      const handler = (sig: string) => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
        resolve(sig);
      };
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
    }),
  onHangup: (handler) => {
    const listener = (): void => handler();
    process.on('SIGHUP', listener);
    return () => void process.off('SIGHUP', listener);
  },
};

/** Exit statuses: 0 ok, 1 failure (bad config, failed check), 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
