// Reloads of a change to the config in force (what `adm` edits are) over a memory port: queued
// with plain reloads, each made to the config the one before it left, so no reload slips in
// between reading that config and applying what was made of it; a change that throws, or makes
// nothing, changes nothing and logs nothing.
import { strict as assert } from 'node:assert';
import { AdmEditError, planEdits, type AdmEdit } from '../../src/adm/edit-config.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import type { DirectorConfig } from '../../src/config/model.js';
import { RS, VIP } from '../support/memory-plane.js';
import { sendFrames as send, withReloadLab as withLab } from '../support/memory-reload.js';
import { conf, segment, servers } from '../support/reload-conf.js';
import { TCP_FLAGS } from '../support/packets.js';

const { SYN } = TCP_FLAGS;
const [RS1, RS2, RS3] = RS as [string, string, string];
const SERVICE = { protocol: 'tcp', address: VIP, port: 80 } as const;

/** What Director.edit() gives the reloader: the edits made to the config in force, null when they change none of it. */
const edits = (...list: AdmEdit[]) => (current: DirectorConfig): DirectorConfig | null => {
  const plan = planEdits(current, list);
  return plan.config === current ? null : plan.config;
};

const addServer = (address: string): AdmEdit => ({
  kind: 'add-server', service: SERVICE, server: { address, port: 80 },
  settings: { method: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
});

describe('reload: a change made to the config in force (adm edits)', () => {
  it('queued behind a reload, it is made to the config that reload brought in', async () => {
    await withLab(conf({ rs: [RS1] }), async (lab) => {
      const first = lab.reloadConfig(parseKeepalivedConfig(conf({ rs: [RS1, RS2] }), 'lab.conf'));
      const edit = lab.reloadWith(edits(addServer(RS3)));
      assert.equal((await first).ok, true);
      const result = await edit;
      assert.deepEqual(result.changes.map((c) => c.message), [`Adding service ${RS3}:80 to VS TCP ${VIP}:80 (weight 1, DR)`]);
      assert.deepEqual(servers(await send(lab, segment(40000, SYN), segment(40001, SYN), segment(40002, SYN))), ['rs1', 'rs2', 'rs3']);
    });
  });

  it('a refused edit (it throws) changes nothing, and the reloads after it still run', async () => {
    await withLab(conf({ rs: [RS1, RS2] }), async (lab) => {
      const state = lab.state();
      await assert.rejects(lab.reloadWith(edits(addServer(RS1))), new AdmEditError('Destination already exists'));
      assert.deepEqual(lab.state(), state);
      assert.deepEqual(lab.log, []);
      const after = await lab.reloadWith(edits({ kind: 'delete-server', service: SERVICE, server: { address: RS2, port: 80 } }));
      assert.equal(after.ok, true);
      assert.deepEqual(servers(await send(lab, segment(40000, SYN), segment(40001, SYN))), ['rs1', 'rs1']);
    });
  });

  it('an edit that changes no config (-Z alone) reloads nothing and logs nothing', async () => {
    await withLab(conf({ rs: [RS1] }), async (lab) => {
      const table = lab.mem.plane.table;
      const result = await lab.reloadWith(edits({ kind: 'zero', service: null }));
      assert.deepEqual(result, { ok: true, changes: [] });
      assert.equal(lab.mem.plane.table, table, 'the same table runs');
      assert.deepEqual(lab.log, []);
    });
  });

  it('--set alone is the lvs_timeouts of the config: applied by the reload, no service changed', async () => {
    await withLab(conf({ rs: [RS1] }), async (lab) => {
      const result = await lab.reloadWith(edits({ kind: 'set-timeouts', timeouts: { tcp: 0, tcpFin: 0, udp: 9 } }));
      assert.deepEqual(result, { ok: true, changes: [] });
      const t = lab.mem.plane.timeouts;
      assert.deepEqual([t.tcp, t.tcpFin, t.udp], [900, 120, 9]);
      assert.ok(lab.log.some((l) => l.includes('Changing timeouts (tcp tcpfin udp): 900 120 300 -> 900 120 9')), lab.log.join('\n'));
    });
  });
});
