// What a read-only adm command (-L, -S, -G) prints, given the daemon's snapshot and, for -L -c,
// its connection list: the one place that picks the listing for a command.

import type { AdmCommand } from './commands.js';
import { listConnections, listTimeouts } from './list-connections.js';
import { listLaddrGroups } from './list-laddr.js';
import { listServices } from './list-services.js';
import type { AdmConnection, AdmSnapshot } from './model.js';
import type { Names } from './names.js';
import { saveRules } from './save.js';

export type ReadCommand = Extract<AdmCommand, { kind: 'list' | 'save' | 'list-laddr' }>;

/**
 * The text to print. `connections` is read only by -L -c (the other listings need only the
 * snapshot). Throws (an Error naming what is missing) when the command names a service or group
 * that does not exist.
 */
export function renderReadCommand(
  command: ReadCommand, snapshot: AdmSnapshot, connections: readonly AdmConnection[], names: Names,
): string {
  switch (command.kind) {
    case 'save':
      return saveRules(snapshot, command.numeric, names);
    case 'list-laddr':
      return listLaddrGroups(snapshot, command.group);
    case 'list':
      switch (command.view.what) {
        case 'connections':
          return listConnections(connections, command.format, names);
        case 'timeouts':
          return listTimeouts(snapshot.timeouts);
        case 'services':
          return listServices(snapshot, command.view.service, command.format, names);
      }
  }
}
