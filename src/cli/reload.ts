// `director reload`: asks a running director, over its control socket, to read its keepalived.conf
// again (or another file) and apply it as a diff; prints what changed or why nothing did.

import path from 'node:path';
import { ControlClient } from '../control/client.js';
import { controlSocketPath } from '../control/socket-path.js';
import { defineCommand } from './command.js';
import { EXIT_FAIL, EXIT_OK } from './io.js';

export const CONTROL_OPTIONS = {
  control: { value: 'PATH', help: "the director's control socket (default: /run/director/director.sock, or NS.sock in netns NS)" },
  netns: { value: 'NS', help: 'the director run for network namespace NS (/run/director/NS.sock)' },
} as const;

/** What the daemon answers to reload: the file it read and one line per change. */
export interface ReloadAnswer {
  file: string;
  changes: string[];
}

export const reloadCommand = defineCommand(
  {
    name: 'reload',
    summary: 'make a running director re-read its configuration and apply the changes',
    about: `Sends a reload to the running director (as SIGHUP does): it loads its --config file again, or
the file given here, and applies it as a diff: unchanged services and real servers keep their
connections and counters, added ones join, removed ones drain. A file that does not load or
validate changes nothing; the reason is printed and the exit status is 1.`,
    options: { ...CONTROL_OPTIONS, config: { value: 'FILE', help: "load this file instead of the director's own --config" } },
    footer: 'exit status: 0 applied, 1 refused (nothing changed) or no director, 2 usage error',
  },
  async (v, io) => {
    let client: ControlClient;
    try {
      client = await ControlClient.connect(controlSocketPath(v));
    } catch (err) {
      io.err(`director reload: ${(err as Error).message}`);
      return EXIT_FAIL;
    }
    try {
      const answer = (await client.request('reload', v.config === undefined ? {} : { config: path.resolve(v.config) })) as ReloadAnswer;
      for (const line of answer.changes) io.out(line);
      io.out(`reload: ${answer.file}: ${answer.changes.length === 0 ? 'no changes' : `${answer.changes.length} changes applied`}`);
      return EXIT_OK;
    } catch (err) {
      io.err(`director reload: ${(err as Error).message}`);
      return EXIT_FAIL;
    } finally {
      client.close();
    }
  },
);
