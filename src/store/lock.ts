// A cross-process lock on one host: a file created with O_CREAT|O_EXCL that
// holds its owner's pid, host and a random token. A lock whose owner process
// is gone is stale and is broken, under a second short-lived lock so that two
// processes breaking it at once cannot remove a fresh lock by mistake.
//
// The file operations are synchronous: each is one small metadata call, far
// cheaper than a round trip through libuv's thread pool, and only the waiting
// between attempts is asynchronous.

import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockOptions {
  /** How long to wait for another owner before giving up (default 60 s). */
  timeoutMs?: number;
}

/** Releases a lock; a second call does nothing. */
export type Release = () => Promise<void>;

/** Tokens of the locks this process holds, so its own live locks are never taken for stale ones. */
const held = new Set<string>();
const host = hostname();

/** A break lock older than this was left by a process that died while breaking a stale lock. */
const BREAK_STALE_MS = 10_000;

interface Owner {
  pid: number;
  host: string;
  token: string;
}

function parseOwner(text: string): Owner | undefined {
  const [pid, ownerHost, token] = text.split('\n');
  const n = Number(pid);
  if (!Number.isSafeInteger(n) || n <= 0 || ownerHost === undefined || token === undefined) return undefined;
  return { pid: n, host: ownerHost, token };
}

/** Whether a process with this pid exists here; EPERM means it exists under another user. */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the lock's owner may still hold it. */
function ownerAlive(owner: Owner | undefined, ageMs: number): boolean {
  // A lock file is written in one call just after creation; an unreadable one
  // is either being written right now or was left half-written by a crash.
  if (owner === undefined) return ageMs < BREAK_STALE_MS;
  // Another host's processes cannot be checked from here: its lock is respected.
  if (owner.host !== host) return true;
  // The same pid as ours but not our token: a previous process that had our
  // pid (containers reuse pids on every start).
  if (owner.pid === process.pid) return held.has(owner.token);
  return processAlive(owner.pid);
}

function readLock(path: string): { text: string; ageMs: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const ageMs = Date.now() - fstatSync(fd).mtimeMs;
    return { text: readFileSync(fd, 'utf8'), ageMs };
  } finally {
    closeSync(fd);
  }
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Removes the lock at `path` if it still holds `staleText`, under the break
 * lock. False when another taker holds the break lock: the caller waits.
 */
function breakStale(path: string, staleText: string): boolean {
  const breaker = `${path}.break`;
  if (!tryCreate(breaker, `${process.pid}\n${host}\n`)) {
    const other = readLock(breaker);
    if (other !== undefined && other.ageMs > BREAK_STALE_MS) unlinkIfPresent(breaker);
    return false;
  }
  try {
    const now = readLock(path);
    if (now !== undefined && now.text === staleText) unlinkIfPresent(path);
  } finally {
    unlinkIfPresent(breaker);
  }
  return true;
}

/**
 * Takes the lock at `path`, waiting with backoff while a live process holds
 * it and breaking it when its owner is gone. Resolves to the release function.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Release> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const token = randomBytes(12).toString('hex');
  const content = `${process.pid}\n${host}\n${token}\n`;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  held.add(token);
  try {
    for (;;) {
      if (tryCreate(path, content)) break;
      const current = readLock(path);
      if (current === undefined) continue;
      const owner = parseOwner(current.text);
      if (!ownerAlive(owner, current.ageMs) && breakStale(path, current.text)) continue;
      if (Date.now() >= deadline) {
        const who = owner === undefined ? 'an unknown process' : `pid ${owner.pid} on ${owner.host}`;
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for the lock ${path}, held by ${who}; if that process is gone, delete the file`,
        );
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  } catch (error) {
    held.delete(token);
    throw error;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // Only our own lock is removed, should it ever have been broken. The token
    // stays held until then, so no taker in this process thinks it stale.
    try {
      const now = readLock(path);
      if (now !== undefined && now.text === content) unlinkIfPresent(path);
    } finally {
      held.delete(token);
    }
  };
}
