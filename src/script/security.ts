// keepalived's script checks, made before every run: the program (the command's first word,
// searched in PATH when bare) must exist and be executable by the user running it; when it runs
// as root (uid or gid 0, or a setuid/setgid-root file), no part of its path may be changeable
// by another user — refused with enable_script_security, only reported without.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScriptIdentity } from './identity.js';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

export interface ScriptCheck {
  /** The program as it will be found (absolute), or null when it cannot run. */
  program: string | null;
  /** Why the script cannot run (missing, not executable, unsafe under script security). */
  refusal: string | null;
  /** An unsafe path that is run anyway (script security off): keepalived's warning. */
  unsafe: string | null;
  /** A bare name found through PATH: keepalived asks for the full path. */
  searched: boolean;
}

/** The first word of a command line, with shell quotes and backslashes taken off. */
export function programWord(command: string): string {
  let word = '';
  let quote: string | null = null;
  for (let i = command.search(/\S/); i >= 0 && i < command.length; i++) {
    const ch = command[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '\\' && i + 1 < command.length) word += command[++i];
    else if (/[\s;|&<>()]/.test(ch)) break;
    else word += ch;
  }
  return word;
}

/**
 * Words /bin/sh runs itself: a command line starting with one (`exit 1`, `test -f /run/x`) has
 * no program of its own, so the shell is what gets checked.
 */
const SHELL_WORDS = new Set([
  ':', '.', '!', '[', '{', '(', 'true', 'false', 'exit', 'test', 'echo', 'printf', 'cd', 'set', 'export', 'eval',
  'exec', 'if', 'for', 'while', 'until', 'case', 'read', 'command', 'type', 'kill', 'wait', 'trap', 'unset',
]);
const SHELL = '/bin/sh';

export function checkScript(command: string, id: ScriptIdentity, secure: boolean, searchPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): ScriptCheck {
  const word = programWord(command);
  const out: ScriptCheck = { program: null, refusal: null, unsafe: null, searched: false };
  if (word === '') return { ...out, refusal: 'the command is empty' };
  const program = word.includes('/') ? path.resolve(word) : findInPath(word, id, searchPath) ?? (SHELL_WORDS.has(word) ? SHELL : null);
  if (program === null) return { ...out, refusal: `'${word}' is not found in PATH, or not executable by ${id.label}` };
  let st: fs.Stats;
  try {
    st = fs.statSync(program);
  } catch (err) {
    return { ...out, refusal: `'${program}' cannot be accessed (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  if (!st.isFile() || !executableBy(st, id)) return { ...out, refusal: `'${program}' is not executable by ${id.label}` };
  const unsafe = runsAsRoot(st, id) ? unsafePart(program) : null;
  if (unsafe !== null && secure) return { ...out, refusal: `unsafe permissions: ${unsafe} (enable_script_security)` };
  return { program, refusal: null, unsafe, searched: !word.includes('/') && program !== SHELL };
}

function findInPath(word: string, id: ScriptIdentity, searchPath: string): string | null {
  for (const dir of searchPath.split(':')) {
    const candidate = path.resolve(dir === '' ? '.' : dir, word);
    try {
      const st = fs.statSync(candidate);
      if (st.isFile() && executableBy(st, id)) return candidate;
    } catch {
      // Not in this directory: try the next.
    }
  }
  return null;
}

/** keepalived's is_executable: root needs any x bit; others the bit of owner, group or other. */
function executableBy(st: fs.Stats, id: ScriptIdentity): boolean {
  if (id.uid === 0) return (st.mode & 0o111) !== 0;
  if (id.uid === st.uid) return (st.mode & 0o100) !== 0;
  if (id.gid === st.gid || id.groups.includes(st.gid)) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

function runsAsRoot(st: fs.Stats, id: ScriptIdentity): boolean {
  return id.uid === 0 || id.gid === 0 || (st.uid === 0 && (st.mode & S_ISUID) !== 0 && (st.mode & 0o100) !== 0)
    || (st.gid === 0 && (st.mode & S_ISGID) !== 0 && (st.mode & 0o010) !== 0);
}

/**
 * The first part of the program's path another user could change, or null. Every directory and
 * the file, along the path as written and along the path with symbolic links resolved, must
 * belong to root and not be writable by a group other than root's or by anyone (a directory with
 * the sticky bit may be). A symbolic link on the way must belong to root; what it points to is
 * checked through the resolved path.
 */
export function unsafePart(program: string): string | null {
  let real: string;
  try {
    real = fs.realpathSync(program);
  } catch {
    return `${program} cannot be resolved`;
  }
  for (const p of new Set([...prefixes(program), ...prefixes(real)])) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return `${p} cannot be read`;
    }
    if (st.uid !== 0) return `${p} belongs to uid ${st.uid}, not root`;
    if (st.isSymbolicLink()) continue;
    const sticky = st.isDirectory() && (st.mode & S_ISVTX) !== 0;
    if (sticky) continue;
    if ((st.mode & 0o002) !== 0) return `${p} is writable by anyone`;
    if (st.gid !== 0 && (st.mode & 0o020) !== 0) return `${p} is writable by group ${st.gid}`;
  }
  return null;
}

/** '/', '/a', '/a/b' ... of an absolute path. */
function prefixes(p: string): string[] {
  const parts = p.split('/').filter((s) => s !== '');
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
}
