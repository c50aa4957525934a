// adm and firewall-mark services and one-packet scheduling: -L shows `FWM  N` rows after the
// address services and the `ops` flag as ipvsadm 1.31 prints them (print_service_entry), -S
// writes -f and -o, and -A/-E/-a/-D -f edit a mark service the config's fwmark_match feeds.
import assert from 'node:assert/strict';
import { AdmEditError, planEdits, type AdmEdit } from '../../src/adm/edit-config.js';
import type { AdmRealServer, AdmService, AdmSnapshot } from '../../src/adm/model.js';
import { NO_NAMES } from '../../src/adm/names.js';
import { parseAdm } from '../../src/adm/parse.js';
import { renderReadCommand, type ReadCommand } from '../../src/adm/render.js';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { decodeEdits } from '../../src/control/wire-edits.js';

const ZERO = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
const NO_RATES = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

function rs(address: string, port: number, more: Partial<AdmRealServer> = {}): AdmRealServer {
  return {
    address, port, method: 'dr', weight: 1, effectiveWeight: 1, upperThreshold: 0, lowerThreshold: 0,
    activeConns: 0, inactConns: 0, persistConns: 0, stats: ZERO, rates: NO_RATES, ...more,
  };
}

function svc(o: Partial<AdmService>): AdmService {
  return {
    protocol: 'tcp', address: '0.0.0.0', port: 0, scheduler: 'rr', schedFlags: [], persistence: 0, netmask: '255.255.255.255',
    laddrGroup: null, stats: ZERO, rates: NO_RATES, realServers: [rs('198.18.0.11', 0), rs('198.18.0.12', 0, { inactConns: 3 })], ...o,
  };
}

const SNAPSHOT: AdmSnapshot = {
  version: 1,
  connTableCapacity: 4096,
  timeouts: { tcp: 900, tcpFin: 120, udp: 300 },
  laddrGroups: [],
  services: [
    svc({ fwmark: 7, persistence: 300 }),
    svc({ fwmark: 2, scheduler: 'wrr', ops: true }),
    svc({ protocol: 'udp', address: '198.18.1.53', port: 53, ops: true, realServers: [rs('198.18.0.11', 53)] }),
  ],
};

function render(line: string): string {
  return renderReadCommand(parseAdm(line.split(' '), NO_NAMES) as ReadCommand, SNAPSHOT, [], NO_NAMES);
}

describe('adm: FWM services and ops', () => {
  it('-Ln lists mark services after address ones, by mark, with ops after persistence', () => {
    assert.equal(render('-L -n'), [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'UDP  198.18.1.53:53 rr ops',
      '  -> 198.18.0.11:53               Route   1      0          0         ',
      'FWM  2 wrr ops',
      '  -> 198.18.0.11:0                Route   1      0          0         ',
      '  -> 198.18.0.12:0                Route   1      0          3         ',
      'FWM  7 rr persistent 300',
      '  -> 198.18.0.11:0                Route   1      0          0         ',
      '  -> 198.18.0.12:0                Route   1      0          3         ',
      '',
    ].join('\n'));
  });

  it('-L -f N lists that mark service alone; a mark no service has is "No such service"', () => {
    assert.equal(render('-L -n -f 2').split('\n')[2], 'FWM  2 wrr ops');
    assert.throws(() => render('-L -n -f 3'), /No such service/);
  });

  it('--stats names the mark in the service column', () => {
    assert.match(render('-L -n --stats'), /^FWM {2}7 {29}/m);
  });

  it('-S writes -f and -o, which -R reads back', () => {
    assert.equal(render('-S -n'), [
      '-A -u 198.18.1.53:53 -s rr -o',
      '-a -u 198.18.1.53:53 -r 198.18.0.11:53 -g -w 1',
      '-A -f 2 -s wrr -o',
      '-a -f 2 -r 198.18.0.11:0 -g -w 1',
      '-a -f 2 -r 198.18.0.12:0 -g -w 1',
      '-A -f 7 -s rr -p 300',
      '-a -f 7 -r 198.18.0.11:0 -g -w 1',
      '-a -f 7 -r 198.18.0.12:0 -g -w 1',
      '',
    ].join('\n'));
  });
});

describe('adm edits of mark services', () => {
  const base = parseKeepalivedConfig('fwmark_match 7 {\n tcp 198.18.2.0/29 80\n}\nvirtual_server 198.18.1.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 198.18.0.11 80\n}', 'f.conf');
  const edit = (line: string): AdmEdit => parseAdm(line.split(' '), NO_NAMES) as AdmEdit;

  it('-A -f 7, -a -f 7 -r, -E -f 7 -o build the mark service; -D -f 7 removes only it', () => {
    const lines = ['-A -f 7 -s wrr -p 60', '-a -f 7 -r 198.18.0.12 -g -w 3', '-E -f 7 -s wrr -o'];
    const config = planEdits(base, lines.map(edit)).config;
    const vs = config.virtualServers[1]!;
    assert.deepEqual([vs.fwmark, vs.vip, vs.port, vs.scheduler, vs.persistenceTimeout, vs.ops], [7, '0.0.0.0', 0, 'wrr', 0, true]);
    assert.deepEqual(vs.realServers.map((r) => [r.address, r.port, r.weight]), [['198.18.0.12', 0, 3]]);
    const after = planEdits(config, [edit('-D -f 7')]).config;
    assert.deepEqual(after.virtualServers.map((v) => v.fwmark ?? `${v.vip}:${v.port}`), ['198.18.1.1:80']);
  });

  it('a mark without a fwmark_match is refused (nothing would ever carry it)', () => {
    assert.throws(() => planEdits(base, [edit('-A -f 8')]), (err: unknown) =>
      err instanceof AdmEditError && err.message === 'fwmark 8 has no fwmark_match in the configuration (director marks packets itself)');
  });

  it('-f and -o cross the control socket unchanged', () => {
    const edits = ['-A -f 7 -s rr -o', '-a -f 7 -r 198.18.0.12 -g', '-E -u 198.18.1.53:53 -o'].map(edit);
    assert.deepEqual(decodeEdits(JSON.parse(JSON.stringify({ edits })) as Record<string, unknown>), edits);
  });
});
