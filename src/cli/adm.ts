// `director adm`: ipvsadm's command line against a running director. The line is parsed here (a
// usage error never reaches the daemon and exits 2, as ipvsadm); listings are rendered here from
// the daemon's snapshot (connections page by page as they arrive); every change goes to the
// daemon as one all-or-nothing edit, -R's whole input included.

import type { AdmCommand } from '../adm/commands.js';
import { AdmUsageError } from '../adm/commands.js';
import type { AdmEdit } from '../adm/edit-config.js';
import { connectionHeader, connectionLine } from '../adm/list-connections.js';
import { checkModelVersion, type AdmConnectionList, type AdmSnapshot } from '../adm/model.js';
import { systemNames, type Names } from '../adm/names.js';
import { parseAdm } from '../adm/parse.js';
import { renderReadCommand, type ReadCommand } from '../adm/render.js';
import { parseRestore } from '../adm/restore.js';
import { usageText, versionText } from '../adm/usage.js';
import { ControlClient } from '../control/client.js';
import { controlSocketPath } from '../control/socket-path.js';
import type { RawCommand } from './command.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, type CliIo } from './io.js';
import { packageInfo } from './version.js';

interface Target {
  control?: string;
  netns?: string;
}

/** Takes --control PATH and --netns NS (which name the director, not the command) out of argv. */
export function splitTarget(argv: readonly string[]): { target: Target; rest: string[] } {
  const target: Target = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    const m = /^--(control|netns)(?:=(.*))?$/.exec(word);
    if (m === null) {
      rest.push(word);
      continue;
    }
    const name = m[1] as 'control' | 'netns';
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') throw new AdmUsageError(`--${name} needs a value`);
    if (target[name] !== undefined) throw new AdmUsageError(`multiple '--${name}' options specified`);
    target[name] = value;
  }
  return { target, rest };
}

/** Prints listing text (which ends with a newline, trailing spaces kept) line by line. */
function print(io: CliIo, text: string): void {
  if (text !== '') io.out(text.endsWith('\n') ? text.slice(0, -1) : text);
}

export async function admMain(argv: readonly string[], io: CliIo, names: Names = systemNames()): Promise<number> {
  let target: Target;
  let command: AdmCommand;
  try {
    ({ target, rest: argv } = splitTarget(argv));
    command = parseAdm(argv.length === 0 ? ['-L'] : argv, names);
  } catch (err) {
    if (!(err instanceof AdmUsageError)) throw err;
    io.err(err.message);
    return EXIT_USAGE;
  }
  if (command.kind === 'help') return (print(io, usageText()), EXIT_OK);
  if (command.kind === 'version') return (print(io, versionText(packageInfo().version)), EXIT_OK);
  let edits: AdmEdit[] | null = null;
  if (command.kind === 'restore') {
    try {
      if (io.readInput === undefined) throw new AdmUsageError('-R reads rules from standard input, and there is none here');
      edits = parseRestore(await io.readInput(), names) as AdmEdit[];
    } catch (err) {
      if (!(err instanceof AdmUsageError)) throw err;
      io.err(err.message);
      return EXIT_USAGE;
    }
    if (edits.length === 0) return EXIT_OK;
  }
  let client: ControlClient;
  try {
    client = await ControlClient.connect(controlSocketPath(target));
  } catch (err) {
    io.err((err as Error).message);
    return EXIT_FAIL;
  }
  try {
    if (isRead(command)) await read(client, command, io, names);
    else await client.request('edit', { edits: edits ?? [command as AdmEdit] });
    return EXIT_OK;
  } catch (err) {
    io.err((err as Error).message);
    return EXIT_FAIL;
  } finally {
    client.close();
  }
}

function isRead(command: AdmCommand): command is ReadCommand {
  return command.kind === 'list' || command.kind === 'save' || command.kind === 'list-laddr';
}

async function read(client: ControlClient, command: ReadCommand, io: CliIo, names: Names): Promise<void> {
  if (command.kind === 'list' && command.view.what === 'connections') {
    const format = command.format;
    print(io, connectionHeader(format));
    await client.stream('connections', {}, (page) => {
      const list = page as AdmConnectionList;
      checkModelVersion(list);
      print(io, list.connections.map((c) => connectionLine(c, format, names)).join(''));
    });
    return;
  }
  const snapshot = (await client.request('snapshot')) as AdmSnapshot;
  checkModelVersion(snapshot);
  print(io, renderReadCommand(command, snapshot, [], names));
}

export const admCommand: RawCommand = {
  name: 'adm',
  summary: 'ipvsadm for a running director: list, edit, save and restore its table',
  runArgv: admMain,
};
