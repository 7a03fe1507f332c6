// The store's cross-process lock: exclusion, waiting, stale locks of dead
// processes (and of an earlier process with this one's pid), holders in
// another PID namespace, stopped holders, the heartbeat and the typed errors.
// test/fault-lock.test.ts has the faults made with real processes and mounts.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { processAlive } from '../src/store/holder.js';
import { acquireLock, LockFileError, LockTimeoutError } from '../src/store/lock.js';

const root = mkdtempSync(join(tmpdir(), 'caro-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const lockPath = () => join(root, `lock-${n++}`);

const linux = existsSync('/proc/self/stat');
const noProc = linux ? false : 'needs /proc (Linux)';
const bootId = linux ? readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim() : '';
const pidNamespace = linux ? readlinkSync('/proc/self/ns/pid') : '';

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function startTimeOf(pid: number): string {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** A lock file as a holder with these facts writes it; by default a live one on this host, boot and namespace. */
function lockText(holder: { pid: number; start: string; pidns?: string; boot?: string }): string {
  const { pid, start, pidns = pidNamespace, boot = bootId } = holder;
  return `${pid}\n${hostname()}\nfeedface\nboot=${boot}\npidns=${pidns}\nstart=${start}\nsince=2024-01-02T03:04:05.000Z\n`;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  assert.ok(pid !== undefined && !processAlive(pid));
  return pid;
}

describe('acquireLock', () => {
  test('holds the file with our pid while held; release removes it; a second release does nothing', async () => {
    const path = lockPath();
    const release = await acquireLock(path);
    assert.match(readFileSync(path, 'utf8'), new RegExp(`^${process.pid}\n`));
    await release();
    assert.equal(existsSync(path), false);
    await release();
  });

  test('a second taker waits until the first releases', async () => {
    const path = lockPath();
    const first = await acquireLock(path);
    const order: string[] = [];
    const second = acquireLock(path).then((release) => {
      order.push('second');
      return release;
    });
    await new Promise((r) => setTimeout(r, 50));
    order.push('first releases');
    await first();
    await (
      await second
    )();
    assert.deepEqual(order, ['first releases', 'second']);
  });

  test("a dead process's lock is broken", async () => {
    const path = lockPath();
    writeFileSync(path, `${deadPid()}\n${hostname()}\ndeadbeef\n`);
    const release = await acquireLock(path, { timeoutMs: 2000 });
    assert.match(readFileSync(path, 'utf8'), new RegExp(`^${process.pid}\n`));
    await release();
  });

  test('a lock with our pid but not our token (an earlier process with this pid) is broken', async () => {
    const path = lockPath();
    writeFileSync(path, `${process.pid}\n${hostname()}\nnot-ours\n`);
    await (
      await acquireLock(path, { timeoutMs: 2000 })
    )();
  });

  test('an unreadable lock is respected while young and broken when old', async () => {
    const path = lockPath();
    writeFileSync(path, 'garbage');
    await assert.rejects(acquireLock(path, { timeoutMs: 100 }), /timed out .* held by an unknown process/);
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(path, old, old);
    await (
      await acquireLock(path, { timeoutMs: 2000 })
    )();
  });

  test('a live holder makes a taker time out with a message naming the lock and the holder', async () => {
    const path = lockPath();
    const release = await acquireLock(path);
    await assert.rejects(
      acquireLock(path, { timeoutMs: 100 }),
      (e: Error) => e.message.includes(path) && e.message.includes(`pid ${process.pid}`),
    );
    await release();
  });

  test('a stale lock that another taker is breaking is waited on, not spun on, and the timeout holds', async () => {
    const path = lockPath();
    writeFileSync(path, `${deadPid()}\n${hostname()}\ndeadbeef\n`);
    // A breaker that died mid-break: its break lock is young, so it is respected for now.
    writeFileSync(`${path}.break`, `${deadPid()}\n${hostname()}\n`);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await assert.rejects(acquireLock(path, { timeoutMs: 300 }), /timed out/);
    clearInterval(timer);
    assert.ok(ticks >= 5, `the event loop ran only ${ticks} timer ticks while the taker waited`);
  });

  test('many takers in one process are served one at a time', async () => {
    const path = lockPath();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const release = await acquireLock(path);
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 1));
        inside--;
        await release();
      }),
    );
    assert.equal(most, 1);
  });

  test(
    'the lock names the holder by boot id, PID namespace and start time as well as pid and host',
    { skip: noProc },
    async () => {
      const path = lockPath();
      const release = await acquireLock(path);
      const lines = readFileSync(path, 'utf8').split('\n');
      assert.deepEqual(lines.slice(0, 2), [String(process.pid), hostname()]);
      assert.ok(lines.includes(`boot=${bootId}`) && lines.includes(`pidns=${pidNamespace}`), lines.join('|'));
      assert.ok(lines.includes(`start=${startTimeOf(process.pid)}`), lines.join('|'));
      await release();
    },
  );

  test('a holder in another PID namespace with our pid is not taken for stale while it heartbeats', async () => {
    const path = lockPath();
    // Another container's pid 1 when we are pid 1: the same pid, not the same process.
    writeFileSync(path, lockText({ pid: process.pid, start: '1', pidns: 'pid:[1]' }));
    const beat = setInterval(() => utimesSync(path, new Date(), new Date()), 100);
    try {
      await assert.rejects(acquireLock(path, { timeoutMs: 1000 }), (e: unknown) => {
        assert.ok(e instanceof LockTimeoutError, String(e));
        assert.equal(e.state, 'unknown');
        assert.equal(e.holder?.pid, process.pid);
        assert.equal(e.holder?.pidNamespace, 'pid:[1]');
        assert.match(e.message, /another PID namespace/);
        return true;
      });
    } finally {
      clearInterval(beat);
    }
  });

  test('a lock from another PID namespace whose heartbeat stopped long ago is broken', { skip: noProc }, async () => {
    const path = lockPath();
    // Pid 1 exists here too, but says nothing about a holder in another namespace.
    writeFileSync(path, lockText({ pid: 1, start: startTimeOf(1), pidns: 'pid:[1]' }));
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(path, old, old);
    await (
      await acquireLock(path, { timeoutMs: 5000 })
    )();
  });

  test(
    'a stopped holder is waited for, and the timeout is a LockTimeoutError naming pid, host and since',
    { skip: noProc },
    async (t) => {
      const path = lockPath();
      const child = spawn('sleep', ['30']);
      t.after(() => child.kill('SIGKILL'));
      await new Promise((r) => child.once('spawn', r));
      const pid = child.pid!;
      child.kill('SIGSTOP');
      while (!/\) [Tt] /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'))) await new Promise((r) => setTimeout(r, 5));
      writeFileSync(path, lockText({ pid, start: startTimeOf(pid) }));
      await assert.rejects(acquireLock(path, { timeoutMs: 300 }), (e: unknown) => {
        assert.ok(e instanceof LockTimeoutError, String(e));
        assert.equal(e.state, 'stopped');
        assert.equal(e.holder?.pid, pid);
        assert.equal(e.path, path);
        for (const part of [`pid ${pid}`, hostname(), 'since 2024-01-02T03:04:05.000Z', 'stopped']) {
          assert.ok(e.message.includes(part), `${e.message} lacks ${part}`);
        }
        return true;
      });
      assert.ok(existsSync(path));
    },
  );

  test('a holder refreshes the mtime of its lock while it holds it', async () => {
    const path = lockPath();
    const release = await acquireLock(path);
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(path, old, old);
    await new Promise((r) => setTimeout(r, 2500));
    const ageMs = Date.now() - statSync(path).mtimeMs;
    await release();
    assert.ok(ageMs < 2000, `the lock was last refreshed ${ageMs} ms ago`);
  });

  test('a directory named lock is reported, not waited on', async () => {
    const path = lockPath();
    mkdirSync(path);
    await assert.rejects(acquireLock(path, { timeoutMs: 5000 }), (e: unknown) => {
      assert.ok(e instanceof LockFileError, String(e));
      assert.match(e.message, /is a directory/);
      return true;
    });
  });

  test('a bad timeout is a RangeError', async () => {
    await assert.rejects(acquireLock(lockPath(), { timeoutMs: -1 }), RangeError);
    await assert.rejects(acquireLock(lockPath(), { timeoutMs: NaN }), /options\.timeoutMs/);
  });
});
