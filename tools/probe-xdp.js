#!/usr/bin/env node
// Tells binding.gyp whether the AF_XDP port can be built: prints 1 when libxdp and libbpf (with
// headers) are installed, else 0. DIRECTOR_XDP=0 forces 0 (a build as on a machine without them).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

function available() {
  if (process.env.DIRECTOR_XDP === '0') return false;
  const headers = ['/usr/include/xdp/xsk.h', '/usr/include/bpf/bpf.h'].every((h) => fs.existsSync(h));
  if (!headers) return false;
  const r = spawnSync('pkg-config', ['--exists', 'libxdp', 'libbpf']);
  if (!r.error) return r.status === 0;
  // No pkg-config: the linker names must exist too (the -dev packages install them).
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  const has = (lib) => dirs.some((d) => fs.existsSync(`${d}/${lib}`));
  return has('libxdp.so') && has('libbpf.so');
}

process.stdout.write(available() ? '1' : '0');
