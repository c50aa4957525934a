// Per-source new-connection rate limiting in a netns lab (DR, needs root: creates network
// namespaces): one source opens connections far above source_conn_rate (the project's bounded
// SYN generator, one spoofed address) while a normal client opens new connections from another
// address. The noisy source gets its rate and no more, every refusal is counted as source_rate,
// and the other client is served in full.

import assert from 'node:assert/strict';
import { spawnInNamespace } from '../../src/lab/process.js';
import { HTTP_PORT, labTool, runClient } from '../../src/lab/services.js';
import { withDirector } from '../support/director.js';
import { withLab } from '../support/netns.js';
import { waitUntil } from '../support/wait.js';

const RATE = 20;
const BURST = 20;
/** The noisy source: one address, 20 times its rate, bounded by count and time. */
const NOISY = '198.18.1.200';
const NOISY_PPS = 400;
const NOISY_SECONDS = 60;
const LEGIT = 50;

interface Stats {
  connections: number;
  drops: Record<string, number>;
  limits: { sourceRate: { rate: number; burst: number; limited: number } | null };
}

describe('per-source new-connection rate, DR (needs root: creates network namespaces)', function () {
  this.timeout(120_000);
  const fx = withLab({ mode: 'dr', servers: 2 });
  const dir = withDirector(fx, 'embedded', { udp: false, globalDefs: [`source_conn_rate ${RATE}`, `source_conn_burst ${BURST}`] });
  const stats = (): Stats => dir.director.stats() as unknown as Stats;

  it(`holds one source to ${RATE}/s while another client opens ${LEGIT} connections unhindered`, async () => {
    const { lab } = fx;
    const target = `${lab.vip}:${HTTP_PORT}`;
    const before = stats();
    assert.deepEqual(before.limits.sourceRate && [before.limits.sourceRate.rate, before.limits.sourceRate.burst], [RATE, BURST]);
    const flood = spawnInNamespace(lab.client.ns, [process.execPath, labTool('syn-flood.js'), '--interface', lab.client.ifname,
      '--dst-mac', lab.routerClientSide.mac, '--sources', `${NOISY}/32`, '--target', target, '--rate', String(NOISY_PPS),
      '--seconds', String(NOISY_SECONDS), '--count', String(NOISY_PPS * NOISY_SECONDS)]);
    fx.cleanup.first(() => flood.stop());
    const started = Date.now();
    await waitUntil('the noisy source limited', () => (stats().drops.source_rate ?? 0) > 100);
    const legit = await runClient(lab.client.ns, 'http-client.js', ['count', '--target', target, '--connections',
      String(LEGIT), '--parallel', '2', '--request-timeout', '5000', '--timeout', '40000'], 50_000);
    assert.ok(flood.running, `the noisy source kept sending all along: ${flood.stdout}`);
    await flood.stop();
    const seconds = (Date.now() - started) / 1000;
    const sent = Number((JSON.parse(flood.stdout.trim().split('\n').pop() ?? '{}') as { sent?: number }).sent);
    // The last frames the generator sent have reached the director once its counters stand still.
    let last = { count: -1, at: 0 };
    await waitUntil('the last noisy SYNs counted', () => {
      const count = stats().drops.source_rate ?? 0;
      if (count !== last.count) last = { count, at: Date.now() };
      return Date.now() - last.at >= 300;
    }, 10_000);
    const after = stats();

    assert.equal(legit.result.errors, 0, `the other client: ${JSON.stringify(legit.result)}`);
    // Every connection in the table but the client's is the noisy source's (DR keeps the client's
    // in TIME_WAIT for minutes): at most its burst plus its rate over the time it sent.
    const noisyAdmitted = after.connections - before.connections - LEGIT;
    assert.ok(noisyAdmitted >= RATE && noisyAdmitted <= BURST + RATE * (seconds + 1),
      `noisy source admitted ${noisyAdmitted} in ${seconds.toFixed(1)} s at ${RATE}/s, burst ${BURST}`);
    const limited = after.drops.source_rate ?? 0;
    assert.equal(after.limits.sourceRate!.limited, limited);
    // The rest was refused and counted (a few frames may be lost on the way: at most 10%).
    assert.ok(limited >= 0.9 * (sent - noisyAdmitted),
      `${limited} refused of ${sent} sent (${noisyAdmitted} admitted)`);
    process.stdout.write(`      noisy source: ${sent} SYNs sent, ${noisyAdmitted} admitted in ${seconds.toFixed(1)} s, ` +
      `${limited} refused (source_rate); other client ${LEGIT - Number(legit.result.errors)}/${LEGIT} in ${String(legit.result.ms)} ms\n`);
  });
});
