// `director --version`: the package's name and version, and what its native addon was built with
// (AF_XDP is compiled in only where libxdp and libbpf were present at install).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface PackageInfo {
  name: string;
  version: string;
}

/** The package.json above this file: two levels from src/cli (tsx), three from dist/src/cli. */
export function packageInfo(): PackageInfo {
  for (const up of [2, 3]) {
    const file = path.join(__dirname, ...Array<string>(up).fill('..'), 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as PackageInfo;
  }
  throw new Error(`no package.json above ${__dirname}`);
}

/** The features line: the addon's ports, or why there is no addon. */
async function featuresLine(): Promise<string> {
  let xdpBuilt: boolean;
  try {
    // Loaded on use: the version must print on a machine where the addon failed to build.
    xdpBuilt = (await import('../native/binding.js')).loadAddon().xdpBuilt;
  } catch (err) {
    return `native addon: not usable: ${(err as Error).message}`;
  }
  const xdp = xdpBuilt ? 'AF_XDP' : 'AF_XDP not built (libxdp-dev and libbpf-dev were missing at install)';
  return `native addon: AF_PACKET, TAP, IPIP decapsulator, ${xdp}`;
}

export async function versionLines(): Promise<string[]> {
  const pkg = packageInfo();
  return [`director ${pkg.version} (${pkg.name}, node ${process.version})`, await featuresLine()];
}
