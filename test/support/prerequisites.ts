// What a test needs from the machine, checked one way for every suite: root (network
// namespaces), programs on PATH (each named with its Debian package), the AF_XDP build. A missing
// prerequisite skips with one line saying what to install; under CI=true, where .ci/run installs
// everything, the same line is a failure, so a skip can never hide a broken CI machine.

import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { loadAddon } from '../../src/native/binding.js';

/** Programs tests run that the main job does not need, and the Debian package of each. */
const PACKAGES = {
  tcpdump: 'tcpdump',
  tshark: 'tshark',
  python3: 'python3',
  'pkg-config': 'pkg-config',
  openssl: 'openssl',
  keepalived: 'keepalived',
  'systemd-analyze': 'systemd',
  tmux: 'tmux',
  bird: 'bird2',
  birdc: 'bird2',
} as const;

export type Tool = keyof typeof PACKAGES;

const inCi = (): boolean => process.env.CI === 'true';

/** Skips the current test or hook with a reason the summary reporter prints. */
export function skipWith(ctx: Mocha.Context, reason: string): never {
  const tag = (t: Mocha.Runnable): void => { (t as Mocha.Runnable & { skipReason?: string }).skipReason = reason; };
  const tagSuite = (s: Mocha.Suite): void => { s.tests.forEach(tag); s.suites.forEach(tagSuite); };
  const self = ctx.test as (Mocha.Runnable & { type?: string }) | undefined;
  // In a before() hook the whole suite is skipped: every test in it gets the reason.
  if (self?.type === 'hook' && self.parent !== undefined) tagSuite(self.parent);
  else if (self !== undefined) tag(self);
  console.log(`    skipped: ${reason}`);
  ctx.skip();
}

/** Skips with reason, or fails with it under CI=true. */
function missing(ctx: Mocha.Context, reason: string): never {
  if (inCi()) throw new Error(`${reason} (CI=true: a missing prerequisite is a failure)`);
  skipWith(ctx, reason);
}

/** Root is needed to create network namespaces; every netns suite asks through here. */
export function requireRoot(ctx: Mocha.Context): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    missing(ctx, 'needs root to create network namespaces (run as root, as CI does)');
  }
}

/** Registers requireRoot as a before() hook of the enclosing describe (call it first there). */
export function needsRoot(): void {
  before(function () { requireRoot(this); });
}

/** The first executable file called name in PATH's directories, or null. */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch { /* not here */ }
  }
  return null;
}

const onPath = (name: string): boolean => findOnPath(name) !== null;

/** Every tool must be on PATH; the first missing one is reported with its package. */
export function requireTools(ctx: Mocha.Context, ...tools: Tool[]): void {
  const absent = tools.filter((t) => !onPath(t));
  if (absent.length === 0) return;
  const pkgs = [...new Set(absent.map((t) => PACKAGES[t]))].join(' ');
  missing(ctx, `needs ${absent.join(', ')} on PATH (Debian: apt-get install -y ${pkgs}; .ci/run installs ${absent.length > 1 ? 'them' : 'it'})`);
}

/** pkg-config finds both libraries the AF_XDP port links against. */
function xdpLibrariesInstalled(): boolean {
  if (!onPath('pkg-config')) return false;
  return spawnSync('pkg-config', ['--exists', 'libxdp', 'libbpf']).status === 0;
}

/**
 * The addon must have been built with AF_XDP. Built without it while pkg-config finds libxdp
 * and libbpf is a failure under CI=true (the build lost a feature it could have had).
 */
export function requireXdp(ctx: Mocha.Context): void {
  if (loadAddon().xdpBuilt) return;
  if (inCi() && xdpLibrariesInstalled()) {
    throw new Error('the addon was built without AF_XDP although pkg-config finds libxdp and libbpf: ' +
      'rebuild (npm run build) and read why tools/probe-xdp.js said no');
  }
  missing(ctx, 'the addon was built without AF_XDP (Debian: apt-get install -y libxdp-dev libbpf-dev pkg-config, then npm install)');
}
