#!/usr/bin/env node
// Lists the .cc files of the given native folders for binding.gyp, so adding a source file
// never needs a build-file edit.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const out = [];
for (const dir of process.argv.slice(2)) {
  for (const f of fs.readdirSync(path.join(root, dir)).sort()) {
    if (f.endsWith('.cc')) out.push(`${dir}/${f}`);
  }
}
process.stdout.write(out.join(' '));
