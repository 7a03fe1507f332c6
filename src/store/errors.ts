// The store's typed errors. Each has a stable `code` that programs (and the
// CLI's exit codes) can rely on, and its details as fields; the message is
// for people and may change.
//
//   EDOWNLOAD     DownloadError               an HTTP error or a failed transfer {url, status}
//   EAUTH         AuthenticationRequiredError a 401 or 403: a gated or private model, or a bad token
//   ECHECKSUM     ChecksumMismatchError       the content is not the SHA-256 asked for {expected, actual}
//   ENOMODEL      ModelNotFoundError          offline, and the store does not have the model {id}
//   ETOOLARGE     ModelTooLargeError          larger than the store's limit {bytes, maxBytes}
//   ENOSPC        DiskFullError               the disk has no room for it {needed, available}
//   (errno)       DiskError                   the disk refused a write: EDQUOT, EROFS, EIO
//
// DiskFullError is DiskError's ENOSPC case: one class per concept, and code
// that catches DiskError still catches a full disk.

import { formatBytes } from './sizes.js';

/** An HTTP error or a failed transfer, naming the URL and, for HTTP errors, the status. */
export class DownloadError extends Error {
  readonly code: string = 'EDOWNLOAD';
  readonly url: string;
  readonly status: number | undefined;
  constructor(message: string, url: string, status?: number) {
    super(message);
    this.name = 'DownloadError';
    this.url = url;
    this.status = status;
  }
}

/** The server answered 401 or 403: the model is gated or private, or the token is wrong. */
export class AuthenticationRequiredError extends DownloadError {
  override readonly code = 'EAUTH';
  constructor(url: string, status: number, tokenSent: boolean) {
    const hint = tokenSent
      ? "the token sent was refused: check that it is valid and that its account has accepted the model's terms"
      : 'no token was sent: give one with the `token` option, $HF_TOKEN or `huggingface-cli login` ($HF_HOME/token)';
    super(`GET ${url}: HTTP ${status}: the model may be gated or private; ${hint}`, url, status);
    this.name = 'AuthenticationRequiredError';
  }
}

/** The content's SHA-256 is not the one asked for; nothing was added. */
export class ChecksumMismatchError extends Error {
  readonly code = 'ECHECKSUM';
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, expected: string, actual: string) {
    super(`${what}: expected SHA-256 ${expected}, the content's is ${actual} (it does not match); nothing was added`);
    this.name = 'ChecksumMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** The store does not have the model and may not download it (offline mode). */
export class ModelNotFoundError extends Error {
  readonly code = 'ENOMODEL';
  readonly id: string;
  constructor(id: string, dir: string, why: string) {
    super(`no model ${JSON.stringify(id)} in ${dir}; ${why}`);
    this.name = 'ModelNotFoundError';
    this.id = id;
  }
}

/** A model larger than the store's limit; nothing was evicted. A RangeError, as it always was. */
export class ModelTooLargeError extends RangeError {
  readonly code = 'ETOOLARGE';
  readonly bytes: number;
  readonly maxBytes: number;
  constructor(what: string, bytes: number, maxBytes: number, known = true) {
    super(
      known
        ? `${what} is ${bytes} bytes, larger than the store's maxBytes (${maxBytes}); nothing was evicted`
        : `${what} is larger than maxBytes (${maxBytes}); nothing was evicted`,
    );
    this.name = 'ModelTooLargeError';
    this.bytes = bytes;
    this.maxBytes = maxBytes;
  }
}

export const DISK_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EIO: 'an I/O error',
};

export interface DiskErrorPlace {
  url: string;
  path: string;
  bytesNeeded?: number;
  bytesWritten: number;
  id?: string;
  /** Bytes free for this process on the file system, when known (DiskFullError). */
  available?: number;
}

/**
 * The disk refused a download (ENOSPC, EDQUOT, EROFS, EIO): it is not
 * retried, and its partial file is removed. Names the model (when the store
 * downloads one), the file and the bytes the body needs, when the server said.
 */
export class DiskError extends Error {
  readonly code: string;
  readonly url: string;
  readonly path: string;
  readonly bytesNeeded: number | undefined;
  readonly bytesWritten: number;
  readonly id: string | undefined;
  protected readonly place: DiskErrorPlace;
  constructor(cause: NodeJS.ErrnoException, where: DiskErrorPlace) {
    const code = cause.code ?? 'EIO';
    const size =
      where.bytesNeeded === undefined
        ? 'the server did not say how large the body is'
        : `the body needs ${where.bytesNeeded} bytes (${formatBytes(where.bytesNeeded)})`;
    const free = where.available === undefined ? '' : `, ${where.available} are free`;
    super(
      `GET ${where.url}: ${DISK_ERRORS[code] ?? code} (${code}) writing ${where.path}` +
        `${where.id === undefined ? '' : ` for model ${JSON.stringify(where.id)}`}: ${size}${free}, ` +
        `${where.bytesWritten} were written; nothing was kept`,
      { cause },
    );
    this.name = 'DiskError';
    this.code = code;
    this.url = where.url;
    this.path = where.path;
    this.bytesNeeded = where.bytesNeeded;
    this.bytesWritten = where.bytesWritten;
    this.id = where.id;
    this.place = where;
  }

  /** The error for a disk failure: a DiskFullError for ENOSPC. */
  static of(cause: NodeJS.ErrnoException, where: DiskErrorPlace): DiskError {
    return cause.code === 'ENOSPC' ? new DiskFullError(cause, where) : new DiskError(cause, where);
  }

  /** The same error, naming the model it was downloading. */
  forModel(id: string): DiskError {
    return DiskError.of(this.cause as NodeJS.ErrnoException, { ...this.place, id });
  }
}

/**
 * The disk has no room for a download: found by the free-space check before
 * the first byte (a body of known length), or by a write that failed with
 * ENOSPC. `needed` is the bytes still to come, when known; `available` the
 * bytes free, when known.
 */
export class DiskFullError extends DiskError {
  readonly needed: number | undefined;
  readonly available: number | undefined;
  constructor(cause: NodeJS.ErrnoException, where: DiskErrorPlace) {
    super(cause, where);
    this.name = 'DiskFullError';
    this.needed = where.bytesNeeded === undefined ? undefined : where.bytesNeeded - where.bytesWritten;
    this.available = where.available;
  }
}

/** An ENOSPC error as the file system would raise it, for the free-space check. */
export function noSpace(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
    path,
  });
}
