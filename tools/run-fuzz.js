#!/usr/bin/env node
// Builds the libFuzzer harnesses of the packet core with clang (ASan + UBSan) into
// native/build/fuzz, runs each for --seconds N on its generated seed corpus plus the corpus
// kept from earlier runs, prints executions and exec/s per harness, and exits non-zero on a
// finding (the input is saved under native/build/fuzz/findings/). See docs/fuzzing.md.
// Usage: node tools/run-fuzz.js [--seconds N] [--only NAME[,NAME]]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const build = path.join(root, 'native', 'build', 'fuzz');
/** Harness name -> largest input it is given (GSO super-frames need room, the rest stay small). */
const HARNESSES = { parse: 2048, nat: 4096, tun: 16384, icmp_nat: 2048, reply: 2048, decap: 2048 };
const CLANG_PACKAGES = 'clang libclang-rt-dev';

function parseArgs(argv) {
  const opts = { seconds: 10, only: Object.keys(HARNESSES) };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--seconds' && value && /^\d+$/.test(value) && Number(value) > 0) opts.seconds = Number(value);
    else if (flag === '--only' && value) opts.only = value.split(',');
    else fail(`usage: run-fuzz [--seconds N] [--only ${Object.keys(HARNESSES).join(',')}]`, 2);
    i++;
  }
  const unknown = opts.only.filter((n) => !(n in HARNESSES));
  if (unknown.length) fail(`unknown harness ${unknown.join(', ')}; harnesses: ${Object.keys(HARNESSES).join(', ')}`, 2);
  return opts;
}

function fail(message, code = 1) {
  console.error(`fuzz: ${message}`);
  process.exit(code);
}

/** True when clang++ can link a libFuzzer + ASan program (the compiler and its runtimes are there). */
function clangWorks() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'director-fuzz-probe-'));
  try {
    const src = path.join(dir, 'probe.cc');
    fs.writeFileSync(src, 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n');
    const r = spawnSync('clang++', ['-fsanitize=fuzzer,address,undefined', src, '-o', path.join(dir, 'probe')], { encoding: 'utf8' });
    return !r.error && r.status === 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function step(what, cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    fail(`${what} failed${r.error ? ` (${r.error.code})` : ''}`);
  }
}

function buildHarnesses() {
  step('configure', 'cmake', ['-S', root, '-B', build, '-DCMAKE_CXX_COMPILER=clang++', '-DDIRECTOR_FUZZ=ON',
    '-DDIRECTOR_TESTS=OFF', '-DCMAKE_BUILD_TYPE=Release']);
  step('build', 'cmake', ['--build', build, `-j${os.cpus().length}`]);
}

/** libFuzzer's closing statistics and its last status line. */
function stats(log) {
  const num = (re) => Number((log.match(re) ?? [])[1] ?? NaN);
  const status = log.split('\n').filter((l) => /^#\d+/.test(l)).pop() ?? '';
  return {
    execs: num(/stat::number_of_executed_units: (\d+)/),
    perSec: num(/stat::average_exec_per_sec: +(\d+)/),
    cov: (status.match(/cov: (\d+)/) ?? [])[1] ?? '?',
    corpus: (status.match(/corp: (\d+)/) ?? [])[1] ?? '?',
  };
}

function runHarness(name, seconds) {
  const corpus = path.join(build, 'corpus', name);
  const findings = path.join(build, 'findings');
  fs.mkdirSync(corpus, { recursive: true });
  fs.mkdirSync(findings, { recursive: true });
  const args = [`-max_total_time=${seconds}`, `-max_len=${HARNESSES[name]}`, '-timeout=10', '-rss_limit_mb=2048',
    '-print_final_stats=1', `-artifact_prefix=${findings}/${name}-`, corpus, path.join(build, 'seeds', name)];
  const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' };
  const r = spawnSync(path.join(build, `fuzz_${name}`), args, { encoding: 'utf8', env, maxBuffer: 256 << 20 });
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  fs.mkdirSync(path.join(build, 'logs'), { recursive: true });
  fs.writeFileSync(path.join(build, 'logs', `${name}.log`), log);
  return { name, ok: !r.error && r.status === 0, log, ...stats(log) };
}

function report(results) {
  const pad = (s, n) => String(s).padStart(n);
  console.log(`${'harness'.padEnd(10)}${pad('executions', 12)}${pad('exec/s', 9)}${pad('corpus', 8)}${pad('cov', 6)}  result`);
  for (const r of results) {
    console.log(`${r.name.padEnd(10)}${pad(r.execs, 12)}${pad(r.perSec, 9)}${pad(r.corpus, 8)}${pad(r.cov, 6)}  ${r.ok ? 'ok' : 'FINDING'}`);
  }
  const total = results.reduce((n, r) => n + (Number.isFinite(r.execs) ? r.execs : 0), 0);
  const failed = results.filter((r) => !r.ok);
  console.log(`fuzz: ${total} executions, ${results.length - failed.length} passed, ${failed.length} failed`);
  for (const r of failed) {
    const lines = r.log.split('\n').filter((l) => /PROPERTY VIOLATED|ERROR: |runtime error|SUMMARY|Test unit written|artifact/.test(l));
    console.error(`\n--- ${r.name} (full log: ${path.relative(root, path.join(build, 'logs', `${r.name}.log`))})\n${lines.join('\n')}`);
  }
  return failed.length === 0;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!clangWorks()) {
    const why = `clang++ with libFuzzer and sanitizer runtimes not found (Debian: apt-get install -y ${CLANG_PACKAGES})`;
    if (process.env.CI === 'true') fail(why);
    console.log(`fuzz: skipped, ${why}`);
    return;
  }
  buildHarnesses();
  const results = opts.only.map((name) => runHarness(name, opts.seconds));
  if (!report(results)) process.exit(1);
}

main();
