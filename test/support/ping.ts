// ICMP echo from inside a lab namespace, our own instead of iputils ping: a short python3 program
// (python3 is a build requirement anyway) sends echo requests on a raw socket and waits for the
// matching reply. Tests use it to show that plain kernel routing works beside a director.

import { runInNamespace } from '../../src/lab/process.js';

const ECHO = String.raw`
import os, select, socket, struct, sys, time
dst, wait_ms = sys.argv[1], int(sys.argv[2])
def csum(b):
    b += b'\0' * (len(b) % 2)
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
ident = os.getpid() & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
deadline = time.time() + wait_ms / 1000.0
seq = 0
while time.time() < deadline:
    seq += 1
    body = struct.pack('!HH', ident, seq) + b'director-echo'
    s.sendto(struct.pack('!BBH', 8, 0, csum(b'\x08\x00\x00\x00' + body)) + body, (dst, 0))
    resend = min(deadline, time.time() + 0.5)
    while time.time() < resend:
        if not select.select([s], [], [], max(0.0, resend - time.time()))[0]:
            continue
        pkt, (src, _) = s.recvfrom(2048)
        icmp = pkt[(pkt[0] & 0x0f) * 4:]
        if src == dst and len(icmp) >= 8 and icmp[0] == 0 and struct.unpack('!H', icmp[4:6])[0] == ident:
            print('reply')
            sys.exit(0)
print('none')
`;

/**
 * True when address answers an ICMP echo from ns within waitMs (a request goes out every 500 ms
 * until then), false when nothing answered; throws when the probe itself could not run.
 */
export async function ping(ns: string, address: string, waitMs = 5000): Promise<boolean> {
  const r = await runInNamespace(ns, ['python3', '-c', ECHO, address, String(waitMs)], waitMs + 30_000);
  const out = r.stdout.trim();
  if (r.status.code === 0 && (out === 'reply' || out === 'none')) return out === 'reply';
  throw new Error(`ICMP echo from ${ns} could not run (exit ${r.status.code ?? r.status.signal}): ${r.stderr.trim()}`);
}
