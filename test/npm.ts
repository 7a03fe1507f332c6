import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

// Under `npm test`, npm names its own entry point; running it with this Node
// avoids the shell that `npm.cmd` would need on Windows.
const npmCli = process.env.npm_execpath;

/** Runs npm with `args`; returns its status and output. */
export function npm(
  args: string[],
  options: SpawnSyncOptions = {},
): { status: number | null; stdout: string; stderr: string } {
  const [command, commandArgs] = npmCli ? [process.execPath, [npmCli, ...args]] : ['npm', args];
  const result = spawnSync(command, commandArgs, {
    shell: !npmCli && process.platform === 'win32',
    ...options,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}
