// `director run` with an IPv6 TUN service over an IPv4 real server and an IPv6 NAT service,
// against a real kernel (needs root: creates two network namespaces joined by a veth pair): a
// datagram that fits goes out as 6in4 (IPv4 protocol 41 to the real server, the IPv6 packet
// inside untouched); one that does not gets ICMPv6 Packet Too Big, which the client's kernel
// takes (its socket learns EMSGSIZE with the MTU 1480, its route to the VIP the same path MTU);
// hop limit 1 to the NAT service gets Time Exceeded (EHOSTUNREACH). The client namespace holds
// the real server's IPv4 address too and a static neighbour entry for the VIP (Neighbour
// Discovery is another branch's).
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { Cleanup, makePrefix } from '../../src/lab/cleanup.js';
import { startCapture } from '../support/capture.js';
import { needsRoot, requireTools } from '../support/prerequisites.js';

const VIP = '2001:db8::100';
const CLIENT = '2001:db8::10';
const DIRECTOR4 = '198.19.0.2';
const RS4 = '198.19.0.11';
const PORT = 9000;
const NAT_PORT = 9001;

/**
 * Sends one UDP datagram of `size` bytes to the VIP's `port` with hop limit `hops` and reports
 * the socket's queued ICMPv6 error, if one comes within `wait` ms.
 */
const SENDER = `
import json, select, socket, struct, sys
size, wait, port, hops = (int(a) for a in sys.argv[1:5])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, 25, 1)  # IPV6_RECVERR
s.setsockopt(socket.IPPROTO_IPV6, 16, hops)  # IPV6_UNICAST_HOPS
s.connect(("${VIP}", port))
s.send(b"x" * size)
out = {"icmp": None}
p = select.poll(); p.register(s, select.POLLERR)
if p.poll(wait):
    _, anc, _, _ = s.recvmsg(2048, 1024, socket.MSG_ERRQUEUE)
    for level, kind, data in anc:
        errno, origin, type_, code, _, info = struct.unpack("=IBBBBI", data[:12])
        out["icmp"] = {"errno": errno, "origin": origin, "type": type_, "code": code, "info": info}
print(json.dumps(out))
`;

describe('director run: 6in4, Packet Too Big and Time Exceeded against a real kernel (needs root: creates network namespaces)', function () {
  this.timeout(90_000);
  const prefix = makePrefix('six');
  const [DNS, CNS] = [`${prefix}d`, `${prefix}c`];
  const cleanup = new Cleanup();
  let dir: string;
  let stop: () => void = () => {};
  let running: Promise<number> | null = null;

  needsRoot();
  before(async function () {
    requireTools(this, 'tcpdump', 'python3');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `director-6in4-${process.pid}-`));
    cleanup.atEnd(() => fs.rmSync(dir, { recursive: true, force: true }));
    const conf = path.join(dir, 'k.conf');
    fs.writeFileSync(conf, `virtual_server ${VIP} ${PORT} {\n lb_algo rr\n lb_kind TUN\n protocol UDP\n real_server ${RS4} ${PORT}\n}\n`
      + `virtual_server ${VIP} ${NAT_PORT} {\n lb_algo rr\n lb_kind NAT\n protocol UDP\n real_server 2001:db8:9::11 ${NAT_PORT}\n}\n`);
    for (const ns of [DNS, CNS]) {
      execFileSync('ip', ['netns', 'add', ns]);
      cleanup.namespace(ns);
    }
    const ip = (ns: string, ...args: string[]) => execFileSync('ip', ['-n', ns, ...args]);
    ip(DNS, 'link', 'add', 'dir0', 'type', 'veth', 'peer', 'name', 'cl0', 'netns', CNS);
    ip(DNS, 'addr', 'add', `${DIRECTOR4}/24`, 'dev', 'dir0');
    ip(DNS, '-6', 'addr', 'add', '2001:db8::2/64', 'dev', 'dir0', 'nodad');
    ip(CNS, 'addr', 'add', `${RS4}/24`, 'dev', 'cl0');
    ip(CNS, '-6', 'addr', 'add', `${CLIENT}/64`, 'dev', 'cl0', 'nodad');
    for (const [ns, dev] of [[DNS, 'dir0'], [CNS, 'cl0']] as const) ip(ns, 'link', 'set', dev, 'up');
    ip(DNS, '-6', 'route', 'add', '2001:db8:9::/64', 'via', '2001:db8::fe', 'dev', 'dir0');  // the NAT real server's
    const mac = execFileSync('ip', ['netns', 'exec', DNS, 'cat', '/sys/class/net/dir0/address'], { encoding: 'utf8' }).trim();
    ip(CNS, '-6', 'neigh', 'add', VIP, 'lladdr', mac, 'dev', 'cl0', 'nud', 'permanent');
    let started: () => void = () => {};
    const up = new Promise<void>((resolve) => { started = resolve; });
    const stopped = new Promise<string>((resolve) => { stop = () => resolve('SIGTERM'); });
    const stderr: string[] = [];
    const io: CliIo = {
      out: () => {},
      err: (l) => {
        stderr.push(l);
        if (l.includes('"event":"start"') && l.includes('"level":"info"')) started();
      },
      waitForSignal: () => stopped,
    };
    running = main(['run', '--config', conf, '--netns', DNS, '--interface', 'dir0', '--control', path.join(dir, 'd.sock')], io);
    const gaveUp = running.then((code) => { throw new Error(`director exited ${code} before starting:\n${stderr.join('\n')}`); });
    await Promise.race([up, gaveUp]);
  });

  after(async () => {
    stop();
    if (running) await running.catch(() => undefined);
    await cleanup.run();
  });

  // Asynchronous: the director runs in this process and must keep forwarding meanwhile.
  const send = async (size: number, waitMs: number, port = PORT, hops = 64) => JSON.parse((await promisify(execFile)('ip',
    ['netns', 'exec', CNS, 'python3', '-c', SENDER, String(size), String(waitMs), String(port), String(hops)],
    { encoding: 'utf8', timeout: 20_000 })).stdout) as { icmp: null | { errno: number; origin: number; type: number; code: number; info: number } };

  it('sends a datagram that fits as 6in4: IPv4 protocol 41 from the director to the real server, the IPv6 packet untouched', async () => {
    const cap = await startCapture(cleanup, CNS, 'cl0', 'ip proto 41', { maxPackets: 1, maxSeconds: 30 });
    assert.equal((await send(100, 1000)).icmp, null);  // no error within a second
    const { frames } = await cap.stop();
    assert.equal(frames.length, 1, 'one 6in4 frame at the real server');
    const f = frames[0]!;
    assert.equal(f.readUInt16BE(12), 0x0800);
    assert.deepEqual([f[14 + 9], f.subarray(14 + 12, 14 + 16).join('.'), f.subarray(14 + 16, 14 + 20).join('.')], [41, DIRECTOR4, RS4]);
    assert.equal(f.readUInt16BE(14 + 6) & 0x4000, 0, 'DF clear, as IPVS over IPv6');
    assert.equal(f.readUInt16BE(14 + 2), 20 + 40 + 8 + 100);
    const inner = f.subarray(34);
    assert.equal(inner[0]! >> 4, 6);
    assert.equal(inner.readUInt16BE(40 + 2), PORT);
  });

  it('answers a datagram too big for the tunnel with Packet Too Big 1480, which the client\'s kernel takes', async () => {
    // 1452 bytes of UDP payload: a 1500-byte IPv6 packet, 1520 bytes once in IPv4.
    const r = await send(1452, 10_000);
    assert.deepEqual(r.icmp, { errno: 90, origin: 3, type: 2, code: 0, info: 1480 }, JSON.stringify(r));  // EMSGSIZE, SO_EE_ORIGIN_ICMP6
    const route = execFileSync('ip', ['-n', CNS, '-6', 'route', 'get', VIP], { encoding: 'utf8' });
    assert.match(route, /mtu 1480/, route);
  });

  it('answers hop limit 1 on a NAT service with Time Exceeded from the VIP, which the client\'s kernel takes', async () => {
    const r = await send(100, 10_000, NAT_PORT, 1);
    assert.deepEqual(r.icmp, { errno: 113, origin: 3, type: 3, code: 0, info: 0 }, JSON.stringify(r));  // EHOSTUNREACH
  });
});
