// `director adm` against a live `director run` in a netns lab, started with an empty
// keepalived.conf: a DR service built with -A/-a, traffic checked after every step (spreads,
// quiescent with -e -w 0, drains with -d while an established keep-alive flow goes on), -S/-C/-R
// giving back the same table and traffic, --stats and --rate against what was sent, -Z, --set,
// -c, -E and -D with their effect on traffic, refusals in ipvsadm's words that change nothing,
// `director top` on a pseudo-terminal, malformed requests to the live socket, a second director
// refused, and `director reload`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { NO_NAMES } from '../../src/adm/names.js';
import { admMain } from '../../src/cli/adm.js';
import { main } from '../../src/cli/main.js';
import { directorBin, waitForVip } from '../../src/lab/director-runner.js';
import { runInNamespace } from '../../src/lab/process.js';
import { runClient, UDP_PORT } from '../../src/lab/services.js';
import { shortRate } from '../../src/top/screen.js';
import { capture, noServiceDrops, numbers, rows, sleep, spread, withAdmDirector } from '../support/adm-director.js';
import { startKeepAlive } from '../support/keepalive-client.js';
import { withLab } from '../support/netns.js';
import { startPty } from '../support/tmux.js';
import { waitUntil } from '../support/wait.js';
import { requireTools } from '../support/prerequisites.js';
import { flowsSent, startUdpFlows } from '../support/udp-flows.js';

describe('director adm against a running director in a netns lab (needs root: creates network namespaces)', function () {
  this.timeout(300_000);
  const fx = withLab({ mode: 'dr', servers: 3, udp: true });
  const d = withAdmDirector(fx);
  const { adm, admRefused } = d;
  let vip: string;
  let rs: string[];
  let saved = '';
  const spreadOver = (n: number): Promise<Record<string, number>> => spread(fx, n);

  before(() => {
    vip = fx.lab.vip;
    rs = fx.lab.realServers.map((h) => h.address);
  });

  it('finds the daemon the same way when run inside the namespace, and lists an empty table', async () => {
    const r = await runInNamespace(fx.lab.directors[0]!.ns, [process.execPath, directorBin(), 'adm', '-L', '-n']);
    assert.equal(r.status.code, 0, r.stderr);
    assert.match(r.stdout, /^IP Virtual Server version 1\.2\.1 \(size=1048576\)\nProt LocalAddress:Port Scheduler Flags\n {2}-> RemoteAddress:Port {11}Forward Weight ActiveConn InActConn\n$/);
    assert.equal(await adm('-L', '-n'), r.stdout);
  });

  it('builds a complete DR service with -A and -a; traffic spreads over the three servers', async () => {
    await adm('-A', '-t', `${vip}:80`, '-s', 'wrr');
    // Each edit is one log line on the director's stderr (human lines in a lab).
    await d.director.process!.waitFor(/ INFO {2}adm: add-service applied event=adm edits=\["add-service"\]$/m, 10_000, 'stderr');
    for (const a of rs) await adm('-a', '-t', `${vip}:80`, '-r', a, '-g', '-w', '1');
    await adm('-A', '-u', `${vip}:${UDP_PORT}`, '-s', 'rr');
    for (const a of rs) await adm('-a', '-u', `${vip}:${UDP_PORT}`, '-r', a, '-g');
    await waitForVip(fx.lab, d.director);
    assert.deepEqual(await spreadOver(30), { rs1: 10, rs2: 10, rs3: 10 });
    const listing = await adm('-L', '-n');
    assert.deepEqual(rows(listing).map((r) => [r.kind, r.address, r.words.slice(0, 2)]), [
      ['service', `TCP ${vip}:80`, ['wrr']], ...rs.map((a) => ['server', `${a}:80`, ['Route', '1']]),
      ['service', `UDP ${vip}:${UDP_PORT}`, ['rr']], ...rs.map((a) => ['server', `${a}:${UDP_PORT}`, ['Route', '1']]),
    ]);
    const table = await adm('-S', '-n');
    assert.deepEqual(await admRefused(['-A', '-t', `${vip}:80`, '-s', 'lc']), { code: 1, stderr: 'Service already exists' });
    assert.deepEqual(await admRefused(['-a', '-t', `${vip}:81`, '-r', rs[0]!]), { code: 1, stderr: 'Service not defined' });
    assert.deepEqual(await admRefused(['-a', '-t', `${vip}:80`, '-r', rs[0]!, '-w', '5']), { code: 1, stderr: 'Destination already exists' });
    assert.deepEqual(await admRefused(['-e', '-t', `${vip}:80`, '-r', '198.19.0.99', '-w', '5']), { code: 1, stderr: 'No such destination' });
    assert.deepEqual(await admRefused(['-D', '-t', `${vip}:81`]), { code: 1, stderr: 'No such service' });
    assert.deepEqual(await admRefused(['-a', '-t', `${vip}:80`, '-r', rs[0]!, '-w', '70000']), { code: 2, stderr: 'illegal weight specified' });
    assert.equal(await adm('-S', '-n'), table, 'a refused edit changes nothing');
    assert.deepEqual(await spreadOver(30), { rs1: 10, rs2: 10, rs3: 10 });
  });

  it('-e -w 0 makes a server quiescent and -d drains it, while an established flow to it goes on', async () => {
    const flow = await startKeepAlive(fx.lab.client.ns, `${vip}:80`);
    fx.cleanup.process(flow.process);
    const target = rs[Number(flow.server.slice(2)) - 1]!;
    const others = ['rs1', 'rs2', 'rs3'].filter((n) => n !== flow.server);
    await adm('-e', '-t', `${vip}:80`, '-r', target, '-g', '-w', '0');
    const quiet = rows(await adm('-L', '-n')).find((r) => r.address === `${target}:80`);
    assert.deepEqual(quiet?.words.slice(0, 2), ['Route', '0']);
    assert.deepEqual(await spreadOver(20), Object.fromEntries(others.map((n) => [n, 10])));
    await adm('-d', '-t', `${vip}:80`, '-r', target);
    assert.ok(!rows(await adm('-L', '-n')).some((r) => r.address === `${target}:80`), 'the deleted server is not listed');
    assert.deepEqual(await spreadOver(20), Object.fromEntries(others.map((n) => [n, 10])));
    // The flow goes on after its server left the table: five more answers (one every 100 ms), and
    // ten in all (on a quick machine the steps above take less than the first five).
    const enough = Math.max(flow.answers() + 5, 10);
    await waitUntil('five more answers on the established flow', () => flow.answers() >= enough, 30_000);
    const summary = await flow.stop();
    assert.deepEqual(summary.failures, []);
    assert.deepEqual(Object.keys(summary.servers), [flow.server], 'every answer from the server it started on');
    assert.equal(summary.localPorts.length, 1, 'one connection throughout');
    assert.ok(summary.answers >= 10, `answers kept coming (${summary.answers})`);
    await adm('-a', '-t', `${vip}:80`, '-r', target, '-g', '-w', '2');
  });

  it('-S, -C, -R the saved text: the same table, and traffic spreads again', async () => {
    saved = await adm('-S', '-n');
    const before = rows(await adm('-L', '-n')).map((r) => [r.address, r.words.slice(0, 2)]);
    const weights = (counts: Record<string, number>) => Object.values(counts).sort((a, b) => a - b);
    assert.deepEqual(weights(await spreadOver(40)), [10, 10, 20]);
    await adm('-C');
    assert.deepEqual(rows(await adm('-L', '-n')), []);
    const none = await runClient(fx.lab.client.ns, 'http-client.js', ['count', '--target', `${vip}:80`, '--connections', '1', '--timeout', '3000']);
    assert.equal(none.ok, false, 'no service, no answer');
    const bad = await admRefused(['-R'], `${saved}-a -t ${vip}:80 -r ${rs[0]} -w x\n`);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^line \d+: illegal weight specified$/);
    assert.deepEqual(rows(await adm('-L', '-n')), [], 'a bad restore applies nothing');
    const io = capture(saved);
    assert.equal(await admMain(['-R', '--control', d.socketPath], io, NO_NAMES), 0, io.stderr.join('\n'));
    assert.equal(await adm('-S', '-n'), saved);
    await waitForVip(fx.lab, d.director);
    assert.deepEqual(rows(await adm('-L', '-n')).map((r) => [r.address, r.words.slice(0, 2)]), before);
    assert.deepEqual(weights(await spreadOver(40)), [10, 10, 20]);
  });

  it('--stats counts exactly what was sent since -Z; -c lists the flows', async () => {
    await adm('-Z');
    const zeroed = await adm('-L', '-n', '--stats', '--exact');
    assert.deepEqual(numbers(zeroed, `UDP ${vip}:${UDP_PORT}`), [0, 0, 0, 0, 0]);
    const sent = await flowsSent(startUdpFlows(fx.lab.client.ns, { target: `${vip}:${UDP_PORT}`, firstPort: 20000, count: 90, size: 100, pps: 300 }));
    assert.equal(sent.sent, 90);
    const stats = await adm('-L', '-n', '--stats', '--exact');
    // Each datagram is a flow of one packet: 14 + 20 + 8 + 100 bytes as the director sees the frame.
    assert.deepEqual(numbers(stats, `UDP ${vip}:${UDP_PORT}`), [90, 90, 0, 90 * 142, 0]);
    for (const a of rs) assert.deepEqual(numbers(stats, `${a}:${UDP_PORT}`, 'server'), [30, 30, 0, 30 * 142, 0]);
    const conns = (await adm('-L', '-n', '-c')).split('\n').filter((l) => l.startsWith('UDP '));
    const ports = conns.map((l) => /^UDP 0[45]:\d\d {2}UDP {9}198\.18\.1\.10:(\d+) +198\.19\.0\.100:5353 +198\.19\.0\.1[123]:5353$/.exec(l)?.[1]);
    assert.deepEqual(ports.map(Number).sort((a, b) => a - b), Array.from({ length: 90 }, (_, i) => 20000 + i), conns.join('\n'));
  });

  it('--rate shows moving rates from the 2-second estimator that match the traffic', async () => {
    const pps = 400;
    const sender = startUdpFlows(fx.lab.client.ns, { target: `${vip}:${UDP_PORT}`, firstPort: 21000, count: pps * 11, size: 100, pps });
    fx.cleanup.process(sender);
    const rates: number[][] = [];
    const packets: number[] = [];
    for (let i = 0; i < 60 && sender.running; i++) {
      await sleep(500);
      rates.push(numbers(await adm('-L', '-n', '--rate', '--exact'), `UDP ${vip}:${UDP_PORT}`));
      packets.push(numbers(await adm('-L', '-n', '--stats', '--exact'), `UDP ${vip}:${UDP_PORT}`)[1]!);
    }
    const sent = await flowsSent(sender);
    const sentRate = (sent.sent * 1000) / sent.ms;
    assert.ok(packets.every((n, i) => i === 0 || n >= packets[i - 1]!) && packets.at(-1)! > packets[0]!, `counters move: ${packets}`);
    const moving = rates.filter(([, inPps]) => (inPps ?? 0) > 0);
    assert.ok(new Set(moving.map(([, inPps]) => inPps)).size >= 3, `rates move while traffic flows: ${JSON.stringify(rates)}`);
    // The EWMA climbs toward the rate sent (a quarter of the way per sample) and never past it by much.
    const peak = Math.max(...moving.map(([, inPps]) => inPps!));
    console.log(`      sent ${sentRate.toFixed(0)} datagrams/s; InPPS every 0.5 s: ${rates.map(([, p]) => p).join(' ')}`);
    assert.ok(peak <= sentRate * 1.25 && peak >= sentRate * 0.5, `peak InPPS ${peak} against ${sentRate.toFixed(0)} datagrams/s sent`);
    for (const [cps, inPps, outPps, inBps] of moving) {
      assert.equal(cps, inPps, 'one datagram per UDP flow: CPS = InPPS');
      assert.equal(outPps, 0, 'DR: replies do not pass the director');
      // Both rates are shown rounded to whole numbers, so a small InPPS (the estimator's tail
      // after the traffic stops) moves the ratio by up to 142 * 0.5 / InPPS on its own.
      assert.ok(Math.abs(inBps! / inPps! - 142) < 8 + (142 * 0.5) / inPps!, `InBPS/InPPS ${inBps}/${inPps}`);
    }
  });

  it('--set changes the timeouts; new flows take them', async () => {
    await adm('--set', '0', '0', '7');
    assert.equal(await adm('-L', '--timeout'), 'Timeout (tcp tcpfin udp): 900 120 7\n');
    await flowsSent(startUdpFlows(fx.lab.client.ns, { target: `${vip}:${UDP_PORT}`, firstPort: 26000, count: 3, size: 10, pps: 100 }));
    const fresh = (await adm('-L', '-n', '-c')).split('\n').filter((l) => / 198\.18\.1\.10:2600[012] /.test(l));
    assert.equal(fresh.length, 3, fresh.join('\n'));
    assert.ok(fresh.every((l) => /^UDP 00:0[0-7] /.test(l)), fresh.join('\n'));
  });

  it('-E changes the scheduler for new connections; -D removes a service and its traffic; -A and -a bring it back', async () => {
    const sorted = (counts: Record<string, number>) => Object.values(counts).sort((a, b) => a - b);
    await adm('-E', '-t', `${vip}:80`, '-s', 'rr');
    assert.match(await adm('-L', '-n'), new RegExp(`^TCP  ${vip}:80 rr$`, 'm'));
    // Seen once under load: 9/9/12. On a shortfall the message carries the connection table.
    const rrSpread = sorted(await spreadOver(30));
    assert.deepEqual(rrSpread, [10, 10, 10], rrSpread.join() === '10,10,10' ? undefined
      : `rr ignores the weights 1, 1, 2; the connections:\n${await adm('-L', '-n', '-c')}`);
    await adm('-E', '-t', `${vip}:80`, '-s', 'wrr');
    assert.deepEqual(sorted(await spreadOver(40)), [10, 10, 20]);
    const udp = async (): Promise<number> => {
      const r = await runClient(fx.lab.client.ns, 'udp-client.js', ['--target', `${vip}:${UDP_PORT}`, '--count', '6', '--expect', '0', '--wait', '3000']);
      assert.ok(r.ok, JSON.stringify(r.result));
      return r.result.replies as number;
    };
    assert.equal(await udp(), 6);
    const before = await adm('-S', '-n');
    await adm('-D', '-u', `${vip}:${UDP_PORT}`);
    assert.ok(!rows(await adm('-L', '-n')).some((r) => r.address.startsWith('UDP ')), 'the UDP service is gone');
    // Fixed source ports below the ephemeral range: no datagram can join a connection udp() left.
    const dropped = await noServiceDrops(d.socketPath);
    await flowsSent(startUdpFlows(fx.lab.client.ns, { target: `${vip}:${UDP_PORT}`, firstPort: 32000, count: 6, size: 10, pps: 100 }));
    await waitUntil('six datagrams dropped for no service', async () => (await noServiceDrops(d.socketPath)) >= dropped + 6);
    assert.ok(!(await adm('-L', '-n', '-c')).includes('198.18.1.10:3200'), 'and no connection made for them');
    assert.deepEqual(sorted(await spreadOver(40)), [10, 10, 20], 'the TCP service goes on');
    await adm('-A', '-u', `${vip}:${UDP_PORT}`, '-s', 'rr');
    for (const a of rs) await adm('-a', '-u', `${vip}:${UDP_PORT}`, '-r', a, '-g');
    assert.equal(await adm('-S', '-n'), before);
    assert.equal(await udp(), 6);
  });

  it('director top on a pseudo-terminal: services, servers, weights and the same moving rates as adm; q quits', async function () {
    requireTools(this, 'tmux');
    const sender = startUdpFlows(fx.lab.client.ns, { target: `${vip}:${UDP_PORT}`, firstPort: 30000, count: 1200, size: 100, pps: 200 });
    fx.cleanup.process(sender);
    const pty = await startPty(`${fx.lab.prefix}-top`, [process.execPath, directorBin(), 'top', '--control', d.socketPath, '--interval', '0.5'], 130, 30);
    fx.cleanup.first(() => pty.close());
    const udpRow = (screen: string[]) => screen.find((l) => l.startsWith(`UDP  ${vip}:${UDP_PORT} rr `))?.split(/\s+/).slice(3);
    let screen = await pty.waitFor((s) => Number(udpRow(s)?.[3] ?? 0) > 0, 20_000, 'UDP InPkt/s above 0');
    assert.match(screen[0]!, new RegExp(`^director top {2}${d.socketPath} {2}version \\S+ {2}pid \\d+ `));
    assert.match(screen[1]!, /services 2 {2}real servers 6 \(0 down\)/);
    for (const a of rs) assert.ok(screen.some((l) => new RegExp(`^ {2}-> ${a}:${UDP_PORT} +Route +1/1 +- `).test(l)), screen.join('\n'));
    const tcpWeights = rs.map((a) => screen.find((l) => l.startsWith(`  -> ${a}:80 `))?.split(/\s+/)[4]);
    assert.deepEqual(tcpWeights.sort(), ['1/1', '1/1', '2/2']);
    // The screen is redrawn every 0.5 s from the estimator adm reads (2 s samples): wait until both show one sample.
    let same = false;
    for (let i = 0; i < 40 && !same; i++) {
      const [cps, inPps, outPps, inBps] = numbers(await adm('-L', '-n', '--rate', '--exact'), `UDP ${vip}:${UDP_PORT}`);
      screen = await pty.screen();
      const shown = udpRow(screen)?.slice(2, 6);
      same = JSON.stringify(shown) === JSON.stringify([cps, inPps, outPps, inBps].map((n) => shortRate(n!)));
      if (!same) await sleep(200);
    }
    assert.ok(same, `top shows adm's rates:\n${screen.join('\n')}`);
    await pty.keys('q');
    screen = await pty.waitFor((s) => s.includes('exited 0'), 10_000, 'top exiting on q');
    assert.ok(!screen.some((l) => l.startsWith('director top')), `the terminal's own screen is back:\n${screen.join('\n')}`);
    await pty.close();
    await flowsSent(sender);
    const once = capture();
    assert.equal(await main(['top', '--control', d.socketPath], once), 0, once.stderr.join('\n'));
    assert.ok(once.stdout.some((l) => l.startsWith(`UDP  ${vip}:${UDP_PORT} rr `)), 'not a terminal: one snapshot');
  });

  it('answers malformed requests on the live socket with errors and keeps forwarding', async () => {
    const replies = await new Promise<string>((resolve) => {
      const s = net.connect(d.socketPath);
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
        if (got.includes('"too-large"')) s.destroy();
      });
      // The daemon hangs up on the oversized line while it is still being written.
      s.on('error', () => resolve(got));
      s.on('close', () => resolve(got));
      s.on('connect', () => s.end(Buffer.concat([Buffer.from('garbage\n{"v":9,"id":1,"op":"snapshot"}\n{"v":1,"id":2,"op":"edit","args":{"edits":[{}]}}\n'),
        Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(`{"v":1,"id":3,"op":"snapshot","pad":"${'x'.repeat(9 << 20)}"}\n`)])));
    });
    const codes = replies.trim().split('\n').map((l) => (JSON.parse(l) as { error: { code: string } }).error.code);
    assert.deepEqual(codes, ['bad-request', 'bad-version', 'bad-args', 'bad-request', 'too-large']);
    assert.equal(rows(await adm('-L', '-n')).length, 8);
    assert.equal(Object.keys(await spreadOver(9)).length, 3);
  });

  it('a second director on the same socket is refused before it attaches anything', async () => {
    const r = await runInNamespace(fx.lab.directors[0]!.ns, [process.execPath, directorBin(), 'run', '--config', path.join(d.dir, 'empty.conf'), '--interface', 'lan0']);
    assert.equal(r.status.code, 1);
    assert.match(r.stderr, /another director is running: its control socket .* answers/);
    assert.equal(rows(await adm('-L', '-n')).length, 8, 'the running one is untouched');
  });

  it('director reload: a bad file changes nothing; its own file again replaces what adm built', async () => {
    writeFileSync(path.join(d.dir, 'bad.conf'), 'virtual_server 198.19.0.100 80 {\n lb_kind XX\n}\n');
    const bad = capture();
    assert.equal(await main(['reload', '--control', d.socketPath, '--config', path.join(d.dir, 'bad.conf')], bad), 1);
    assert.match(bad.stderr.join('\n'), /lb_kind: 'XX' is not one of DR, NAT, TUN, FNAT/);
    assert.equal(rows(await adm('-L', '-n')).length, 8);
    const io = capture();
    assert.equal(await main(['reload', '--control', d.socketPath], io), 0, io.stderr.join('\n'));
    assert.match(io.stdout.at(-1) ?? '', /^reload: .*empty\.conf: \d+ changes applied$/);
    assert.deepEqual(rows(await adm('-L', '-n')), []);
  });
});

describe('director adm builds a FULLNAT service on a running director (needs root: creates network namespaces)', function () {
  this.timeout(180_000);
  const fx = withLab({ mode: 'fnat', servers: 3 });
  const d = withAdmDirector(fx);
  const { adm, admRefused } = d;

  it('-P a local address group, -A with --laddr-group, -a -F: traffic spreads with local addresses as sources', async () => {
    const { vip } = fx.lab;
    const rs = fx.lab.realServers.map((h) => h.address);
    assert.deepEqual(await admRefused(['-A', '-t', `${vip}:80`, '--laddr-group', 'lips']), { code: 1, stderr: 'No such local address group: lips' });
    await adm('-P', '--laddr-group', 'lips', '-z', '198.19.1.1-2');
    await adm('-A', '-t', `${vip}:80`, '-s', 'rr', '--laddr-group', 'lips');
    for (const a of rs) await adm('-a', '-t', `${vip}:80`, '-r', `${a}:80`, '-F', '-w', '1');
    await waitForVip(fx.lab, d.director);
    assert.deepEqual(await spread(fx, 30), { rs1: 10, rs2: 10, rs3: 10 });
    const listing = await adm('-L', '-n');
    assert.match(listing, new RegExp(`^TCP  ${vip.replace(/\./g, '\\.')}:80 rr laddr-group lips$`, 'm'));
    assert.equal(rows(listing).filter((r) => r.kind === 'server' && r.words[0] === 'FullNat').length, 3);
    const conns = (await adm('-L', '-n', '-c', '--laddr-info')).split('\n').filter((l) => l.startsWith('TCP '));
    assert.ok(conns.length >= 30, conns.join('\n'));
    assert.ok(conns.every((l) => / 198\.19\.1\.[12]:\d+ +198\.19\.0\.1[123]:80$/.test(l)), conns.join('\n'));
    const groups = await adm('-G');
    assert.match(groups, /^lips {17}2\n {30}198\.19\.1\.1 {11}\d+\n {30}198\.19\.1\.2 {11}\d+\n/m);
    const saved = await adm('-S', '-n');
    assert.match(saved, /^-P --laddr-group lips -z 198\.19\.1\.1-2\n-A -t 198\.19\.0\.100:80 -s rr --laddr-group lips\n/);
    assert.equal(saved.split('\n').filter((l) => l.endsWith('--fullnat -w 1')).length, 3);
    await adm('-Q', '--laddr-group', 'lips', '-z', '198.19.1.2');
    assert.deepEqual(await spread(fx, 30), { rs1: 10, rs2: 10, rs3: 10 });
    assert.match(await adm('-G'), /^lips {17}1\n {30}198\.19\.1\.1 /m);
  });
});
