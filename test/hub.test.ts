// ModelCache against a loopback Hub-like origin (hub-origin.ts): hf://
// sources and the endpoint, tokens (to the endpoint, never the CDN),
// revisions and freshness, offline mode, typed errors, one download per id
// across objects and processes, and the free-space check.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  AuthenticationRequiredError,
  ChecksumMismatchError,
  DiskError,
  DiskFullError,
  DownloadError,
  ModelCache,
  ModelNotFoundError,
  ModelTooLargeError,
} from 'caro-cache';
import { startHubOrigin, type HubOrigin } from './hub-origin.js';

const fetcher = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hub-fetcher.js');
const root = mkdtempSync(join(tmpdir(), 'caro-hub-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `store-${++dirs}`);
const notRoot = process.getuid?.() !== 0;

const REPO = 'Qwen/Qwen2.5-0.5B-Instruct-GGUF';
const FILE = 'qwen2.5-0.5b-instruct-q4_k_m.gguf';
const GATED = 'meta-llama/Llama-3.2-1B-Instruct-GGUF';
const TOKEN = 'hf_testtoken0123456789';

function body(seed: string, bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < bytes; at += block.length) {
    block.copy(data, at);
    block = createHash('sha256').update(block).digest();
  }
  return data;
}
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

const ENV = ['HF_TOKEN', 'HF_HOME', 'HF_ENDPOINT', 'HF_HUB_OFFLINE', 'CARO_CACHE_OFFLINE'];
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
after(() => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

const hub: HubOrigin = await startHubOrigin();
const v1 = body('v1', 64 * 1024);
const commit1 = hub.publish(REPO, FILE, v1);
hub.publish(GATED, 'model.gguf', body('gated', 16 * 1024));
hub.gate(GATED, TOKEN);
beforeEach(() => {
  for (const name of ENV) delete process.env[name];
  // No token file of the machine's own is read.
  process.env.HF_HOME = join(root, 'hf-home-empty');
  hub.throttle(undefined, 0);
  hub.reset();
});

const gets = (seen: { method: string }[]) => seen.filter((r) => r.method === 'GET').length;

describe('hf:// sources', () => {
  test('resolve against the endpoint option, are redirected to the CDN, and record revision, commit and ETag', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    const model = await store.fetch('qwen', `hf://${REPO}/${FILE}`);
    assert.deepEqual(readFileSync(model.path), v1);
    assert.equal(model.sha256, sha(v1));
    assert.equal(model.revision, 'main');
    assert.equal(model.commit, commit1);
    assert.equal(model.etag, `"${sha(v1)}"`);
    assert.equal(model.source, `hf://${REPO}/${FILE}`);
    assert.deepEqual(
      hub.origin.map((r) => r.url),
      [`/${REPO}/resolve/main/${FILE}`],
    );
    assert.equal(gets(hub.cdnSeen), 1);
    await store.close();
  });

  test('the records survive a reopen and a lost journal (re-adopted from the sidecar)', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, endpoint: hub.endpoint });
    await store.fetch('qwen', `hf://${REPO}/${FILE}`);
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(
      reopened.list().map(({ revision, commit }) => ({ revision, commit })),
      [{ revision: 'main', commit: commit1 }],
    );
    await reopened.close();
    rmSync(join(dir, 'journal'));
    const rebuilt = await ModelCache.open({ dir, onWarning: () => {} });
    assert.deepEqual(
      rebuilt.list().map(({ id, revision, commit }) => ({ id, revision, commit })),
      [{ id: 'qwen', revision: 'main', commit: commit1 }],
    );
    await rebuilt.close();
  });

  test('$HF_ENDPOINT names the endpoint when the option does not', async () => {
    process.env.HF_ENDPOINT = `${hub.endpoint}/`;
    const store = await ModelCache.open({ dir: freshDir() });
    const model = await store.fetch('qwen', `hf://${REPO}/${FILE}@${commit1}`);
    assert.equal(model.commit, commit1);
    assert.deepEqual(
      hub.origin.map((r) => r.url),
      [`/${REPO}/resolve/${commit1}/${FILE}`],
    );
    await store.close();
  });

  test('bad sources and options are TypeErrors or RangeErrors naming them, and change nothing', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, endpoint: hub.endpoint });
    for (const bad of ['hf://onlyrepo', 'hf://owner/repo', 'hf://owner/repo/', 'hf://o/r/../x', 'hf://o/r/f@']) {
      await assert.rejects(store.fetch('m', bad), (e: Error) => e instanceof RangeError && /^url/.test(e.message), bad);
    }
    await assert.rejects(store.fetch('m', `hf://${REPO}/${FILE}`, { freshness: 'always' as never }), RangeError);
    await assert.rejects(store.fetch('m', `hf://${REPO}/${FILE}`, { headers: { 'x-a': 1 as never } }), TypeError);
    await assert.rejects(store.fetch('m', `hf://${REPO}/${FILE}`, { headers: { 'bad name': 'x' } }), RangeError);
    await assert.rejects(ModelCache.open({ dir, endpoint: 'ftp://mirror' }), /^RangeError: options.endpoint/);
    await assert.rejects(ModelCache.open({ dir, token: 5 as never }), /^TypeError: options.token/);
    await assert.rejects(ModelCache.open({ dir, offline: 'yes' as never }), /^TypeError: options.offline/);
    assert.deepEqual(store.list(), []);
    assert.equal(hub.origin.length, 0);
    await store.close();
  });
});

describe('tokens', () => {
  test('the token reaches the endpoint as a Bearer token and never the CDN host', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint, token: TOKEN });
    const model = await store.fetch('llama', `hf://${GATED}/model.gguf`);
    assert.equal(model.bytes, 16 * 1024);
    assert.deepEqual(
      hub.origin.map((r) => r.headers.authorization),
      [`Bearer ${TOKEN}`],
    );
    assert.ok(hub.cdnSeen.length > 0);
    assert.deepEqual(
      hub.cdnSeen.map((r) => r.headers.authorization),
      hub.cdnSeen.map(() => undefined),
    );
    await store.close();
  });

  test('$HF_TOKEN, else the token file in $HF_HOME, is the token', async () => {
    process.env.HF_TOKEN = TOKEN;
    let store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    await store.fetch('llama', `hf://${GATED}/model.gguf`);
    await store.close();
    delete process.env.HF_TOKEN;
    const home = join(root, 'hf-home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'token'), `${TOKEN}\n`);
    process.env.HF_HOME = home;
    store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    await store.fetch('llama', `hf://${GATED}/model.gguf`);
    await store.close();
    assert.deepEqual(
      hub.origin.map((r) => r.headers.authorization),
      [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`],
    );
    assert.ok(hub.cdnSeen.every((r) => r.headers.authorization === undefined));
  });

  test('a gated model without a token is an AuthenticationRequiredError that says how to give one; nothing is added', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, endpoint: hub.endpoint });
    await assert.rejects(store.fetch('llama', `hf://${GATED}/model.gguf`), (e: AuthenticationRequiredError) => {
      assert.ok(e instanceof AuthenticationRequiredError, String(e));
      assert.ok(e instanceof DownloadError);
      assert.equal(e.code, 'EAUTH');
      assert.equal(e.status, 401);
      assert.match(e.message, /gated/);
      assert.match(e.message, /HF_TOKEN/);
      return true;
    });
    await assert.rejects(
      store.fetch('llama', `hf://${GATED}/model.gguf`, { token: 'hf_wrong' }),
      (e: AuthenticationRequiredError) => e instanceof AuthenticationRequiredError && /refused/.test(e.message),
    );
    assert.deepEqual(store.list(), []);
    assert.deepEqual(readdirSync(join(dir, 'models')), []);
    assert.equal(hub.cdnSeen.length, 0);
    await store.close();
  });

  test('the headers option goes to the source host only, not across a redirect', async () => {
    const store = await ModelCache.open({ dir: freshDir(), headers: { 'X-Api-Key': 'secret' } });
    const url = `${hub.endpoint}/${REPO}/resolve/main/${FILE}`;
    await store.fetch('qwen', url, { headers: { 'x-extra': 'e' } });
    assert.deepEqual(
      hub.origin.map((r) => [r.headers['x-api-key'], r.headers['x-extra']]),
      [['secret', 'e']],
    );
    assert.ok(hub.cdnSeen.every((r) => r.headers['x-api-key'] === undefined && r.headers['x-extra'] === undefined));
    await store.close();
  });
});

describe('revisions and freshness', () => {
  test('a fetch pinned to a commit is served from the store without a request, even with revalidate', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, endpoint: hub.endpoint });
    await store.fetch('qwen', `hf://${REPO}/${FILE}@${commit1}`);
    await store.close();
    hub.reset();
    const again = await ModelCache.open({ dir, endpoint: hub.endpoint, freshness: 'revalidate' });
    const model = await again.fetch('qwen', `hf://${REPO}/${FILE}@${commit1}`);
    assert.equal(model.commit, commit1);
    assert.equal(hub.origin.length + hub.cdnSeen.length, 0);
    await again.close();
  });

  test('cache-first serves a branch from the store; revalidate asks once and downloads only when the ETag changed', async () => {
    const repo = 'org/fresh';
    const first = body('fresh-1', 8 * 1024);
    hub.publish(repo, 'm.gguf', first);
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    const source = `hf://${repo}/m.gguf`;
    await store.fetch('m', source);
    hub.reset();
    // Unchanged upstream: one HEAD, no download.
    let model = await store.fetch('m', source, { freshness: 'revalidate' });
    assert.deepEqual(readFileSync(model.path), first);
    assert.deepEqual(
      hub.origin.map((r) => r.method),
      ['HEAD'],
    );
    assert.equal(hub.cdnSeen.length, 0);
    // Changed upstream: cache-first does not notice, revalidate downloads it.
    const second = body('fresh-2', 8 * 1024);
    const commit2 = hub.publish(repo, 'm.gguf', second);
    hub.reset();
    model = await store.fetch('m', source);
    assert.deepEqual(readFileSync(model.path), first);
    assert.equal(hub.origin.length + hub.cdnSeen.length, 0);
    model = await store.fetch('m', source, { freshness: 'revalidate' });
    assert.deepEqual(readFileSync(model.path), second);
    assert.equal(model.commit, commit2);
    assert.deepEqual(
      hub.origin.map((r) => r.method),
      ['HEAD', 'GET'],
    );
    assert.equal(gets(hub.cdnSeen), 1);
    assert.equal(store.list().length, 1);
    await store.close();
  });

  test('a model of another pinned commit than asked for is downloaded again', async () => {
    const repo = 'org/pins';
    const a = body('pin-a', 4096);
    const commitA = hub.publish(repo, 'm.bin', a);
    const b = body('pin-b', 4096);
    const commitB = hub.publish(repo, 'm.bin', b);
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    assert.deepEqual(readFileSync((await store.fetch('m', `hf://${repo}/m.bin@${commitA}`)).path), a);
    const model = await store.fetch('m', `hf://${repo}/m.bin@${commitB}`);
    assert.deepEqual(readFileSync(model.path), b);
    assert.equal(model.commit, commitB);
    await store.close();
  });
});

describe('offline mode', () => {
  for (const [how, setup] of [
    ['$CARO_CACHE_OFFLINE=1', () => (process.env.CARO_CACHE_OFFLINE = '1')],
    ['$HF_HUB_OFFLINE=1', () => (process.env.HF_HUB_OFFLINE = '1')],
    ['the offline option', () => {}],
  ] as const) {
    test(`${how}: a hit is served, a miss is a ModelNotFoundError, and nothing reaches the network`, async () => {
      const dir = freshDir();
      const online = await ModelCache.open({ dir, endpoint: hub.endpoint });
      await online.fetch('qwen', `hf://${REPO}/${FILE}`);
      await online.close();
      hub.reset();
      setup();
      const store = await ModelCache.open({
        dir,
        endpoint: hub.endpoint,
        offline: how === 'the offline option' ? true : undefined,
      });
      const model = await store.fetch('qwen', `hf://${REPO}/${FILE}`, { freshness: 'revalidate' });
      assert.deepEqual(readFileSync(model.path), v1);
      await assert.rejects(store.fetch('other', `hf://${REPO}/${FILE}`), (e: ModelNotFoundError) => {
        assert.ok(e instanceof ModelNotFoundError, String(e));
        assert.equal(e.code, 'ENOMODEL');
        assert.equal(e.id, 'other');
        assert.match(e.message, /offline mode is on/);
        return true;
      });
      assert.equal(hub.origin.length + hub.cdnSeen.length, 0);
      await store.close();
    });
  }
});

describe('typed errors', () => {
  test('ChecksumMismatchError, ModelTooLargeError and DownloadError carry their details and a stable code', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint, maxBytes: 32 * 1024 });
    const wrong = 'e'.repeat(64);
    await assert.rejects(store.fetch('small', `hf://${GATED}/x`, { token: TOKEN }), (e: DownloadError) => {
      assert.ok(e instanceof DownloadError && !(e instanceof AuthenticationRequiredError), String(e));
      assert.equal(e.code, 'EDOWNLOAD');
      assert.equal(e.status, 404);
      assert.equal(e.url, `${hub.endpoint}/${GATED}/resolve/main/x`);
      return true;
    });
    await assert.rejects(
      store.fetch('gated', `hf://${GATED}/model.gguf`, { token: TOKEN, sha256: wrong }),
      (e: ChecksumMismatchError) => {
        assert.ok(e instanceof ChecksumMismatchError, String(e));
        assert.equal(e.code, 'ECHECKSUM');
        assert.equal(e.expected, wrong);
        assert.equal(e.actual, sha(body('gated', 16 * 1024)));
        return true;
      },
    );
    await assert.rejects(store.fetch('big', `hf://${REPO}/${FILE}`), (e: ModelTooLargeError) => {
      assert.ok(e instanceof ModelTooLargeError && e instanceof RangeError, String(e));
      assert.equal(e.code, 'ETOOLARGE');
      assert.equal(e.bytes, v1.length);
      assert.equal(e.maxBytes, 32 * 1024);
      return true;
    });
    assert.deepEqual(store.list(), []);
    await store.close();
  });
});

describe('one download per id', () => {
  test('two ModelCache objects on one directory download once and are served the same file', async () => {
    const repo = 'org/twice';
    const data = body('twice', 256 * 1024);
    hub.publish(repo, 'm.gguf', data);
    hub.throttle(64 * 1024, 300);
    const dir = freshDir();
    const a = await ModelCache.open({ dir, endpoint: hub.endpoint });
    const b = await ModelCache.open({ dir, endpoint: hub.endpoint });
    const [ma, mb] = await Promise.all([a.fetch('m', `hf://${repo}/m.gguf`), b.fetch('m', `hf://${repo}/m.gguf`)]);
    assert.equal(ma.path, mb.path);
    assert.deepEqual(readFileSync(ma.path), data);
    assert.equal(gets(hub.cdnSeen), 1);
    await a.close();
    await b.close();
  });

  function run(args: string[], onLine?: (line: string, kill: () => void) => void) {
    return new Promise<{ lines: string[]; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(process.execPath, [fetcher, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      let partial = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        const parts = (partial + text).split('\n');
        partial = parts.pop()!;
        for (const line of parts) {
          lines.push(line);
          onLine?.(line, () => child.kill('SIGKILL'));
        }
      });
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code !== 0 && signal === null) reject(new Error(`fetcher failed (${code}): ${stderr}`));
        else resolve({ lines, signal });
      });
    });
  }
  const result = (lines: string[]) =>
    JSON.parse(lines.find((l) => l.startsWith('done '))!.slice(5)) as { path: string };

  test('two processes fetching one id download it once', async () => {
    const repo = 'org/procs';
    const data = body('procs', 256 * 1024);
    hub.publish(repo, 'm.gguf', data);
    hub.throttle(64 * 1024, 1500);
    const dir = freshDir();
    const args = [dir, 'm', `hf://${repo}/m.gguf`, hub.endpoint];
    const [x, y] = await Promise.all([run(args), run(args)]);
    assert.equal(result(x.lines).path, result(y.lines).path);
    assert.deepEqual(readFileSync(result(x.lines).path), data);
    assert.equal(gets(hub.cdnSeen), 1);
  });

  test('a waiter whose downloader is killed takes over and resumes its partial', async () => {
    const repo = 'org/takeover';
    // Past the 64 MiB at which a download's partial is first flushed and recorded as resumable.
    const data = randomBytes(66 * 2 ** 20);
    hub.publish(repo, 'm.gguf', data);
    // The first answer stalls after 65 MiB, for as long as the kill needs; the resumed one is whole.
    hub.throttle(65 * 2 ** 20, 60_000);
    const dir = freshDir();
    const args = [dir, 'm', `hf://${repo}/m.gguf`, hub.endpoint];
    let waiter: Promise<{ lines: string[] }> | undefined;
    const recorded = () =>
      readdirSync(join(dir, 'tmp'))
        .filter((name) => name.endsWith('.json'))
        .some((name) => (JSON.parse(readFileSync(join(dir, 'tmp', name), 'utf8')) as { bytes: number }).bytes > 0);
    const killed = await run(args, (line, kill) => {
      if (!line.startsWith('bytes ')) return;
      // The waiter starts while the downloader holds the id's lock.
      waiter = run(args);
      const poll = setInterval(() => {
        if (!recorded()) return;
        clearInterval(poll);
        hub.throttle(undefined, 0);
        kill();
      }, 20);
    });
    assert.equal(killed.signal, 'SIGKILL');
    const { lines } = await waiter!;
    assert.ok(readFileSync(result(lines).path).equals(data));
    const cdnGets = hub.cdnSeen.filter((r) => r.method === 'GET');
    assert.equal(cdnGets.length, 2);
    assert.match(cdnGets[1].headers.range ?? '', /^bytes=[1-9]\d*-$/, 'the waiter resumed the partial');
  });
});

describe('the free-space check', () => {
  const mounted: string[] = [];
  after(() => {
    for (const dir of mounted) execFileSync('umount', [dir]);
  });

  test(
    'a download of known length larger than the free space is a DiskFullError before the first byte',
    { skip: notRoot && 'needs root to mount a 1 MiB tmpfs' },
    async () => {
      const repo = 'org/huge';
      hub.publish(repo, 'm.gguf', body('huge', 2 * 2 ** 20));
      const dir = freshDir();
      mkdirSync(dir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
      mounted.push(dir);
      const store = await ModelCache.open({ dir, endpoint: hub.endpoint });
      await assert.rejects(store.fetch('huge', `hf://${repo}/m.gguf`), (e: DiskFullError) => {
        assert.ok(e instanceof DiskFullError && e instanceof DiskError, String(e));
        assert.equal(e.code, 'ENOSPC');
        assert.equal(e.id, 'huge');
        assert.equal(e.needed, 2 * 2 ** 20);
        assert.ok(e.available !== undefined && e.available < 2 ** 20, `${e.available} available`);
        assert.equal(e.bytesWritten, 0);
        return true;
      });
      assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
      assert.deepEqual(store.list(), []);
      await store.close();
    },
  );
});
