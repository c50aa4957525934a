// FULLNAT end to end in a netns lab: the shared routed cases, then FULLNAT's own: the real
// servers see only the director's local addresses (LIPs) as sources, both LIPs in use.

import assert from 'node:assert/strict';
import { DEFAULT_LIPS } from '../../src/lab/keepalived.js';
import { runInNamespace } from '../../src/lab/process.js';
import { countHttp, HTTP_PORT } from '../../src/lab/services.js';
import { demoSuite, routedSuite, type RoutedContext } from '../support/routed-e2e.js';

/** GET /whoami through the VIP n times: each real server's answer "NAME ADDRESS:PORT". */
const WHOAMI = `
const http = require('node:http');
const [host, port, n] = process.argv.slice(1);
const one = () => new Promise((resolve, reject) => {
  http.get({ host, port: Number(port), path: '/whoami', agent: false, timeout: 5000 }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => resolve(body.trim()));
  }).on('error', reject).on('timeout', function () { this.destroy(new Error('timeout')); });
});
(async () => { for (let i = 0; i < Number(n); i++) console.log(await one()); })().catch((e) => { console.error(e.message); process.exit(1); });`;

/** Source addresses of every datagram the real servers' UDP servers logged ("rx ADDRESS:PORT LENGTH"). */
function udpSources({ fx }: RoutedContext): string[] {
  return fx.servers.filter((p) => p.argv.some((a) => a.endsWith('udp-server.js')))
    .flatMap((p) => [...p.stdout.matchAll(/^rx (\S+):\d+ /gm)].map((m) => m[1]!));
}

routedSuite('fnat', (ctx) => {
  it('real servers answer /whoami with a local address (LIP) as the peer, never the client', async function () {
    const { lab } = ctx.fx;
    const r = await runInNamespace(lab.client.ns, [process.execPath, '-e', WHOAMI, lab.vip, String(HTTP_PORT), '6'], 20_000);
    assert.equal(r.status.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 6, r.stdout);
    for (const line of lines) {
      const m = /^(rs\d) (\S+):(\d+)$/.exec(line);
      assert.ok(m, `unexpected /whoami answer "${line}"`);
      assert.ok(DEFAULT_LIPS.includes(m[2]!), `${m[1]} saw ${m[2]}; expected one of ${DEFAULT_LIPS.join(', ')}`);
    }
  });

  it('every UDP datagram the real servers logged came from a LIP', function () {
    const sources = udpSources(ctx);
    assert.ok(sources.length >= 30, `only ${sources.length} datagrams logged`);
    const foreign = sources.filter((s) => !DEFAULT_LIPS.includes(s));
    assert.deepEqual(foreign, [], 'sources other than the LIPs');
  });

  it('spreads new connections over both LIPs', async function () {
    const r = await countHttp(ctx.fx.lab, ctx.fx.lab.vip, 12);
    assert.ok(r.ok, JSON.stringify(r.result));
    assert.deepEqual(Object.keys(r.result.peers as Record<string, number>).sort(), [...DEFAULT_LIPS].sort(), JSON.stringify(r.result));
  });
});
demoSuite('fullnat');
