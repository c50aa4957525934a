// The checkers' protocol logic without a network: HTTP requests and responses and SMTP dialogues
// against in-process fake servers on a stream pair, DNS query bytes and reply validation, UDP
// reply matching, FILE_CHECK values and init_file. Sockets are exercised in test/netns/.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { duplexPair, type Duplex } from 'node:stream';
import type { HttpUrlConfig } from '../../src/config/model.js';
import { dnsQuery, judgeDnsReply } from '../../src/health/dns-check.js';
import { fileCheck, judgeTrackValue, trackFileValue } from '../../src/health/file-check.js';
import { hostHeader, httpExchange, serverName } from '../../src/health/http-check.js';
import { httpRequest, judgeHttpAnswer } from '../../src/health/http-protocol.js';
import { smtpDialogue } from '../../src/health/smtp-check.js';
import type { FileCheckSpec, SslCheckSpec } from '../../src/health/types.js';
import { judgeUdpReply } from '../../src/health/udp-check.js';

/** A fake server on the far end of a stream pair: it gets each chunk the checker writes and may answer. */
function fakeServer(onData: (text: string, server: Duplex) => void): Duplex {
  const [client, server] = duplexPair();
  server.setEncoding('latin1');
  server.on('data', (text: string) => onData(text, server));
  return client;
}

const url = (extra: Partial<HttpUrlConfig> = {}): HttpUrlConfig => ({ path: '/healthz', statusCodes: [[200, 299]], digest: null, ...extra });

describe('HTTP_GET/SSL_GET protocol', () => {
  it('writes keepalived\'s request for 1.0, 1.0C and 1.1', () => {
    assert.equal(httpRequest('/a', 'h:80', '1.0'), 'GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: h:80\r\n\r\n');
    assert.equal(httpRequest('/a', 'h', '1.0C'), 'GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h\r\n\r\n');
    assert.equal(httpRequest('/a', 'h', '1.1'), 'GET /a HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h\r\n\r\n');
  });

  it('Host: the url\'s virtualhost, else the checker\'s, else ip:port; SNI never an address', () => {
    const spec = { kind: 'ssl', connectIp: '198.19.0.11', connectPort: 443, virtualhost: null, sni: true, sniName: null } as unknown as SslCheckSpec;
    assert.equal(hostHeader(spec, url()), '198.19.0.11:443');
    assert.equal(hostHeader({ ...spec, connectIp: '2001:db8::11' }, url()), '[2001:db8::11]:443', 'an IPv6 address in brackets (RFC 3986)');
    assert.equal(hostHeader({ ...spec, virtualhost: 'www.test' }, url()), 'www.test');
    assert.equal(hostHeader({ ...spec, virtualhost: 'www.test' }, url({ virtualhost: 'u.test' })), 'u.test');
    assert.equal(serverName(spec, url()), null);
    assert.equal(serverName({ ...spec, virtualhost: 'www.test:8443' }, url()), 'www.test');
    assert.equal(serverName({ ...spec, virtualhost: '198.19.0.11' }, url()), null);
    assert.equal(serverName({ ...spec, sniName: 'sni.test' }, url({ virtualhost: 'u.test' })), 'sni.test');
    assert.equal(serverName({ ...spec, sni: false, sniName: 'sni.test' }, url()), null);
  });

  it('reads status and md5 of the raw body until the server closes, headers split across chunks', async () => {
    let request = '';
    const client = fakeServer((text, server) => {
      request += text;
      if (!request.endsWith('\r\n\r\n')) return;
      server.write('HTTP/1.0 200 OK\r\nServer: fa');
      server.write('ke\r\n\r\nok\n');
      server.end();
    });
    const a = await httpExchange(client, httpRequest('/healthz', 'h', '1.0'), true);
    assert.equal(request, 'GET /healthz HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: h\r\n\r\n');
    assert.deepEqual([a.status, a.md5, a.body?.toString()], [200, createHash('md5').update('ok\n').digest('hex'), 'ok\n']);
  });

  it('stops at Content-Length when the server keeps the connection open', async () => {
    const client = fakeServer((_t, server) => server.write('HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy'));
    const a = await httpExchange(client, 'GET / HTTP/1.1\r\n\r\n', false);
    assert.deepEqual([a.status, a.body], [503, undefined]);
  });

  it('fails on no data, on a non-HTTP answer and on a close inside the headers', async () => {
    const silent = fakeServer((_t, server) => server.end());
    await assert.rejects(httpExchange(silent, 'GET / HTTP/1.0\r\n\r\n', false), /no data received/);
    const ssh = fakeServer((_t, server) => server.end('SSH-2.0-OpenSSH\r\n\r\n'));
    await assert.rejects(httpExchange(ssh, 'GET / HTTP/1.0\r\n\r\n', false), /not an HTTP status line: "SSH-2.0-OpenSSH"/);
    const cut = fakeServer((_t, server) => server.end('HTTP/1.0 200 OK\r\nX: y'));
    await assert.rejects(httpExchange(cut, 'GET / HTTP/1.0\r\n\r\n', false), /connection closed inside the headers/);
  });

  it('regex, regex_no_match and the offset window decide after status and digest', () => {
    const body = Buffer.from('status: OK 42\nrest');
    const re = (pattern: string, extra: object = {}) => url({ regex: { pattern, flags: '', noMatch: false, minOffset: 0, maxOffset: null, ...extra } });
    const judge = (u: HttpUrlConfig): string | null => judgeHttpAnswer(u, { status: 200, md5: 'x', body });
    assert.equal(judge(re('OK \\d+')), null);
    assert.equal(judge(re('FAIL')), 'body does not match /FAIL/');
    assert.equal(judge(re('ok', { flags: 'i' })), null);
    assert.equal(judge(re('OK', { noMatch: true })), 'body matches regex_no_match /OK/');
    assert.equal(judge(re('FAIL', { noMatch: true })), null);
    assert.equal(judge(re('OK', { minOffset: 9 })), 'body does not match /OK/');
    assert.equal(judge(re('OK', { maxOffset: 7 })), 'body does not match /OK/');
    assert.equal(judge(re('OK', { minOffset: 8, maxOffset: 8 })), null);
    assert.equal(judge(re('^rest', { flags: 'm' })), null);
    assert.equal(judgeHttpAnswer(re('OK'), { status: 500, md5: 'x', body }), 'status 500, expected 200-299');
  });
});

describe('SMTP_CHECK dialogue', () => {
  /** A fake SMTP server answering each command from a script; records what it was sent. */
  function smtp(greeting: string, replies: Record<string, string>): { client: Duplex; got: string[] } {
    const got: string[] = [];
    const [client, server] = duplexPair();
    server.setEncoding('latin1');
    server.write(greeting);
    server.on('data', (text: string) => {
      got.push(text);
      const verb = text.split(' ')[0]!.trim();
      if (replies[verb] !== undefined) server.write(replies[verb]);
      if (verb === 'QUIT') server.end();
    });
    return { client, got };
  }

  it('220, HELO NAME answered 250 (multi-line), QUIT', async () => {
    const s = smtp('220-mx.test ESMTP\r\n220 ready\r\n', { HELO: '250-mx.test\r\n250 hello\r\n', QUIT: '221 bye\r\n' });
    assert.equal(await smtpDialogue(s.client, 'checker.test'), '220 ready');
    assert.deepEqual(s.got, ['HELO checker.test\r\n', 'QUIT\r\n']);
  });

  it('fails on a bad greeting, a refused HELO and a server that hangs up', async () => {
    await assert.rejects(smtpDialogue(smtp('554 go away\r\n', {}).client, 'x'), /greeting "554 go away", expected 220/);
    await assert.rejects(smtpDialogue(smtp('220 ok\r\n', { HELO: '501 bad\r\n' }).client, 'x'), /HELO answered "501 bad", expected 250/);
    const [client, server] = duplexPair();
    server.end('220 ok\r\n');
    await assert.rejects(smtpDialogue(client, 'x'), /connection closed by the server/);
    await assert.rejects(smtpDialogue(smtp('HTTP/1.0 400\r\n', {}).client, 'x'), /not an SMTP reply/);
  });
});

describe('DNS_CHECK query and reply', () => {
  const query = dnsQuery(0x1234, 'www.example.test', 'A');
  /** A reply built from the query: QR set, rcode, one answer counted. */
  const reply = (q: Buffer, rcode = 0, qr = true): Buffer => {
    const r = Buffer.from(q);
    r.writeUInt16BE((qr ? 0x8000 : 0) | 0x0180 | rcode, 2);
    r.writeUInt16BE(1, 6);
    return r;
  };

  it('builds the query byte for byte (id, RD, one question, type, class IN)', () => {
    assert.equal(query.toString('hex'), '123401000001000000000000' + '03777777076578616d706c650474657374' + '00' + '0001' + '0001');
    assert.equal(dnsQuery(1, '.', 'SOA').toString('hex'), '000101000001000000000000' + '00' + '0006' + '0001');
  });

  it('ignores what is not a reply to us (other id, no QR), judges ours on question and rcode', () => {
    const other = reply(dnsQuery(0x9999, 'www.example.test', 'A'));
    assert.equal(judgeDnsReply(query, other), null);
    assert.equal(judgeDnsReply(query, reply(query, 0, false)), null);
    assert.equal(judgeDnsReply(query, Buffer.alloc(5)), null);
    assert.deepEqual(judgeDnsReply(query, reply(query)), { ok: true, detail: 'NOERROR, 1 answer(s)' });
    assert.deepEqual(judgeDnsReply(query, reply(query, 3)), { ok: false, detail: 'rcode NXDOMAIN' });
    assert.deepEqual(judgeDnsReply(query, reply(query, 2)), { ok: false, detail: 'rcode SERVFAIL' });
    const wrongQuestion = reply(Buffer.concat([query.subarray(0, 12), dnsQuery(0x1234, 'evil.test', 'A').subarray(12)]));
    assert.deepEqual(judgeDnsReply(query, wrongQuestion), { ok: false, detail: 'the reply does not carry our question' });
    const upper = reply(dnsQuery(0x1234, 'WWW.Example.TEST', 'A'));
    assert.equal(judgeDnsReply(query, upper)?.ok, true);
  });
});

describe('UDP_CHECK reply matching', () => {
  const want = { data: '0a0001', mask: '00ff00', minLength: 2, maxLength: 8 };
  it('compares the shorter of reply and expected bytes, x nibbles ignored, within the lengths', () => {
    assert.equal(judgeUdpReply(want, Buffer.from('0a7701ff', 'hex')), null);
    assert.equal(judgeUdpReply(want, Buffer.from('0a77', 'hex')), null);
    assert.equal(judgeUdpReply(want, Buffer.from('0b7701', 'hex')), 'reply byte 0 is 0b, expected 0a');
    assert.equal(judgeUdpReply(want, Buffer.from('0a', 'hex')), 'reply of 1 bytes, expected 2..8');
    assert.equal(judgeUdpReply(want, Buffer.alloc(9)), 'reply of 9 bytes, expected 2..8');
    assert.equal(judgeUdpReply({ ...want, data: '', mask: '' }, Buffer.from('ffff', 'hex')), null);
  });
});

describe('FILE_CHECK values', () => {
  it('reads the number as strtol does, ignoring out-of-range values', () => {
    const cases: Array<[string, number | null]> = [['', 0], ['7\n', 7], [' -3 ', -3], ['12abc', 12], ['abc', 0], ['0x10', 16], ['010', 8], ['99999999999', null]];
    for (const [text, want] of cases) assert.equal(trackFileValue(text), want, JSON.stringify(text));
  });

  it('weight 0: zero passes (reverse: fails); otherwise value * weight moves the weight', () => {
    const s = { trackFile: 't', weight: 0, reverse: false, baseWeight: 10 };
    assert.deepEqual([0, 1, -1].map((v) => judgeTrackValue(s, v, 0).ok), [true, false, false]);
    assert.deepEqual([0, 1].map((v) => judgeTrackValue({ ...s, reverse: true }, v, 0).ok), [false, true]);
    const r = judgeTrackValue({ ...s, weight: 5 }, -1, 0);
    assert.deepEqual([r.ok, r.load, r.detail], [true, { kind: 'weight', weight: 5 }, 'track_file t reads -1 (weight 10 - 5)']);
    assert.deepEqual(judgeTrackValue({ ...s, weight: 5, reverse: true }, 3, 0).load, { kind: 'weight', weight: 0 });
    assert.equal(judgeTrackValue({ ...s, weight: 2147483647 }, -2, 0).ok, false);
  });

  it('init_file creates a missing file (overwrite replaces it) once; a missing file reads 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-file-check-'));
    try {
      const spec = (file: string, init: FileCheckSpec['init']): FileCheckSpec =>
        ({ kind: 'file', trackFile: 't', path: path.join(dir, file), weight: 0, reverse: false, baseWeight: 1, init });
      assert.equal((await fileCheck(spec('missing', null))).detail, 'track_file t reads 0');
      assert.equal((await fileCheck(spec('created', { value: 3, overwrite: false }))).detail, 'track_file t reads 3');
      fs.writeFileSync(path.join(dir, 'kept'), '5');
      assert.equal((await fileCheck(spec('kept', { value: 3, overwrite: false }))).detail, 'track_file t reads 5');
      fs.writeFileSync(path.join(dir, 'over'), '5');
      assert.equal((await fileCheck(spec('over', { value: 0, overwrite: true }))).ok, true);
      fs.writeFileSync(path.join(dir, 'over'), '1');
      assert.equal((await fileCheck(spec('over', { value: 0, overwrite: true }))).ok, false, 'overwritten once, not at every check');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
