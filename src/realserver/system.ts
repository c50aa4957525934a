// The side effects a real server setup needs (sysctls, addresses on lo), behind one narrow
// interface so the plan logic is tested with a fake and the real one touches only this namespace.

import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseIpAddrJson } from '../preflight/reader.js';

export interface RealServerSystem {
  /** A sysctl's value ('net.ipv4.conf.all.arp_ignore'), trimmed, or null when it does not exist. */
  readSysctl(key: string): string | null;
  writeSysctl(key: string, value: string): void;
  /** Addresses on lo as 'a.b.c.d/len' and '2001:db8::1/len'. */
  loAddresses(): string[];
  addLoAddress(cidr: string): void;
  delLoAddress(cidr: string): void;
  /** Interface names in this namespace. */
  interfaces(): string[];
}

function sysctlPath(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/** The system of the network namespace this process runs in. */
export function localSystem(): RealServerSystem {
  return {
    readSysctl(key) {
      try {
        return fs.readFileSync(sysctlPath(key), 'utf8').trim();
      } catch {
        return null;
      }
    },
    writeSysctl(key, value) {
      fs.writeFileSync(sysctlPath(key), value);
    },
    loAddresses() {
      const out = execFileSync('ip', ['-j', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
      return [...parseIpAddrJson(out, 'inet'), ...parseIpAddrJson(out, 'inet6')].map((a) => `${a.address}/${a.prefixlen}`);
    },
    addLoAddress(cidr) {
      // An IPv6 VIP serves at once: no duplicate address detection holding it tentative.
      const v6 = cidr.includes(':') ? ['nodad'] : [];
      execFileSync('ip', ['addr', 'add', cidr, 'dev', 'lo', ...v6], { stdio: ['ignore', 'ignore', 'pipe'] });
    },
    delLoAddress(cidr) {
      execFileSync('ip', ['addr', 'del', cidr, 'dev', 'lo'], { stdio: ['ignore', 'ignore', 'pipe'] });
    },
    interfaces() {
      try {
        return fs.readdirSync('/sys/class/net').sort();
      } catch {
        return [];
      }
    },
  };
}
