// What one `director adm` command line means once parsed: a typed, validated command the daemon
// applies or the listing code answers, plus the usage error every parse failure raises.

import type { ForwardMethod, Protocol } from '../config/model.js';
import type { AdmSchedFlag, AdmTimeouts } from './model.js';

/** A parse failure: ipvsadm's wording where it has one; `adm` exits with status 2 as ipvsadm. */
export class AdmUsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'AdmUsageError';
  }
}

/** A virtual service (-t/-u ADDRESS[:PORT]); port 0 means every port (persistent only). */
export interface ServiceKey {
  protocol: Protocol;
  /** A dotted quad, or an IPv6 address in RFC 5952 text. */
  address: string;
  port: number;
  /** -f MARK: a firewall mark service (address 0.0.0.0, port 0; the protocol means nothing). */
  fwmark?: number;
  /** An IPv6 service: its address is IPv6, or -f MARK -6; absent for IPv4. */
  family?: 'inet6';
}

/**
 * Whether a service (config or snapshot fields) is the one key names: by mark and family (as
 * IPVS, `-f 1` and `-f 1 -6` are two services), or by protocol, address and port.
 */
export function isServiceKey(
  svc: { protocol: Protocol; address: string; port: number; fwmark?: number; family?: 'inet6' }, key: ServiceKey,
): boolean {
  if (svc.fwmark || key.fwmark) return svc.fwmark === key.fwmark && (svc.family === 'inet6') === (key.family === 'inet6');
  return svc.protocol === key.protocol && svc.address === key.address && svc.port === key.port;
}

/** A real server (-r ADDRESS[:PORT]). */
export interface ServerKey {
  address: string;
  port: number;
}

/**
 * A service's settings as -A/-E give them. -E replaces all of them, as ipvsadm does: what the
 * line leaves out takes its default (wlc, not persistent, /32, no flags, no group).
 */
export interface ServiceSettings {
  scheduler: string;
  schedFlags: AdmSchedFlag[];
  /** Persistence timeout in seconds, 0 = not persistent. */
  persistence: number;
  /** -M: a dotted-quad netmask for an IPv4 service, a prefix length (decimal text) for IPv6. */
  netmask: string;
  laddrGroup: string | null;
  /** -o: one-packet scheduling; absent: off. */
  ops?: boolean;
}

/** A real server's settings as -a/-e give them; -e replaces all of them (weight 1, -g, ...). */
export interface ServerSettings {
  method: ForwardMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
}

/** Which layout -L prints (ipvsadm's FMT_* flags). */
export interface ListFormat {
  numeric: boolean;
  stats: boolean;
  rate: boolean;
  thresholds: boolean;
  persistentConn: boolean;
  tunInfo: boolean;
  exact: boolean;
  /** --nosort: services and servers in the order they were added. */
  nosort: boolean;
  /** director: -c shows the FULLNAT local address column. */
  laddrInfo: boolean;
}

export type ListView =
  | { what: 'services'; service: ServiceKey | null }
  | { what: 'connections' }
  | { what: 'timeouts' };

export type AdmCommand =
  | { kind: 'add-service' | 'edit-service'; service: ServiceKey; settings: ServiceSettings }
  | { kind: 'delete-service'; service: ServiceKey }
  | { kind: 'add-server' | 'edit-server'; service: ServiceKey; server: ServerKey; settings: ServerSettings }
  | { kind: 'delete-server'; service: ServiceKey; server: ServerKey }
  /** -C: every service and every local address group. */
  | { kind: 'clear' }
  | { kind: 'zero'; service: ServiceKey | null }
  | { kind: 'list'; view: ListView; format: ListFormat }
  | { kind: 'save'; numeric: boolean }
  /** -R: the caller reads stdin and parses it with parseRestore. */
  | { kind: 'restore' }
  /** --set: 0 leaves a timeout as it is, as IPVS does. */
  | { kind: 'set-timeouts'; timeouts: AdmTimeouts }
  | { kind: 'add-laddr' | 'delete-laddr'; group: string; addresses: string[] }
  | { kind: 'list-laddr'; group: string | null }
  | { kind: 'help' }
  | { kind: 'version' };

/** The commands that change state: what --restore input may hold. */
export const EDIT_KINDS: ReadonlySet<AdmCommand['kind']> = new Set([
  'add-service', 'edit-service', 'delete-service', 'add-server', 'edit-server', 'delete-server',
  'clear', 'zero', 'set-timeouts', 'add-laddr', 'delete-laddr',
]);
