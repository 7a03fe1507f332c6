// Model ids, hashes and the file names they map to. A file name is built only
// from hex digits and a short alphanumeric extension, so no id (`../x`, an
// absolute path, separators, NUL) can ever name a file outside the store.

import { createHash } from 'node:crypto';
import { describe } from '../cache/check.js';

/** The longest id, in UTF-16 code units (JavaScript string length). */
export const MAX_ID_LENGTH = 256;

/** What keeps a string from being a model id, or undefined when it is one. */
function idFault(id: string): string | undefined {
  if (id.length === 0) return 'must not be empty';
  if (id.length > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters, got ${id.length}`;
  if (id.includes('\0')) return 'must not contain NUL characters';
  return undefined;
}

/** Throws TypeError or RangeError, naming the argument, unless `id` is a valid model id. */
export function checkId(id: unknown, name = 'id'): asserts id is string {
  if (typeof id !== 'string') throw new TypeError(`${name} must be a string, got ${describe(id)}`);
  const fault = idFault(id);
  if (fault !== undefined) throw new RangeError(`${name} ${fault}`);
}

/** Whether a value read back from the journal is a valid model id. */
export function isId(id: unknown): id is string {
  return typeof id === 'string' && idFault(id) === undefined;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Whether a value is a SHA-256 as the store records it: 64 lower-case hex digits. */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && SHA256.test(value);
}

/** Whether a value read back is a size in bytes as the store records it: a safe non-negative integer. */
export function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Checks an optional SHA-256 given by a caller; returns it in lower case. */
export function checkSha256(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new TypeError(`${name} must be a string of 64 hex digits, got ${describe(value)}`);
  const sha256 = value.toLowerCase();
  if (!isSha256(sha256)) throw new RangeError(`${name} must be 64 hex digits (a SHA-256), got ${describe(value)}`);
  return sha256;
}

/** A path given by a caller: a non-empty string without NUL. */
export function checkPath(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new RangeError(`${name} must not be empty`);
  if (value.includes('\0')) throw new RangeError(`${name} must not contain NUL characters`);
}

const EXTENSION = /\.([A-Za-z0-9]{1,16})$/;

/**
 * The file name of a model: a hash of the id, the start of the content's
 * SHA-256 (so a replaced model never overwrites the file of the one it
 * replaces before the replacement is recorded) and the id's extension, if it
 * has a plain one (`.gguf`), for people and tools that look at it.
 */
export function fileNameFor(id: string, sha256: string): string {
  // JSON text keeps lone surrogates distinct, where UTF-8 would merge them.
  const idHash = createHash('sha256').update(JSON.stringify(id)).digest('hex').slice(0, 32);
  const ext = EXTENSION.exec(id);
  return `${idHash}-${sha256.slice(0, 16)}${ext === null ? '' : `.${ext[1].toLowerCase()}`}`;
}

const FILE_NAME = /^[0-9a-f]{32}-[0-9a-f]{16}(\.[a-z0-9]{1,16})?$/;

/** Whether a name read back from the journal is one `fileNameFor` could have made. */
export function isModelFileName(name: unknown): name is string {
  return typeof name === 'string' && FILE_NAME.test(name);
}
