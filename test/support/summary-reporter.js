// Mocha reporter: spec output plus a closing line "N passed, N failed, N skipped" that any CI
// can read, and each skip's reason (a skipped test must say why).
'use strict';
const Mocha = require('mocha');
const { EVENT_RUN_END, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const skipped = [];
    runner.on(EVENT_TEST_PENDING, (test) => skipped.push(test));
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      for (const t of skipped) {
        const why = t.skipReason ? `: ${t.skipReason}` : '';
        console.log(`skipped: ${t.fullTitle()}${why}`);
      }
      console.log(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`);
    });
  }
}
module.exports = SummaryReporter;
