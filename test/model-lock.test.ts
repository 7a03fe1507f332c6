// The store's cross-process lock: exclusion, waiting, stale locks of dead
// processes (and of an earlier process with this one's pid), and the timeout.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { processAlive } from '../src/store/holder.js';
import { acquireLock } from '../src/store/lock.js';

const root = mkdtempSync(join(tmpdir(), 'caro-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const lockPath = () => join(root, `lock-${n++}`);

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
});
