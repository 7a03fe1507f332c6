// Model ids, hashes and the file names they map to. A file name is built only
// from hex digits and a short alphanumeric extension, so no id (`../x`, an
// absolute path, separators, NUL) can ever name a file outside the store.

import { createHash } from 'node:crypto';

/** The longest id, in UTF-16 code units (JavaScript string length). */
export const MAX_ID_LENGTH = 256;

/** Throws TypeError or RangeError, naming the argument, unless `id` is a valid model id. */
export function checkId(id: unknown, name = 'id'): asserts id is string {
  if (typeof id !== 'string') throw new TypeError(`${name} must be a string, got ${describe(id)}`);
  if (id.length === 0) throw new RangeError(`${name} must not be empty`);
  if (id.length > MAX_ID_LENGTH) throw new RangeError(`${name} must be at most ${MAX_ID_LENGTH} characters, got ${id.length}`);
  if (id.includes('\0')) throw new RangeError(`${name} must not contain NUL characters`);
}

const SHA256 = /^[0-9a-fA-F]{64}$/;

/** Checks an optional SHA-256 given by a caller; returns it in lower case. */
export function checkSha256(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string of 64 hex digits, got ${describe(value)}`);
  if (!SHA256.test(value)) throw new RangeError(`${name} must be 64 hex digits (a SHA-256), got ${describe(value)}`);
  return value.toLowerCase();
}

/** A path given by a caller: a non-empty string without NUL. */
export function checkPath(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new RangeError(`${name} must not be empty`);
  if (value.includes('\0')) throw new RangeError(`${name} must not contain NUL characters`);
}

/** An options argument: undefined or a plain object. */
export function checkOptions(value: unknown, name = 'options'): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
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

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
