// Downloads one URL into one file over HTTP(S) with Node's own client:
// follows redirects, hashes while writing, and after an interrupted transfer
// asks for the rest with a Range request, within one call or, from a partial
// file a failed call kept, in a later one. If-Range keeps the pieces from
// different versions of the resource, so a transfer resumes only when the
// first answer named its version (a strong ETag or Last-Modified) and starts
// over otherwise, or when the server answers 200, or another total.

import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeFile, type Hashed } from './files.js';

export interface DownloadOptions {
  /** Called after every chunk written: bytes so far and, when the server said, the total. */
  onProgress?: (done: number, total?: number) => void;
  /** Refuse a body larger than this (RangeError), before downloading when the server announces its size. */
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
}

/** How far a partial download is: its first `bytes` are on the disk, of the resource `validator` names. */
export interface PartialDownload {
  bytes: number;
  validator: string;
  total?: number;
}

/** An HTTP error or a failed transfer, naming the URL and, for HTTP errors, the status. */
export class DownloadError extends Error {
  readonly url: string;
  readonly status: number | undefined;
  constructor(message: string, url: string, status?: number) {
    super(message);
    this.name = 'DownloadError';
    this.url = url;
    this.status = status;
  }
}

/** An attempt's failure that another attempt may cure: the connection, a timeout, a 5xx. */
class Retriable extends Error {}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRIABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function request(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  idleTimeoutMs: number,
): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers, signal }, resolve);
    req.on('error', reject);
    req.setTimeout(idleTimeoutMs, () => req.destroy(new Retriable(`no data for ${idleTimeoutMs} ms`)));
  });
}

/** GET with redirects followed; resolves to the final response and its URL. */
async function get(
  start: URL,
  headers: Record<string, string>,
  options: Required<Pick<DownloadOptions, 'maxRedirects' | 'idleTimeoutMs'>> & { signal?: AbortSignal },
): Promise<{ response: IncomingMessage; url: URL }> {
  let url = start;
  for (let redirects = 0; ; redirects++) {
    const response = await request(url, headers, options.signal, options.idleTimeoutMs);
    const status = response.statusCode ?? 0;
    if (!REDIRECTS.has(status)) return { response, url };
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
function contentRange(response: IncomingMessage): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '');
  if (match === null) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

/**
 * Downloads `url` into `dest` (created; must not exist) while hashing it, and
 * flushes it to the disk. On failure `dest` is removed and the error names
 * the URL (and the HTTP status, for HTTP errors).
 */
export async function download(url: string, dest: string, options: DownloadOptions = {}): Promise<Hashed> {
  const start = new URL(url);
  const attempts = options.attempts ?? 5;
  const settings = {
    maxRedirects: options.maxRedirects ?? 5,
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    signal: options.signal,
  };
  const retryDelayMs = options.retryDelayMs ?? 200;
  const durableEvery = options.durableEvery ?? 64 * 2 ** 20;
  const file = await open(dest, options.resume ? 'r+' : 'wx');
  let hash: Hash = createHash('sha256');
  let done = 0;
  let durable = 0;
  let total: number | undefined;
  let validator: string | undefined;
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
        const { response, url: final } = await get(start, headers, settings);
        const where = final.href === start.href ? start.href : `${start.href} (redirected to ${final.href})`;
        const status = response.statusCode ?? 0;
        const range = status === 206 ? contentRange(response) : undefined;
        if (
          status === 206 &&
          done > 0 &&
          range !== undefined &&
          range.start === done &&
          (range.total === undefined || total === undefined || range.total === total)
        ) {
          total = range.total ?? total;
        } else if (status === 200 || status === 206) {
          // A fresh body: the whole resource, or a range we cannot join to what we have.
          if (status === 206) {
            response.resume();
            await restart();
            throw new Retriable(`the server answered a range that does not continue the ${done} bytes received`);
          }
          if (done > 0) await restart();
          total = contentLength(response);
          const etag = response.headers.etag;
          validator = etag !== undefined && !etag.startsWith('W/') ? etag : response.headers['last-modified'];
          await flush();
        } else if (status === 416 && done > 0 && total === done) {
          response.resume();
          break;
        } else {
          response.resume();
          const message = `GET ${where}: HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
          if (RETRIABLE_STATUS.has(status)) throw new Retriable(message);
          throw new DownloadError(message, start.href, status);
        }
        if (options.maxBytes !== undefined && total !== undefined && total > options.maxBytes) {
          response.destroy();
          throw new RangeError(`GET ${where}: the body is ${total} bytes, larger than maxBytes (${options.maxBytes})`);
        }
        for await (const chunk of response) {
          const buffer = chunk as Buffer;
          if (options.maxBytes !== undefined && done + buffer.length > options.maxBytes) {
            response.destroy();
            throw new RangeError(`GET ${where}: the body is larger than maxBytes (${options.maxBytes})`);
          }
          let written = 0;
          while (written < buffer.length) {
            written += (await file.write(buffer, written, buffer.length - written, done + written)).bytesWritten;
          }
          hash.update(buffer);
          done += buffer.length;
          if (done - durable >= durableEvery) await flush();
          options.onProgress?.(done, total);
        }
        if (total !== undefined && done !== total) {
          throw new Retriable(`the connection closed after ${done} of ${total} bytes`);
        }
        break;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (error instanceof DownloadError || error instanceof RangeError) throw error;
        const message = error instanceof Error ? error.message : String(error);
        if (attempt >= attempts) {
          const status = /HTTP (\d{3})/.exec(message)?.[1];
          const text = message.startsWith('GET ') ? message : `GET ${start.href}: ${message}`;
          gaveUp = status === undefined || RETRIABLE_STATUS.has(Number(status));
          throw new DownloadError(
            `${text} (after ${attempts} attempts)`,
            start.href,
            status === undefined ? undefined : Number(status),
          );
        }
        await sleep(retryDelayMs * 2 ** (attempt - 1), undefined, { signal: options.signal });
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
    throw error;
  }
  return { bytes: done, sha256: hash.digest('hex') };
}
