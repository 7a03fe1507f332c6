// A cross-process lock: a file created with O_CREAT|O_EXCL that names its
// holder (holder.ts: host, boot id, PID namespace, pid, start time), when it
// took the lock and a random token.
//
// A taker that finds the lock decides whether its holder is gone:
// - a holder in this PID namespace on this boot is looked up in /proc: gone,
//   a zombie or a reused pid (another start time) is dead, and its lock is
//   broken at once; a live or stopped (SIGSTOP) one is waited for;
// - any other holder (another container sharing the volume, another machine)
//   cannot be checked from here. Its lock is respected while its holder
//   refreshes the file's mtime (every HEARTBEAT_MS) and taken for abandoned
//   after LEASE_MS without a change. A holder frozen that long in another
//   namespace cannot be told from a dead one and loses its lock;
// - an empty lock file is a holder that died between creating and writing
//   it: stale after EMPTY_GRACE_MS. A file in no known format is stale after
//   LEASE_MS unchanged, as a holder of some later format still heartbeats.
// A stale lock is removed under a second short-lived lock, and only if it is
// still the very file judged (inode, mtime, content), so that two takers
// breaking it at once cannot remove a fresh lock.
//
// The lock is never followed through a symbolic link (O_NOFOLLOW): this code
// never makes one, so a link named `lock` was put there by someone else, and
// is reported (LockFileError) rather than removed, for that person to see.
// Waiting ends at the timeout with a LockTimeoutError naming the holder.
//
// A lock the kernel releases when its holder dies (flock) would need a system
// call Node lacks; the native addon is an optional engine, and processes
// without it must still exclude each other, so the file lock stays the lock.
//
// The file operations are synchronous: each is one small metadata call, far
// cheaper than a round trip through libuv's thread pool, and only the waiting
// between attempts is asynchronous.

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  futimesSync,
  openSync,
  readFileSync,
  readlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { liveness, self, type Holder, type Liveness } from './holder.js';

export type { Holder as LockHolder } from './holder.js';

export interface LockOptions {
  /** How long to wait for another holder before giving up (default 60 s; Infinity: as long as it lives). */
  timeoutMs?: number;
  /** Stops waiting: the taker rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Releases a lock; a second call does nothing. */
export type Release = () => Promise<void>;

/** What a taker that timed out found in the lock file. */
export type LockState = Liveness | 'empty' | 'unreadable';

/** The lock stayed held for the whole timeout; `holder` names who holds it, when the file says. */
export class LockTimeoutError extends Error {
  readonly code = 'ELOCKTIMEOUT';
  constructor(
    readonly path: string,
    readonly timeoutMs: number,
    readonly holder: Holder | undefined,
    readonly state: LockState,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for the lock ${path}, held by ${describeHolder(holder, state)}`);
    this.name = 'LockTimeoutError';
  }
}

/** The lock's path is not a regular file (a symbolic link, a directory...): nothing this code made. */
export class LockFileError extends Error {
  readonly code = 'ELOCKFILE';
  constructor(
    readonly path: string,
    readonly found: string,
  ) {
    super(`the lock ${path} is ${found}, which caro-cache never makes; remove it if no other program uses it`);
    this.name = 'LockFileError';
  }
}

/** A holder refreshes its lock's mtime this often. */
const HEARTBEAT_MS = 2_000;
/** A lock whose holder cannot be checked is abandoned after this long without a heartbeat. */
const LEASE_MS = 15_000;
/** An empty lock older than this was left by a holder that died before writing it. */
const EMPTY_GRACE_MS = 1_000;
/** A break lock older than this was left by a process that died while breaking a stale lock. */
const BREAK_STALE_MS = 10_000;

/** Tokens of the locks this process holds, so its own live locks are never taken for stale ones. */
const held = new Set<string>();

function describeHolder(holder: Holder | undefined, state: LockState): string {
  if (state === 'empty') return 'an unknown process (the lock file is empty)';
  if (holder === undefined) return 'an unknown process (the lock file is in no known format)';
  const since = holder.since === '' ? '' : ` since ${holder.since}`;
  const who = `pid ${holder.pid} on ${holder.host}${since}`;
  if (state === 'stopped') return `${who}, which is stopped`;
  if (state === 'unknown') {
    return `${who}, in another PID namespace or on another machine, where it cannot be checked from here; it is taken for gone once its lock goes ${LEASE_MS / 1000} s without a heartbeat`;
  }
  return who;
}

// Format: pid, host and token on the first lines (as earlier versions wrote
// and read them), then key=value lines.
function formatLock(token: string): string {
  const { pid, host, bootId, pidNamespace, startTime } = self;
  const since = new Date().toISOString();
  return `${pid}\n${host}\n${token}\nboot=${bootId}\npidns=${pidNamespace}\nstart=${startTime}\nsince=${since}\n`;
}

interface Owner {
  holder: Holder;
  token: string;
}

function parseLock(text: string): Owner | undefined {
  const [pidText, host, token, ...rest] = text.split('\n');
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0 || host === undefined || token === undefined || token === '') {
    return undefined;
  }
  const fields = new Map(rest.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  const field = (key: string) => fields.get(key) ?? '';
  const holder = {
    pid,
    host,
    bootId: field('boot'),
    pidNamespace: field('pidns'),
    startTime: field('start'),
    since: field('since'),
  };
  return { holder, token };
}

interface Sighting {
  text: string;
  /** Changes whenever the file is replaced, rewritten or its holder heartbeats. */
  key: string;
  ageMs: number;
}

/** Reads the lock file without following a link; undefined when there is none. */
function readLock(path: string): Sighting | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new LockFileError(path, `a symbolic link to ${readlinkSync(path)}`);
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new LockFileError(path, stats.isDirectory() ? 'a directory' : 'not a regular file');
    const text = readFileSync(fd, 'utf8');
    return { text, key: `${stats.ino}:${stats.mtimeMs}:${text}`, ageMs: Date.now() - stats.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/** Creates the file at `path` holding `content`; its descriptor, or undefined if it exists. */
function tryCreate(path: string, content: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  try {
    const data = Buffer.from(content);
    for (let at = 0; at < data.length;) at += writeSync(fd, data, at);
  } catch (error) {
    // A full disk lets the file be created but not written: an empty lock left
    // behind would cost the next taker its grace period.
    closeSync(fd);
    unlinkIfPresent(path);
    throw error;
  }
  return fd;
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

interface Verdict {
  stale: boolean;
  holder?: Holder;
  state: LockState;
}

/** Whether the lock seen is stale; `quietMs` is how long this taker has seen it unchanged. */
function judge(lock: Sighting, quietMs: number): Verdict {
  // The file's age counts too where the holder's clock is ours, so a lock
  // abandoned long ago is broken at once.
  const unchangedMs = Math.max(quietMs, lock.ageMs);
  if (lock.text === '') return { stale: unchangedMs >= EMPTY_GRACE_MS, state: 'empty' };
  const owner = parseLock(lock.text);
  if (owner === undefined) return { stale: unchangedMs >= LEASE_MS, state: 'unreadable' };
  const { holder } = owner;
  if (held.has(owner.token)) return { stale: false, holder, state: 'alive' };
  const state = liveness(holder);
  if (state !== 'unknown') return { stale: state === 'dead', holder, state };
  const sameClock = self.bootId !== '' && holder.bootId === self.bootId;
  return { stale: (sameClock ? unchangedMs : quietMs) >= LEASE_MS, holder, state };
}

/**
 * Removes the lock at `path` if it is still the one seen as `staleKey`, under
 * the break lock. False when another taker holds the break lock: the caller waits.
 */
function breakStale(path: string, staleKey: string): boolean {
  const breaker = `${path}.break`;
  const fd = tryCreate(breaker, formatLock('break'));
  if (fd === undefined) {
    const other = readLock(breaker);
    if (other !== undefined && other.ageMs > BREAK_STALE_MS) unlinkIfPresent(breaker);
    return false;
  }
  closeSync(fd);
  try {
    if (readLock(path)?.key === staleKey) unlinkIfPresent(path);
  } finally {
    unlinkIfPresent(breaker);
  }
  return true;
}

/**
 * Takes the lock at `path`, waiting with backoff while a live process holds
 * it and breaking it when its holder is gone. Resolves to the release function.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Release> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!(timeoutMs >= 0)) throw new RangeError(`options.timeoutMs must be a number of ms >= 0, not ${timeoutMs}`);
  const token = randomBytes(12).toString('hex');
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  let watched: { key: string; since: number } | undefined;
  let content = '';
  let fd: number | undefined;
  held.add(token);
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      content = formatLock(token);
      fd = tryCreate(path, content);
      if (fd !== undefined) break;
      const lock = readLock(path);
      if (lock === undefined) continue;
      const now = Date.now();
      if (watched?.key !== lock.key) watched = { key: lock.key, since: now };
      const verdict = judge(lock, now - watched.since);
      if (verdict.stale && breakStale(path, lock.key)) continue;
      if (now >= deadline) throw new LockTimeoutError(path, timeoutMs, verdict.holder, verdict.state);
      await sleep(delay + Math.random() * delay, undefined, { signal: options.signal });
      delay = Math.min(delay * 2, 50);
    }
  } catch (error) {
    held.delete(token);
    throw error;
  }
  const lockFd = fd;
  const heartbeat = setInterval(() => {
    try {
      futimesSync(lockFd, new Date(), new Date());
    } catch {
      // A missed beat only matters to takers that cannot check this process, and only after LEASE_MS of them.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    closeSync(lockFd);
    // Only our own lock is removed, should it ever have been broken. The token
    // stays held until then, so no taker in this process thinks it stale.
    try {
      if (readLock(path)?.text === content) unlinkIfPresent(path);
    } finally {
      held.delete(token);
    }
  };
}
