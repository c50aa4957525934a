#!/usr/bin/env node
// Runs the tests that drive the native addon against an AddressSanitizer build of it, with leak
// checking, so every error path in the addon is seen to free what it took. The package is
// staged under native/build/asan-pkg (sources copied, node_modules linked) because the addon is
// found relative to the code that loads it; the addon there is built with -fsanitize=address
// and node runs with libasan preloaded. Node itself does not free everything at exit, so a leak
// report fails the run only when one of its stacks passes through director's own native code.
// Usage: node tools/run-asan-addon.js [TEST_FILE...]   (docs/fuzzing.md, "Leaks")
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const stage = path.join(root, 'native', 'build', 'asan-pkg');
const COPIED = ['binding.gyp', 'package.json', 'tsconfig.json', '.mocharc.json', 'native/core', 'native/io',
  'native/addon', 'tools/build-addon.js', 'tools/probe-xdp.js', 'tools/list-sources.js', 'src', 'test', 'bin',
  'docs', 'README.md'];
/**
 * The tests that load the addon: every unit test that uses it (directly, or through a data plane
 * on a memory port or a reloaded director), found by what it imports, plus the netns I/O ports
 * and the decapsulator. A new such test is included without a word here.
 */
const ADDON_USER = /loadAddon|memory-plane|memory-reload|reload-conf|native\/binding/;
const NETNS_TESTS = ['test/netns/native-io.test.ts', 'test/netns/ipip-decap.test.ts'];

function defaultTests() {
  const unit = fs.readdirSync(path.join(root, 'test', 'unit')).filter((f) => f.endsWith('.test.ts')).sort()
    .map((f) => `test/unit/${f}`).filter((f) => ADDON_USER.test(fs.readFileSync(path.join(root, f), 'utf8')));
  return [...unit, ...NETNS_TESTS];
}
/** A stack frame inside director's native code (source path or the addon's file name). */
const OWN_FRAME = /native\/(addon|io|core)\/|director_native\.node/;

function fail(message) {
  console.error(`asan: ${message}`);
  process.exit(1);
}

function stageTree() {
  fs.rmSync(stage, { recursive: true, force: true });
  for (const rel of COPIED) fs.cpSync(path.join(root, rel), path.join(stage, rel), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'));
}

function buildAddon() {
  const flags = '-fsanitize=address -fno-omit-frame-pointer -g -O1';
  const env = { ...process.env, CXXFLAGS: flags, CFLAGS: flags, LDFLAGS: '-fsanitize=address' };
  const r = spawnSync(process.execPath, [path.join(stage, 'tools', 'build-addon.js')], { cwd: stage, env, encoding: 'utf8' });
  if (r.status !== 0) fail(`building the ASan addon failed\n${r.stdout}${r.stderr}`);
}

function libasan() {
  const r = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' });
  const file = (r.stdout ?? '').trim();
  if (r.status !== 0 || !path.isAbsolute(file)) fail('libasan.so not found (Debian: apt-get install -y g++)');
  return file;
}

/** Leak reports (one per leaked allocation site) from the sanitizer logs of every process. */
function leakReports(logDir) {
  const text = fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')).join('\n');
  const errors = text.split('\n').filter((l) => /ERROR: AddressSanitizer/.test(l));
  const leaks = text.split(/\n(?=(?:Direct|Indirect) leak of )/).filter((b) => /^(Direct|Indirect) leak of /.test(b));
  return { errors, leaks, own: leaks.filter((b) => OWN_FRAME.test(b)) };
}

function main() {
  const tests = process.argv.slice(2).length ? process.argv.slice(2) : defaultTests();
  stageTree();
  buildAddon();
  const logDir = path.join(stage, 'asan-logs');
  fs.mkdirSync(logDir);
  const env = {
    ...process.env,
    LD_PRELOAD: libasan(),
    // V8 and libuv rely on their own signal handling. Every process the tests start (ip, tc, ...)
    // inherits the preload and leaks at exit like node does: exitcode=0 keeps their exit status
    // theirs, and the logs of all of them are judged below instead.
    ASAN_OPTIONS: `detect_leaks=1:exitcode=0:handle_segv=0:allow_user_segv_handler=1:detect_odr_violation=0:log_path=${logDir}/asan`,
  };
  const mocha = path.join(stage, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const r = spawnSync(process.execPath, [mocha, ...tests], { cwd: stage, env, stdio: 'inherit' });
  const { errors, leaks, own } = leakReports(logDir);
  console.log(`asan: ${leaks.length} leak reports in all, ${own.length} through director's native code, ${errors.length} sanitizer errors`);
  for (const b of own) console.error(b);
  for (const e of errors) console.error(e);
  if (r.status !== 0 || own.length > 0 || errors.length > 0) process.exit(1);
}

main();
