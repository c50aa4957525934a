// Wall clock per test file in a parallel run (`npm test`): each file runs in a worker process and
// the reporter receives a file's events only once it is done, so it cannot time files itself.
// These root hooks run in every worker, once per file, and append the file's time, hooks
// included, to a file named after the mocha process that owns the workers; the reporter takes
// them at the end. In a serial run the reporter times files itself and the hooks do nothing.
'use strict';
const { appendFileSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const timesPath = (mochaPid) => path.join(os.tmpdir(), `director-test-times-${mochaPid}.jsonl`);
const inWorker = process.env.MOCHA_WORKER_ID !== undefined;
let started = 0;

exports.mochaHooks = {
  beforeAll() {
    started = Date.now();
  },
  afterAll() {
    if (!inWorker) return;
    const root = this.test?.parent;
    const file = root?.suites.find((s) => s.file)?.file ?? root?.tests.find((t) => t.file)?.file;
    if (file === undefined) return;
    appendFileSync(timesPath(process.ppid), `${JSON.stringify({ file, ms: Date.now() - started })}\n`);
  },
};

/** The times the workers of this mocha process wrote, as [file, ms]; the file is removed. */
exports.takeFileTimes = function takeFileTimes() {
  const f = timesPath(process.pid);
  let text = '';
  try {
    text = readFileSync(f, 'utf8');
  } catch {
    return [];
  }
  rmSync(f, { force: true });
  return text.split('\n').filter((l) => l !== '').map((l) => {
    const { file, ms } = JSON.parse(l);
    return [file, ms];
  });
};
