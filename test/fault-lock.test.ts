// Faults of the store's lock made for real: processes in separate PID
// namespaces sharing one store (containers on one cache volume, each pid 1),
// a lock naming a reused pid or a zombie, a dangling symbolic link named
// `lock`, an empty lock, a disk that fills up while the lock is written, and
// a partial download being written from another PID namespace.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ModelCache } from 'caro-cache';
import { acquireLock } from '../src/store/lock.js';

const worker = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'lock-worker.js');
const pkg = join(createRequire(import.meta.url).resolve('caro-cache/package.json'), '..');
const bin = join(pkg, JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).bin['caro-cache']);
const root = mkdtempSync(join(tmpdir(), 'caro-fault-lock-'));
const mounts: string[] = [];
after(() => {
  for (const mount of mounts) spawnSync('umount', ['-l', mount]);
  rmSync(root, { recursive: true, force: true });
});

const linux = existsSync('/proc/self/stat');
const isRoot = process.getuid?.() === 0;
const hasUnshare = spawnSync('unshare', ['--version']).status === 0;
const needsRoot = !isRoot ? 'needs root (tmpfs mounts)' : false;
const noProc = linux ? false : 'needs /proc (Linux)';
const noNamespaces = !isRoot ? 'needs root (unshare --pid)' : !hasUnshare ? 'needs unshare from util-linux' : false;

function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** A lock file as a holder on this host, boot and namespace with this pid and start time writes it. */
function lockText(pid: number, start: string): string {
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  const pidns = readlinkSync('/proc/self/ns/pid');
  return `${pid}\n${hostname()}\nfeedface\nboot=${boot}\npidns=${pidns}\nstart=${start}\nsince=2024-01-02T03:04:05.000Z\n`;
}

interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command, killing it after `killMs`. */
function run(command: string, args: string[], killMs: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), killMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** A new store directory, created by opening it once. */
async function newStore(name: string, parent = root): Promise<string> {
  const dir = join(parent, name);
  await (await ModelCache.open({ dir })).close();
  return dir;
}

function mountTmpfs(name: string, size: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  assert.equal(mounted.status, 0, `mount failed: ${mounted.stderr}`);
  mounts.push(dir);
  return dir;
}

/** Writes to `path` until the file system is full. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const chunk of [Buffer.alloc(4096), Buffer.alloc(1)]) {
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe('lock faults', () => {
  test(
    '4 processes as pid 1 in separate PID namespaces on one store lose nothing and break no live lock',
    { skip: noNamespaces },
    async (t) => {
      const dir = await newStore('containers');
      const scratch = join(root, 'containers-scratch');
      mkdirSync(scratch);
      const runs = await Promise.all(
        [0, 1, 2, 3].map((w) =>
          run(
            'unshare',
            ['--pid', '--fork', '--mount-proc', process.execPath, worker, dir, `w${w}`, '6000', scratch],
            60_000,
          ),
        ),
      );
      const acked = new Map<string, string>();
      const failures: string[] = [];
      for (const [w, result] of runs.entries()) {
        assert.equal(result.status, 0, `worker ${w} failed (${result.signal}): ${result.stderr}`);
        const lines = result.stdout.split('\n').filter((line) => line !== '');
        assert.equal(lines[0], 'pid 1', `worker ${w} was not pid 1 in its namespace`);
        for (const line of lines.slice(1)) {
          const [kind, id, rest] = line.split(' ', 3);
          if (kind === 'ack') acked.set(id!, rest!);
          else failures.push(line);
        }
      }
      assert.deepEqual(failures, [], 'operations failed');
      assert.ok(acked.size >= 20, `only ${acked.size} adds were acknowledged`);
      const store = await ModelCache.open({ dir });
      try {
        const lost = [...acked].filter(([id, sha256]) => store.get(id)?.sha256 !== sha256).map(([id]) => id);
        assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged adds lost`);
        assert.equal(store.stats().count, acked.size);
        t.diagnostic(`${acked.size} adds acknowledged by 4 workers, ${lost.length} lost`);
      } finally {
        await store.close();
      }
    },
  );

  test(
    'a lock naming a live process with another start time (a reused pid) is broken promptly',
    { skip: noProc },
    async (t) => {
      const child = spawn('sleep', ['30']);
      t.after(() => child.kill('SIGKILL'));
      await new Promise((r) => child.once('spawn', r));
      const path = join(root, 'reused-lock');
      const start = statFields(child.pid!)[19]!;
      writeFileSync(path, lockText(child.pid!, String(Number(start) + 1)));
      await (
        await acquireLock(path, { timeoutMs: 5000 })
      )();
    },
  );

  test('a lock naming a zombie is broken promptly', { skip: noProc }, async (t) => {
    // The shell starts a child and becomes `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    t.after(() => parent.kill('SIGKILL'));
    const pid = Number(await new Promise<string>((r) => parent.stdout.setEncoding('utf8').once('data', r)));
    while (statFields(pid)[0] !== 'Z') await new Promise((r) => setTimeout(r, 5));
    const path = join(root, 'zombie-lock');
    writeFileSync(path, lockText(pid, statFields(pid)[19]!));
    await (
      await acquireLock(path, { timeoutMs: 5000 })
    )();
  });

  test('a dangling symbolic link named lock ends a command at once with an error naming it', async () => {
    const dir = await newStore('symlink');
    symlinkSync(join(root, 'nowhere'), join(dir, 'lock'));
    const result = await run(process.execPath, [bin, '--dir', dir, 'ls'], 20_000);
    assert.equal(result.signal, null, 'the command was still running after 20 s');
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /lock .* is a symbolic link to .*nowhere/);
    // Reported, not removed: someone else put it there.
    assert.equal(readlinkSync(join(dir, 'lock')), join(root, 'nowhere'));
  });

  test('an empty lock (its writer died before writing it) is recovered after a short grace period', async () => {
    const dir = await newStore('empty');
    writeFileSync(join(dir, 'lock'), '');
    const result = await run(process.execPath, [bin, '--dir', dir, 'ls'], 20_000);
    assert.equal(result.status, 0, result.stderr);
    // The lock's own grace period, at the lock itself: the old rule waited 10 s.
    const path = join(root, 'empty-lock');
    writeFileSync(path, '');
    await (
      await acquireLock(path, { timeoutMs: 5000 })
    )();
  });

  test('a full disk while the lock is written leaves no empty lock behind', { skip: needsRoot }, async () => {
    const mount = mountTmpfs('full', '64k');
    const dir = await newStore('store', mount);
    fill(join(mount, 'filler'));
    await assert.rejects(acquireLock(join(dir, 'lock'), { timeoutMs: 1000 }), { code: 'ENOSPC' });
    assert.equal(existsSync(join(dir, 'lock')), false);
    // A command that fails on the full disk leaves none either.
    await run(process.execPath, [bin, '--dir', dir, 'add', 'm', join(mount, 'filler')], 20_000);
    assert.equal(existsSync(join(dir, 'lock')), false);
    // Space freed, the next taker gets the lock at once rather than after a grace period.
    rmSync(join(mount, 'filler'));
    await (
      await acquireLock(join(dir, 'lock'), { timeoutMs: 0 })
    )();
  });

  test(
    "a partial download written from another PID namespace is neither collected nor taken over by this one's gc",
    { skip: noNamespaces },
    async () => {
      // The writer's namespace, as a container would have it, named in its partial's file name (holder.ts).
      const foreign = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'readlink', '/proc/self/ns/pid'], {
        encoding: 'utf8',
      }).stdout.trim();
      assert.notEqual(foreign, readlinkSync('/proc/self/ns/pid'));
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
      const tag = createHash('sha256').update(`${boot}\n${foreign}`).digest('hex').slice(0, 8);
      // Its pid there is one that no process has here.
      let pid = 40_000;
      while (existsSync(`/proc/${pid}`)) pid++;
      const dir = await newStore('foreign-partial');
      const name = `${pid}-${tag}${'b'.repeat(32)}`;
      writeFileSync(join(dir, 'tmp', `${name}.download`), Buffer.alloc(4096, 1));
      writeFileSync(
        join(dir, 'tmp', `${name}.json`),
        JSON.stringify({ url: 'http://127.0.0.1:9/m', bytes: 4096, validator: '"v"' }),
      );
      const store = await ModelCache.open({ dir });
      await store.gc();
      await store.close();
      assert.deepEqual(readdirSync(join(dir, 'tmp')).sort(), [`${name}.download`, `${name}.json`]);
    },
  );
});
