// The director's logging: the small interface every part logs through (pino's (fields, message)
// shape, so a pino logger fits as it is), the daemon's logger (pino: a level and an ISO timestamp
// on every line, one JSON object per line or one human line), and the plain-callback form the
// embedded API accepts.

import pino from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'human' | 'json';

/** Structured fields of one line: `event` names a state change (health, weight, reload, adm). */
export type LogFields = Record<string, unknown>;

/** What every part of the director logs through. */
export interface Logger {
  debug(fields: LogFields, msg: string): void;
  info(fields: LogFields, msg: string): void;
  warn(fields: LogFields, msg: string): void;
  error(fields: LogFields, msg: string): void;
}

/** One line as the callback form receives it besides the message. */
export interface LogEntry extends LogFields {
  level: LogLevel;
  /** ISO 8601, UTC. */
  time: string;
  msg: string;
}

/** The embedded API's simplest logger: called with each message and the whole entry. */
export type LogCallback = (msg: string, entry: LogEntry) => void;

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A Logger from what an embedder passed: a Logger as it is, a callback wrapped, nothing silent. */
export function loggerFrom(option: Logger | LogCallback | undefined, now: () => number = Date.now): Logger {
  if (option === undefined) return silentLogger;
  if (typeof option !== 'function') return option;
  const at = (level: LogLevel) => (fields: LogFields, msg: string): void =>
    option(msg, { ...fields, level, time: new Date(now()).toISOString(), msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface DaemonLoggerOptions {
  format: LogFormat;
  /** Receives each line without its newline (the daemon: stderr). */
  write: (line: string) => void;
  /** Lines below it are not written; default info. */
  level?: LogLevel;
  /** Milliseconds since the epoch for the timestamps; default Date.now. */
  now?: () => number;
}

/** The daemon's logger: pino, writing each line synchronously through write(). */
export function createLogger(o: DaemonLoggerOptions): Logger {
  const now = o.now ?? Date.now;
  const emit = o.format === 'json' ? o.write : (json: string) => o.write(humanLine(JSON.parse(json) as LogEntry));
  return pino({
    level: o.level ?? 'info',
    base: null,
    timestamp: () => `,"time":"${new Date(now()).toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  }, { write: (chunk: string) => emit(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) });
}

/** `TIME LEVEL message key=value ...`: the entry's other fields after the message. */
export function humanLine(entry: LogEntry): string {
  const { time, level, msg, ...fields } = entry;
  const rest = Object.entries(fields).map(([k, v]) => ` ${k}=${fieldText(v)}`).join('');
  return `${time} ${level.toUpperCase().padEnd(5)} ${msg}${rest}`;
}

function fieldText(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** Human lines on a terminal, JSON lines otherwise (log shippers, journald, files). */
export function autoFormat(isTTY: boolean | undefined): LogFormat {
  return isTTY === true ? 'human' : 'json';
}
