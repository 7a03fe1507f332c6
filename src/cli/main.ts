#!/usr/bin/env node
// The caro-cache command line: the model store's commands (store-commands.ts)
// and a launcher for the benchmark harness, which is its own package (harness.ts).

import { launchBench } from './harness.js';
import { exitCodeFor, GLOBAL_OPTIONS, isStoreCommand, runStoreCommand, storeUsage } from './store-commands.js';

const USAGE = `Usage: caro-cache [--dir DIR] [--max-bytes SIZE] [--endpoint URL] [--offline] <command> [options]

Commands:
${storeUsage()}
  bench     the benchmarks: runs caro-cache-bench where it is installed (npx caro-cache-bench --help)

Options:
  --help    this text; caro-cache <command> --help for a command's`;

/** Global options given before the command move after it, where the command's parser reads them. */
function splitCommand(args: string[]): { command: string | undefined; rest: string[] } {
  const leading: string[] = [];
  let i = 0;
  while (i < args.length && args[i].startsWith('--') && Object.hasOwn(GLOBAL_OPTIONS, args[i].slice(2).split('=')[0])) {
    leading.push(args[i]);
    if (!args[i].includes('=') && GLOBAL_OPTIONS[args[i].slice(2)].type === 'string') {
      if (i + 1 === args.length) throw new RangeError(`${args[i]} needs a value`);
      leading.push(args[++i]);
    }
    i++;
  }
  const command = args[i];
  if (command === 'bench' && leading.length > 0)
    throw new RangeError(`bench does not take ${leading[0].split('=')[0]}`);
  return { command, rest: [...leading, ...args.slice(i + 1)] };
}

async function main(args: string[]): Promise<number> {
  const { command, rest } = splitCommand(args);
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'bench') return launchBench(rest);
  if (isStoreCommand(command)) return runStoreCommand(command, rest);
  throw new RangeError(`unknown command "${command}" (caro-cache --help lists them)`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`caro-cache: ${message.replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = exitCodeFor(error);
  },
);
