#!/usr/bin/env node
// The caro-cache-bench command (and `npm run bench` in a clone of caro-cache):
// a run, or `compare` of the summaries of runs made elsewhere.

import { runCompare } from './compare.js';
import { runBench } from './run.js';

const [command, ...rest] = process.argv.slice(2);
// async, so that a throw of either becomes the rejection handled below.
const main = async () => (command === 'compare' ? runCompare(rest) : runBench(process.argv.slice(2)));

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`caro-cache-bench: ${message.replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = 1;
  },
);
