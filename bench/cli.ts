#!/usr/bin/env node
// The caro-cache-bench command (and `npm run bench` in a clone of caro-cache).

import { runBench } from './run.js';

runBench(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`caro-cache-bench: ${message.replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = 1;
  },
);
