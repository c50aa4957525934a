#!/usr/bin/env node
// `npm test` after the type check: the native side (cmake build, ctest, 3 s of each fuzzer) and
// the mocha suites (netns and unit files, several at once) run at the same time. The native side is mostly compiler
// work and the netns suites mostly wait on timers and links, so together they take about the
// time of the longer one instead of the sum (the suite has a 15-minute budget). The native
// output is held back and printed after mocha's, so neither log is interleaved; the exit status
// is non-zero when either side fails.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
// The netns files first: they are the long ones, and the workers take files in this order.
const MOCHA_SPECS = ['test/netns/**/*.test.ts', 'test/unit/**/*.test.ts'];
// Test files run in this many worker processes at once. The netns suites spend most of their
// time waiting on timers, links and peers (one at a time they kept 2 CPUs about half busy), and
// each builds its own uniquely named namespaces, so files do not meet; with 4, mocha took 400 s
// instead of 1055 on this 2-CPU machine. DIRECTOR_TEST_JOBS overrides it (1: one file at a time).
const JOBS = process.env.DIRECTOR_TEST_JOBS ?? '4';

/** Runs the native steps one after the other, output captured; resolves with status and log. */
function nativeSide() {
  const steps = [['tools/run-native-tests.js'], ['tools/run-fuzz.js', '--seconds', '3']];
  const started = Date.now();
  let log = '';
  return new Promise((resolve) => {
    const next = (i) => {
      if (i === steps.length) return resolve({ status: 0, log, ms: Date.now() - started });
      const child = spawn(process.execPath, steps[i], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d) => { log += d; });
      child.stderr.on('data', (d) => { log += d; });
      child.once('error', (err) => resolve({ status: 1, log: `${log}cannot run ${steps[i][0]}: ${err.message}\n`, ms: Date.now() - started }));
      child.once('close', (code, signal) => {
        if (code === 0) return next(i + 1);
        resolve({ status: code ?? 1, log: `${log}${steps[i][0]} ${signal ? `killed by ${signal}` : `exited with status ${code}`}\n`, ms: Date.now() - started });
      });
    };
    next(0);
  });
}

function mochaSide() {
  const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [mocha, '--parallel', '--jobs', JOBS, ...MOCHA_SPECS], { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] });
    // Passed through as it comes; the reporter's closing count is kept to end the whole run with.
    let tail = '';
    let summary = null;
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      const lines = (tail + d).split('\n');
      tail = lines.pop();
      for (const l of lines) if (/^\d+ passed, \d+ failed, \d+ skipped$/.test(l)) summary = l;
    });
    child.once('error', (err) => resolve({ status: 1, error: err.message, summary, ms: Date.now() - started }));
    child.once('close', (code) => resolve({ status: code ?? 1, summary, ms: Date.now() - started }));
  });
}

async function main() {
  // Interrupting npm test stops both sides; their own cleanup runs on the signal.
  const [native, mocha] = await Promise.all([nativeSide(), mochaSide()]);
  process.stdout.write(`\n--- native tests and fuzzers (ran beside mocha, ${(native.ms / 1000).toFixed(0)} s)\n${native.log}`);
  if (mocha.error) console.error(`cannot run mocha: ${mocha.error}`);
  const verdict = (s) => (s === 0 ? 'passed' : 'FAILED');
  console.log(`native tests and fuzzers ${verdict(native.status)}; mocha ${verdict(mocha.status)} in ${(mocha.ms / 1000).toFixed(0)} s`);
  console.log(mocha.summary ?? 'mocha printed no summary');
  process.exit(native.status === 0 && mocha.status === 0 ? 0 : 1);
}

main();
