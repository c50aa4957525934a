// Neighbour Discovery against a real Linux neighbour (needs root: creates two network namespaces
// and a veth pair between them): `director run` on the director namespace's veth with an IPv6
// DR service; the peer namespace, a router on 2001:db8::/64 that is also the real server, sees
// the unsolicited NA for the VIP at start and the director's solicitation for the real server;
// an ICMPv6 echo to the VIP resolves it by NS (answered natively) and gets its echo reply, and
// the peer's neighbour table then holds the director's MAC for the VIP.
import { strict as assert } from 'node:assert';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { Cleanup } from '../../src/lab/cleanup.js';
import { ICMP6_NA, ICMP6_NS, NA_OVERRIDE, NA_SOLICITED, parseNd } from '../../src/nd/nd-frames.js';
import { ipv6Words, parseIpv6 } from '../../src/net/addr6.js';
import { startCapture, type Capture } from '../support/capture.js';
import { needsRoot, requireTools } from '../support/prerequisites.js';

const execFileAsync = promisify(execFile);
const IFF_ALLMULTI = 0x200;
const DIR_NS = `dnd${process.pid}d`;
const PEER_NS = `dnd${process.pid}p`;
const VIP6 = '2001:db8::100';
const RS6 = '2001:db8::11';
const w = (text: string): number[] => ipv6Words(parseIpv6(text));
/**
 * An ICMPv6 echo from the peer (iputils ping is not installed everywhere): requests every half
 * second until a reply from dst with our identifier, or the time given runs out; the kernel fills
 * the checksum of a raw ICMPv6 socket and resolves dst by NS first.
 */
const ECHO6 = String.raw`
import os, select, socket, struct, sys, time
dst, deadline = sys.argv[1], time.time() + float(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
ident, seq = os.getpid() & 0xffff, 0
while time.time() < deadline:
    seq += 1
    s.sendto(struct.pack('!BBHHH', 128, 0, 0, ident, seq) + b'director-echo6', (dst, 0))
    resend = min(deadline, time.time() + 0.5)
    while time.time() < resend:
        if not select.select([s], [], [], max(0.0, resend - time.time()))[0]:
            continue
        pkt, addr = s.recvfrom(2048)
        if addr[0] == dst and len(pkt) >= 8 and pkt[0] == 129 and struct.unpack('!H', pkt[4:6])[0] == ident:
            print('reply')
            sys.exit(0)
sys.exit(1)
`;
const key = (a: ArrayLike<number>): string => Array.from(a).join('.');

describe('Neighbour Discovery with a Linux neighbour (needs root: creates network namespaces)', function () {
  this.timeout(90_000);
  let dir: string;
  let cleanup: Cleanup;
  let capture: Capture;
  let directorMac: string;
  let stop: () => void = () => {};
  let running: Promise<number> | null = null;
  const stderr: string[] = [];

  needsRoot();
  before(async function () {
    requireTools(this, 'tcpdump');
    cleanup = new Cleanup();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `director-nd-${process.pid}-`));
    const conf = path.join(dir, 'k.conf');
    fs.writeFileSync(conf, `virtual_server ${VIP6} 80 {\n lb_algo rr\n lb_kind DR\n protocol TCP\n real_server ${RS6} 80\n}\n`);
    for (const ns of [DIR_NS, PEER_NS]) {
      execFileSync('ip', ['netns', 'add', ns]);
      cleanup.namespace(ns);
    }
    execFileSync('ip', ['-n', DIR_NS, 'link', 'add', 'dir0', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', PEER_NS]);
    execFileSync('ip', ['-n', DIR_NS, '-6', 'addr', 'add', '2001:db8::2/64', 'dev', 'dir0', 'nodad']);
    for (const a of ['2001:db8::1/64', `${RS6}/64`]) execFileSync('ip', ['-n', PEER_NS, '-6', 'addr', 'add', a, 'dev', 'peer0', 'nodad']);
    execFileSync('ip', ['-n', DIR_NS, 'link', 'set', 'dir0', 'up']);
    execFileSync('ip', ['-n', PEER_NS, 'link', 'set', 'peer0', 'up']);
    directorMac = (JSON.parse(execFileSync('ip', ['-n', DIR_NS, '-j', 'link', 'show', 'dir0'], { encoding: 'utf8' })) as Array<{ address: string }>)[0]!.address;
    capture = await startCapture(cleanup, PEER_NS, 'peer0', 'icmp6', { maxPackets: 200, maxSeconds: 80 });
    let started: () => void = () => {};
    const up = new Promise<void>((resolve) => { started = resolve; });
    const done = new Promise<string>((resolve) => { stop = () => resolve('SIGTERM'); });
    const io: CliIo = {
      out: () => {},
      err: (l) => {
        stderr.push(l);
        if (l.includes('"event":"start"') && l.includes('"level":"info"')) started();
      },
      waitForSignal: () => done,
    };
    running = main(['run', '--config', conf, '--netns', DIR_NS, '--interface', 'dir0', '--control', path.join(dir, 'd.sock')], io);
    await Promise.race([up, running.then((code) => { throw new Error(`director exited ${code}: ${stderr.join('\n')}`); })]);
  });

  after(async () => {
    stop();
    if (running) await running.catch(() => 1);
    await cleanup?.run();
    spawnSync('ip', ['netns', 'del', DIR_NS]);
    spawnSync('ip', ['netns', 'del', PEER_NS]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers an ICMPv6 echo to the VIP (NS answered natively, echo replied), and the peer learns its MAC', async () => {
    // Asynchronously: the director runs in this process, on this event loop.
    const ping = await execFileAsync('ip', ['netns', 'exec', PEER_NS, 'python3', '-c', ECHO6, VIP6, '10'], { encoding: 'utf8', timeout: 20_000 })
      .catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) }));
    assert.equal(ping.stdout.trim(), 'reply', `${ping.stdout}${ping.stderr}\n${stderr.join('\n')}`);
    // The packet socket takes all multicast, or a NIC's filter could drop the VIP's solicitations.
    // (sysfs shows the device's own flags; ip link hides an allmulti that no user set.)
    const flags = Number(execFileSync('ip', ['netns', 'exec', DIR_NS, 'cat', '/sys/class/net/dir0/flags'], { encoding: 'utf8' }).trim());
    assert.ok(flags & IFF_ALLMULTI, `flags 0x${flags.toString(16)}`);
    const neigh = execFileSync('ip', ['-n', PEER_NS, '-6', 'neigh', 'show', VIP6, 'dev', 'peer0'], { encoding: 'utf8' });
    assert.match(neigh, new RegExp(`lladdr ${directorMac}`), neigh);
  });

  it('sent the unsolicited NA for the VIP at start and a multicast solicitation for the real server', async () => {
    const vip = key(w(VIP6));
    const rs = key(w(RS6));
    // The echo before this test resolved the VIP by NS and NA, after the start-up frames.
    const frames = (await capture.stop()).frames.map((f) => parseNd(f)).filter((f) => f !== null);
    const unsolicited = frames.find((f) => f!.type === ICMP6_NA && key(f!.target) === vip && key(f!.dst) === key(w('ff02::1')));
    assert.ok(unsolicited, 'an unsolicited NA for the VIP');
    assert.equal(unsolicited.flags, NA_OVERRIDE);
    assert.equal(unsolicited.lla, directorMac);
    const solicit = frames.find((f) => f!.type === ICMP6_NS && key(f!.target) === rs && f!.ethSrc === directorMac);
    assert.ok(solicit, 'the director solicited the real server');
    const answered = frames.find((f) => f!.type === ICMP6_NA && key(f!.target) === vip && (f!.flags & NA_SOLICITED) !== 0);
    assert.ok(answered, 'the solicited NA for the VIP (from the echo)');
  });
});
