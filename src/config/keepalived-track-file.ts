// keepalived's top-level `track_file NAME { file PATH; weight W [reverse]; init_file [VALUE]
// [overwrite] }` blocks (vrrp_track_file is the deprecated synonym), read before the virtual
// servers so a FILE_CHECK may name one defined anywhere in the configuration.

import type { Statement } from './keepalived-parser.js';
import * as v from './keepalived-values.js';

/** keepalived's limits for a track_file weight (IPVS_WEIGHT_LIMIT). */
export const TRACK_WEIGHT_LIMIT = 2147483647;

export interface TrackFileConfig {
  name: string;
  path: string;
  weight: number;
  reverse: boolean;
  init: { value: number; overwrite: boolean } | null;
  stmt: Statement;
}

export const TRACK_FILE_KEYWORDS = new Set(['track_file', 'vrrp_track_file']);

/** Every track_file block at the top level, by name; a name defined twice is an error. */
export function collectTrackFiles(statements: readonly Statement[]): Map<string, TrackFileConfig> {
  const out = new Map<string, TrackFileConfig>();
  for (const s of statements) {
    if (!TRACK_FILE_KEYWORDS.has(s.keyword)) continue;
    const tf = parseTrackFile(s);
    const earlier = out.get(tf.name);
    if (earlier) v.fail(s, `track_file '${tf.name}' is already defined at ${earlier.stmt.file}:${earlier.stmt.line}`);
    out.set(tf.name, tf);
  }
  return out;
}

function parseTrackFile(s: Statement): TrackFileConfig {
  v.expectArgs(s, 1, 1, 'NAME');
  if (!s.block) v.fail(s, "expects a block '{ file PATH ... }' after the name");
  const tf: TrackFileConfig = { name: s.args[0] as string, path: '', weight: 1, reverse: false, init: null, stmt: s };
  for (const k of s.block) {
    if (k.keyword === 'file') {
      v.expectArgs(k, 1, 1, '"PATH"');
      tf.path = k.args[0] as string;
      if (!tf.path.startsWith('/')) v.fail(k, `'${tf.path}' is not an absolute path`);
    } else if (k.keyword === 'weight') {
      Object.assign(tf, trackWeight(k));
    } else if (k.keyword === 'init_file') {
      tf.init = initFile(k);
    } else {
      v.fail(k, 'is not a track_file keyword (file, weight, init_file)');
    }
  }
  if (tf.path === '') v.fail(s, `track_file '${tf.name}' needs a file`);
  return tf;
}

/** `weight W [reverse|noreverse]`, shared by track_file and FILE_CHECK. */
export function trackWeight(k: Statement): { weight: number; reverse: boolean } {
  v.expectArgs(k, 1, 2, 'WEIGHT [reverse]');
  const text = k.args[0] as string;
  if (!/^-?\d+$/.test(text) || Math.abs(Number(text)) > TRACK_WEIGHT_LIMIT) {
    v.fail(k, `'${text}' is not a whole number in -${TRACK_WEIGHT_LIMIT}..${TRACK_WEIGHT_LIMIT}`);
  }
  const flag = k.args[1];
  if (flag !== undefined && flag !== 'reverse' && flag !== 'noreverse') v.fail(k, `'${flag}' is not reverse or noreverse`);
  return { weight: Number(text), reverse: flag === 'reverse' };
}

function initFile(k: Statement): { value: number; overwrite: boolean } {
  const init = { value: 0, overwrite: false };
  for (const word of k.args) {
    if (word === 'overwrite') init.overwrite = true;
    else if (/^-?\d+$/.test(word) && Math.abs(Number(word)) <= TRACK_WEIGHT_LIMIT) init.value = Number(word);
    else v.fail(k, `'${word}' is not a value or overwrite (init_file [VALUE] [overwrite])`);
  }
  return init;
}
