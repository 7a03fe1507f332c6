// What a fetch asks for: its options checked once, its sources parsed, the
// headers each source's server gets, and whether a model the store has is
// the one asked for. The network settings come from open's options and the
// environment; a call's options override them.

import { checkOptions, describe } from '../cache/check.js';
import { checkSignal, checkTimeout, type Patience } from './download.js';
import { checkEndpoint, DEFAULT_ENDPOINT, envFlag, findToken, isCommit, parseSource, type Source } from './hub.js';
import { checkSha256 } from './ids.js';
import type { Progress } from './inflight.js';
import { fileNameOf, type ModelFile } from './model-files.js';
import type { Provenance } from './provenance.js';

/**
 * How fetch treats a model the store has, fetched from a branch (not a
 * pinned commit): `'cache-first'` serves it; `'revalidate'` asks the server
 * for its ETag with one HEAD and downloads it again only if that changed (or
 * was never recorded).
 */
export type Freshness = 'cache-first' | 'revalidate';

export interface FetchOptions {
  /** Refuse the download unless its SHA-256 is this (ChecksumMismatchError); a model present with another is downloaded again. */
  sha256?: string;
  onProgress?: Progress;
  /** Gives this call up: it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Gives this call up after this long, with a DownloadError (default: never). */
  deadlineMs?: number;
  /** A download attempt fails after this long without a byte, and is retried (default 30 s). */
  idleTimeoutMs?: number;
  /** This call's freshness; default the store's. */
  freshness?: Freshness;
  /** This call's token, instead of the store's. */
  token?: string;
  /** Request headers added to the store's for this call. */
  headers?: Record<string, string>;
}

/** fetch's settings from open's options and the environment. */
export interface Net {
  endpoint: string;
  /** undefined: looked up ($HF_TOKEN, the token file) at each fetch. */
  token: string | undefined;
  headers: Record<string, string>;
  offline: boolean;
  freshness: Freshness;
}

export const DEFAULT_NET: Readonly<Net> = Object.freeze({
  endpoint: DEFAULT_ENDPOINT,
  token: undefined,
  headers: {},
  offline: false,
  freshness: 'cache-first',
});

/** One fetch's download, as fetch checked it. */
export interface Request {
  id: string;
  /** What is downloaded: the model's file, or each file of a multi-file model. */
  sources: Source[];
  /** A multi-file model's file names, one per source; undefined for a single file. */
  names: string[] | undefined;
  expected: string | undefined;
  /** Ask the server whether the model the store has changed before serving it. */
  revalidate: boolean;
  /** Headers for each source's origin: the token, the headers options. */
  headers: Record<string, string>[];
  idleTimeoutMs: number | undefined;
}

/** A fetch call: its request, and what only the caller waits on. */
export interface FetchCall {
  request: Request;
  onProgress: Progress | undefined;
  patience: Patience;
}

export function netOptions(o: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Net {
  if (o.offline !== undefined && typeof o.offline !== 'boolean')
    throw new TypeError(`options.offline must be a boolean, got ${describe(o.offline)}`);
  const endpoint =
    o.endpoint !== undefined
      ? checkEndpoint(o.endpoint, 'options.endpoint')
      : env.HF_ENDPOINT
        ? checkEndpoint(env.HF_ENDPOINT, 'the HF_ENDPOINT environment variable')
        : DEFAULT_ENDPOINT;
  return {
    endpoint,
    token: checkString(o.token, 'options.token'),
    headers: checkHeaders(o.headers, 'options.headers'),
    offline: (o.offline as boolean | undefined) ?? (envFlag(env.CARO_CACHE_OFFLINE) || envFlag(env.HF_HUB_OFFLINE)),
    freshness: checkFreshness(o.freshness, 'options.freshness') ?? 'cache-first',
  };
}

/** Checks a fetch's `url` and options (the id is checked already) against the store's settings. */
export function fetchCall(id: string, url: unknown, options: unknown, net: Net): FetchCall {
  const { sources, names } = parseSources(url, net.endpoint);
  const o = checkOptions(options);
  const expected = checkSha256(o.sha256, 'options.sha256');
  if (expected !== undefined && names !== undefined)
    throw new RangeError('options.sha256 is for a single file; a multi-file model is checked file by file');
  const onProgress = o.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError(`options.onProgress must be a function, got ${describe(onProgress)}`);
  }
  const patience = {
    signal: checkSignal(o.signal, 'options.signal'),
    deadlineMs: checkTimeout(o.deadlineMs, 'options.deadlineMs'),
  };
  const idleTimeoutMs = checkTimeout(o.idleTimeoutMs, 'options.idleTimeoutMs');
  const freshness = checkFreshness(o.freshness, 'options.freshness') ?? net.freshness;
  const token = checkString(o.token, 'options.token');
  const headers = { ...net.headers, ...checkHeaders(o.headers, 'options.headers') };
  // What never changes, or what may not be asked about, is not revalidated.
  const pinned = sources.every((source) => source.hub !== undefined && isCommit(source.hub.revision));
  return {
    request: {
      id,
      sources,
      names,
      expected,
      revalidate: freshness === 'revalidate' && !net.offline && !pinned,
      headers: sources.map((source) => requestHeaders(source, headers, token, net)),
      idleTimeoutMs,
    },
    onProgress: onProgress as Progress | undefined,
    patience,
  };
}

/**
 * Whether a model the store has is what a request asks for: the expected
 * content, the files asked for, and of the revision asked for (a pinned
 * commit must be the one recorded; a branch the one fetched, when one was),
 * file by file.
 */
export function answers(model: Provenance & { sha256: string; files?: ModelFile[] }, request: Request): boolean {
  if (request.expected !== undefined && model.sha256 !== request.expected) return false;
  const { names, sources } = request;
  if (names === undefined) return model.files === undefined && sameRevision(model, sources[0]);
  const files = new Map(model.files?.map((f) => [f.name, f]));
  return files.size === names.length && names.every((name, i) => sameRevision(files.get(name), sources[i]));
}

/** fetch's `url`: one source, or a multi-file model's list of them, with the names of its files. */
function parseSources(url: unknown, endpoint: string): { sources: Source[]; names: string[] | undefined } {
  if (!Array.isArray(url)) return { sources: [parseSource(url, endpoint, 'url')], names: undefined };
  if (url.length === 0) throw new RangeError('url must not be an empty list: a multi-file model needs a file');
  const sources = url.map((text: unknown, i) => parseSource(text, endpoint, `url[${i}]`));
  const names = sources.map((source, i) => fileNameOf(source, `url[${i}]`));
  names.forEach((name, i) => {
    const first = names.indexOf(name);
    if (first !== i) throw new RangeError(`url[${i}] names the file ${JSON.stringify(name)}, as url[${first}] does`);
  });
  return { sources, names };
}

/** The headers of a fetch: the token goes to the endpoint's origin only. */
function requestHeaders(
  source: Source,
  headers: Record<string, string>,
  token: string | undefined,
  net: Net,
): Record<string, string> {
  if (new URL(source.url).origin !== new URL(net.endpoint).origin) return headers;
  const bearer = token ?? net.token ?? findToken();
  return bearer === undefined || bearer === '' ? headers : { ...headers, authorization: `Bearer ${bearer}` };
}

/** Whether what the store has of a file is of the revision a source asks for. */
function sameRevision(has: Provenance | undefined, source: Source): boolean {
  const revision = source.hub?.revision;
  if (has === undefined) return false;
  if (revision === undefined) return true;
  return isCommit(revision) ? has.commit === revision : has.revision === undefined || has.revision === revision;
}

function checkString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  return value;
}

function checkFreshness(value: unknown, name: string): Freshness | undefined {
  if (value === undefined || value === 'cache-first' || value === 'revalidate') return value;
  throw new RangeError(`${name} must be 'cache-first' or 'revalidate', got ${describe(value)}`);
}

/** A headers option: an object of string values with valid header names. */
function checkHeaders(value: unknown, name: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${name} must be an object of strings, got ${describe(value)}`);
  const headers: Record<string, string> = {};
  for (const [key, field] of Object.entries(value)) {
    if (typeof field !== 'string') throw new TypeError(`${name}.${key} must be a string, got ${describe(field)}`);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key) || /[\r\n\0]/.test(field))
      throw new RangeError(`${name} has a header that cannot be sent: ${describe(key)}`);
    headers[key.toLowerCase()] = field;
  }
  return headers;
}
