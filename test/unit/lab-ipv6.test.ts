// The dual-stack lab's pieces that need no namespace: the generated keepalived.conf (IPv6
// services beside unchanged IPv4 ones) and the lab tools' target parsing.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseKeepalivedConfig } from '../../src/config/load.js';
import { labKeepalivedConf } from '../../src/lab/keepalived.js';
import type { LabHandle, LabHost } from '../../src/lab/topology.js';

type ParseTarget = (text: string, port: number) => { host: string; port: number; family: number } | null;
const { parseTarget } = createRequire(__filename)(path.join(__dirname, '..', '..', 'tools', 'lab', 'pattern.js')) as { parseTarget: ParseTarget };

function host(name: string, address: string, address6?: string): LabHost {
  return { name, ns: `x-${name}`, ifname: 'lan0', address, ...(address6 === undefined ? {} : { address6 }), mac: '02:00:00:00:00:01' };
}

function lab(mode: LabHandle['mode'], ipv6: boolean): LabHandle {
  const h = (name: string, a: string, a6: string): LabHost => host(name, a, ipv6 ? a6 : undefined);
  return {
    prefix: 'x', mode, vip: '198.19.0.100', ...(ipv6 ? { vip6: '2001:db8::100', lipNet6: '2001:db8:ff::/64' } : {}),
    client: h('client', '198.18.1.10', '2001:db8:1::10'), router: h('router', '198.19.0.1', '2001:db8::1'),
    routerClientSide: h('router', '198.18.1.1', '2001:db8:1::1'), lanNs: 'x-lan', bridge: 'br0',
    directors: [h('dir1', '198.19.0.2', '2001:db8::2')],
    realServers: [h('rs1', '198.19.0.11', '2001:db8::11'), h('rs2', '198.19.0.12', '2001:db8::12')],
    lipNet: '198.19.1.0/24', namespaces: [],
  };
}

describe('dual-stack lab config', () => {
  for (const mode of ['dr', 'nat', 'tun', 'fnat'] as const) {
    it(`${mode}: the IPv4 part is the IPv4 lab's config, the IPv6 services follow it`, () => {
      const v4 = labKeepalivedConf(lab(mode, false));
      const dual = labKeepalivedConf(lab(mode, true));
      assert.ok(!v4.includes('2001:db8'), v4);
      // Top-level blocks end with a '}' at the start of a line.
      const ipv6Blocks = /^(local_address_group lab_lips6|virtual_server 2001:db8::100 \d+) \{\n(.*\n)*?\}\n/gm;
      assert.equal(dual.replace(ipv6Blocks, ''), v4);
      assert.ok(dual.indexOf('virtual_server 2001:db8::100') > dual.lastIndexOf('virtual_server 198.19.0.100'), 'IPv6 services come last');
      assert.match(dual, /^virtual_server 2001:db8::100 80 \{\n(.*\n)*? {4}real_server 2001:db8::11 80 \{/m);
      assert.match(dual, /^virtual_server 2001:db8::100 5353 \{/m);
      assert.equal(labKeepalivedConf(lab(mode, true), { ipv6: false }), v4);
    });
  }

  for (const mode of ['dr', 'nat', 'tun'] as const) {
    it(`${mode}: the config parses with both VIPs and the real servers of each family`, () => {
      const c = parseKeepalivedConfig(labKeepalivedConf(lab(mode, true)), 'lab.conf');
      const vips = c.virtualServers.map((v) => `${v.protocol} ${v.vip}:${v.port} ${v.realServers.map((r) => r.address).join(',')}`);
      assert.deepEqual(vips.map((v) => v.toLowerCase()), [
        'tcp 198.19.0.100:80 198.19.0.11,198.19.0.12', 'udp 198.19.0.100:5353 198.19.0.11,198.19.0.12',
        'tcp 2001:db8::100:80 2001:db8::11,2001:db8::12', 'udp 2001:db8::100:5353 2001:db8::11,2001:db8::12',
      ]);
    });
  }

  it('fnat: an IPv6 local address group of its own, named by the IPv6 services', () => {
    const text = labKeepalivedConf(lab('fnat', true));
    assert.match(text, /^local_address_group lab_lips6 \{\n {4}2001:db8:ff::1\n {4}2001:db8:ff::2\n\}/m);
    assert.match(text, /virtual_server 2001:db8::100 80 \{\n(.*\n)*? {4}laddr_group_name lab_lips6\n/);
  });
});

describe('lab tools: --target', () => {
  const cases: Array<[string, ReturnType<ParseTarget>]> = [
    ['198.19.0.100:80', { host: '198.19.0.100', port: 80, family: 4 }],
    ['198.19.0.100', { host: '198.19.0.100', port: 5353, family: 4 }],
    ['[2001:DB8:0::100]:80', { host: '2001:db8::100', port: 80, family: 6 }],
    ['[2001:db8::100]', { host: '2001:db8::100', port: 5353, family: 6 }],
    ['2001:db8::100', { host: '2001:db8::100', port: 5353, family: 6 }],
    ['localhost:8080', { host: 'localhost', port: 8080, family: 0 }],
    ['[zz]:80', null], ['', null], [':80', null], ['[2001:db8::1]:x', null],
  ];
  for (const [text, want] of cases) it(`'${text}'`, () => assert.deepEqual(parseTarget(text, 5353), want));
});
