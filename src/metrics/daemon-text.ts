// The `director run` daemon's own Prometheus series, appended to the director's: the privileges it
// kept after setup and what its control socket turned down. Text, because they exist only in the
// daemon (the embedded Director has neither).

export interface DaemonMetricsView {
  /** After the drop: the user's ids and the capabilities held; null while privileges are kept. */
  privileges: { uid: number; gid: number; capabilities: string[] } | null;
  /** Control socket rejections by reason (ControlRejections.toJSON()). */
  rejected: Record<string, number>;
}

const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export function daemonMetricsText(v: DaemonMetricsView): string {
  const out: string[] = [];
  if (v.privileges !== null) {
    out.push('# HELP director_capability A capability the daemon still holds after dropping its privileges (always 1).',
      '# TYPE director_capability gauge',
      ...v.privileges.capabilities.map((c) => `director_capability{capability="${label(c)}"} 1`),
      '# HELP director_process_uid The uid the daemon runs as after setup.', '# TYPE director_process_uid gauge',
      `director_process_uid ${v.privileges.uid}`);
  }
  out.push('# HELP director_control_rejected_total Control socket requests answered with an error, or clients cut off, by reason.',
    '# TYPE director_control_rejected_total counter',
    ...Object.entries(v.rejected).map(([reason, n]) => `director_control_rejected_total{reason="${label(reason)}"} ${n}`));
  return `${out.join('\n')}\n`;
}
