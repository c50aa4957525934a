// IPVS sync protocol version 1: expected bytes written by hand from the C layout in
// net/netfilter/ipvs/ip_vs_sync.c (struct ip_vs_sync_mesg, struct ip_vs_sync_v4, the option
// TLVs), the kernel's receive checks and tolerance, director's FULLNAT option, and the
// sync_threshold / sync_period / sync_refresh_period decision and message batching.
import { strict as assert } from 'node:assert';
import { parseIpv4 } from '../../src/net/addr.js';
import { TcpState } from '../../src/ipvs/tcp-state.js';
import {
  ConnFlag, decodeMessage, encodeMessage, messageLength, OPT_DIRECTOR_FULLNAT, type SyncConn,
} from '../../src/sync/ipvs-sync-codec.js';
import {
  checkSysctls, DEFAULT_SYNC_SYSCTLS, SyncBatcher, syncDecision, type ConnSyncMemo, type ConnSyncView,
} from '../../src/sync/ipvs-sync-policy.js';

/** Hex from annotated lines: the leading hex groups of each line, the words after them are comments. */
function hex(text: string): string {
  return text.split('\n').map((line) => {
    const words = line.trim().split(/\s+/);
    const end = words.findIndex((w) => !/^[0-9a-f]+$/.test(w));
    return (end < 0 ? words : words.slice(0, end)).join('');
  }).join('');
}
const CLIENT = parseIpv4('198.18.1.10');
const VIP = parseIpv4('198.19.0.100');
const RS = parseIpv4('198.19.0.11');

const drConn: SyncConn = {
  protocol: 6, flags: ConnFlag.DROUTE | ConnFlag.NOOUTPUT, state: TcpState.ESTABLISHED, cport: 40000, vport: 80,
  dport: 80, fwmark: 0, timeoutSeconds: 900, caddr: CLIENT, vaddr: VIP, daddr: RS,
};

describe('IPVS sync v1: bytes from the C layout', () => {
  it('one DR connection', () => {
    const want = hex(`
      00 07 002c 01 01 0000            reserved, syncid 7, size 44, 1 conn, version 1, spare
      00 06 0024                        type 0 (IPv4), TCP, ver 0 | size 36
      00000083                          flags DROUTE | NOOUTPUT
      0001 9c40 0050 0050               state ESTABLISHED, cport 40000, vport 80, dport 80
      00000000 00000384                 fwmark 0, timeout 900 s
      c612010a c6130064 c613000b        caddr, vaddr, daddr`);
    assert.equal(encodeMessage({ syncId: 7, conns: [drConn] }).toString('hex'), want);
  });

  const seqConn: SyncConn = {
    ...drConn, flags: ConnFlag.MASQ | ConnFlag.IN_SEQ | ConnFlag.OUT_SEQ, dport: 8080,
    seq: { in: { initSeq: 1000, delta: 5, previousDelta: 0 }, out: { initSeq: 0xfffffff0, delta: -3 >>> 0, previousDelta: 2 } },
  };
  const template: SyncConn = {
    protocol: 6, flags: ConnFlag.TEMPLATE, state: 0, cport: 0, vport: 80, dport: 80, fwmark: 0,
    timeoutSeconds: 360, caddr: CLIENT, vaddr: VIP, daddr: RS,
  };
  const fullnat: SyncConn = { ...drConn, flags: ConnFlag.MASQ, cport: 40001, fullnat: { laddr: parseIpv4('198.19.1.1'), lport: 5000 } };
  const three = hex(`
    00 01 009a 03 01 0000               syncid 1, size 154, 3 conns
    00 06 003e 00000600                 size 62 (36 + 2 + 24), flags MASQ | IN_SEQ | OUT_SEQ
    0001 9c40 0050 1f90 00000000 00000384 c612010a c6130064 c613000b
    01 18                               option 1 (sequence data), 24 bytes
    000003e8 00000005 00000000          in: init_seq 1000, delta 5, previous_delta 0
    fffffff0 fffffffd 00000002          out: init_seq, delta -3, previous_delta 2
    0000                                padding to 4 bytes (62 -> 64)
    00 06 0024 00001000                 persistence template: flags TEMPLATE
    0000 0000 0050 0050 00000000 00000168 c612010a c6130064 c613000b
    00 06 002e 00000000                 FULLNAT conn sent as NAT: size 46 (36 + 2 + 8)
    0001 9c41 0050 0050 00000000 00000384 c612010a c6130064 c613000b
    61 08 6472 c6130101 1388            director option 0x40|0x21: "dr", laddr, lport 5000`);

  it('three entries: sequence option, alignment padding, template, FULLNAT option', () => {
    assert.equal(messageLength([seqConn, template, fullnat]), 154);
    assert.equal(encodeMessage({ syncId: 1, conns: [seqConn, template, fullnat] }).toString('hex'), three);
  });

  it('decodes them back, field for field', () => {
    assert.deepEqual(decodeMessage(Buffer.from(three, 'hex')), { syncId: 1, conns: [seqConn, template, fullnat], skipped: [], error: null, end: three.length / 2 });
  });

  it('persistence engine data and name (ipvsadm --pe sip)', () => {
    const sip: SyncConn = { ...template, protocol: 17, pe: { name: 'sip', data: Uint8Array.from(Buffer.from('call-42@host')) } };
    const bytes = encodeMessage({ syncId: 2, conns: [sip] });
    assert.equal(bytes.subarray(8 + 36).toString('hex'), hex(`02 0c ${Buffer.from('call-42@host').toString('hex')} 03 03 736970`));
    assert.equal(bytes.readUInt16BE(8 + 2), 36 + 14 + 5);
    assert.deepEqual(decodeMessage(bytes).conns, [sip]);
  });

  it('the FULLNAT option is one a kernel receiver skips: optional bit set, not a known parameter', () => {
    assert.equal(OPT_DIRECTOR_FULLNAT & 0x40, 0x40);
    assert.ok(![1, 2, 3].includes(OPT_DIRECTOR_FULLNAT & ~0x40));
  });

  it('refuses what does not fit the wire', () => {
    assert.throws(() => encodeMessage({ syncId: 0, conns: [{ ...drConn, flags: ConnFlag.IN_SEQ }] }), /seq data/);
    assert.throws(() => encodeMessage({ syncId: 0, conns: Array.from({ length: 256 }, () => drConn) }), /at most 255/);
  });
});

describe('IPVS sync v1: receiving as the kernel does', () => {
  const one = (): Buffer => encodeMessage({ syncId: 7, conns: [drConn] });
  const withOption = (type: number, data: string): Buffer => {
    const opt = Buffer.from(hex(data), 'hex');
    const b = Buffer.concat([one(), Buffer.from([type, opt.length]), opt]);
    b.writeUInt16BE(b.length, 2);
    b.writeUInt16BE(36 + 2 + opt.length, 10);
    return b;
  };
  const table: Array<[string, () => Buffer, Partial<ReturnType<typeof decodeMessage>>]> = [
    ['header too short', () => Buffer.from('0007', 'hex'), { error: 'short', conns: [] }],
    ['size field differs from the datagram', () => { const b = one(); b.writeUInt16BE(40, 2); return b; }, { error: 'size' }],
    ['version 0 message (first byte = count)', () => { const b = one(); b[0] = 1; return b; }, { error: 'not-v1' }],
    ['spare not zero', () => { const b = one(); b[7] = 1; return b; }, { error: 'not-v1' }],
    ['entry size beyond the message', () => { const b = one(); b.writeUInt16BE(40, 10); return b; }, { error: 'entry-overrun' }],
    ['entry version 1', () => { const b = one(); b.writeUInt16BE(0x1024, 10); return b; }, { error: 'entry-version' }],
    ['entry type 2', () => { const b = one(); b[8] = 2; return b; }, { error: 'entry-type' }],
    ['zero-length option', () => withOption(9, ''), { error: 'bad-option' }],
    ['sequence option of 12 bytes', () => withOption(1, '00'.repeat(12)), { error: 'bad-option' }],
    ['unknown optional parameter: skipped, entry kept', () => withOption(0x49, 'aabb'), { error: null, skipped: [], conns: [drConn] }],
    ['another implementation\'s 0x61 parameter: skipped', () => withOption(0x61, '0102030405060708'), { error: null, conns: [drConn] }],
    ['unknown mandatory parameter: entry skipped', () => withOption(9, 'aabb'), { error: null, skipped: ['mandatory-option'], conns: [] }],
    ['pe data without a pe name: entry skipped', () => withOption(2, 'aabb'), { error: null, skipped: ['pe-incomplete'], conns: [] }],
    ['protocol GRE connection: skipped', () => { const b = one(); b[9] = 47; return b; }, { skipped: ['protocol'], conns: [] }],
    ['TCP state 11: skipped', () => { const b = one(); b.writeUInt16BE(11, 16); return b; }, { skipped: ['state'], conns: [] }],
  ];
  for (const [title, make, want] of table) {
    it(title, () => {
      const got = decodeMessage(make());
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, k);
    });
  }

  it('an IPv6 entry is skipped and the IPv4 one after it applies', () => {
    const v4 = encodeMessage({ syncId: 7, conns: [drConn] }).subarray(8);
    const v6 = Buffer.alloc(72);
    v6[0] = 1;
    v6[1] = 6;
    v6.writeUInt16BE(72, 2);
    const b = Buffer.concat([Buffer.from('0007000002010000', 'hex'), v6, v4]);
    b.writeUInt16BE(b.length, 2);
    assert.deepEqual(decodeMessage(b), { syncId: 7, conns: [drConn], skipped: ['ipv6'], error: null, end: b.length });
  });

  it('entries before a broken one are kept (the kernel has applied them)', () => {
    const b = encodeMessage({ syncId: 7, conns: [drConn, drConn] });
    b.writeUInt16BE(0x1024, 8 + 36 + 2);
    assert.deepEqual(decodeMessage(b), { syncId: 7, conns: [drConn], skipped: [], error: 'entry-version', end: 0 });
  });
});

describe('IPVS sync: which packets send a connection (ip_vs_sync_conn_needed)', () => {
  const tcp = (state: number, flags = 0): ConnSyncView => ({ protocol: 6, flags, state, timeoutMs: 900_000, inPersistence: false });
  const fresh: ConnSyncMemo = { oldState: 0, syncEndTime: 0, retries: 0 };

  /** Runs packets 1..n through the decision and returns the packet numbers that synced. */
  function run(view: (pkt: number) => ConnSyncView, n: number, sys = DEFAULT_SYNC_SYSCTLS, msPerPacket = 0): number[] {
    let memo = fresh;
    const sent: number[] = [];
    for (let pkt = 1; pkt <= n; pkt++) {
      const next = syncDecision(sys, view(pkt), memo, pkt, pkt * msPerPacket);
      if (next) {
        memo = next;
        sent.push(pkt);
      }
    }
    return sent;
  }

  it('defaults (threshold 3, period 50): the 3rd packet, then every 50th', () => {
    assert.deepEqual(run(() => tcp(TcpState.ESTABLISHED), 160), [3, 53, 103, 153]);
  });

  it('a move to a closing state goes out at once; SYN states never', () => {
    const view = (pkt: number): ConnSyncView => tcp(pkt < 10 ? TcpState.ESTABLISHED : pkt < 20 ? TcpState.FIN_WAIT : TcpState.TIME_WAIT);
    assert.deepEqual(run(view, 60), [3, 10, 20, 53]);
    assert.deepEqual(run(() => tcp(TcpState.SYN_RECV), 60), []);
  });

  it('UDP follows the counts; templates go out every time they are asked', () => {
    assert.deepEqual(run(() => ({ ...tcp(0), protocol: 17 }), 60), [3, 53]);
    assert.deepEqual(run(() => tcp(0, ConnFlag.TEMPLATE), 4), [1, 2, 3, 4]);
  });

  it('sync_period 0: only once, at the threshold', () => {
    assert.deepEqual(run(() => tcp(TcpState.ESTABLISHED), 200, { ...DEFAULT_SYNC_SYSCTLS, period: 0 }), [3]);
  });

  it('sync_refresh_period 10 s (period 0): first packet, then once the end time moved 10 s', () => {
    const sys = { ...DEFAULT_SYNC_SYSCTLS, period: 0, refreshPeriodMs: 10_000 };
    assert.deepEqual(run(() => tcp(TcpState.ESTABLISHED), 25, sys, 1000), [1, 11, 21]);
  });

  it('sync_retries resend within the refresh period, an eighth of it apart', () => {
    // Each resend moves the end time too (the kernel stores now + timeout with the retry count),
    // so after two retries at 3 s and 5 s the next send waits until 16 s after the last one.
    const sys = { ...DEFAULT_SYNC_SYSCTLS, period: 0, refreshPeriodMs: 16_000, retries: 2 };
    assert.deepEqual(run(() => tcp(TcpState.ESTABLISHED), 30, sys, 1000), [1, 3, 5, 21, 23, 25]);
  });

  it('one-packet connections never; persist mode skips connections under a template', () => {
    assert.deepEqual(run(() => tcp(TcpState.ESTABLISHED, ConnFlag.ONE_PACKET), 60), []);
    assert.deepEqual(run(() => ({ ...tcp(TcpState.ESTABLISHED), inPersistence: true }), 60, { ...DEFAULT_SYNC_SYSCTLS, persistMode: true }), []);
  });

  it('the kernel sysctl limits', () => {
    assert.throws(() => checkSysctls({ ...DEFAULT_SYNC_SYSCTLS, threshold: 50 }), /below sync_period 50/);
    assert.throws(() => checkSysctls({ ...DEFAULT_SYNC_SYSCTLS, retries: 4 }), /0\.\.3/);
    checkSysctls({ ...DEFAULT_SYNC_SYSCTLS, period: 0, threshold: 100 });
  });
});

describe('IPVS sync: batching entries into messages', () => {
  it('an entry that does not fit sends the message first', () => {
    const batcher = new SyncBatcher(7, 100);
    assert.equal(batcher.add(drConn, 0), null);
    assert.equal(batcher.add(drConn, 10), null);
    const sent = batcher.add(drConn, 20);
    assert.ok(sent);
    assert.deepEqual(decodeMessage(sent).conns.length, 2);
    assert.equal(sent.length, 8 + 36 + 36);
    assert.equal(batcher.nextDue(), 2020);
  });

  it('a message leaves 2 s after its first entry at the latest', () => {
    const batcher = new SyncBatcher(7, 1472);
    batcher.add(drConn, 1000);
    assert.equal(batcher.flushDue(2999), null);
    assert.deepEqual(decodeMessage(batcher.flushDue(3000)!).conns, [drConn]);
    assert.equal(batcher.nextDue(), null);
  });

  it('at most 255 connections per message', () => {
    const batcher = new SyncBatcher(7, 65_000);
    let sent: Buffer | null = null;
    for (let i = 0; i < 256; i++) sent = batcher.add(drConn, 0) ?? sent;
    assert.equal(sent![4], 255);
    assert.throws(() => new SyncBatcher(7, 40), /below one entry/);
  });
});
