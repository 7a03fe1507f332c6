// File operations of the model store: streamed SHA-256 while copying or
// reading, and the fsyncs that make a rename or a write durable.

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fsync, openSync, rmSync, unlinkSync } from 'node:fs';
import { mkdir, open, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

// Opening and closing are synchronous (one cheap metadata call each, where a
// trip through libuv's thread pool costs more); the fsync itself, which can
// take milliseconds, runs in the pool.

/** fsync(2) on an open descriptor, off the main thread. */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}

/** Flushes a directory's entries (a rename, create or unlink in it) to the disk. */
export async function fsyncDir(path: string): Promise<void> {
  const fd = openSync(path, 'r');
  try {
    await fsyncFd(fd);
  } catch (error) {
    // Some filesystems cannot fsync a directory; their renames are as durable as they get.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EBADF' && code !== 'EPERM') throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates a directory and any missing parents, durably: a new directory's
 * entry lives in its parent, which is flushed too.
 */
export async function makeDir(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true });
  if (first === undefined) return;
  for (let dir = path; ; dir = dirname(dir)) {
    await fsyncDir(dirname(dir));
    if (dir === first || dirname(dir) === dir) break;
  }
}

/** Flushes a file's data to the disk. */
export async function fsyncFile(path: string): Promise<void> {
  const fd = openSync(path, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

export interface Hashed {
  bytes: number;
  sha256: string;
}

/** SHA-256 and size of a file, streamed. */
export async function hashFile(path: string): Promise<Hashed> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Copies `source` to `dest` (created, must not exist) while hashing it, then
 * flushes `dest` to the disk. On failure `dest` is removed.
 */
export async function copyHashing(source: string, dest: string): Promise<Hashed> {
  const hash = createHash('sha256');
  let bytes = 0;
  const out = await open(dest, 'wx');
  try {
    for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 })) {
      const buffer = chunk as Buffer;
      hash.update(buffer);
      let written = 0;
      while (written < buffer.length)
        written += (await out.write(buffer, written, buffer.length - written)).bytesWritten;
      bytes += buffer.length;
    }
    await out.sync();
    await out.close();
  } catch (error) {
    await out.close().catch(() => {});
    await removeFile(dest);
    throw error;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Removes a file, or a multi-file model's directory with what it holds; one already gone is fine. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EPERM') await rm(path, { recursive: true, force: true });
    else if (code !== 'ENOENT') throw error;
  }
}

/** Removes a file, synchronously; a file already gone is fine, and so is any failure. */
export function removeFileSync(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone already, or left for a later try.
    }
  }
}
