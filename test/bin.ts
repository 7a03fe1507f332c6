// The installed caro-cache bin, run in a child process as a user would run
// it; asynchronous, so a test's HTTP server keeps serving meanwhile.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(createRequire(import.meta.url).resolve('caro-cache/package.json'), '..');
export const bin = join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin['caro-cache']);

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin with `args`; the store's own environment variables are unset unless `env` sets them. */
export function caroCache(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, CARO_CACHE_DIR: undefined, CARO_CACHE_MAX_BYTES: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
