#!/usr/bin/env node
// The caro-cache command line. Its one command so far runs the benchmark
// harness on the engines installed here; the model store's commands join it.

import { runBench } from '../bench/run.js';

const USAGE = `Usage: caro-cache <command> [options]

Commands:
  bench     the cache benchmarks on every engine installed here (caro-cache bench --help)

Options:
  --help    this text`;

function main(args: string[]): number {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'bench') return runBench(rest);
  throw new RangeError(`unknown command "${command}" (caro-cache --help lists them)`);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(`caro-cache: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
