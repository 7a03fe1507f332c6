// `--against <git-ref>`: another version of the project, built in a temporary
// git worktree, whose benchmark processes take their samples in turn with the
// working tree's on the same CPU. A change is then judged within one run, so
// drift between runs cannot pose as one.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The other version, ready to run. */
export interface Against {
  /** The ref as given, the suffix of its subjects' names (`ts@origin/main`). */
  label: string;
  /** The commit it resolved to. */
  commit: string;
  /** Its cache-group worker script. */
  worker: string;
  /** The ids of its cache benchmarks: an older version may lack some of this one's. */
  benchmarks: ReadonlySet<string>;
  /** Removes the worktree. */
  remove(): void;
}

const run = (command: string, args: string[], cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

const PREFIX = 'caro-against-';
/** Prints the ids of the benchmarks the workloads module named by argv[1] defines. */
const LIST_BENCHMARKS =
  'const { BENCHMARKS } = await import(process.argv[1]); console.log(JSON.stringify(BENCHMARKS.map((b) => b.id)));';
const LOCK_REASON = 'caro-cache-bench --against, pid ';

/** Whether process `pid` is alive (it may belong to another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the worktrees of earlier --against runs whose process is gone (killed before it could clean up). */
function removeAbandoned(root: string, progress: (text: string) => void): void {
  for (const record of run('git', ['worktree', 'list', '--porcelain'], root).split('\n\n')) {
    const path = /^worktree (.*)$/m.exec(record)?.[1];
    const pid = new RegExp(`^locked ${LOCK_REASON}(\\d+)$`, 'm').exec(record)?.[1];
    if (path === undefined || pid === undefined || alive(Number(pid))) continue;
    progress(`--against: removing ${path}, left by process ${pid}\n`);
    run('git', ['worktree', 'remove', '--force', '--force', path], root);
  }
}

/**
 * Checks out `ref` of the repository this harness runs from, links this
 * checkout's installed dependencies into it (nothing is fetched), and builds
 * its library and harness.
 */
export function prepareAgainst(ref: string, progress: (text: string) => void): Against {
  const root = dirname(createRequire(import.meta.url).resolve('caro-cache/package.json'));
  let commit: string;
  try {
    // An installed caro-cache may sit inside some other repository: only its own checkout will do.
    if (realpathSync(run('git', ['rev-parse', '--show-toplevel'], root)) !== realpathSync(root)) {
      throw new Error(`${root} is not the top of a git checkout`);
    }
    commit = run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], root);
  } catch (error) {
    throw new RangeError(
      `--against needs a git ref of the caro-cache checkout at ${root}, got ${JSON.stringify(ref)}`,
      {
        cause: error,
      },
    );
  }
  removeAbandoned(root, progress);
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  let benchmarks: Set<string>;
  const remove = () => {
    try {
      run('git', ['worktree', 'remove', '--force', '--force', dir], root);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      run('git', ['worktree', 'prune'], root);
    }
  };
  try {
    progress(`--against ${ref}: building ${commit.slice(0, 10)} in ${dir}\n`);
    // Locked in the name of this process, so that a later run can tell a worktree left by a killed one.
    run(
      'git',
      ['worktree', 'add', '--detach', '--lock', '--reason', `${LOCK_REASON}${process.pid}`, dir, commit],
      root,
    );
    if (!existsSync(join(dir, 'bench', 'package.json'))) {
      throw new RangeError(`${ref} has no harness package (bench/package.json): it predates caro-cache-bench`);
    }
    // The other version's own packages resolve to the worktree; every other dependency to this checkout's.
    const modules = join(dir, 'node_modules');
    mkdirSync(modules);
    for (const name of readdirSync(join(root, 'node_modules'))) {
      if (name === 'caro-cache' || name === 'caro-cache-bench' || name.startsWith('.package-lock')) continue;
      symlinkSync(join(root, 'node_modules', name), join(modules, name));
    }
    symlinkSync('..', join(modules, 'caro-cache'));
    symlinkSync('../bench', join(modules, 'caro-cache-bench'));
    run('npm', ['run', '--silent', 'compile'], dir);
    run('npm', ['run', '--silent', 'compile:bench'], dir);
    const workloads = pathToFileURL(join(dir, 'bench', 'dist', 'workloads.js')).href;
    benchmarks = new Set(
      JSON.parse(run(process.execPath, ['--input-type=module', '-e', LIST_BENCHMARKS, workloads], dir)) as string[],
    );
  } catch (error) {
    remove();
    throw error;
  }
  return { label: ref, commit, worker: join(dir, 'bench', 'dist', 'worker.js'), benchmarks, remove };
}
