// Service classification through the real data path (memory port): virtual_server_group members
// (ranges included) with persistence spanning the group, fwmark services fed by fwmark_match
// (mark first, as ip_vs_service_find), a catch-all VIP:0 service, and one-packet scheduling.
import assert from 'node:assert/strict';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { DestFlags } from '../../src/sched/types.js';
import { CLIENT, DIRECTOR_MAC, memoryLabFor, ROUTER_MAC, RS, RS_MAC, type MemoryLab } from '../support/memory-plane.js';
import { withReloadLab, sendFrames } from '../support/memory-reload.js';
import { arpRequest, decodeFrame, tcpFrame, TCP_FLAGS, udpFrame } from '../support/packets.js';

const REALS = (port = '') => RS.map((a) => `  real_server ${a} ${port} {\n  }`).join('\n');

async function labOf(text: string): Promise<MemoryLab> {
  const lab = await memoryLabFor(parseKeepalivedConfig(text, 'lab.conf'));
  await lab.settle();
  return lab;
}

function syn(src: string, dst: string, cport: number, dport: number): Buffer {
  return tcpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src, dst }, tcp: { srcPort: cport, dstPort: dport, flags: TCP_FLAGS.SYN, seq: 1 } });
}

function datagram(src: string, dst: string, cport: number, dport: number): Buffer {
  return udpFrame({ eth: { src: ROUTER_MAC, dst: DIRECTOR_MAC }, ip: { src, dst }, udp: { srcPort: cport, dstPort: dport, payload: Buffer.from('q') } });
}

/** Real server index a DR frame went to (by destination MAC), -1 for anything else. */
function server(frame: Buffer): number {
  return RS_MAC.indexOf(decodeFrame(frame).dstMac);
}

const GROUP_DR = `virtual_server_group WEB {
  198.19.0.100 80
  198.19.0.100 443
  198.19.0.101-103 8080
}
virtual_server group WEB {
  protocol TCP
  lb_algo rr
  lb_kind DR
  persistence_timeout 300
${REALS()}
}`;

describe('data path: virtual_server_group, fwmark, catch-all and ops', () => {
  it('a persistent group keeps each client on one real server across its ports 80 and 443', async () => {
    const lab = await labOf(GROUP_DR);
    try {
      const clients = ['198.18.1.10', '198.18.1.11', '198.18.1.12', '198.18.1.13', '198.18.1.14', '198.18.1.15'];
      const seen: number[][] = clients.map(() => []);
      clients.forEach((c, i) => lab.inject(syn(c, '198.19.0.100', 40000 + i, 80)));
      clients.forEach((c, i) => lab.inject(syn(c, '198.19.0.100', 41000 + i, 443)));
      clients.forEach((c, i) => lab.inject(syn(c, '198.19.0.102', 42000 + i, 8080)));
      const frames = await lab.settle();
      assert.equal(frames.length, clients.length * 3);
      frames.forEach((f, k) => seen[k % clients.length]!.push(server(f)));
      for (const s of seen) assert.equal(new Set(s).size, 1, `one client, one server across the group: ${s.join(',')}`);
      assert.equal(new Set(seen.map((s) => s[0])).size, 3, 'rr spread the clients over the three servers');
      // The port is kept (DR): 443 arrives on 443.
      assert.equal(decodeFrame(frames[clients.length]!).ip!.ports!.dst, 443);
      // Each member counts its own connections, as keepalived's one IPVS service per member.
      const services = lab.stats().services;
      assert.equal(services.length, 5);
      assert.deepEqual(services.map((s) => s.realServers.reduce((n, r) => n + r.conns, 0)), [6, 6, 0, 6, 0]);
      // One template per client for the whole group (persistConns counts templates per member's copy).
      assert.equal(lab.plane.factory.templates.count, clients.length);
    } finally {
      lab.plane.close();
    }
  });

  it('range members are owned addresses: the director answers ARP for each', async () => {
    const lab = await labOf(GROUP_DR);
    try {
      for (const ip of ['198.19.0.101', '198.19.0.103', '198.19.0.104']) {
        lab.inject(arpRequest({ senderMac: ROUTER_MAC, senderIp: '198.19.0.1', targetIp: ip }));
      }
      const replies = lab.drain().map((f) => decodeFrame(f).arp).filter((a) => a?.op === 2).map((a) => a!.senderIp);
      assert.deepEqual(replies, ['198.19.0.101', '198.19.0.103']);
    } finally {
      lab.plane.close();
    }
  });

  it('a fwmark service takes what its fwmark_match marks, before an exact VIP:port service', async () => {
    const lab = await labOf(`fwmark_match 5 {
  tcp 198.19.0.110 8000-8002
  tcp 198.19.0.100 80
}
virtual_server fwmark 5 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
${REALS()}
}
virtual_server 198.19.0.100 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server ${RS[0]} 9999 {
  }
}
virtual_server 198.19.0.100 81 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server ${RS[0]} 9999 {
  }
}`);
    try {
      lab.inject(syn(CLIENT, '198.19.0.110', 40000, 8000), syn(CLIENT, '198.19.0.110', 40001, 8002), syn(CLIENT, '198.19.0.100', 40002, 80));
      lab.inject(syn(CLIENT, '198.19.0.100', 40003, 81), syn(CLIENT, '198.19.0.110', 40004, 8003));
      const frames = (await lab.settle()).map((f) => decodeFrame(f).ip!);
      // NAT to a real server without a port keeps the packet's port; the mark wins over VIP:80.
      assert.deepEqual(frames.map((ip) => `${ip.dst}:${ip.ports!.dst}`), [`${RS[0]}:8000`, `${RS[1]}:8002`, `${RS[2]}:80`, `${RS[0]}:9999`]);
      const stats = lab.stats();
      assert.equal(stats.drops.no_service, 1, '198.19.0.110:8003 is owned but matched by nothing');
      const fwm = stats.services[0]!; // config order: the mark service first
      assert.equal(fwm.realServers.reduce((n, r) => n + r.conns, 0), 3);
    } finally {
      lab.plane.close();
    }
  });

  it('a persistent catch-all VIP:0 service takes every port no exact service has (IPVS port zero)', async () => {
    const lab = await labOf(`virtual_server 198.19.0.100 0 {
  protocol TCP
  lb_algo rr
  lb_kind DR
  persistence_timeout 60
${REALS()}
}`);
    try {
      lab.inject(syn(CLIENT, '198.19.0.100', 40000, 22), syn(CLIENT, '198.19.0.100', 40001, 5000), syn('198.18.1.99', '198.19.0.100', 40002, 22));
      const to = (await lab.settle()).map(server);
      assert.equal(to.length, 3);
      assert.equal(to[0], to[1], 'one template for the client whatever the port (vport 0)');
      assert.notEqual(to[2], to[0]);
    } finally {
      lab.plane.close();
    }
  });

  it("a reload that adds a member keeps the group's templates: a client goes on to its server on the new member", async () => {
    await withReloadLab(GROUP_DR, async (lab) => {
      const first = (await sendFrames(lab, syn('198.18.1.20', '198.19.0.100', 40000, 80))).map(server);
      const other = (await sendFrames(lab, syn('198.18.1.21', '198.19.0.100', 40001, 80))).map(server);
      assert.notDeepEqual(first, other);
      const r = await lab.reload(GROUP_DR.replace('198.19.0.100 443', '198.19.0.100 443\n  198.19.0.100 8443'));
      assert.ok(r.ok, JSON.stringify(r));
      assert.ok(r.changes.some((c) => JSON.stringify(c).includes('TCP 198.19.0.100:8443')), JSON.stringify(r.changes));
      // In the other order: a fresh rr on the new member alone would give .21 the first server.
      const after = (await sendFrames(lab, syn('198.18.1.21', '198.19.0.100', 40003, 8443), syn('198.18.1.20', '198.19.0.100', 40002, 8443))).map(server);
      assert.deepEqual(after, [...other, ...first]);
    });
  });

  it("a group's real server is checked once for all members, and its result applies to every member", async () => {
    const checked = GROUP_DR.replace(/real_server (\S+)  \{\n  \}/g, 'real_server $1 80 {\n    TCP_CHECK {\n      delay_loop 1\n      retry 0\n    }\n  }');
    await withReloadLab(checked, async (lab) => {
      assert.equal(lab.health.checkCount, 3, 'one TCP_CHECK per real server, not one per member (5 members)');
      lab.executor.answers.set(`tcp ${RS[0]}:80`, { ok: false, detail: 'refused', latencyMs: 1 });
      await lab.advance(3000);
      const rs0 = lab.mem.table.services.map((svc) => svc.sched.dests[0]!);
      assert.equal(rs0.length, 5);
      for (const d of rs0) assert.equal(d.flags & DestFlags.AVAILABLE, 0, `${RS[0]} down in every member`);
      const runs = lab.executor.runs.filter((r) => r.key === `tcp ${RS[0]}:80`).length;
      assert.ok(runs >= 2 && runs <= 5, `checked about once a second, not five times (${runs} runs in 3 s)`);
    });
  });

  for (const ops of [true, false]) {
    it(ops ? 'ops: each datagram of one flow is scheduled alone and leaves no connection' : 'without ops the same datagrams stay on one connection', async () => {
      const lab = await labOf(`virtual_server 198.19.0.100 53 {
  protocol UDP
  lb_algo rr
  lb_kind DR
  ${ops ? 'ops' : ''}
${REALS()}
}`);
      try {
        for (let k = 0; k < 6; k++) lab.inject(datagram(CLIENT, '198.19.0.100', 45000, 53));
        const to = (await lab.settle()).map(server);
        assert.equal(to.length, 6);
        if (ops) {
          assert.deepEqual(to, [0, 1, 2, 0, 1, 2]);
          assert.equal(lab.plane.conns.size, 0);
          const rs = lab.stats().services[0]!.realServers;
          assert.deepEqual(rs.map((r) => [r.conns, r.activeConns, r.inactConns]), [[2, 0, 0], [2, 0, 0], [2, 0, 0]]);
        } else {
          assert.equal(new Set(to).size, 1);
          assert.equal(lab.plane.conns.size, 1);
        }
      } finally {
        lab.plane.close();
      }
    });
  }
});
