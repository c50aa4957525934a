// One UDP datagram sent from a lab namespace with a chosen TTL and DF bit, and the ICMP error
// the sending socket's error queue receives for it (IP_RECVERR): type, code, MTU and the
// address of the host that sent the ICMP. Node's dgram cannot set DF or read the error queue,
// so a short python3 program does the socket work.

import { runInNamespace } from '../../src/lab/process.js';

const PROBE = String.raw`
import errno, json, select, socket, struct, sys, time
host, port, size, ttl, df, wait_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == '1', int(sys.argv[6])
IP_RECVERR, IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_PMTUDISC_DONT, IP_MTU, MSG_ERRQUEUE = 11, 10, 2, 0, 14, 0x2000
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO if df else IP_PMTUDISC_DONT)
if ttl > 0:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
s.connect((host, port))
out = {'sent': False, 'reply': None, 'icmp': None}
try:
    s.send(b'p' * size)
    out['sent'] = True
except OSError as e:
    out['sendError'] = errno.errorcode.get(e.errno, str(e.errno))
p = select.poll()
p.register(s, select.POLLIN | select.POLLERR)
deadline = time.time() + wait_ms / 1000.0
while out['sent'] and out['icmp'] is None and out['reply'] is None and time.time() < deadline:
    if not p.poll(max(1, int((deadline - time.time()) * 1000))):
        continue
    try:
        _, anc, _, _ = s.recvmsg(2048, 1024, MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        for level, kind, data in anc:
            if level == socket.IPPROTO_IP and kind == IP_RECVERR:
                ee_errno, origin, itype, code, _pad, info, _data = struct.unpack_from('=IBBBBII', data, 0)
                offender = socket.inet_ntoa(data[20:24]) if len(data) >= 24 else None
                out['icmp'] = {'errno': errno.errorcode.get(ee_errno, str(ee_errno)), 'origin': origin,
                               'type': itype, 'code': code, 'info': info, 'from': offender}
        continue
    except BlockingIOError:
        pass
    try:
        out['reply'] = s.recv(65535, socket.MSG_DONTWAIT).decode('latin1').split(' ')[0]
    except (BlockingIOError, OSError) as e:
        if not isinstance(e, BlockingIOError):
            out['recvError'] = errno.errorcode.get(e.errno, str(e.errno))
try:
    out['pathMtu'] = s.getsockopt(socket.IPPROTO_IP, IP_MTU)
except OSError:
    out['pathMtu'] = None
print(json.dumps(out))
`;

export interface UdpProbe {
  /** UDP payload bytes. */
  size: number;
  /** IP TTL of the datagram (0: the system default). */
  ttl?: number;
  /** Set DF (IP_PMTUDISC_DO) so nobody may fragment it. */
  df?: boolean;
  waitMs?: number;
}

export interface IcmpSeen {
  /** The errno the kernel derived (EMSGSIZE for frag-needed, EHOSTUNREACH for time exceeded). */
  errno: string;
  /** 2: SO_EE_ORIGIN_ICMP. */
  origin: number;
  type: number;
  code: number;
  /** Frag-needed: the next-hop MTU the ICMP carried. */
  info: number;
  /** The source address of the ICMP error. */
  from: string | null;
}

export interface ProbeResult {
  sent: boolean;
  sendError?: string;
  /** The first word of an echo reply (the lab UDP server's name), or null. */
  reply: string | null;
  icmp: IcmpSeen | null;
  /** The socket's path MTU after the probe (IP_MTU), null when unknown. */
  pathMtu: number | null;
}

/** Sends the probe from ns to host:port and reports the reply or ICMP error it got back. */
export async function udpProbe(ns: string, host: string, port: number, o: UdpProbe): Promise<ProbeResult> {
  // Every probe expects an answer (a reply or an ICMP error), which ends it at once: the wait
  // only bounds a failure, so it is generous for a loaded machine.
  const waitMs = o.waitMs ?? 10_000;
  const r = await runInNamespace(ns, ['python3', '-c', PROBE, host, String(port), String(o.size),
    String(o.ttl ?? 0), o.df === true ? '1' : '0', String(waitMs)], waitMs + 10_000);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ProbeResult;
  } catch {
    throw new Error(`UDP probe in ${ns} printed no result (exit ${r.status.code ?? r.status.signal}): ${r.stderr.trim()}`);
  }
}
