// Resolves keepalived `include` patterns: paths relative to the including file's directory (where
// keepalived chdir()s while reading it), shell-style globs (* ? [...]) in any path component,
// matches in sorted order as glob(3) returns them.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** True when a path component holds glob characters. */
export function hasWildcard(component: string): boolean {
  return /[*?[]/.test(component);
}

/**
 * Expands a pattern to the regular files it names, sorted. A relative pattern starts at baseDir
 * (itself relative to the working directory when the main file was named so); only the pattern's
 * own components are globs, never baseDir's.
 */
export function expandInclude(pattern: string, baseDir: string): string[] {
  const parts = pattern.split('/').filter((p) => p !== '');
  let candidates = [path.isAbsolute(pattern) ? '/' : baseDir];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const dir of candidates) {
      if (!hasWildcard(part)) {
        next.push(path.join(dir, part));
        continue;
      }
      const re = globToRegExp(part);
      for (const name of listDir(dir)) {
        // Like glob(3), a leading '*' or '?' does not match a hidden file.
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (re.test(name)) next.push(path.join(dir, name));
      }
    }
    candidates = last ? next : next.filter(isDirectory);
  }
  return candidates.filter(isFile).sort();
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Converts one glob path component to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = close;
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(re + '$');
}
