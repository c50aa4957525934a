// TCP_CHECK: a connection to connect_ip:connect_port (from bindto/bind_port/bind_if) that completes
// within connect_timeout is a pass; refused, unreachable or timed out is a fail. The connection is
// closed at once.

import { connectStream } from './check-socket.js';
import { failed, type CheckResult, type TcpCheckSpec } from './types.js';

export function tcpCheck(spec: TcpCheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const target = `${spec.connectIp}:${spec.connectPort}`;
  return new Promise((resolve) => {
    const socket = connectStream(spec);
    const finish = (r: CheckResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(failed(`connect to ${target} timed out after ${spec.connectTimeout} s`, started)),
      spec.connectTimeout * 1000);
    socket.once('connect', () => finish({ ok: true, detail: `connected to ${target}`, latencyMs: Math.round(performance.now() - started) }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(failed(`connect to ${target}: ${err.code ?? err.message}`, started)));
  });
}
