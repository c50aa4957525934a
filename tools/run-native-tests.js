#!/usr/bin/env node
// Configures and builds the native tests with cmake into native/build, runs them with ctest and
// exits with ctest's status; build chatter is shown only when a step fails.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const build = path.join(root, 'native', 'build');

function step(what, cmd, args, quiet) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: quiet ? 'pipe' : 'inherit' });
  if (r.error) {
    console.error(`native tests: cannot run ${cmd} (${r.error.code}); install cmake and a C++ compiler (Debian: apt-get install -y cmake g++)`);
    process.exit(1);
  }
  if (r.status !== 0) {
    if (quiet) process.stderr.write(`${r.stdout}${r.stderr}`);
    console.error(`native tests: ${what} failed`);
    process.exit(r.status ?? 1);
  }
  return r;
}

step('configure', 'cmake', ['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release'], true);
step('build', 'cmake', ['--build', build, '-j2'], true);
const r = spawnSync('ctest', ['--test-dir', build, '--output-on-failure', '-j2'], { cwd: root, encoding: 'utf8' });
if (r.error) {
  console.error(`native tests: cannot run ctest (${r.error.code})`);
  process.exit(1);
}
// Keep it short: the per-test lines and the summary, full output only for failures.
const lines = `${r.stdout}`.split('\n').filter((l) => /Test +#|tests passed|tests failed|FAIL|\*\*\*/.test(l));
process.stdout.write(`${r.status === 0 ? lines.join('\n') : r.stdout}\n`);
if (r.stderr) process.stderr.write(r.stderr);
process.exit(r.status ?? 1);
