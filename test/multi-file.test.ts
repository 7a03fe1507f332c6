// Multi-file models against the loopback Hub-like origin (hub-origin.ts):
// a safetensors model's shards, config and tokenizer fetched as one id into
// one directory, sized, evicted, verified, recovered and revalidated as one
// entry, from the API and from the command line.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { ModelCache, type CachedModel } from 'caro-cache';
import { caroCache } from './bin.js';
import { startHubOrigin, type HubOrigin } from './hub-origin.js';

const root = mkdtempSync(join(tmpdir(), 'caro-multi-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `store-${++dirs}`);

const KiB = 1024;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const body = (seed: string, bytes: number) => {
  const data = Buffer.alloc(bytes);
  for (let at = 0, block = createHash('sha256').update(seed).digest(); at < bytes; at += block.length)
    block = (block.copy(data, at), createHash('sha256').update(block).digest());
  return data;
};

const REPO = 'Qwen/Qwen2.5-0.5B-Instruct';
const FILES: Record<string, Buffer> = {
  'model-00001-of-00002.safetensors': body('shard-1', 96 * KiB),
  'model-00002-of-00002.safetensors': body('shard-2', 64 * KiB),
  'config.json': Buffer.from('{"architectures":["Qwen2ForCausalLM"]}'),
};
const NAMES = Object.keys(FILES);
const TOTAL = NAMES.reduce((sum, name) => sum + FILES[name].length, 0);

const hub: HubOrigin = await startHubOrigin();
const commit = hub.publishAll(REPO, FILES);
const sources = (revision = '') => NAMES.map((name) => `hf://${REPO}/${name}${revision}`);

const saved = { HF_HOME: process.env.HF_HOME, HF_TOKEN: process.env.HF_TOKEN };
after(() => Object.assign(process.env, saved));
beforeEach(() => {
  delete process.env.HF_TOKEN;
  process.env.HF_HOME = join(root, 'hf-home-empty');
  hub.throttle(undefined, 0);
  hub.reset();
});

const gets = (seen: { method: string }[]) => seen.filter((r) => r.method === 'GET').length;

/** The model's directory holds exactly the files published, byte for byte. */
function assertFiles(model: CachedModel): void {
  assert.deepEqual(readdirSync(model.path).sort(), [...NAMES].sort());
  for (const name of NAMES) assert.deepEqual(readFileSync(join(model.path, name)), FILES[name], name);
}

describe('multi-file models', () => {
  test('a list of sources is one model: one directory, the files listed, one size and one hash', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    const model = await store.fetch(REPO, sources());
    assertFiles(model);
    assert.equal(model.bytes, TOTAL);
    assert.equal(model.commit, commit);
    assert.equal(model.revision, 'main');
    assert.deepEqual(
      model.files?.map(({ name, bytes, sha256, commit: c }) => ({ name, bytes, sha256, commit: c })),
      NAMES.map((name) => ({ name, bytes: FILES[name].length, sha256: sha(FILES[name]), commit })),
    );
    assert.match(model.sha256, /^[0-9a-f]{64}$/);
    assert.equal(gets(hub.cdnSeen), 3);
    assert.deepEqual(store.stats().bytes, TOTAL);
    // Served from the store: nothing reaches the network.
    hub.reset();
    const again = await store.fetch(REPO, sources());
    assert.equal(again.path, model.path);
    assert.equal(hub.origin.length + hub.cdnSeen.length, 0);
    await store.close();
  });

  test('a three-file model is evicted as one entry, and evicts as one', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, endpoint: hub.endpoint, maxBytes: TOTAL + 50 * KiB });
    const single = body('single', 90 * KiB);
    hub.publish('org/single', 'one.gguf', single);
    const multi = await store.fetch(REPO, sources());
    // Room for the single file means evicting the whole three-file model.
    await store.fetch('single', 'hf://org/single/one.gguf');
    assert.deepEqual(
      store.list().map((m) => m.id),
      ['single'],
    );
    assert.equal(existsSync(multi.path), false, 'every file of the evicted model is gone');
    assert.equal(store.stats().evictions, 1);
    // And back: the multi-file model evicts the single file.
    const back = await store.fetch(REPO, sources());
    assertFiles(back);
    assert.deepEqual(
      store.list().map((m) => m.id),
      [REPO],
    );
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(
      reopened.list().map((m) => [m.id, m.bytes, m.files?.length]),
      [[REPO, TOTAL, 3]],
    );
    await reopened.close();
  });

  test('verify checks every file; a damaged one makes the model bad, and fetch downloads it again', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    const model = await store.fetch(REPO, sources());
    assert.deepEqual((await store.verify()).valid, [REPO]);
    writeFileSync(join(model.path, 'config.json'), '{}');
    assert.deepEqual((await store.verify()).corrupted, [REPO]);
    assert.equal(store.get(REPO), undefined, 'a bad model is not served');
    rmSync(join(model.path, NAMES[0]));
    hub.reset();
    const again = await store.fetch(REPO, sources());
    assertFiles(again);
    assert.equal(again.path, model.path, 'the same content has the same directory');
    assert.equal(gets(hub.cdnSeen), 3);
    assert.deepEqual((await store.verify()).valid, [REPO]);
    await store.close();
  });

  test('a lost journal is rebuilt from the sidecar, files and all; a damaged model is quarantined, not deleted', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, endpoint: hub.endpoint });
    const model = await store.fetch(REPO, sources());
    await store.close();
    rmSync(join(dir, 'journal'));
    const warnings: string[] = [];
    const rebuilt = await ModelCache.open({ dir, onWarning: (w) => warnings.push(w) });
    const [adopted] = rebuilt.list();
    assert.equal(adopted.id, REPO);
    assert.deepEqual(
      adopted.files?.map((f) => f.name),
      NAMES,
    );
    assert.match(warnings.join('\n'), /re-adopted/);
    await rebuilt.close();
    rmSync(join(dir, 'journal'));
    writeFileSync(join(model.path, NAMES[1]), 'damaged');
    const damaged = await ModelCache.open({ dir, onWarning: () => {} });
    assert.deepEqual(damaged.list(), []);
    assert.equal((await damaged.verify()).quarantined.length, 1);
    const [kept] = readdirSync(join(dir, 'quarantine')).filter((name) => !name.includes('.meta'));
    assert.deepEqual(readFileSync(join(dir, 'quarantine', kept, NAMES[0])), FILES[NAMES[0]], 'the data is kept');
    await damaged.close();
  });

  test('pinned to a commit, it is served without a request; revalidate sends one HEAD per file', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    await store.fetch(REPO, sources(`@${commit}`));
    hub.reset();
    await store.fetch(REPO, sources(`@${commit}`), { freshness: 'revalidate' });
    assert.equal(hub.origin.length + hub.cdnSeen.length, 0);
    await store.fetch('branch', sources());
    hub.reset();
    await store.fetch('branch', sources(), { freshness: 'revalidate' });
    assert.deepEqual(
      hub.origin.map((r) => r.method),
      ['HEAD', 'HEAD', 'HEAD'],
    );
    assert.equal(gets(hub.cdnSeen), 0);
    await store.close();
  });

  test('a new upstream version of one file is noticed by revalidate and the model downloaded again', async () => {
    const repo = 'org/changing';
    const files = { 'a.safetensors': body('a1', 8 * KiB), 'b.json': Buffer.from('{"v":1}') };
    hub.publishAll(repo, files);
    const list = Object.keys(files).map((name) => `hf://${repo}/${name}`);
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    const first = await store.fetch('m', list);
    const second = hub.publish(repo, 'b.json', Buffer.from('{"v":2}'));
    const model = await store.fetch('m', list, { freshness: 'revalidate' });
    assert.notEqual(model.path, first.path);
    assert.equal(readFileSync(join(model.path, 'b.json'), 'utf8'), '{"v":2}');
    assert.equal(model.files?.find((f) => f.name === 'b.json')?.commit, second);
    assert.equal(existsSync(first.path), false, 'the old version is replaced');
    assert.equal(store.list().length, 1);
    await store.close();
  });

  test('another set of files for the same id, or a single file, is downloaded again', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    await store.fetch(REPO, sources());
    hub.reset();
    const fewer = await store.fetch(REPO, sources().slice(0, 2));
    assert.deepEqual(fewer.files?.map((f) => f.name).sort(), NAMES.slice(0, 2).sort());
    assert.equal(gets(hub.cdnSeen), 2);
    const one = await store.fetch(REPO, sources()[2]);
    assert.equal(one.files, undefined);
    assert.deepEqual(readFileSync(one.path), FILES['config.json']);
    assert.equal(store.list().length, 1);
    await store.close();
  });

  test('files in subdirectories and from plain URLs keep their names', async () => {
    hub.publishAll('org/onnx', { 'onnx/model.onnx': body('onnx', 4 * KiB), 'tokenizer.json': Buffer.from('{}') });
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    const model = await store.fetch('onnx', [
      'hf://org/onnx/onnx/model.onnx',
      `${hub.endpoint}/org/onnx/resolve/main/tokenizer.json`,
    ]);
    assert.deepEqual(readFileSync(join(model.path, 'onnx', 'model.onnx')), body('onnx', 4 * KiB));
    assert.equal(readFileSync(join(model.path, 'tokenizer.json'), 'utf8'), '{}');
    await store.close();
  });

  test('the token reaches the endpoint for every file and never the CDN', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint, token: 'hf_multi' });
    await store.fetch(REPO, sources());
    assert.equal(hub.origin.length, 3);
    for (const r of hub.origin) assert.equal(r.headers.authorization, 'Bearer hf_multi');
    for (const r of hub.cdnSeen) assert.equal(r.headers.authorization, undefined);
    await store.close();
  });

  test('an interrupted download is resumed by the next fetch, and nothing of the failed model is recorded', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    // Every CDN answer stalls after 16 KiB: the first shard cannot finish within download's attempts.
    hub.throttle(16 * KiB, 60_000);
    await assert.rejects(store.fetch(REPO, sources(), { idleTimeoutMs: 200 }), /after 5 attempts/);
    assert.deepEqual(store.list(), [], 'nothing of a failed model is recorded');
    assert.ok(store.stats().partialBytes > 0, 'its bytes are kept to resume');
    hub.throttle(undefined, 0);
    hub.reset();
    const model = await store.fetch(REPO, sources());
    assertFiles(model);
    const ranged = hub.cdnSeen.filter((r) => r.headers.range !== undefined);
    assert.ok(ranged.length >= 1, 'the partial was resumed with a Range request');
    assert.deepEqual(readdirSync(join(store.stats().dir, 'tmp')), [], 'nothing is left in tmp/');
    await store.close();
  });

  test("a download's finished files count in partialBytes while the next one is under way", async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    const [config, shard] = ['config.json', 'model-00002-of-00002.safetensors'];
    // config.json is smaller than 16 KiB and arrives whole; the shard stalls after 16 KiB.
    hub.throttle(16 * KiB, 60_000);
    const stop = new AbortController();
    const fetching = store.fetch(REPO, [`hf://${REPO}/${config}`, `hf://${REPO}/${shard}`], { signal: stop.signal });
    const expected = FILES[config].length + 16 * KiB;
    let seen = 0;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && seen !== expected;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen = store.stats().partialBytes;
    }
    stop.abort();
    await assert.rejects(fetching);
    assert.equal(seen, expected, 'the staged config.json and the partial shard both count');
    await store.close();
  });

  test('bad lists are TypeErrors or RangeErrors naming the entry, and change nothing', async () => {
    const store = await ModelCache.open({ dir: freshDir(), endpoint: hub.endpoint });
    await assert.rejects(store.fetch('m', []), /^RangeError: url must not be an empty list/);
    await assert.rejects(store.fetch('m', [sources()[0], 5 as never]), /^TypeError: url\[1\]/);
    await assert.rejects(store.fetch('m', [sources()[0], 'hf://o/r']), /^RangeError: url\[1\]/);
    await assert.rejects(store.fetch('m', [sources()[0], sources()[0]]), /^RangeError: url\[1\] names the file/);
    await assert.rejects(store.fetch('m', [`${hub.endpoint}/dir/`]), /^RangeError: url\[0\] must name a file/);
    await assert.rejects(store.fetch('m', sources(), { sha256: 'a'.repeat(64) }), /^RangeError: options.sha256/);
    assert.deepEqual(store.list(), []);
    assert.equal(hub.origin.length, 0);
    await store.close();
  });
});

describe('caro-cache fetch with several sources', () => {
  test('fetches one multi-file model, and ls --json lists its files', async () => {
    const dir = freshDir();
    const fetched = await caroCache(['--dir', dir, '--endpoint', hub.endpoint, 'fetch', REPO, ...sources()]);
    assert.equal(fetched.status, 0, fetched.stderr);
    assert.match(fetched.stdout, /in 3 files/);
    const listed = await caroCache(['--dir', dir, 'ls', '--json']);
    const [model] = JSON.parse(listed.stdout) as CachedModel[];
    assert.deepEqual(
      model.files?.map((f) => f.name),
      NAMES,
    );
    const usage = await caroCache(['--dir', dir, 'fetch', REPO]);
    assert.equal(usage.status, 1);
    assert.match(usage.stderr, /at least 2 arguments/);
  });
});
