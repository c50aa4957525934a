// The director's logging: JSON lines and human lines with a level and an ISO timestamp each,
// level filtering, the callback form of the embedded API, a pino logger accepted as it is, and
// state changes as one line with structured fields.
import { strict as assert } from 'node:assert';
import pino from 'pino';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { WeightGovernor } from '../../src/control/governor.js';
import { ServiceTable } from '../../src/datapath/service-table.js';
import { autoFormat, createLogger, humanLine, loggerFrom, type LogEntry, type Logger } from '../../src/log/logger.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0, 123);
const ISO = '2025-06-01T12:00:00.123Z';

function daemon(format: 'human' | 'json', level?: 'debug' | 'info' | 'warn' | 'error'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ format, write: (l) => lines.push(l), now: () => T0, ...(level ? { level } : {}) }), lines };
}

describe('logging', () => {
  it('json: one object per line with level, ISO time, message and the fields', () => {
    const { log, lines } = daemon('json');
    log.info({ event: 'health', server: '198.19.0.11:80', state: 'down', weight: 0 }, 'Removing service 198.19.0.11:80');
    log.error({}, 'broken');
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[0]!), {
      level: 'info', time: ISO, event: 'health', server: '198.19.0.11:80', state: 'down', weight: 0, msg: 'Removing service 198.19.0.11:80',
    });
    assert.deepEqual(JSON.parse(lines[1]!), { level: 'error', time: ISO, msg: 'broken' });
    assert.ok(lines.every((l) => !l.includes('\n')));
  });

  it('human: TIME LEVEL message key=value, values with spaces quoted', () => {
    const { log, lines } = daemon('human');
    log.warn({ event: 'check', detail: 'connect to 198.19.0.11:80: ECONNREFUSED', retries: 1 }, 'TCP check failed.');
    log.info({}, 'plain');
    assert.deepEqual(lines, [
      `${ISO} WARN  TCP check failed. event=check detail="connect to 198.19.0.11:80: ECONNREFUSED" retries=1`,
      `${ISO} INFO  plain`,
    ]);
  });

  it('levels: below the chosen one nothing is written; debug when asked', () => {
    const warn = daemon('json', 'warn');
    warn.log.debug({}, 'd');
    warn.log.info({}, 'i');
    warn.log.warn({}, 'w');
    warn.log.error({}, 'e');
    assert.deepEqual(warn.lines.map((l) => JSON.parse(l).level), ['warn', 'error']);
    const debug = daemon('human', 'debug');
    debug.log.debug({}, 'd');
    assert.match(debug.lines[0]!, /^\S+ DEBUG d$/);
  });

  it('auto format: human on a terminal, JSON elsewhere', () => {
    assert.equal(autoFormat(true), 'human');
    assert.equal(autoFormat(false), 'json');
    assert.equal(autoFormat(undefined), 'json');
  });

  it('the callback form gets each message and its entry; no option logs nowhere', () => {
    const got: Array<[string, LogEntry]> = [];
    const log = loggerFrom((msg, entry) => got.push([msg, entry]), () => T0);
    log.warn({ event: 'weight', weight: 3 }, 'Setting weight');
    assert.deepEqual(got, [['Setting weight', { event: 'weight', weight: 3, level: 'warn', time: ISO, msg: 'Setting weight' }]]);
    assert.equal(humanLine(got[0]![1]), `${ISO} WARN  Setting weight event=weight weight=3`);
    assert.doesNotThrow(() => loggerFrom(undefined).error({}, 'nowhere'));
  });

  it('a pino logger is a Logger as it is', () => {
    const lines: string[] = [];
    const p = pino({ base: null, timestamp: false }, { write: (s: string) => void lines.push(s) });
    const log: Logger = loggerFrom(p);
    assert.equal(log, p);
    log.info({ event: 'reload' }, 'reloaded');
    assert.deepEqual(JSON.parse(lines[0]!), { level: 30, event: 'reload', msg: 'reloaded' });
  });

  it('a health change is one line with structured fields', () => {
    const clock = { now: () => 0 };
    const table = ServiceTable.build(parseKeepalivedConfig(`virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_kind DR
 real_server 198.19.0.11 80 { weight 5 }
}`), clock);
    const entries: LogEntry[] = [];
    const gov = new WeightGovernor({ table, clock, log: loggerFrom((_m, e) => entries.push(e), () => T0) });
    gov.setHealth(table.dests[0]!.id, false, 'check failed');
    assert.deepEqual(entries, [{
      event: 'health', protocol: 'tcp', vs: '198.19.0.100:80', server: '198.19.0.11:80', weight: 0, state: 'down',
      reason: 'check failed', level: 'info', time: ISO, msg: 'Removing service 198.19.0.11:80 from VS 198.19.0.100:80 (check failed)',
    }]);
  });
});
