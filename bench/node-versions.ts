// `--node 20.20.2,22.23.3` (or paths to node binaries): the Node versions
// the cache group runs under besides the harness's own. A version is
// fetched as the npm package node-linux-<arch> into target/matrix/node/, the
// cache `npm run matrix` fills too; a version equal to the harness's own is
// the harness's own binary. Each binary is probed before anything is
// measured: it must run, and the engines it loads are recorded (the native
// addon is a Node-API binary, so it should load under every version).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './node-binaries.js';
import { nodeCommand } from './processes.js';
import type { NodeVersion } from './summary.js';

/** Where fetched binaries are cached, relative to the directory the harness runs in (a clone's root). */
const CACHE = resolve('target', 'matrix', 'node');
const VERSION = /^v?(\d+)\.\d+\.\d+$/;

// Run from the harness's own directory, so that 'caro-cache' resolves as it does for its workers.
const PROBE = `import { availableBackends } from 'caro-cache';
console.log(JSON.stringify({ node: process.version, v8: process.versions.v8, engines: availableBackends() }));`;
const HARNESS_DIR = dirname(fileURLToPath(import.meta.url));

/** What a binary says about itself. */
function probe(path: string): Omit<NodeVersion, 'label' | 'path'> {
  const [command, ...args] = nodeCommand(path);
  const result = spawnSync(command!, [...args, '--input-type=module', '-e', PROBE], {
    cwd: HARNESS_DIR,
    encoding: 'utf8',
  });
  let said: { node: string; v8: string; engines: { name: string; available: boolean; reason?: string }[] } | null;
  try {
    said = JSON.parse(result.stdout) as typeof said;
  } catch {
    said = null;
  }
  if (said === null || !Array.isArray(said.engines)) {
    // Node prints an uncaught error's message on a line of its own, after the source line.
    const lines = (result.stderr ?? '').split('\n');
    const why = result.error?.message ?? lines.find((l) => /^\w*Error\b/.test(l)) ?? `exit ${result.status}`;
    throw new Error(`--node: ${path} does not run the harness: ${why}`);
  }
  const engines: Record<string, string> = {};
  for (const { name, available, reason } of said.engines)
    engines[name] = available ? 'loaded' : `unavailable: ${reason}`;
  return { node: said.node, v8: said.v8, engines };
}

/** The binary an entry of the list names: a version to fetch, or a path. */
function binaryOf(entry: string, progress: (text: string) => void): string {
  if (!VERSION.test(entry)) {
    if (!existsSync(entry))
      throw new RangeError(`--node takes versions (such as 22.23.3) or paths to node binaries, got ${entry}`);
    return resolve(entry);
  }
  if (process.platform !== 'linux') {
    throw new RangeError(`--node ${entry}: versions are fetched as node-linux-<arch> packages; here give paths`);
  }
  return nodeBinary(process.arch, entry.replace(/^v/, ''), CACHE, (text) => progress(`--node: ${text}\n`));
}

/**
 * The versions of a comma-separated --node list other than the harness's
 * own, each probed and labelled `node<major>` (the whole version where two
 * share a major).
 */
export function nodeVersions(list: string, progress: (text: string) => void): NodeVersion[] {
  const entries = list
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new RangeError('--node needs a comma-separated list of versions or paths');
  const found = entries
    .filter((entry) => !VERSION.test(entry) || `v${entry.replace(/^v/, '')}` !== process.version)
    .map((entry) => {
      const path = binaryOf(entry, progress);
      return { path, ...probe(path) };
    });
  const seen = new Set([process.version]);
  for (const { node, path } of found) {
    if (seen.has(node)) throw new RangeError(`--node: ${path} is Node ${node}, which is listed already`);
    seen.add(node);
  }
  const major = (node: string) => VERSION.exec(node)?.[1] ?? node;
  return found.map((n) => {
    const shared = found.filter((o) => major(o.node) === major(n.node)).length > 1;
    return { label: `node${shared ? n.node.replace(/^v/, '') : major(n.node)}`, ...n };
  });
}
