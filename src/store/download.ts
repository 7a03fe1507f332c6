// Downloads one URL into one file over HTTP(S) with Node's own client:
// follows redirects, hashes while writing, and after an interrupted transfer
// asks for the rest with a Range request, within one call or, from a partial
// file a failed call kept, in a later one. If-Range keeps the pieces from
// different versions of the resource, so a transfer resumes only when the
// first answer named its version (a strong ETag or Last-Modified), and a 206
// is joined only when it names that version too; it starts over otherwise, or
// when the server answers 200, or another total. A body is checked against
// the length it declared, decoded if the server encoded it anyway, and a disk
// error ends the download at once: only the network is worth another try.

import { createHash, type Hash } from 'node:crypto';
import { open, statfs } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline, type Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { describe } from '../cache/check.js';
import { dirname } from 'node:path';
import {
  AuthenticationRequiredError,
  DISK_ERRORS,
  DiskError,
  DownloadError,
  ModelTooLargeError,
  noSpace,
} from './errors.js';
import { removeFile, type Hashed } from './files.js';

export { DiskError, DownloadError } from './errors.js';

export interface DownloadOptions {
  /** Called after every chunk written: bytes so far and, when the server said, the total. */
  onProgress?: (done: number, total?: number) => void;
  /** Refuse a body larger than this (ModelTooLargeError, a RangeError), before downloading when the server announces its size. */
  maxBytes?: number;
  /** Aborts the download; the file is removed. */
  signal?: AbortSignal;
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** Redirects followed per attempt (default 5). */
  maxRedirects?: number;
  /** An attempt fails after this long without data (default 30 s). */
  idleTimeoutMs?: number;
  /** Delay before the second attempt, doubled for each further one (default 200 ms). */
  retryDelayMs?: number;
  /**
   * The longest `Retry-After` of a 429 or 503 that is waited for (default
   * 60 s); a server asking for longer fails the download at once.
   */
  maxRetryAfterMs?: number;
  /**
   * Continue `dest`, a partial file an earlier call kept: its first `bytes`
   * bytes are the resource `validator` names. Without it `dest` must not exist.
   */
  resume?: PartialDownload;
  /**
   * Keep `dest` when the transfer fails for a reason a later call could get
   * past (the network, an abort), reporting how far it is through `onDurable`.
   */
  keepPartial?: boolean;
  /**
   * Called with what a later call needs to resume: at each fresh answer (0
   * bytes), after each `durableEvery` bytes flushed to the disk, and when a
   * kept partial is given up.
   */
  onDurable?: (partial: PartialDownload) => void;
  /** Bytes between flushes of a partial file (default 64 MiB). */
  durableEvery?: number;
  /**
   * Request headers (a token, say) sent to the URL's own origin only: a
   * redirect to another host (a CDN's signed URL) does not carry them.
   */
  headers?: Record<string, string>;
}

/** A finished download, with the version the server named. */
export interface Downloaded extends Hashed {
  /** The Hub's X-Linked-Etag on the way, else the final answer's ETag. */
  etag?: string;
  /** The Hub's X-Repo-Commit on the way. */
  commit?: string;
}

/** How far a partial download is: its first `bytes` are on the disk, of the resource `validator` names. */
export interface PartialDownload {
  bytes: number;
  validator: string;
  total?: number;
}

function isDiskError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && Object.hasOwn(DISK_ERRORS, code);
}

/** An attempt's failure that another attempt may cure: the connection, a timeout, a 5xx. */
class Retriable extends Error {
  /** How long the server asked to wait before the next attempt (Retry-After). */
  readonly waitMs: number | undefined;
  constructor(message: string, waitMs?: number) {
    super(message);
    this.waitMs = waitMs;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRIABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function request(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  idleTimeoutMs: number,
  method: 'GET' | 'HEAD' = 'GET',
): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const req = client.request(url, { headers, signal, method }, (answer) => resolve((response = answer)));
    req.end();
    req.on('error', reject);
    // The socket's timeout: no byte for this long, before the headers or in
    // the body. The body must fail with this error, not a bare "aborted".
    req.setTimeout(idleTimeoutMs, () => {
      const error = new Retriable(`no data for ${idleTimeoutMs} ms (idleTimeoutMs)`);
      response?.destroy(error);
      req.destroy(error);
    });
  });
}

/** What the answers on the way to a body said about the resource's version. */
export interface Version {
  etag?: string;
  commit?: string;
}

type GetOptions = Required<Pick<DownloadOptions, 'maxRedirects' | 'idleTimeoutMs'>> & {
  signal?: AbortSignal;
  /** Headers for the start URL's origin only. */
  own?: Record<string, string>;
  method?: 'GET' | 'HEAD';
  /** Stop at the first answer that names the version (a HEAD's redirect carrying X-Linked-Etag). */
  stopAtVersion?: boolean;
};

/** Notes the Hub's headers, which come on the redirect from the resolve endpoint. */
function noteVersion(response: IncomingMessage, version: Version): void {
  const commit = response.headers['x-repo-commit'];
  const linked = response.headers['x-linked-etag'];
  if (typeof commit === 'string' && version.commit === undefined) version.commit = commit;
  if (typeof linked === 'string' && version.etag === undefined) version.etag = linked;
}

/** A request with redirects followed; resolves to the final response, its URL and the version named on the way. */
async function get(
  start: URL,
  headers: Record<string, string>,
  options: GetOptions,
): Promise<{ response: IncomingMessage; url: URL; version: Version }> {
  let url = start;
  const version: Version = {};
  for (let redirects = 0; ; redirects++) {
    const own = url.origin === start.origin ? options.own : undefined;
    const response = await request(url, { ...headers, ...own }, options.signal, options.idleTimeoutMs, options.method);
    const status = response.statusCode ?? 0;
    noteVersion(response, version);
    if (!REDIRECTS.has(status) || (options.stopAtVersion === true && version.etag !== undefined)) {
      const etag = response.headers.etag;
      if (version.etag === undefined && typeof etag === 'string' && status < 300) version.etag = etag;
      return { response, url, version };
    }
    response.resume();
    const location = response.headers.location;
    if (location === undefined)
      throw new DownloadError(`GET ${start.href}: HTTP ${status} redirect without a Location`, start.href, status);
    if (redirects >= options.maxRedirects) {
      throw new DownloadError(`GET ${start.href}: more than ${options.maxRedirects} redirects`, start.href, status);
    }
    url = new URL(location, url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new DownloadError(
        `GET ${start.href}: redirected to ${url.protocol} URL ${url.href}, not HTTP(S)`,
        start.href,
        status,
      );
    }
  }
}

function contentLength(response: IncomingMessage): number | undefined {
  const value = response.headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** `bytes start-end/total` of a 206. */
function contentRange(response: IncomingMessage): { start: number; end: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '');
  if (match === null) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

/** The version a response names, as If-Range would send it back: its strong ETag, else its Last-Modified. */
function validatorOf(response: IncomingMessage): string | undefined {
  const etag = response.headers.etag;
  return etag !== undefined && !etag.startsWith('W/') ? etag : response.headers['last-modified'];
}

/** Whether a 206 names the version If-Range asked for: a range of another version must not be joined. */
function sameVersion(response: IncomingMessage, validator: string): boolean {
  const named = validator.startsWith('"') ? response.headers.etag : response.headers['last-modified'];
  return named === validator;
}

/** Retry-After, in delay-seconds or an HTTP date, as milliseconds from now. */
function retryAfter(response: IncomingMessage): number | undefined {
  const value = response.headers['retry-after']?.trim();
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function contentEncoding(response: IncomingMessage): string {
  return (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
}

/**
 * A decoder for a body the server encoded although identity was asked for;
 * undefined for identity. An encoding it cannot decode is refused.
 */
function decoderFor(response: IncomingMessage, url: string, where: string): Transform | undefined {
  const encoding = contentEncoding(response);
  switch (encoding) {
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      response.resume();
      throw new DownloadError(
        `GET ${where}: the body is in Content-Encoding ${JSON.stringify(encoding)}, which caro-cache cannot decode (it asked for identity)`,
        url,
        response.statusCode,
      );
  }
}

/**
 * Downloads `url` into `dest` (created; must not exist) while hashing it, and
 * flushes it to the disk. On failure `dest` is removed and the error names
 * the URL (and the HTTP status, for HTTP errors; a 401 or 403 is an
 * AuthenticationRequiredError); a disk error is a `DiskError`, and is not
 * retried. A body of known length that the disk has no room for is a
 * DiskFullError before its first byte.
 */
export async function download(url: string, dest: string, options: DownloadOptions = {}): Promise<Downloaded> {
  const start = new URL(url);
  const attempts = options.attempts ?? 5;
  const own = options.headers ?? {};
  const settings: GetOptions = {
    maxRedirects: options.maxRedirects ?? 5,
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    signal: options.signal,
    own,
  };
  let version: Version | undefined;
  /** Bytes free on the disk, when the free-space check found too few. */
  let available: number | undefined;
  const retryDelayMs = options.retryDelayMs ?? 200;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const durableEvery = options.durableEvery ?? 64 * 2 ** 20;
  let hash: Hash = createHash('sha256');
  let done = 0;
  let durable = 0;
  let total: number | undefined;
  let validator: string | undefined;
  const diskError = (error: NodeJS.ErrnoException) =>
    DiskError.of(error, { url: start.href, path: dest, bytesNeeded: total, bytesWritten: done, available });
  const file = await open(dest, options.resume ? 'r+' : 'wx').catch((error: unknown) => {
    throw isDiskError(error) ? diskError(error) : error;
  });
  const flush = async () => {
    await file.sync();
    durable = done;
    if (validator !== undefined) options.onDurable?.({ bytes: done, validator, total });
  };
  const restart = async () => {
    // The record of what is on the disk goes first: a crash must not leave it
    // vouching for bytes of the old version that the new one overwrites.
    if (durable > 0) options.onDurable?.({ bytes: 0, validator: '' });
    durable = 0;
    await file.truncate(0);
    hash = createHash('sha256');
    done = 0;
    total = undefined;
    validator = undefined;
  };
  // The attempts ran out on failures a later call could get past.
  let gaveUp = false;
  try {
    if (options.resume) {
      // Only what was flushed is trusted: a crash can leave anything after it.
      ({ total, validator } = options.resume);
      await file.truncate(options.resume.bytes);
      for await (const chunk of file.createReadStream({ start: 0, end: options.resume.bytes - 1, autoClose: false })) {
        hash.update(chunk as Buffer);
        done += (chunk as Buffer).length;
      }
      durable = done;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'caro-cache' };
        // Without a validator the rest could come from another version of the file.
        if (done > 0 && validator === undefined) await restart();
        if (done > 0) {
          headers.range = `bytes=${done}-`;
          headers['if-range'] = validator!;
        }
        const { response, url: final, version: named } = await get(start, headers, settings);
        version = named;
        const where = final.href === start.href ? start.href : `${start.href} (redirected to ${final.href})`;
        const status = response.statusCode ?? 0;
        const range = status === 206 ? contentRange(response) : undefined;
        const length = contentLength(response);
        const encoded = contentEncoding(response) !== 'identity';
        // How many bytes this answer says it carries.
        let expected: number | undefined;
        if (
          status === 206 &&
          done > 0 &&
          range !== undefined &&
          range.start === done &&
          range.end >= range.start &&
          (length === undefined || length === range.end - range.start + 1) &&
          (range.total === undefined || range.end < range.total) &&
          (range.total === undefined || total === undefined || range.total === total) &&
          sameVersion(response, validator!) &&
          !encoded
        ) {
          total = range.total ?? total;
          expected = range.end - range.start + 1;
        } else if (status === 200 || status === 206) {
          // A fresh body: the whole resource, or a range we cannot join to what we have.
          if (status === 206) {
            response.resume();
            await restart();
            throw new Retriable(`the server answered a range that does not continue the ${done} bytes received`);
          }
          if (done > 0) await restart();
          // An encoded body's length is not the model's, and its ranges could not be joined to decoded bytes.
          total = encoded ? undefined : length;
          validator = encoded ? undefined : validatorOf(response);
          expected = encoded ? undefined : length;
          await flush();
        } else if (status === 416 && done > 0 && total === done) {
          response.resume();
          break;
        } else {
          response.resume();
          const message = `GET ${where}: HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
          if (RETRIABLE_STATUS.has(status))
            throw new Retriable(message, status === 429 || status === 503 ? retryAfter(response) : undefined);
          if (status === 401 || status === 403) {
            const tokenSent = Object.keys(own).some((name) => name.toLowerCase() === 'authorization');
            throw new AuthenticationRequiredError(where, status, tokenSent);
          }
          throw new DownloadError(message, start.href, status);
        }
        if (options.maxBytes !== undefined && total !== undefined && total > options.maxBytes) {
          response.destroy();
          throw new ModelTooLargeError(`GET ${where}: the body`, total, options.maxBytes);
        }
        if (total !== undefined) {
          const free = await freeBytes(dest);
          if (free !== undefined && total - done > free) {
            response.destroy();
            available = free;
            throw noSpace(dest);
          }
        }
        const decoder = decoderFor(response, start.href, where);
        const body = decoder === undefined ? response : pipeline(response, decoder, () => {});
        let received = 0;
        try {
          for await (const chunk of body) {
            const buffer = chunk as Buffer;
            if (decoder === undefined && expected !== undefined && received + buffer.length > expected) {
              throw new DownloadError(
                `GET ${where}: the body is longer than the ${expected} bytes the server said it would send`,
                start.href,
                status,
              );
            }
            if (options.maxBytes !== undefined && done + buffer.length > options.maxBytes) {
              throw new ModelTooLargeError(`GET ${where}: the body`, done + buffer.length, options.maxBytes, false);
            }
            let written = 0;
            while (written < buffer.length) {
              written += (await file.write(buffer, written, buffer.length - written, done + written)).bytesWritten;
            }
            hash.update(buffer);
            received += buffer.length;
            done += buffer.length;
            if (done - durable >= durableEvery) await flush();
            options.onProgress?.(done, total);
          }
        } finally {
          // Closes the connection if the body was left unread; a finished one is untouched.
          response.destroy();
        }
        // Short of what it announced: the rest is asked for again, never stored as the model.
        if (expected !== undefined && received < expected) {
          throw new Retriable(`the body ended after ${received} of the ${expected} bytes announced`);
        }
        if (total !== undefined && done < total) throw new Retriable(`the server sent ${done} of ${total} bytes`);
        break;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (error instanceof DownloadError || error instanceof RangeError || isDiskError(error)) throw error;
        const message = error instanceof Error ? error.message : String(error);
        const asked = error instanceof Retriable ? (error.waitMs ?? 0) : 0;
        const waitMs = Math.max(retryDelayMs * 2 ** (attempt - 1), asked);
        if (attempt >= attempts || asked > maxRetryAfterMs) {
          const status = /HTTP (\d{3})/.exec(message)?.[1];
          const text = message.startsWith('GET ') ? message : `GET ${start.href}: ${message}`;
          gaveUp = status === undefined || RETRIABLE_STATUS.has(Number(status));
          throw new DownloadError(
            attempt >= attempts
              ? `${text} (after ${attempts} attempts)`
              : `${text}; the server asks to retry after ${Math.ceil(asked / 1000)} s, longer than maxRetryAfterMs (${maxRetryAfterMs} ms)`,
            start.href,
            status === undefined ? undefined : Number(status),
          );
        }
        await sleep(waitMs, undefined, { signal: options.signal });
      }
    }
    await file.sync();
    await file.close();
  } catch (error) {
    // A partial is kept after a cancel or a network that stayed down, and
    // flushed first, so a later call can trust all of it.
    let kept =
      options.keepPartial === true &&
      (options.signal?.aborted === true || gaveUp) &&
      validator !== undefined &&
      done > 0;
    if (kept)
      kept = await flush().then(
        () => true,
        () => false,
      );
    await file.close().catch(() => {});
    if (!kept) await removeFile(dest);
    if (options.signal?.aborted) {
      const reason: unknown = options.signal.reason;
      throw new DownloadError(`GET ${start.href}: ${reason instanceof Error ? reason.message : 'aborted'}`, start.href);
    }
    throw isDiskError(error) && !(error instanceof DiskError) ? diskError(error) : error;
  }
  return { bytes: done, sha256: hash.digest('hex'), ...version };
}

/** Bytes this process may still write on the file system of `path`; undefined where statfs cannot say. */
async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const { bavail, bsize } = await statfs(dirname(path));
    return bavail * bsize;
  } catch {
    return undefined;
  }
}

/**
 * Asks for `url`'s version without its body: a HEAD, redirects followed until
 * an answer names the version (the Hub's resolve endpoint names it on its
 * redirect to the CDN, which is then not asked). `headers` go to the URL's
 * origin only, as for download. A 401 or 403 is an AuthenticationRequiredError.
 */
export async function probe(
  url: string,
  options: { headers?: Record<string, string>; signal?: AbortSignal; idleTimeoutMs?: number } = {},
): Promise<Version> {
  const start = new URL(url);
  const own = options.headers ?? {};
  const {
    response,
    url: final,
    version,
  } = await get(
    start,
    { 'accept-encoding': 'identity', 'user-agent': 'caro-cache' },
    {
      maxRedirects: 5,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      signal: options.signal,
      own,
      method: 'HEAD',
      stopAtVersion: true,
    },
  );
  response.resume();
  const status = response.statusCode ?? 0;
  const where = final.href === start.href ? start.href : `${start.href} (redirected to ${final.href})`;
  if (status === 401 || status === 403) {
    throw new AuthenticationRequiredError(
      where,
      status,
      Object.keys(own).some((name) => name.toLowerCase() === 'authorization'),
    );
  }
  if (status >= 400) throw new DownloadError(`HEAD ${where}: HTTP ${status}`, start.href, status);
  return version;
}

/** When a caller of a download gives up: its signal aborts, or its deadline passes. */
export interface Patience {
  signal?: AbortSignal;
  deadlineMs?: number;
}

/**
 * Waits for `work`, a download of `url`, on behalf of one of the callers who
 * may share it: rejects with the signal's reason as soon as it aborts, or with
 * a DownloadError once the deadline passes, after calling `leave` so the
 * caller's share of the download can be given up.
 */
export function waitPatiently<T>(work: Promise<T>, url: string, patience: Patience, leave: () => void): Promise<T> {
  const { signal, deadlineMs } = patience;
  if (signal === undefined && deadlineMs === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (reason: unknown) => {
      settle();
      leave();
      reject(reason);
    };
    const onAbort = () => giveUp(signal!.reason);
    if (signal?.aborted) return giveUp(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadlineMs !== undefined) {
      timer = setTimeout(
        () => giveUp(new DownloadError(`GET ${url}: not done within deadlineMs (${deadlineMs} ms)`, url)),
        deadlineMs,
      );
    }
    work.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

/** A timeout option: undefined, or whole milliseconds from 1 to 2^31-1, the longest a timer waits. */
export function checkTimeout(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new RangeError(`${name} must be a whole number of milliseconds from 1 to 2^31-1, got ${value}`);
  }
  return value;
}

export function checkSignal(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new TypeError(`${name} must be an AbortSignal, got ${describe(value)}`);
}
