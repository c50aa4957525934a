// `director adm` command lines as ipvsadm 1.31 reads them (popt's combined short options and
// optional -p timeout, its defaults and checks), each row an argv and the command or the error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdmUsageError, type AdmCommand, type ListFormat, type ServiceSettings } from '../../src/adm/commands.js';
import { namesFrom } from '../../src/adm/names.js';
import { parseAdm } from '../../src/adm/parse.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'adm');
const names = namesFrom(readFileSync(join(FIXTURES, 'hosts'), 'utf8'), readFileSync(join(FIXTURES, 'services'), 'utf8'));
const parse = (line: string): AdmCommand => parseAdm(line === '' ? [] : line.split(' '), names);

const VIP80 = { protocol: 'tcp', address: '198.19.0.100', port: 80 } as const;
const VIP443 = { protocol: 'tcp', address: '198.19.0.100', port: 443 } as const;
const RS = '198.19.0.11';
const svc = (more: Partial<ServiceSettings> = {}): ServiceSettings => ({
  scheduler: 'wlc', schedFlags: [], persistence: 0, netmask: '255.255.255.255', laddrGroup: null, ...more,
});
const LIST: ListFormat = {
  numeric: false, stats: false, rate: false, thresholds: false, persistentConn: false, tunInfo: false,
  exact: false, nosort: false, laddrInfo: false,
};
const server = (port: number, more: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: 'add-server', service: VIP80, server: { address: RS, port },
  settings: { method: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...more },
});

describe('adm command lines (ipvsadm 1.31 syntax)', () => {
  const accepted: Array<[string, unknown]> = [
    ['-A -t 198.19.0.100:80 -s rr', { kind: 'add-service', service: VIP80, settings: svc({ scheduler: 'rr' }) }],
    ['-A -t 198.19.0.100:80', { kind: 'add-service', service: VIP80, settings: svc() }],
    ['-At 198.19.0.100:80 -srr', { kind: 'add-service', service: VIP80, settings: svc({ scheduler: 'rr' }) }],
    ['-A -t198.19.0.100:80 -s sh -b flag-2,flag-1',
      { kind: 'add-service', service: VIP80, settings: svc({ scheduler: 'sh', schedFlags: ['sh-fallback', 'sh-port'] }) }],
    ['--add-service --tcp-service=198.19.0.100:80 --scheduler=rr --sched-flags=flag-3,flag-1',
      { kind: 'add-service', service: VIP80, settings: svc({ scheduler: 'rr', schedFlags: ['flag-1', 'flag-3'] }) }],
    ['-A -t 198.19.0.100:443 -p -s wlc', { kind: 'add-service', service: VIP443, settings: svc({ persistence: 360 }) }],
    ['-A -t 198.19.0.100:443 -p', { kind: 'add-service', service: VIP443, settings: svc({ persistence: 360 }) }],
    ['-A -t 198.19.0.100:443 -p 600 -M 255.255.255.0',
      { kind: 'add-service', service: VIP443, settings: svc({ persistence: 600, netmask: '255.255.255.0' }) }],
    ['-A -t 198.19.0.100:443 -p600', { kind: 'add-service', service: VIP443, settings: svc({ persistence: 600 }) }],
    ['-A -t 198.19.0.100:443 --persistent=2678400',
      { kind: 'add-service', service: VIP443, settings: svc({ persistence: 2678400 }) }],
    ['-A -t 198.19.0.100 -p', { kind: 'add-service', service: { ...VIP80, port: 0 }, settings: svc({ persistence: 360 }) }],
    ['-E -u 198.19.0.101:domain -s sh -b sh-fallback', {
      kind: 'edit-service', service: { protocol: 'udp', address: '198.19.0.101', port: 53 },
      settings: svc({ scheduler: 'sh', schedFlags: ['sh-fallback'] }),
    }],
    ['-A -t web:www -s mh -b mh-port --laddr-group lip_1.a',
      { kind: 'add-service', service: VIP80, settings: svc({ scheduler: 'mh', schedFlags: ['mh-port'], laddrGroup: 'lip_1.a' }) }],
    ['-D -t 198.19.0.100:80', { kind: 'delete-service', service: VIP80 }],
    [`-a -t 198.19.0.100:80 -r ${RS}`, server(80)],
    [`-a -t 198.19.0.100:80 -r ${RS}:8080 -g -w 3`, server(80, { weight: 3 })],
    [`-a -t 198.19.0.100:80 -r ${RS}:8080 -i --tun-type ipip`, server(80, { method: 'tun' })],
    [`-a -t 198.19.0.100:80 -r ${RS}:8080 -m -w 0 -x 100 -y 50`,
      server(8080, { method: 'nat', weight: 0, upperThreshold: 100, lowerThreshold: 50 })],
    [`-a -t 198.19.0.100:80 -r ${RS}:8080 --fullnat`, server(8080, { method: 'fnat' })],
    [`-a -t 198.19.0.100:80 -r rs1.lab -Fw 2`, server(80, { method: 'fnat', weight: 2 })],
    [`-e -t 198.19.0.100:80 -r ${RS} -x 10`, { ...server(80, { upperThreshold: 10 }), kind: 'edit-server' }],
    [`-d -t 198.19.0.100:80 -r ${RS}:8080`, { kind: 'delete-server', service: VIP80, server: { address: RS, port: 8080 } }],
    [`-d -t 198.19.0.100:80 -r ${RS}`, { kind: 'delete-server', service: VIP80, server: { address: RS, port: 80 } }],
    ['-C', { kind: 'clear' }],
    ['--clear', { kind: 'clear' }],
    ['-Z', { kind: 'zero', service: null }],
    ['-Z -t 198.19.0.100:80', { kind: 'zero', service: VIP80 }],
    ['-L', { kind: 'list', view: { what: 'services', service: null }, format: LIST }],
    ['-Ln --sort', { kind: 'list', view: { what: 'services', service: null }, format: { ...LIST, numeric: true } }],
    ['-l -n --stats --exact --nosort',
      { kind: 'list', view: { what: 'services', service: null }, format: { ...LIST, numeric: true, stats: true, exact: true, nosort: true } }],
    ['-L -t 198.19.0.100:80 --rate --thresholds --persistent-conn --tun-info', {
      kind: 'list', view: { what: 'services', service: VIP80 },
      format: { ...LIST, rate: true, thresholds: true, persistentConn: true, tunInfo: true },
    }],
    ['-Lnc --laddr-info', { kind: 'list', view: { what: 'connections' }, format: { ...LIST, numeric: true, laddrInfo: true } }],
    ['--list --timeout', { kind: 'list', view: { what: 'timeouts' }, format: LIST }],
    ['-S -n', { kind: 'save', numeric: true }],
    ['--save', { kind: 'save', numeric: false }],
    ['-R', { kind: 'restore' }],
    ['--set 900 120 300', { kind: 'set-timeouts', timeouts: { tcp: 900, tcpFin: 120, udp: 300 } }],
    ['--set 0 60 -- 0', { kind: 'set-timeouts', timeouts: { tcp: 0, tcpFin: 60, udp: 0 } }],
    ['-P --laddr-group lip1 -z 198.19.1.1-3',
      { kind: 'add-laddr', group: 'lip1', addresses: ['198.19.1.1', '198.19.1.2', '198.19.1.3'] }],
    ['--del-laddr --laddr-group lip1 --laddr 198.19.1.10', { kind: 'delete-laddr', group: 'lip1', addresses: ['198.19.1.10'] }],
    ['-G', { kind: 'list-laddr', group: null }],
    ['-G --laddr-group lip1', { kind: 'list-laddr', group: 'lip1' }],
    ['-h', { kind: 'help' }],
    ['--help -n', { kind: 'help' }],
    ['-v', { kind: 'version' }],
  ];
  for (const [line, expected] of accepted) {
    it(`accepts: ${line}`, () => assert.deepEqual(parse(line), expected));
  }

  const refused: Array<[string, string]> = [
    ['', 'no command specified (try -h for the list)'],
    ['-t 198.19.0.100:80 -s rr', 'no command specified (try -h for the list)'],
    ['-A -D -t 198.19.0.100:80', 'multiple commands specified'],
    ['-A', "You need to supply the 'service-address' option for the 'add-service' command"],
    ['-a -t 198.19.0.100:80', "You need to supply the 'real-server' option for the 'add-server' command"],
    [`-A -t 198.19.0.100:80 -r ${RS}`, "Illegal 'real-server' option with the 'add-service' command"],
    ['-D -t 198.19.0.100:80 -s rr', "Illegal 'scheduler' option with the 'delete-service' command"],
    ['-S --stats', "Illegal 'stats' option with the 'save' command"],
    ['-C -n', "Illegal 'numeric' option with the 'flush' command"],
    ['-L -c -t 198.19.0.100:80', "The option 'service-address' conflicts with the 'connection' option in the 'list' command"],
    ['-L --timeout -c', "The option 'timeout' conflicts with the 'connection' option in the 'list' command"],
    ['-L -c --stats', 'options conflicts in the list command'],
    ['-L --timeout --persistent-conn', 'options conflicts in the list command'],
    ['-L --laddr-info', '--laddr-info belongs to the connection listing (-c)'],
    ['-A -t 198.19.0.100:80 -s rr -s wrr', "multiple 'scheduler' options specified"],
    [`-a -t 198.19.0.100:80 -r ${RS} -g -m`, "multiple 'forwarding-method' options specified"],
    ['-A -t 198.19.0.100:80 -u 198.19.0.100:80', "multiple 'service-address' options specified"],
    ['-A -t 80', 'illegal virtual server address[:port] specified'],
    ['-A -t nohost.lab:80', 'illegal virtual server address[:port] specified'],
    ['-A -t 198.19.0.100:nosuchservice', 'illegal virtual server address[:port] specified'],
    ['-A -t 198.19.0.100:65536', 'illegal virtual server address[:port] specified'],
    ['-A -t 198.19.0.100:', 'illegal virtual server address[:port] specified'],
    ['-A -t 198.19.0.300:80', 'illegal virtual server address[:port] specified'],
    ['-A -t 198.19.0.100', 'Zero port specified for non-persistent service'],
    ['-A -t 198.19.0.100:80 -s foo', "Scheduler not found: 'foo' (one of rr, wrr, lc, wlc, sed, nq, lblc, lblcr, dh, sh, mh, fo, ovf, twos)"],
    ['-A -t 198.19.0.100:80 -p 0', "invalid timeout value `0' specified"],
    ['-A -t 198.19.0.100:80 -p 2678401', "invalid timeout value `2678401' specified"],
    ['-A -t 198.19.0.100:80 -p x1', "invalid timeout value `x1' specified"],
    ['-A -t 198.19.0.100:80 -M 255.255.255', 'illegal virtual server persistent mask specified'],
    ['-A -t 198.19.0.100:80 -b sh-port', "incompatible scheduler flag `sh-port'"],
    ['-A -t 198.19.0.100:80 -s sh -b mh-port', "incompatible scheduler flag `mh-port'"],
    ['-A -t 198.19.0.100:80 -s rr -b bogus', "invalid scheduler flag `bogus'"],
    ['-A -t 198.19.0.100:80 -s rr -b ,', "invalid scheduler flag `,'"],
    ['-A -t 198.19.0.100:80 --laddr-group bad/name', "illegal local address group name `bad/name' (letters, digits, _ - .)"],
    [`-a -t 198.19.0.100:80 -r ${RS} -w 65536`, 'illegal weight specified'],
    [`-a -t 198.19.0.100:80 -r ${RS} -w -1`, 'illegal weight specified'],
    [`-a -t 198.19.0.100:80 -r ${RS} -x abc`, 'illegal u_threshold specified'],
    [`-a -t 198.19.0.100:80 -r ${RS} -y 2147483648`, 'illegal l_threshold specified'],
    [`-a -t 198.19.0.100:80 -r ${RS} -y 5`, 'lower threshold is higher than upper threshold'],
    [`-a -t 198.19.0.100:80 -r ${RS} -m --tun-type ipip`, 'Tunnel options conflict with forward method'],
    [`-a -t 198.19.0.100:80 -r ${RS} -i --tun-type gre`, '--tun-type gre: not supported by director: director tunnels with IPIP only (-i)'],
    [`-a -t 198.19.0.100:80 -r ${RS} -i --tun-type vxlan`, 'illegal tunnel type specified'],
    ['-a -t 198.19.0.100:80 -r 1234', 'illegal real server address[:port] specified'],
    ['--set 900 120', '--set option requires 3 timeout values'],
    ['--set 900 120 300 5', 'unexpected argument 5'],
    ['--set 900 x 300', "invalid timeout value `x' specified"],
    ['--set 900 120 2678401', "invalid timeout value `2678401' specified"],
    ['-L extra', 'unexpected argument extra'],
    ['-A -f 0', 'illegal virtual server fwmark specified'],
    ['-A -f x', 'illegal virtual server fwmark specified'],
    ['-A --sctp-service 198.19.0.100:80', '--sctp-service: not supported by director: SCTP is not supported'],
    ['--start-daemon master', '--start-daemon: not supported by director: the IPVS sync daemon is not part of director adm'],
    ['-L -q', '-q: unknown option'],
    ['-L --bogus', '--bogus: unknown option'],
    ['-L --stats=1', '--stats: option does not take an argument'],
    ['-A -t', '-t: missing argument'],
    ['-P --laddr-group lip1 -z 198.19.1.5-2', "illegal local address: range '198.19.1.5-2' must end at an octet in 5..255"],
    ['-P --laddr-group lip1 -z 2001:db8::1-5', "illegal local address: '2001:db8::1-5' is not an IPv4 address (IPv6 is not supported yet)"],
    ['-P -z 198.19.1.1', "You need to supply the 'laddr-group' option for the 'add-laddr' command"],
    ['-G -z 198.19.1.1', "Illegal 'laddr' option with the 'get-laddr' command"],
  ];
  for (const [line, message] of refused) {
    it(`refuses: ${line === '' ? '(nothing)' : line}`, () => {
      assert.throws(() => parse(line), (err: unknown) => {
        assert.ok(err instanceof AdmUsageError, String(err));
        assert.equal(err.message, message);
        assert.equal(err.exitCode, 2);
        return true;
      });
    });
  }
});
