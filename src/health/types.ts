// What a health check is asked (a spec: one resolved checker from the config, without its
// timing) and what it answers (a result). Checkers only answer; dampening and weights are not
// theirs.

import type {
  AgentCheckConfig, BfdCheckConfig, DnsCheckConfig, FileCheckConfig, HealthCheckConfig, HttpCheckConfig, MiscCheckConfig, PingCheckConfig,
  SmtpCheckConfig, SslCheckConfig, TcpCheckConfig, UdpCheckConfig,
} from '../config/model.js';
import type { FeedbackReport } from '../sched/load-feedback.js';

type WithoutTiming<T> = Omit<T, 'timing' | 'line'>;

export type TcpCheckSpec = WithoutTiming<TcpCheckConfig>;
export type HttpCheckSpec = WithoutTiming<HttpCheckConfig>;
export type MiscCheckSpec = WithoutTiming<MiscCheckConfig>;
export type AgentCheckSpec = WithoutTiming<AgentCheckConfig>;
export type SslCheckSpec = WithoutTiming<SslCheckConfig>;
export type DnsCheckSpec = WithoutTiming<DnsCheckConfig>;
export type UdpCheckSpec = WithoutTiming<UdpCheckConfig>;
export type PingCheckSpec = WithoutTiming<PingCheckConfig>;
export type SmtpCheckSpec = WithoutTiming<SmtpCheckConfig>;
export type FileCheckSpec = WithoutTiming<FileCheckConfig>;
export type BfdCheckSpec = WithoutTiming<BfdCheckConfig>;
export type CheckSpec =
  | TcpCheckSpec | HttpCheckSpec | SslCheckSpec | DnsCheckSpec | UdpCheckSpec | PingCheckSpec | SmtpCheckSpec
  | FileCheckSpec | BfdCheckSpec | MiscCheckSpec | AgentCheckSpec;

export interface CheckResult {
  ok: boolean;
  /** One line for logs: why it failed, or what it saw. */
  detail: string;
  latencyMs: number;
  /** A load report (misc_dynamic exit code, agent reply), only with ok results. */
  load?: FeedbackReport;
}

/**
 * A check that could not run (its runner process was restarting, died, did not answer in time,
 * or the checker itself crashed): a fault of ours that says nothing about the real server, so
 * it must not move the server's health either way.
 */
export interface CheckNotRun {
  ok: null;
  detail: string;
  latencyMs: number;
}

export type CheckOutcome = CheckResult | CheckNotRun;

/** Runs checks somewhere (in this process, or in a helper inside a network namespace). */
export interface CheckExecutor {
  run(spec: CheckSpec): Promise<CheckOutcome>;
  close(): Promise<void>;
}

/** Longest a check may take before its executor gives up on it (its own timeout plus slack). */
export function checkDeadlineMs(spec: CheckSpec): number {
  const seconds = spec.kind === 'misc' ? spec.timeout + 2 : spec.kind === 'file' || spec.kind === 'bfd' ? 1 : spec.connectTimeout;
  return seconds * 1000 + 2000;
}

export function specOf(check: HealthCheckConfig): CheckSpec {
  const { timing: _timing, line: _line, ...spec } = check;
  return spec;
}

/** A checker's config as text without its line number: the same checker after an edit elsewhere in the file. */
export function checkerText(check: HealthCheckConfig): string {
  return JSON.stringify(check, (k, v: unknown) => (k === 'line' ? undefined : v));
}

export function failed(detail: string, startedAt: number): CheckResult {
  return { ok: false, detail, latencyMs: Math.round(performance.now() - startedAt) };
}

export function notRun(detail: string, startedAt: number): CheckNotRun {
  return { ok: null, detail, latencyMs: Math.round(performance.now() - startedAt) };
}
