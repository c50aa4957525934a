// The capabilities `director run` keeps after setup, and why: a function of the config and the
// I/O method; plus --user resolution, /proc mask decoding and the daemon's own metrics.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { daemonMetricsText } from '../../src/metrics/daemon-text.js';
import { resolveUser } from '../../src/privilege/drop.js';
import { capabilityNamesOf, capabilityNumbers, keptCapabilities, runsScripts } from '../../src/privilege/plan.js';
import { UserDb } from '../../src/script/users.js';
import { parseExposition, valueOf } from '../support/prom-text.js';

const SERVICE = `virtual_server 198.19.0.100 80 {
    lb_kind DR
    protocol TCP
    real_server 198.19.0.11 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 3
        }
    }
}
`;
const MISC = SERVICE.replace('TCP_CHECK {\n            connect_timeout 3\n        }', 'MISC_CHECK {\n            misc_path "/bin/true"\n        }');
const NOTIFY = `${SERVICE}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        198.19.0.100
    }
    notify_master "/bin/true"
}
`;

const names = (text: string, io?: 'xdp' | 'auto' | 'packet'): string[] =>
  keptCapabilities({ config: parseKeepalivedConfig(text), ...(io ? { io } : {}) }).map((k) => k.name);

describe('privileges kept after setup', () => {
  it('keeps net_bind_service and net_raw for health checks, nothing else, without scripts or XDP', () => {
    assert.deepEqual(names(SERVICE), ['net_bind_service', 'net_raw']);
    assert.deepEqual(names(SERVICE, 'packet'), ['net_bind_service', 'net_raw']);
    assert.equal(runsScripts(parseKeepalivedConfig(SERVICE)), false);
  });

  it('keeps net_admin when an XDP program may be attached (it is detached at stop)', () => {
    assert.deepEqual(names(SERVICE, 'xdp'), ['net_bind_service', 'net_admin', 'net_raw']);
    assert.deepEqual(names(SERVICE, 'auto'), ['net_bind_service', 'net_admin', 'net_raw']);
  });

  it('keeps setgid and setuid when a script runs (MISC_CHECK, notify_*), to run it as its script_user', () => {
    assert.deepEqual(names(MISC), ['setgid', 'setuid', 'net_bind_service', 'net_raw']);
    assert.deepEqual(names(NOTIFY), ['setgid', 'setuid', 'net_bind_service', 'net_raw']);
  });

  it('gives every kept capability a reason', () => {
    for (const k of keptCapabilities({ config: parseKeepalivedConfig(NOTIFY), io: 'xdp' })) assert.ok(k.why.length > 10, k.name);
  });

  it('numbers and names capabilities as capability(7) and /proc do', () => {
    assert.deepEqual(capabilityNumbers(['setgid', 'setuid', 'net_bind_service', 'net_admin', 'net_raw', 'sys_admin']), [6, 7, 10, 12, 13, 21]);
    assert.deepEqual(capabilityNamesOf('0000000000002400'), ['net_bind_service', 'net_raw']);
    assert.deepEqual(capabilityNamesOf('0000000000000000'), []);
    assert.equal(capabilityNamesOf('000001ffffffffff').length, 41);
  });
});

describe('--user NAME[:GROUP]', () => {
  let dir: string;
  let db: UserDb;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'director-privilege-'));
    writeFileSync(path.join(dir, 'passwd'), 'root:x:0:0::/root:/bin/sh\ndirector:x:990:990::/:/usr/sbin/nologin\n');
    writeFileSync(path.join(dir, 'group'), 'root:x:0:\ndirector:x:990:\nlvs:x:991:director\n');
    db = new UserDb({ passwd: path.join(dir, 'passwd'), group: path.join(dir, 'group') });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the user's own group and its supplementary groups, or the group named", () => {
    assert.deepEqual(resolveUser('director', db), { uid: 990, gid: 990, groups: [990, 991], label: 'director' });
    assert.deepEqual(resolveUser('director:lvs', db), { uid: 990, gid: 991, groups: [991], label: 'director:lvs' });
  });

  it('says which name does not exist', () => {
    assert.throws(() => resolveUser('nosuch', db), /--user nosuch: no user 'nosuch'/);
    assert.throws(() => resolveUser('director:nosuch', db), /no group 'nosuch'/);
  });
});

describe("the daemon's own metrics", () => {
  it('show the capabilities held, the uid, and control socket rejections by reason, as valid exposition text', () => {
    const text = daemonMetricsText({ privileges: { uid: 65534, gid: 65534, capabilities: ['net_bind_service', 'net_raw'] }, rejected: { 'bad-request': 3, timeout: 1 } });
    const m = parseExposition(text);
    assert.equal(valueOf(m, 'director_capability', { capability: 'net_raw' }), 1);
    assert.equal(valueOf(m, 'director_capability', { capability: 'net_bind_service' }), 1);
    assert.equal(valueOf(m, 'director_process_uid', {}), 65534);
    assert.equal(valueOf(m, 'director_control_rejected_total', { reason: 'bad-request' }), 3);
    assert.equal(valueOf(m, 'director_control_rejected_total', { reason: 'timeout' }), 1);
    assert.doesNotMatch(daemonMetricsText({ privileges: null, rejected: {} }), /director_capability|director_process_uid/);
  });
});
