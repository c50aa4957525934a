// Mocha reporter: spec output plus a closing line "N passed, N failed, N skipped" that any CI
// can read, each skip's reason (a skipped test must say why), and the files that took longest
// (the suite has a time budget; this shows where it goes). In a parallel run the workers time
// the files (file-times.js).
'use strict';
const path = require('node:path');
const Mocha = require('mocha');
const { takeFileTimes } = require('./file-times.js');
const { EVENT_RUN_END, EVENT_TEST_PENDING, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

const SLOWEST_SHOWN = 8;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const skipped = [];
    /** Wall-clock per test file, hooks included: top-level suites are timed from begin to end. */
    const perFile = new Map();
    const started = new Map();
    runner.on(EVENT_TEST_PENDING, (test) => skipped.push(test));
    runner.on(EVENT_SUITE_BEGIN, (suite) => { if (suite.parent?.root) started.set(suite, Date.now()); });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = started.get(suite);
      if (t0 === undefined || !suite.file) return;
      const file = path.relative(process.cwd(), suite.file);
      perFile.set(file, (perFile.get(file) ?? 0) + Date.now() - t0);
    });
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      if (options.parallel) {
        perFile.clear();
        for (const [file, ms] of takeFileTimes()) perFile.set(path.relative(process.cwd(), file), ms);
      }
      for (const t of skipped) {
        // A worker's test reaches the reporter without the reason; the test printed it itself.
        const why = t.skipReason ? `: ${t.skipReason}` : options.parallel ? ' (the reason is in its output above)' : '';
        console.log(`skipped: ${t.fullTitle()}${why}`);
      }
      const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST_SHOWN);
      if (slowest.length > 0) {
        console.log(`slowest files: ${slowest.map(([f, ms]) => `${f} ${(ms / 1000).toFixed(0)} s`).join(', ')}`);
      }
      console.log(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`);
    });
  }
}
module.exports = SummaryReporter;
