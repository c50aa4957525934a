// Connection thresholds (the 3/4 rule) and persistence templates with the netmask, timers and
// accounting apart from active/inactive counts.
import assert from 'node:assert/strict';
import { flagsAfterBind, flagsAfterUnbind } from '../../src/ipvs/thresholds.js';
import {
  attachConn, createTemplate, createTemplateTable, detachConn, expireTemplates, lookupTemplate, parseNetmask, templateKey,
} from '../../src/ipvs/persistence.js';
import { DestFlags } from '../../src/sched/types.js';
import { dest } from './sched-fixtures.js';

const OV = DestFlags.OVERLOAD;

describe('ipvs thresholds', () => {
  // Walk the total up then down and record the OVERLOAD flag after each bind/unbind.
  const cases: { desc: string; upper: number; lower: number; up: number; flagOnAt: number; clearsBelow: number }[] = [
    { desc: 'upper 100, lower unset: set at 100, cleared below 75 (3/4)', upper: 100, lower: 0, up: 100, flagOnAt: 100, clearsBelow: 75 },
    { desc: 'upper 10, lower unset: cleared when total*4 < 30, i.e. at 7', upper: 10, lower: 0, up: 10, flagOnAt: 10, clearsBelow: 8 },
    { desc: 'upper 100, lower 50: cleared below 50', upper: 100, lower: 50, up: 100, flagOnAt: 100, clearsBelow: 50 },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const d = dest(0, 1);
      const t = { upper: c.upper, lower: c.lower };
      for (let n = 1; n <= c.up; n++) {
        d.inactConns = n;
        d.flags = flagsAfterBind(d, t);
        assert.equal((d.flags & OV) !== 0, n >= c.flagOnAt, `bind to ${n}`);
      }
      for (let n = c.up - 1; n >= 0; n--) {
        d.inactConns = n;
        d.flags = flagsAfterUnbind(d, t);
        assert.equal((d.flags & OV) !== 0, n >= c.clearsBelow, `unbind to ${n}`);
      }
    });
  }
  it('persistence templates do not count towards thresholds', () => {
    const d = dest(0, 1, { persistConns: 1000, activeConns: 1 });
    assert.equal(flagsAfterBind(d, { upper: 2, lower: 0 }) & OV, 0);
  });
  it('no thresholds: an unbind clears OVERLOAD', () => {
    const d = dest(0, 1, { flags: DestFlags.AVAILABLE | OV, activeConns: 5 });
    assert.equal(flagsAfterUnbind(d, { upper: 0, lower: 0 }) & OV, 0);
  });
});

describe('ipvs persistence', () => {
  const VIP = 0xc6130064;
  it('netmask groups clients: /24 shares a template, another /24 does not', () => {
    const m = parseNetmask('255.255.255.0');
    assert.deepEqual(templateKey(6, 0xc6120105, m, VIP * 65536 + 80, false), templateKey(6, 0xc61201fe, m, VIP * 65536 + 80, false));
    assert.notDeepEqual(templateKey(6, 0xc6120105, m, VIP * 65536 + 80, false), templateKey(6, 0xc6120205, m, VIP * 65536 + 80, false));
    const host = parseNetmask('255.255.255.255');
    assert.notDeepEqual(templateKey(6, 0xc6120105, host, VIP * 65536 + 80, false), templateKey(6, 0xc6120106, host, VIP * 65536 + 80, false));
    // A mark or group scope (anyProto) holds a client's TCP and UDP alike; a VIP:port one does not.
    assert.deepEqual(templateKey(6, 0xc6120105, host, 2 ** 48 + 7, true), templateKey(17, 0xc6120105, host, 2 ** 48 + 7, true));
    assert.notDeepEqual(templateKey(6, 0xc6120105, host, VIP * 65536 + 80, false), templateKey(17, 0xc6120105, host, VIP * 65536 + 80, false));
    assert.throws(() => parseNetmask('255.0.255.0'), /not contiguous/);
    assert.throws(() => parseNetmask('255.255.255'), /not a dotted quad/);
  });
  it('template life: counted in persistConns, refreshed on use, held by its connections', () => {
    const t = createTemplateTable();
    const d = dest(0, 1);
    const key = templateKey(6, 0xc6120105, parseNetmask('255.255.255.0'), VIP * 65536 + 80, false);
    const policy = { expireQuiescent: false };
    const tpl = createTemplate(t, key, d, 0, 300_000);
    assert.equal(d.persistConns, 1);
    assert.equal(d.activeConns + d.inactConns, 0);
    assert.equal(lookupTemplate(t, key, 200_000, policy), tpl); // refresh: now expires at 500 s
    assert.equal(expireTemplates(t, 400_000), 0);
    attachConn(tpl);
    assert.equal(expireTemplates(t, 501_000), 0, 'held while it controls a connection');
    detachConn(tpl);
    assert.equal(expireTemplates(t, 800_000), 0, 're-armed for a full timeout after the hold');
    assert.equal(expireTemplates(t, 801_000), 1);
    assert.equal(d.persistConns, 0);
    assert.equal(lookupTemplate(t, key, 802_000, policy), null);
  });
  it('a template to a removed dest (or quiesced, by policy) stops matching but stays counted', () => {
    const t = createTemplateTable();
    const d = dest(0, 1);
    const key = templateKey(6, 1, 0xffffffff, VIP * 65536 + 80, false);
    createTemplate(t, key, d, 0, 1000);
    d.weight = 0;
    assert.notEqual(lookupTemplate(t, key, 10, { expireQuiescent: false }), null);
    assert.equal(lookupTemplate(t, key, 10, { expireQuiescent: true }), null);
    assert.equal(d.persistConns, 1);
    expireTemplates(t, 2000);
    assert.equal(d.persistConns, 0);
  });
});
