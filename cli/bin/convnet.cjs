#!/usr/bin/env node
// Entry point of the `convnet` command: runs the bundled CLI (built by `npm install` / `npm run build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', '..', 'out', 'cli.cjs');
if (!fs.existsSync(bundle)) {
    process.stderr.write('convnet: the CLI is not built yet; run `npm install` (or `npm run build`) in ' + path.join(__dirname, '..', '..') + '\n');
    process.exit(1);
}
if (typeof Object.groupBy !== 'function') {
    process.stderr.write('convnet: needs Node.js 22 or newer (found ' + process.version + '); run it through `npx convnet`, which uses the Node 22 installed with the project\n');
    process.exit(1);
}
require(bundle).run(process.argv.slice(2));
