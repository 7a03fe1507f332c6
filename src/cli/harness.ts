// `caro-cache bench`: the harness is a package of its own, caro-cache-bench,
// so that the library ships none of it. Where that package is installed
// beside this one, its command runs with the same arguments; otherwise this
// says how to get it.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const HARNESS = 'caro-cache-bench';

/** The harness's command script, or undefined when the package is not installed. */
function harnessBin(): string | undefined {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve(`${HARNESS}/package.json`);
  } catch {
    return undefined;
  }
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  return join(dirname(manifest), bin[HARNESS]);
}

export function launchBench(args: string[]): Promise<number> {
  const bin = harnessBin();
  if (bin === undefined) {
    console.error(`caro-cache: the benchmarks are the ${HARNESS} package: npx ${HARNESS} ${args.join(' ')}`.trimEnd());
    return Promise.resolve(2);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
