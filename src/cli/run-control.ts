// The daemon side of `director run`'s control socket: the path is claimed before the director
// starts (so a second director on the same socket stops before it attaches anything) and served
// once it runs; reading a keepalived.conf and reloading it, for `director reload` and SIGHUP.

import { loadKeepalivedConfig, type LoadOptions } from '../config/load.js';
import type { DirectorConfig } from '../config/model.js';
import { controlOps, type ControlTarget } from '../control/ops.js';
import { rejectionLine, type ReloadResult } from '../control/reload-changes.js';
import { ControlServer } from '../control/server.js';
import type { Logger } from '../log/logger.js';
import type { ReloadAnswer } from './reload.js';
import { packageInfo } from './version.js';

/** A running director as the control socket drives it. */
export interface ControlledDirector extends ControlTarget {
  reload(config: DirectorConfig): Promise<ReloadResult>;
}

/**
 * Loads file (with the options the director was started with) and reloads director with it: a
 * file that does not load is refused like a config the director refuses (logged, the running one
 * stays). What SIGHUP and `director reload` do.
 */
export async function reloadConfigFile(director: ControlledDirector, file: string, log: Logger, options: LoadOptions = {}): Promise<ReloadResult> {
  let config: DirectorConfig;
  try {
    config = loadKeepalivedConfig(file, options);
  } catch (err) {
    const error = (err as Error).message;
    log.warn({ event: 'reload', ok: false, error }, rejectionLine(error));
    return { ok: false, changes: [], error };
  }
  for (const w of config.warnings) log.warn({ event: 'config', file }, w.message);
  return director.reload(config);
}

/** `director reload`: the changes applied, or an error (the reason) when nothing was. */
async function reloadAnswer(director: ControlledDirector, file: string, options: LoadOptions, log: Logger): Promise<ReloadAnswer> {
  const result = await reloadConfigFile(director, file, log, options);
  if (!result.ok) throw new Error(`${file}: not applied, the running configuration stays: ${result.error ?? 'refused'}`);
  return { file, changes: result.changes.map((c) => c.message) };
}

export interface ControlPlan {
  path: string;
  /** The file `director reload` without --config reads again. */
  configFile: string;
  loadOptions: LoadOptions;
}

/**
 * Serves the socket for a started director; reload without a file reloads plan.configFile; drain
 * (when given) withdraws, waits and then stops the daemon.
 */
export function serveControl(plan: ControlPlan, director: ControlledDirector, log: Logger,
  drain?: (timeoutMs: number) => Promise<unknown>): Promise<ControlServer> {
  const ops = controlOps(director, {
    version: packageInfo().version,
    reload: (file) => reloadAnswer(director, file ?? plan.configFile, plan.loadOptions, log),
    ...(drain !== undefined ? { drain } : {}),
  });
  return ControlServer.listen({ path: plan.path, ops, log });
}
