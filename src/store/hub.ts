// Sources a model is fetched from: an http(s) URL, or a file of a Hugging
// Face Hub repository, `hf://<owner>/<name>/<file>[@<revision>]`, which
// resolves to `<endpoint>/<owner>/<name>/resolve/<revision>/<file>` as the
// Hub and its mirrors serve it. The endpoint is the `endpoint` option, else
// $HF_ENDPOINT, else https://huggingface.co; the token the `token` option,
// else $HF_TOKEN, else the Hub's token file ($HF_HOME/token, by default
// ~/.cache/huggingface/token), as huggingface_hub finds them.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe } from '../cache/check.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

export interface Source {
  /** The source as given. */
  text: string;
  /** What is downloaded. */
  url: string;
  /** For `hf://` sources: the repository, the file in it and the revision asked for. */
  hub?: { repo: string; file: string; revision: string };
}

const control = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20);

/** A revision that is a full commit hash: what it names never changes. */
export function isCommit(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/** An endpoint option or $HF_ENDPOINT: an absolute http(s) URL, without its trailing slashes. */
export function checkEndpoint(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`${name} must be an absolute http: or https: URL, got ${describe(value)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '')
    throw new RangeError(`${name} must be an http: or https: URL without a query, got ${describe(value)}`);
  return value.replace(/\/+$/, '');
}

/**
 * Parses a source: an http(s) URL, or `hf://<owner>/<name>/<file>[@<revision>]`
 * resolved against `endpoint`. Bad input is a TypeError or RangeError naming `name`.
 */
export function parseSource(value: unknown, endpoint: string, name: string): Source {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (value.startsWith('hf://')) {
    let rest = value.slice('hf://'.length);
    let revision = DEFAULT_REVISION;
    const at = rest.lastIndexOf('@');
    if (at !== -1) {
      revision = rest.slice(at + 1);
      rest = rest.slice(0, at);
    }
    const parts = rest.split('/');
    const bad = (part: string) => part === '' || part === '.' || part === '..' || /[\\?#]/.test(part) || control(part);
    if (parts.length < 3 || parts.some(bad) || revision === '' || control(revision)) {
      throw new RangeError(
        `${name} must be hf://<owner>/<repo>/<file>[@<revision>], such as hf://Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf, got ${describe(value)}`,
      );
    }
    const repo = parts.slice(0, 2).join('/');
    const file = parts.slice(2).join('/');
    const url = `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${parts.slice(2).map(encodeURIComponent).join('/')}`;
    return { text: value, url, hub: { repo, file, revision } };
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new TypeError(`${name} must be an absolute http: or https: URL or an hf:// source, got ${describe(value)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RangeError(`${name} must be an http: or https: URL or an hf:// source, got ${describe(value)}`);
  }
  return { text: value, url: value };
}

/** The token to send to the endpoint: $HF_TOKEN, else the Hub's token file; undefined when there is none. */
export function findToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HF_TOKEN) return env.HF_TOKEN.trim();
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  try {
    return readFileSync(join(home, 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether an environment variable turns a switch on: 1, true, yes, on. */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
