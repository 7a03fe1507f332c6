// Node binaries of other versions, from the npm packages node-linux-<arch>,
// fetched once into a cache directory (<dir>/<arch>-<version>/bin/node). The
// harness's --node and scripts/matrix.mjs share this module (the script
// imports it from bench/dist), so both read and fill the same cache,
// target/matrix/node/ in a clone.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

function sh(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

/**
 * The path of Node `version` for `arch` (npm's names: x64, arm64), fetched
 * from the registry into `cacheDir` unless it is there already.
 */
export function nodeBinary(
  arch: string,
  version: string,
  cacheDir: string,
  log: (text: string) => void = console.log,
): string {
  const dir = join(cacheDir, `${arch}-${version}`);
  const node = join(dir, 'bin', 'node');
  if (existsSync(node)) return node;
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = mkdtempSync(join(dirname(dir), `.${arch}-${version}-`));
  try {
    // node-linux-* packages ship bin/node in the tarball and have no install
    // scripts; `npm pack` only fetches and integrity-checks the tarball, so
    // nothing can reach past the registry.
    log(`fetching node-linux-${arch}@${version}`);
    sh('npm', ['pack', '--silent', '--pack-destination', tmp, `node-linux-${arch}@${version}`], tmp);
    const tarball = readdirSync(tmp).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack node-linux-${arch}@${version} left no tarball`);
    const unpacked = join(tmp, 'unpacked');
    mkdirSync(unpacked);
    sh(
      'tar',
      ['-xzf', join(tmp, tarball), '-C', unpacked, '--strip-components=1', 'package/bin/node', 'package/LICENSE'],
      tmp,
    );
    // Renamed into place last, so an interrupted fetch is never taken for a cached one.
    renameSync(unpacked, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return node;
}
