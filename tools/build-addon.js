#!/usr/bin/env node
// Builds the native addon offline: node-gyp gets the running node's own headers via --nodedir,
// so a fresh machine never downloads anything.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const nodedir = path.dirname(path.dirname(process.execPath));
if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`director: node headers not found under ${nodedir}/include/node; install the nodejs headers (Debian: libnode-dev) and retry`);
  process.exit(1);
}
const candidates = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter(Boolean);
const gyp = candidates.find((p) => fs.existsSync(p));
if (!gyp) {
  console.error('director: node-gyp not found (it ships with npm); run the build through npm install');
  process.exit(1);
}
const args = [gyp, 'rebuild', `--nodedir=${nodedir}`, `--jobs=${require('node:os').cpus().length}`];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: path.join(__dirname, '..') });
process.exit(r.status ?? 1);
