// keepalived.conf checker blocks beyond TCP/HTTP/MISC: SSL_GET, DNS_CHECK, UDP_CHECK, PING_CHECK,
// SMTP_CHECK, FILE_CHECK with track_file; virtualhost inheritance, regex, http_protocol, bind
// options; and the rule that a checker director cannot run refuses the config (file:line) unless
// --allow-unchecked drops it with a loud warning.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import type { HealthCheckConfig, RealServerConfig } from '../../src/config/model.js';
import { ConfigError } from '../../src/config/model.js';

/** One virtual server around `body` (real servers and whatever else), file name f.conf. */
function vs(body: string, allowUnchecked = false, after = ''): ReturnType<typeof parseKeepalivedConfig> {
  return parseKeepalivedConfig(`virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind NAT
 delay_loop 5
${body}
}
${after}`, 'f.conf', { allowUnchecked });
}

function checks(rs: RealServerConfig | undefined): HealthCheckConfig[] {
  assert.ok(rs?.checks, 'the real server has checks');
  return rs.checks;
}

describe('keepalived.conf: every keepalived checker', () => {
  it('SSL_GET: urls, SNI, http_protocol, virtualhost from the virtual server, 3 s retry', () => {
    const c = vs(` virtualhost www.example.test
 real_server 198.19.0.11 443 {
  SSL_GET {
   url {
    path /healthz
    status_code 200-204
   }
   url {
    path /ready
    virtualhost ready.example.test
    regex "^OK [0-9]+"
    regex_options caseless multiline
    regex_min_offset 0
    regex_max_offset 10
   }
   enable_sni
   http_protocol 1.1
   fast_recovery
   tls_compliant
  }
 }`);
    assert.deepEqual(c.warnings.map((w) => w.message), []);
    const [ssl] = checks(c.virtualServers[0]!.realServers[0]);
    assert.deepEqual(ssl, {
      kind: 'ssl', line: 8, connectIp: '198.19.0.11', connectPort: 443, connectTimeout: 5,
      timing: { delayLoop: 5, retry: 1, delayBeforeRetry: 3, warmup: 5, rise: 1 },
      urls: [
        { path: '/healthz', statusCodes: [[200, 204]], digest: null },
        { path: '/ready', statusCodes: [[200, 299]], digest: null, virtualhost: 'ready.example.test',
          regex: { pattern: '^OK [0-9]+', flags: 'im', noMatch: false, minOffset: 0, maxOffset: 10 } },
      ],
      virtualhost: 'www.example.test', protocol: '1.1', sni: true, sniName: null,
    });
  });

  it('virtualhost: the checker wins over the real server, which wins over the virtual server', () => {
    const c = vs(` virtualhost vs.test
 real_server 198.19.0.11 80 {
  virtualhost rs.test
  HTTP_GET {
   url {
    path /
   }
  }
  HTTP_GET {
   virtualhost check.test
   url {
    path /
   }
  }
 }
 real_server 198.19.0.12 80 {
  HTTP_GET {
   url {
    path /
   }
  }
 }`);
    const hosts = c.virtualServers[0]!.realServers.flatMap((rs) => checks(rs).map((k) => (k as { virtualhost: string }).virtualhost));
    assert.deepEqual(hosts, ['rs.test', 'check.test', 'vs.test']);
  });

  it('DNS_CHECK: type and name (defaults SOA and .), retry 3 and delay_before_retry = delay_loop', () => {
    const c = vs(` real_server 198.19.0.11 53 {
  DNS_CHECK {
   type aaaa
   name www.example.test
  }
  DNS_CHECK {
   connect_port 5353
  }
 }`);
    const [a, b] = checks(c.virtualServers[0]!.realServers[0]);
    assert.deepEqual(a, { kind: 'dns', line: 7, connectIp: '198.19.0.11', connectPort: 53, connectTimeout: 5,
      timing: { delayLoop: 5, retry: 3, delayBeforeRetry: 5, warmup: 5, rise: 1 }, type: 'AAAA', name: 'www.example.test' });
    assert.deepEqual([b?.kind, (b as { type: string }).type, (b as { name: string }).name, (b as { connectPort: number }).connectPort],
      ['dns', 'SOA', '.', 5353]);
  });

  it('UDP_CHECK: hex payload and require_reply with x wildcards, keepalived\'s free-form hex', () => {
    const c = vs(` real_server 198.19.0.11 9000 {
  UDP_CHECK {
   payload Ab12f 3 456
   require_reply 0aXx 1
   min_reply_length 2
   max_reply_length 64
  }
  UDP_CHECK {
  }
 }`);
    const [u, plain] = checks(c.virtualServers[0]!.realServers[0]);
    assert.deepEqual([(u as { payload: string }).payload, (u as { reply: unknown }).reply],
      ['ab120f034506', { data: '0a0001', mask: '00ff00', minLength: 2, maxLength: 64 }]);
    assert.deepEqual([(plain as { payload: unknown }).payload, (plain as { reply: unknown }).reply], [null, null]);
  });

  it('PING_CHECK and SMTP_CHECK: source address, interface, helo_name (default keepalived\'s)', () => {
    const c = vs(` real_server 198.19.0.11 25 {
  PING_CHECK {
   bindto 198.19.0.2
   bind_if veth0
   connect_timeout 2
  }
  SMTP_CHECK {
   helo_name director.example.test
   bind_port 2525
  }
  SMTP_CHECK {
  }
 }`);
    const [ping, smtp, dflt] = checks(c.virtualServers[0]!.realServers[0]);
    assert.deepEqual(ping, { kind: 'ping', line: 7, connectIp: '198.19.0.11', connectTimeout: 2,
      timing: { delayLoop: 5, retry: 1, delayBeforeRetry: 1, warmup: 5, rise: 1 },
      source: { address: '198.19.0.2', port: 0, device: 'veth0' } });
    assert.deepEqual([(smtp as { heloName: string }).heloName, (smtp as { source: unknown }).source],
      ['director.example.test', { address: null, port: 2525, device: null }]);
    assert.equal((dflt as { heloName: string }).heloName, 'smtpchecker.keepalived.org');
  });

  it('refuses an IPv4 bindto toward an IPv6 real server, with the reason; PING_CHECK and HTTP_GET of one are read', () => {
    const v6 = (check: string) => () => parseKeepalivedConfig(`virtual_server 2001:db8::100 80 {
 protocol TCP
 lb_kind NAT
 real_server 2001:db8::11 80 {
  ${check}
 }
}`, 'f.conf');
    assert.equal(checks(v6('PING_CHECK { }')().virtualServers[0]!.realServers[0])[0]!.kind, 'ping');
    assert.throws(v6('TCP_CHECK { bindto 198.19.0.2 }'), (e: unknown) => e instanceof ConfigError && /IPv4 only, and 2001:db8::11 is IPv6/.test(e.message));
    assert.equal(checks(parseKeepalivedConfig(`virtual_server 2001:db8::100 80 {
 protocol TCP
 lb_kind NAT
 real_server 2001:db8::11 80 {
  HTTP_GET { url { path / } }
 }
}`, 'f.conf').virtualServers[0]!.realServers[0])[0]!.kind, 'http');
  });

  it("SMTP_CHECK host blocks (deprecated, as keepalived runs them): a checker per host, the block's own options one more", () => {
    const hosts = ' host {\n  connect_ip 198.19.0.21\n }\n host {\n  connect_ip 198.19.0.22\n  connect_port 2525\n  connect_timeout 9\n }';
    const c = vs(` real_server 198.19.0.11 25 {
  SMTP_CHECK {
   helo_name director.example.test
${hosts}
  }
 }
 real_server 198.19.0.12 25 {
  SMTP_CHECK {
   connect_ip 198.19.0.20
${hosts}
  }
 }`);
    const target = (k: unknown) => {
      const t = k as { kind: string; connectIp: string; connectPort: number; connectTimeout: number; heloName: string };
      return [t.kind, t.connectIp, t.connectPort, t.connectTimeout, t.heloName];
    };
    assert.deepEqual(checks(c.virtualServers[0]!.realServers[0]).map(target), [
      ['smtp', '198.19.0.21', 25, 5, 'director.example.test'], ['smtp', '198.19.0.22', 2525, 9, 'director.example.test']]);
    assert.deepEqual(checks(c.virtualServers[0]!.realServers[1]).map((k) => target(k)[1]), ['198.19.0.20', '198.19.0.21', '198.19.0.22']);
    assert.ok(c.warnings.some((w) => /f\.conf:9: The SMTP_CHECK host block is deprecated/.test(w.message)), c.warnings.map((w) => w.message).join('\n'));
  });

  it('FILE_CHECK: a track_file defined anywhere (even after); the checker\'s weight wins; polled every second', () => {
    const c = vs(` real_server 198.19.0.11 80 {
  weight 20
  FILE_CHECK {
   track_file maint
  }
  FILE_CHECK {
   track_file maint
   weight 0 reverse
  }
 }`, false, `track_file maint {
 file "/run/director/maint"
 weight -5
 init_file 0 overwrite
}
`);
    assert.deepEqual(c.warnings.map((w) => w.message), []);
    const timing = { delayLoop: 1, retry: 0, delayBeforeRetry: 1, warmup: 0, rise: 1 };
    const common = { kind: 'file', trackFile: 'maint', path: '/run/director/maint', baseWeight: 20, init: { value: 0, overwrite: true }, timing };
    assert.deepEqual(checks(c.virtualServers[0]!.realServers[0]), [
      { ...common, line: 8, weight: -5, reverse: false },
      { ...common, line: 11, weight: 0, reverse: true },
    ]);
  });

  it('BFD_CHECK: the session parameters of its bfd_instance (keepalived defaults), alpha', () => {
    const c = vs(` real_server 198.19.0.11 80 {
  BFD_CHECK {
   name peer
   alpha
  }
 }
 real_server 198.19.0.12 80 {
  BFD_CHECK {
   name dflt
  }
 }`, false, `bfd_instance peer {
 neighbour_ip 198.19.0.11
 source_ip 198.19.0.2
 min_rx 100
 min_tx 50.5
 idle_tx 2000
 multiplier 3
 passive
 weight 10
}
bfd_instance dflt {
 neighbor_ip 198.19.0.12
}
`);
    assert.deepEqual(c.warnings, []);
    const [a, b] = c.virtualServers[0]!.realServers;
    const timing = { delayLoop: 0.2, retry: 0, delayBeforeRetry: 0.2, warmup: 0, rise: 1 };
    assert.deepEqual(checks(a), [{ kind: 'bfd', line: 7, timing, name: 'peer', neighbor: '198.19.0.11', sourceIp: '198.19.0.2',
      minRxMs: 100, minTxMs: 50.5, idleTxMs: 2000, multiplier: 3, passive: true, ttl: 255 }]);
    assert.equal(a!.alpha, true);
    assert.deepEqual(checks(b), [{ kind: 'bfd', line: 13, timing, name: 'dflt', neighbor: '198.19.0.12', sourceIp: null,
      minRxMs: 10, minTxMs: 10, idleTxMs: 1000, multiplier: 5, passive: false, ttl: 255 }]);
  });

  const errors: Array<[string, string, RegExp]> = [
    ['BFD_CHECK naming no bfd_instance', 'BFD_CHECK {\n name nope\n}', /f.conf:7: BFD_CHECK: no bfd_instance 'nope' \(defined: none\)/],
    ['BFD_CHECK without name', 'BFD_CHECK {\n}', /f.conf:7: BFD_CHECK: needs name NAME/],
    ['FILE_CHECK naming no track_file', 'FILE_CHECK {\n track_file nope\n}', /f.conf:8: track_file: no track_file 'nope' \(defined: none\)/],
    ['FILE_CHECK without track_file', 'FILE_CHECK {\n}', /f.conf:7: FILE_CHECK: needs track_file NAME/],
    ['unknown DNS type', 'DNS_CHECK {\n type PTRX\n}', /f.conf:8: type: 'PTRX' is not one of A, NS, CNAME, SOA/],
    ['empty DNS label', 'DNS_CHECK {\n name www..test\n}', /f.conf:8: name: 'www..test' is not a domain name/],
    ['bad hex payload', 'UDP_CHECK {\n payload 0g\n}', /f.conf:8: payload: '0g' is not a hex string/],
    ['bad http_protocol', 'HTTP_GET {\n http_protocol 2\n url {\n path /\n }\n}', /f.conf:8: http_protocol: '2' is not one of 1.0, 1.0C, 1.1/],
    ['bad bind_if', 'TCP_CHECK {\n bind_if a/b\n}', /f.conf:8: bind_if: 'a\/b' is not an interface name/],
  ];
  for (const [title, block, re] of errors) {
    it(`error: ${title}`, () => {
      assert.throws(() => vs(` real_server 198.19.0.11 80 {\n${block}\n }`), (e: Error) => re.test(e.message));
    });
  }
});

describe('keepalived.conf: a real server is never silently unchecked', () => {
  const refused: Array<[string, string, string]> = [
    ['a multihop bfd_instance', 'BFD_CHECK {\n name far\n}', "f.conf:12: bfd_instance: bfd_instance 'far' is multihop"],
    ['a checker fwmark', 'TCP_CHECK {\n fwmark 7\n}', 'f.conf:8: fwmark: checker fwmark (SO_MARK on check packets) is not supported'],
    ['a regex option JavaScript lacks', 'HTTP_GET {\n url {\n path /\n regex a\n regex_options ungreedy\n }\n}',
      'f.conf:10: regex: regex_options ungreedy has no JavaScript equivalent'],
    ['a PCRE-only pattern', 'HTTP_GET {\n url {\n path /\n regex "a++"\n }\n}', "f.conf:10: regex: regex 'a++' is not a JavaScript regular expression"],
  ];
  for (const [title, block, prefix] of refused) {
    it(`refuses ${title} with file:line, naming --allow-unchecked`, () => {
      const far = 'bfd_instance far {\n neighbor_ip 198.19.0.11\n max_hops 2\n}';
      assert.throws(() => vs(` real_server 198.19.0.11 80 {\n${block}\n }`, false, far), (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.ok(e.message.startsWith(prefix), e.message);
        assert.match(e.message, /refusing to leave real server 198\.19\.0\.11:80 unchecked \(--allow-unchecked runs it without this [A-Z_]+\)$/);
        return true;
      });
    });
  }

  it('--allow-unchecked: drops the checker with an UNCHECKED warning, says ALWAYS UP when none is left', () => {
    const c = vs(` real_server 198.19.0.11 80 {
  TCP_CHECK {
   fwmark 7
  }
 }
 real_server 198.19.0.12 80 {
  TCP_CHECK {
   fwmark 7
  }
  TCP_CHECK {
  }
 }`, true);
    const [a, b] = c.virtualServers[0]!.realServers;
    assert.deepEqual([a?.checks, a?.unchecked?.length], [undefined, 1]);
    assert.deepEqual([b?.checks?.map((k) => k.kind), b?.unchecked?.length], [['tcp'], 1]);
    assert.deepEqual(c.warnings.map((w) => w.message), [
      'f.conf:8: UNCHECKED: real server 198.19.0.11:80 runs without this TCP_CHECK, so it is ALWAYS UP (--allow-unchecked): checker fwmark (SO_MARK on check packets) is not supported',
      'f.conf:13: UNCHECKED: real server 198.19.0.12:80 runs without this TCP_CHECK (--allow-unchecked): checker fwmark (SO_MARK on check packets) is not supported',
    ]);
  });
});

describe('docs/health-checks.md examples', () => {
  const text = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'health-checks.md'), 'utf8');
  const blocks = [...text.matchAll(/```\n([\s\S]*?)\n```/g)].map((m) => m[1]!);

  it('the SSL_GET real server, the FILE_CHECK and the BFD_CHECK configs load without warnings', () => {
    const rs = blocks.find((b) => b.startsWith('real_server') && b.includes('SSL_GET'));
    assert.ok(rs !== undefined);
    const c = vs(rs);
    assert.deepEqual([c.warnings, checks(c.virtualServers[0]!.realServers[0]).map((k) => k.kind)], [[], ['ssl']]);
    for (const [head, kind] of [['track_file', 'file'], ['bfd_instance', 'bfd']]) {
      const block = blocks.find((b) => b.startsWith(head!));
      assert.ok(block !== undefined, head);
      const f = parseKeepalivedConfig(block, 'doc.conf');
      assert.deepEqual([f.warnings, checks(f.virtualServers[0]!.realServers[0]).map((k) => k.kind)], [[], [kind]]);
    }
  });

  it('the refusal it shows is the one director prints', () => {
    const shown = blocks.find((b) => b.startsWith('error: keepalived.conf:42: fwmark'));
    assert.throws(() => parseKeepalivedConfig(`${'\n'.repeat(35)}virtual_server 198.19.0.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind NAT
 real_server 198.19.0.11 80 {
  TCP_CHECK {
   fwmark 7
  }
 }
}`, 'keepalived.conf'), (e: Error) => `error: ${e.message}` === shown);
  });
});
