// ModelCache in one process: the API, eviction, ids, bad input, persistence
// across opens, recency, recovery at open and the journal's upkeep.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_MAX_BYTES, defaultDir, ModelCache, type CachedModel } from 'caro-cache';
import { ENGINES } from './engines.js';
import { encodeRecord } from '../src/store/journal.js';

const root = mkdtempSync(join(tmpdir(), 'caro-models-'));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const freshDir = () => join(root, `store-${count++}`);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const KiB = 1024;

/** A source file of `bytes` bytes whose content depends on `seed`. */
function source(seed: string, bytes = 4 * KiB): { path: string; data: Buffer; sha256: string } {
  const data = Buffer.alloc(bytes);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < bytes; i += block.length) {
    block.copy(data, i);
    block = createHash('sha256').update(block).digest();
  }
  const dir = join(root, 'sources');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${seed.replace(/[^a-z0-9]/gi, '_')}-${count++}`);
  writeFileSync(path, data);
  return { path, data, sha256: sha256(data) };
}

/** The files in a folder of the store, sidecars (`<file>.meta.json`, `<file>.removed`) left out. */
const ls = (dir: string, sub: string) =>
  existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).filter((n) => !/\.(meta\.json|removed)$/.test(n)) : [];
const ids = (store: ModelCache) => store.list().map((m) => m.id);

describe('ModelCache', () => {
  test('defaults: $CARO_CACHE_DIR, else $XDG_CACHE_HOME/caro-cache/models, else ~/.cache/caro-cache/models; 10 GiB', async () => {
    assert.equal(defaultDir({ CARO_CACHE_DIR: '/a/b', XDG_CACHE_HOME: '/x' }), '/a/b');
    assert.equal(defaultDir({ XDG_CACHE_HOME: '/x' }), '/x/caro-cache/models');
    assert.equal(defaultDir({}), join(homedir(), '.cache', 'caro-cache', 'models'));
    assert.equal(DEFAULT_MAX_BYTES, 10 * 2 ** 30);
    const dir = freshDir();
    const saved = { ...process.env };
    try {
      process.env.CARO_CACHE_DIR = dir;
      delete process.env.CARO_CACHE_MAX_BYTES;
      const store = await ModelCache.open();
      assert.deepEqual(store.stats(), {
        dir,
        count: 0,
        bytes: 0,
        maxBytes: 10 * 2 ** 30,
        hits: 0,
        misses: 0,
        evictions: 0,
        partialBytes: 0,
        quarantined: 0,
        readOnly: false,
      });
      await store.close();
      // The environment gives a new store its limit; a store keeps the one it has.
      process.env.CARO_CACHE_MAX_BYTES = '512MiB';
      const kept = await ModelCache.open();
      assert.equal(kept.stats().maxBytes, 10 * 2 ** 30);
      await kept.close();
      process.env.CARO_CACHE_DIR = freshDir();
      const limited = await ModelCache.open();
      assert.equal(limited.stats().maxBytes, 512 * 2 ** 20);
      await limited.close();
    } finally {
      process.env.CARO_CACHE_DIR = saved.CARO_CACHE_DIR;
      if (saved.CARO_CACHE_DIR === undefined) delete process.env.CARO_CACHE_DIR;
      if (saved.CARO_CACHE_MAX_BYTES === undefined) delete process.env.CARO_CACHE_MAX_BYTES;
      else process.env.CARO_CACHE_MAX_BYTES = saved.CARO_CACHE_MAX_BYTES;
    }
  });

  test('add copies the file in while hashing it; get, has, list and stats see it', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const src = source('a', 100 * KiB + 7);
    const model = await store.add('Qwen/Qwen2.5-Coder-1.5B-Instruct.gguf', src.path);
    assert.equal(model.id, 'Qwen/Qwen2.5-Coder-1.5B-Instruct.gguf');
    assert.equal(model.bytes, src.data.length);
    assert.equal(model.sha256, src.sha256);
    assert.equal(dirname(model.path), join(dir, 'models'));
    assert.match(model.path, /\.gguf$/);
    assert.deepEqual(readFileSync(model.path), src.data);
    assert.ok(existsSync(src.path), 'a copy leaves the source');
    assert.equal(model.addedAt, model.lastAccessed);
    assert.ok(Math.abs(Date.parse(model.addedAt) - Date.now()) < 60_000);
    assert.equal(store.has(model.id), true);
    assert.equal(store.has('other'), false);
    assert.deepEqual(store.get(model.id)?.path, model.path);
    assert.equal(store.get('other'), undefined);
    assert.deepEqual(store.stats(), {
      dir,
      count: 1,
      bytes: src.data.length,
      maxBytes: DEFAULT_MAX_BYTES,
      hits: 1,
      misses: 1,
      evictions: 0,
      partialBytes: 0,
      quarantined: 0,
      readOnly: false,
    });
    assert.deepEqual(ls(dir, 'tmp'), []);
    await store.close();
  });

  test('add with move moves the file in; a move that fails leaves the source where it was', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const src = source('moved', 10 * KiB);
    await assert.rejects(store.add('m', src.path, { move: true, sha256: '0'.repeat(64) }), /does not match/);
    assert.ok(existsSync(src.path));
    const model = await store.add('m', src.path, { move: true, sha256: src.sha256.toUpperCase() });
    assert.equal(existsSync(src.path), false);
    assert.deepEqual(readFileSync(model.path), src.data);
    await assert.rejects(
      store.add('again', model.path, { move: true }),
      RangeError,
      'a file of the store cannot be moved into it',
    );
    assert.deepEqual(readFileSync(model.path), src.data);
    await store.close();
  });

  test('a sha256 that does not match rejects clearly and leaves nothing behind', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await store.add('kept', source('kept').path);
    const before = readFileSync(join(dir, 'journal'));
    const src = source('b');
    const wrong = 'ab'.repeat(32);
    await assert.rejects(
      store.add('b', src.path, { sha256: wrong }),
      (e: Error) => e.message.includes(wrong) && e.message.includes(src.sha256),
    );
    assert.deepEqual(ids(store), ['kept']);
    assert.deepEqual(ls(dir, 'tmp'), []);
    assert.equal(ls(dir, 'models').length, 1);
    assert.deepEqual(readFileSync(join(dir, 'journal')), before);
    await store.close();
  });

  test('adding evicts least recently used models, deleting their files, until the new one fits', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, maxBytes: 10 * KiB });
    const a = await store.add('a', source('a').path);
    await store.add('b', source('b').path);
    store.get('a'); // b is now the least recently used
    const c = await store.add('c', source('c').path);
    assert.deepEqual(ids(store), ['c', 'a']);
    assert.equal(store.stats().evictions, 1);
    assert.deepEqual(ls(dir, 'models').sort(), [a.path, c.path].map((p) => p.slice(p.lastIndexOf('/') + 1)).sort());
    // Bigger than the space left but not than maxBytes: both others go.
    await store.add('big', source('big', 9 * KiB).path);
    assert.deepEqual(ids(store), ['big']);
    assert.equal(ls(dir, 'models').length, 1);
    await store.close();
  });

  test('a model larger than maxBytes is a RangeError before anything is evicted', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, maxBytes: 10 * KiB });
    await store.add('a', source('a').path);
    await assert.rejects(
      store.add('huge', source('huge', 11 * KiB).path),
      (e: Error) => e instanceof RangeError && /maxBytes/.test(e.message),
    );
    assert.deepEqual(ids(store), ['a']);
    assert.equal(ls(dir, 'models').length, 1);
    assert.deepEqual(ls(dir, 'tmp'), []);
    await store.close();
  });

  test('ids: any string up to 256 characters without NUL, never a path outside the store', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const src = source('ids', 100);
    const odd = [
      '../x',
      '../../../../etc/passwd',
      '/etc/passwd',
      'a/b\\c',
      'C:\\models\\m.gguf',
      '.',
      '..',
      ' ',
      '\u{1F600}',
      'x'.repeat(256),
      '\ud800',
      '\udc00',
      '__proto__',
    ];
    for (const id of odd) {
      const model = await store.add(id, src.path);
      assert.equal(dirname(model.path), join(dir, 'models'), id);
      assert.match(model.path.slice(model.path.lastIndexOf('/') + 1), /^[0-9a-f]{32}-[0-9a-f]{16}(\.[a-z0-9]+)?$/);
    }
    assert.equal(store.list().length, odd.length);
    assert.equal(
      new Set(store.list().map((m) => m.path)).size,
      odd.length,
      'distinct ids, distinct files (lone surrogates too)',
    );
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(new Set(ids(reopened)), new Set(odd));
    assert.deepEqual((await reopened.verify()).valid.length, odd.length);
    await reopened.close();
  });

  test('bad input throws TypeError or RangeError naming the argument, and changes nothing', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const src = source('bad');
    await store.add('present', src.path);
    const journal = readFileSync(join(dir, 'journal'));
    const badIds: [unknown, typeof TypeError | typeof RangeError][] = [
      ['', RangeError],
      ['x'.repeat(257), RangeError],
      ['a\0b', RangeError],
      [42, TypeError],
      [undefined, TypeError],
      [null, TypeError],
    ];
    for (const [id, type] of badIds) {
      const named = (e: Error) => e instanceof type && /^id /.test(e.message);
      assert.throws(() => store.get(id as string), named, String(id));
      assert.throws(() => store.has(id as string), named);
      await assert.rejects(store.add(id as string, src.path), named);
      await assert.rejects(store.remove(id as string), named);
      await assert.rejects(store.fetch(id as string, 'http://127.0.0.1/'), named);
    }
    const badAdds: [unknown[], typeof Error, RegExp][] = [
      [['m', ''], RangeError, /^source/],
      [['m', 7], TypeError, /^source/],
      [['m', 'a\0b'], RangeError, /^source/],
      [['m', join(root, 'no-such-file')], Error, /no-such-file/],
      [['m', root], TypeError, /^source must be a regular file/],
      [['m', src.path, { sha256: 'xyz' }], RangeError, /^options.sha256/],
      [['m', src.path, { sha256: 5 }], TypeError, /^options.sha256/],
      [['m', src.path, { move: 'yes' }], TypeError, /^options.move/],
      [['m', src.path, 'fast'], TypeError, /^options/],
    ];
    for (const [args, type, message] of badAdds) {
      await assert.rejects(
        (store.add as (...a: unknown[]) => Promise<CachedModel>)(...args),
        (e: Error) => e instanceof type && message.test(e.message),
        String(args),
      );
    }
    await assert.rejects(store.fetch('m', 'not a url'), (e: Error) => e instanceof TypeError && /^url/.test(e.message));
    await assert.rejects(
      store.fetch('m', 'file:///etc/passwd'),
      (e: Error) => e instanceof RangeError && /^url/.test(e.message),
    );
    await assert.rejects(
      store.fetch('m', 'http://127.0.0.1/', { onProgress: 1 as never }),
      /^TypeError: options.onProgress/,
    );
    assert.deepEqual(ids(store), ['present']);
    assert.deepEqual(readFileSync(join(dir, 'journal')), journal);
    assert.deepEqual(ls(dir, 'tmp'), []);
    await store.close();
    const badOpens: [unknown, typeof Error, RegExp][] = [
      ['dir', TypeError, /^options must be an object/],
      [{ dir: 5 }, TypeError, /^options.dir/],
      [{ dir: '' }, RangeError, /^options.dir/],
      [{ dir, maxBytes: -1 }, RangeError, /^options.maxBytes/],
      [{ dir, maxBytes: 1.5 }, RangeError, /^options.maxBytes/],
      [{ dir, maxBytes: Infinity }, RangeError, /^options.maxBytes/],
      [{ dir, maxBytes: '1GB' }, TypeError, /^options.maxBytes/],
      [{ dir, backend: 'gpu' }, RangeError, /options.backend/],
    ];
    for (const [options, type, message] of badOpens) {
      await assert.rejects(
        ModelCache.open(options as never),
        (e: Error) => e instanceof type && message.test(e.message),
        JSON.stringify(options),
      );
    }
    assert.equal(existsSync(join(root, 'never')), false);
  });

  test('a model added again under its id replaces it; the old file goes', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const first = await store.add('m', source('v1').path);
    const same = await store.add('m', source('v1').path);
    assert.equal(same.path, first.path);
    assert.ok(existsSync(first.path));
    const second = await store.add('m', source('v2').path);
    assert.notEqual(second.sha256, first.sha256);
    assert.equal(existsSync(first.path), false);
    assert.deepEqual(ls(dir, 'models'), [second.path.slice(second.path.lastIndexOf('/') + 1)]);
    assert.equal(store.stats().count, 1);
    await store.close();
  });

  test('remove deletes the model and its file; false when absent; survives reopening', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const a = await store.add('a', source('a').path);
    await store.add('b', source('b').path);
    assert.equal(await store.remove('a'), true);
    assert.equal(await store.remove('a'), false);
    assert.equal(existsSync(a.path), false);
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(ids(reopened), ['b']);
    await reopened.close();
  });

  test('verify reports valid, corrupted (content or size changed) and missing files', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await store.add('ok', source('ok').path);
    const flipped = await store.add('flipped', source('flipped').path);
    const grown = await store.add('grown', source('grown').path);
    const gone = await store.add('gone', source('gone').path);
    const data = readFileSync(flipped.path);
    data[100] ^= 1;
    writeFileSync(flipped.path, data);
    appendFileSync(grown.path, 'x');
    rmSync(gone.path);
    const result = await store.verify();
    assert.deepEqual(result, { valid: ['ok'], corrupted: ['grown', 'flipped'], missing: ['gone'], quarantined: [] });
    await store.close();
  });

  test('clear removes every model and file, durably', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    for (const id of ['a', 'b', 'c']) await store.add(id, source(id).path);
    await store.clear();
    assert.deepEqual(store.list(), []);
    assert.equal(store.stats().bytes, 0);
    assert.deepEqual(ls(dir, 'models'), []);
    await store.add('d', source('d').path);
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(ids(reopened), ['d']);
    await reopened.close();
  });

  test('get writes nothing and never hands out a path that is gone: the store deleted under it', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const model = await store.add('a', source('a').path);
    const journalSize = statSync(join(dir, 'journal')).size;
    assert.equal(store.get('a')?.path, model.path);
    assert.equal(statSync(join(dir, 'journal')).size, journalSize, 'recency is not written on the hit');
    rmSync(dir, { recursive: true });
    assert.equal(store.get('a'), undefined);
    assert.equal(store.has('a'), true);
    assert.equal(store.list().length, 1);
    await store.close().catch(() => {});
  });

  test('recency persists lazily: on close, on the next change, and on a timer', async () => {
    const dir = freshDir();
    let store = await ModelCache.open({ dir });
    for (const id of ['a', 'b', 'c']) await store.add(id, source(id).path);
    store.get('a');
    const touched = store.get('b')!.lastAccessed;
    await store.close();
    store = await ModelCache.open({ dir });
    assert.deepEqual(ids(store), ['b', 'a', 'c'], 'close flushed the hits');
    assert.equal(store.list()[0].lastAccessed, touched);
    store.get('c');
    await store.add('d', source('d').path); // a change flushes the hit first
    const other = await ModelCache.open({ dir });
    assert.deepEqual(ids(other), ['d', 'c', 'b', 'a']);
    store.get('a');
    await new Promise((r) => setTimeout(r, 2500)); // the timer flushes it
    await other.remove('d'); // replays what the other object appended
    assert.deepEqual(ids(other), ['a', 'c', 'b']);
    await Promise.all([store.close(), other.close()]);
  });

  test('two objects on one directory see each other at their next change', async () => {
    const dir = freshDir();
    const one = await ModelCache.open({ dir });
    const two = await ModelCache.open({ dir });
    await one.add('from-one', source('1').path);
    assert.equal(two.has('from-one'), false, 'no disk I/O on has');
    await two.add('from-two', source('2').path);
    assert.deepEqual(ids(two), ['from-two', 'from-one']);
    assert.equal(await one.remove('from-two'), true);
    await two.remove('nothing');
    assert.deepEqual(ids(two), ['from-one']);
    await Promise.all([one.close(), two.close()]);
  });

  test('concurrent adds and removes in one object all land', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const sources = Array.from({ length: 20 }, (_, i) => source(`c${i}`, 1000 + i));
    await Promise.all(sources.map((s, i) => store.add(`m${i}`, s.path)));
    await Promise.all(sources.slice(0, 5).map((_, i) => store.remove(`m${i}`)));
    assert.equal(store.stats().count, 15);
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(new Set(ids(reopened)), new Set(sources.slice(5).map((_, i) => `m${i + 5}`)));
    assert.equal((await reopened.verify()).valid.length, 15);
    await reopened.close();
  });

  test('open recovers: leftover temporary files go, vanished files are reported, orphans are quarantined', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await store.add('kept', source('kept').path);
    const vanished = await store.add('vanished', source('vanished').path);
    await store.close();
    const { pid: dead } = spawnSync(process.execPath, ['-e', '']);
    writeFileSync(join(dir, 'tmp', `${dead}-00ff.part`), 'half a copy');
    writeFileSync(join(dir, 'tmp', `${dead}-0a0a.download`), 'half a download');
    writeFileSync(join(dir, 'tmp', `${process.pid}-1234.part`), 'ours, from no live add');
    writeFileSync(join(dir, 'journal.123-abc.tmp'), 'an interrupted compaction');
    writeFileSync(join(dir, 'models', `${'0'.repeat(32)}-${'1'.repeat(16)}.gguf`), 'renamed in, never recorded');
    rmSync(vanished.path);
    const warnings: string[] = [];
    const reopened = await ModelCache.open({ dir, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(ids(reopened), ['vanished', 'kept'], 'a vanished file is reported, not dropped');
    assert.equal(reopened.get('vanished'), undefined);
    assert.deepEqual(ls(dir, 'tmp'), []);
    assert.equal(ls(dir, 'models').length, 1);
    assert.deepEqual(readdirSync(dir).sort(), ['journal', 'models', 'quarantine', 'reserve', 'tmp']);
    assert.deepEqual(ls(dir, 'quarantine'), [`${'0'.repeat(32)}-${'1'.repeat(16)}.gguf`]);
    assert.equal(reopened.stats().quarantined, 1);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.deepEqual(await reopened.verify(), {
      valid: ['kept'],
      corrupted: [],
      missing: ['vanished'],
      quarantined: [`${'0'.repeat(32)}-${'1'.repeat(16)}.gguf`],
    });
    const collected = await reopened.gc({ quarantine: true });
    assert.deepEqual(collected.dropped, ['vanished']);
    assert.equal(collected.deleted, 1);
    assert.deepEqual(ids(reopened), ['kept']);
    assert.deepEqual(ls(dir, 'quarantine'), []);
    await reopened.close();
  });

  test('a torn or damaged journal tail never breaks open; intact records are kept', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await store.add('a', source('a').path);
    await store.add('b', source('b').path);
    await store.close();
    const journal = join(dir, 'journal');
    const intact = readFileSync(journal);
    for (const tail of [
      '123 abcd',
      '40 00000000 {"t":"add","id":"x"}\n',
      '\0'.repeat(4096),
      '{"t":"rm","id":"a"}\n',
      '\n\n',
    ]) {
      writeFileSync(journal, Buffer.concat([intact, Buffer.from(tail)]));
      const reopened = await ModelCache.open({ dir });
      assert.deepEqual(ids(reopened), ['b', 'a'], JSON.stringify(tail.slice(0, 20)));
      await reopened.close();
      assert.deepEqual(readFileSync(journal), intact, 'the tail was cut off');
    }
    // A damaged record in the middle is skipped; the rest applies.
    const lines = intact.toString('latin1').split('\n');
    const addOfA = lines.findIndex((line) => line.includes('"id":"a"'));
    lines[addOfA] = lines[addOfA].replace('"a"', '"A"');
    writeFileSync(journal, lines.join('\n'), 'latin1');
    const reopened = await ModelCache.open({ dir, onWarning: () => {} });
    assert.deepEqual(ids(reopened).sort(), ['a', 'b'], "the unrecorded model's file is re-adopted from its sidecar");
    assert.equal(ls(dir, 'models').length, 2);
    await reopened.close();
  });

  test('the journal is compacted as it grows; order and recency survive it', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, maxBytes: 8 * KiB });
    const small = source('small', 512);
    for (let i = 0; i < 300; i++) {
      await store.add(`m${i}`, small.path); // 16 fit: each add past them evicts one
      if (i % 10 === 0) store.get(`m${i - 5}`);
    }
    const order = ids(store);
    assert.equal(order.length, 16);
    await store.close();
    const lines = readFileSync(join(dir, 'journal'), 'utf8').trim().split('\n');
    assert.ok(lines.length < 200, `${lines.length} records after 300 adds and their evictions`);
    const reopened = await ModelCache.open({ dir, maxBytes: 8 * KiB });
    assert.deepEqual(ids(reopened), order);
    assert.equal(ls(dir, 'models').length, 16);
    await reopened.close();
  });

  test('opening with a smaller maxBytes evicts least recently used models until the store fits', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    for (const id of ['a', 'b', 'c', 'd']) await store.add(id, source(id).path);
    store.get('a'); // recorded after every add: a must outlive b and c
    await store.close();
    const smaller = await ModelCache.open({ dir, maxBytes: 9 * KiB });
    assert.deepEqual(ids(smaller), ['a', 'd']);
    assert.equal(smaller.stats().evictions, 2);
    assert.equal(ls(dir, 'models').length, 2);
    await smaller.close();
    const again = await ModelCache.open({ dir });
    assert.deepEqual(ids(again), ['a', 'd']);
    await again.close();
  });

  test('the store keeps its limit: opening without maxBytes evicts nothing, with it sets a new one', async () => {
    const dir = freshDir();
    const big = await ModelCache.open({ dir, maxBytes: 40 * KiB });
    for (const id of ['a', 'b', 'c', 'd']) await big.add(id, source(id, 8 * KiB).path);
    await big.close();
    const plain = await ModelCache.open({ dir });
    assert.equal(plain.stats().maxBytes, 40 * KiB);
    assert.deepEqual(ids(plain), ['d', 'c', 'b', 'a']);
    // Another process lowers the limit: this one follows at its next change.
    const other = await ModelCache.open({ dir, maxBytes: 20 * KiB });
    assert.deepEqual(ids(other), ['d', 'c']);
    await other.close();
    // Checked against the old limit before copying, against the new one under the lock.
    await assert.rejects(
      plain.add('f', source('f', 24 * KiB).path),
      (e: Error) => e instanceof RangeError && /maxBytes \(20480\)/.test(e.message),
    );
    assert.equal(plain.stats().maxBytes, 20 * KiB);
    assert.deepEqual(ls(dir, 'tmp'), []);
    await plain.add('e', source('e', 8 * KiB).path);
    assert.deepEqual(ids(plain), ['e', 'd']);
    await plain.close();
    assert.deepEqual(ls(dir, 'models').length, 2);
    // Compaction and clear keep the limit.
    const again = await ModelCache.open({ dir });
    await again.clear();
    assert.equal(again.stats().maxBytes, 20 * KiB);
    await again.close();
    const cleared = await ModelCache.open({ dir });
    assert.equal(cleared.stats().maxBytes, 20 * KiB);
    await cleared.close();
  });

  test('an add and its evictions are one journal record: a torn write loses both, never the evictions alone', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, maxBytes: 12 * KiB });
    for (const id of ['a', 'b', 'c']) await store.add(id, source(id).path);
    const journal = join(dir, 'journal');
    const before = readFileSync(journal);
    const fileOfA = store.get('a')!.path;
    store.get('b');
    store.get('c');
    const savedA = readFileSync(fileOfA);
    await store.add('d', source('d').path);
    await store.close();
    const appended = readFileSync(journal).subarray(before.length).toString().trim().split('\n');
    const last = JSON.parse(appended.at(-1)!.replace(/^\d+ [0-9a-f]{8} /, '')) as {
      t: string;
      id: string;
      evicted: string[];
    };
    assert.deepEqual([last.t, last.id, last.evicted], ['add', 'd', ['a']]);
    assert.ok(!appended.some((line) => line.includes('"t":"rm"')), 'no separate rm record');
    // Power lost in the middle of that line: the add never happened, and a's file was not yet deleted.
    const full = readFileSync(journal);
    writeFileSync(journal, full.subarray(0, full.length - 40));
    writeFileSync(fileOfA, savedA);
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(ids(reopened).sort(), ['a', 'b', 'c']);
    assert.deepEqual((await reopened.verify()).valid.sort(), ['a', 'b', 'c']);
    await reopened.close();
  });

  test('journals of earlier formats (1, 3) are rewritten in this one (4) at open', async () => {
    for (const version of [1, 3]) {
      const dir = freshDir();
      const store = await ModelCache.open({ dir });
      await store.add('a', source('a').path);
      await store.close();
      const journal = join(dir, 'journal');
      const [header, ...rest] = readFileSync(journal, 'utf8').split('\n');
      const old = JSON.parse(header.replace(/^\d+ [0-9a-f]{8} /, '')) as Record<string, unknown>;
      writeFileSync(
        journal,
        [
          encodeRecord({ ...old, t: 'journal', v: version })
            .toString()
            .trim(),
          ...rest,
        ].join('\n'),
      );
      const reopened = await ModelCache.open({ dir });
      assert.deepEqual(ids(reopened), ['a']);
      await reopened.close();
      assert.match(readFileSync(journal, 'utf8').split('\n')[0], /"v":4/);
    }
  });

  test('calls take effect in the order they were made: add then remove, add then clear', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const big = source('order', 2 * 2 ** 20);
    const added = store.add('x', big.path);
    assert.equal(await store.remove('x'), true);
    await added;
    assert.equal(store.has('x'), false);
    const again = store.add('y', big.path);
    await store.clear();
    await again;
    assert.deepEqual(ids(store), []);
    assert.deepEqual(ls(dir, 'models'), []);
    await store.close();
  });

  test("move refuses the store's own files: the journal, a model's file", async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const model = await store.add('a', source('a').path);
    for (const path of [join(dir, 'journal'), model.path]) {
      await assert.rejects(
        store.add('b', path, { move: true }),
        (e: Error) => e instanceof RangeError && /file of the store itself/.test(e.message),
      );
    }
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(ids(reopened), ['a']);
    await reopened.close();
  });

  test('close: later calls throw, a second close does nothing', async () => {
    const store = await ModelCache.open({ dir: freshDir() });
    await store.close();
    await store.close();
    assert.throws(() => store.get('a'), /closed/);
    assert.throws(() => store.list(), /closed/);
    assert.throws(() => store.stats(), /closed/);
    await assert.rejects(store.add('a', source('a').path), /closed/);
    await assert.rejects(store.remove('a'), /closed/);
  });

  for (const backend of ENGINES) {
    test(`the index runs on the ${backend} engine`, async () => {
      const dir = freshDir();
      const store = await ModelCache.open({ dir, maxBytes: 10 * KiB, backend });
      for (const id of ['a', 'b', 'c']) await store.add(id, source(id).path);
      assert.deepEqual(ids(store), ['c', 'b']);
      await store.close();
    });
  }
});
