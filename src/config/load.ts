// Loads a keepalived.conf (with its includes) into a validated DirectorConfig: the one entry point
// the CLI and embedding code use. Throws ConfigError; collects warnings in config.warnings.

import type { ConfigWarning, DirectorConfig } from './model.js';
import { parseFile, parseText } from './keepalived-parser.js';
import { convertTopLevel, type LoadOptions } from './keepalived-config.js';
import { validateConfig } from './keepalived-validate.js';
import { sortWarnings } from './keepalived-warning-order.js';

export type { LoadOptions };

export function loadKeepalivedConfig(file: string, options: LoadOptions = {}): DirectorConfig {
  const warnings: ConfigWarning[] = [];
  return finish(parseFile(file, warnings, options), warnings, options);
}

/** Same as loadKeepalivedConfig for text in memory; `file` names it in messages and anchors includes. */
export function parseKeepalivedConfig(text: string, file = 'keepalived.conf', options: LoadOptions = {}): DirectorConfig {
  const warnings: ConfigWarning[] = [];
  return finish(parseText(text, file, warnings, options), warnings, options);
}

function finish(statements: ReturnType<typeof parseFile>, warnings: ConfigWarning[], options: LoadOptions): DirectorConfig {
  const converted = convertTopLevel(statements, warnings, options);
  validateConfig(converted);
  sortWarnings(statements, warnings);
  return converted.config;
}
