import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCache, type BackendName, type Cache, type CacheOptions } from 'caro-cache';
import { ENGINES } from './engines.js';

const GiB = 2 ** 30;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Everything observable about a cache, to check that a refused call changed nothing. */
function snapshot<V>(cache: Cache<V>) {
  return { entries: [...cache.entries()], size: cache.size, bytes: cache.bytes, stats: cache.stats() };
}

for (const backend of ENGINES) {
  const open = <V>(options: Omit<CacheOptions<V>, 'backend'> = {}): Cache<V> => createCache<V>({ ...options, backend });

  describe(`conformance (${backend})`, () => {
    test('serves on the engine asked for, with the limits given', () => {
      const cache = open({ maxEntries: 7, maxBytes: 100 });
      assert.equal(cache.backend, backend);
      assert.equal(cache.maxEntries, 7);
      assert.equal(cache.maxBytes, 100);
      const unlimited = open();
      assert.equal(unlimited.maxEntries, Infinity);
      assert.equal(unlimited.maxBytes, Infinity);
    });

    test('a new key is inserted as the most recent entry', () => {
      const cache = open<string>();
      cache.set('a', 'A', 1).set('b', 'B', 2).set('c', 'C', 3);
      assert.deepEqual([...cache.keys()], ['c', 'b', 'a']);
      assert.deepEqual(
        [...cache.entries()],
        [
          ['c', 'C'],
          ['b', 'B'],
          ['a', 'A'],
        ],
      );
      assert.deepEqual([...cache], [...cache.entries()]);
      assert.equal(cache.size, 3);
      assert.equal(cache.bytes, 6);
    });

    test('replacing a key replaces value and size, makes it most recent, and is not an eviction', () => {
      const evicted: unknown[] = [];
      const cache = open<string>({ onEvict: (...args) => evicted.push(args) });
      cache.set('a', 'A', 10).set('b', 'B', 20).set('a', 'A2', 5);
      assert.deepEqual(
        [...cache.entries()],
        [
          ['a', 'A2'],
          ['b', 'B'],
        ],
      );
      assert.equal(cache.bytes, 25);
      assert.equal(cache.size, 2);
      assert.deepEqual(evicted, []);
    });

    test('get makes a hit most recent and counts hits and misses; peek and has change nothing', () => {
      const cache = open<number>();
      cache.set('a', 1).set('b', 2).set('c', 3);
      assert.equal(cache.peek('a'), 1);
      assert.equal(cache.has('a'), true);
      assert.equal(cache.has('zz'), false);
      assert.equal(cache.peek('zz'), undefined);
      assert.deepEqual([...cache.keys()], ['c', 'b', 'a']);
      assert.deepEqual(cache.stats(), { hits: 0, misses: 0, sets: 3, deletes: 0, evictions: 0, evictedBytes: 0 });
      assert.equal(cache.get('a'), 1);
      assert.equal(cache.get('zz'), undefined);
      assert.deepEqual([...cache.keys()], ['a', 'c', 'b']);
      assert.deepEqual(cache.stats(), { hits: 1, misses: 1, sets: 3, deletes: 0, evictions: 0, evictedBytes: 0 });
    });

    test('evicts least recently used entries, oldest first, until both limits hold', () => {
      const evicted: [string, number, number][] = [];
      const cache = open<number>({ maxEntries: 3, maxBytes: 100, onEvict: (k, v, b) => evicted.push([k, v, b]) });
      cache.set('a', 1, 10).set('b', 2, 20).set('c', 3, 30);
      cache.get('a');
      cache.set('d', 4, 5); // four entries: b is the oldest
      assert.deepEqual(evicted, [['b', 2, 20]]);
      cache.set('e', 5, 90); // four entries and 135 bytes: c goes, then a for the bytes
      assert.deepEqual(evicted, [
        ['b', 2, 20],
        ['c', 3, 30],
        ['a', 1, 10],
      ]);
      assert.deepEqual([...cache.keys()], ['e', 'd']);
      assert.equal(cache.bytes, 95);
      assert.deepEqual(cache.stats(), { hits: 1, misses: 0, sets: 5, deletes: 0, evictions: 3, evictedBytes: 60 });
    });

    test('growing an entry in place evicts others, never the entry itself', () => {
      const evicted: string[] = [];
      const cache = open<number>({ maxBytes: 100, onEvict: (k) => evicted.push(k) });
      cache.set('a', 1, 30).set('b', 2, 30).set('c', 3, 30);
      cache.set('a', 9, 100);
      assert.deepEqual(evicted, ['b', 'c']);
      assert.deepEqual([...cache.entries()], [['a', 9]]);
      assert.equal(cache.bytes, 100);
    });

    test('the entry just set is never evicted by its own set, even at the byte limit', () => {
      const cache = open<number>({ maxBytes: 50, maxEntries: 1 });
      cache.set('a', 1, 50);
      assert.deepEqual([...cache.keys()], ['a']);
      cache.set('b', 2, 0);
      assert.deepEqual([...cache.keys()], ['b']);
      const zero = open<number>({ maxBytes: 0 });
      zero.set('x', 1).set('y', 2);
      assert.deepEqual([...zero.keys()], ['y', 'x']);
    });

    test('onEvict runs after the cache is consistent: the key is gone, the limits hold, reads work', () => {
      const seen: unknown[] = [];
      const cache: Cache<number> = open<number>({
        maxEntries: 2,
        maxBytes: 10,
        onEvict: (key) => {
          seen.push({
            key,
            has: cache.has(key),
            size: cache.size,
            bytes: cache.bytes,
            newest: cache.peek('c'),
            get: cache.get('b'),
          });
        },
      });
      cache.set('a', 1, 4).set('b', 2, 4).set('c', 3, 4);
      assert.deepEqual(seen, [{ key: 'a', has: false, size: 2, bytes: 8, newest: 3, get: 2 }]);
    });

    test('delete, replacement and clear do not call onEvict; clear keeps the stats', () => {
      let calls = 0;
      const cache = open<number>({ onEvict: () => calls++ });
      cache.set('a', 1, 1).set('b', 2, 2).set('a', 3, 3);
      assert.equal(cache.delete('a'), true);
      assert.equal(cache.delete('a'), false);
      cache.clear();
      assert.equal(calls, 0);
      assert.equal(cache.size, 0);
      assert.equal(cache.bytes, 0);
      assert.deepEqual([...cache.keys()], []);
      assert.deepEqual(cache.stats(), { hits: 0, misses: 0, sets: 3, deletes: 1, evictions: 0, evictedBytes: 0 });
      cache.set('c', 4, 4);
      assert.deepEqual([...cache.entries()], [['c', 4]]);
      assert.equal(cache.bytes, 4);
    });

    test('byte totals are 64-bit exact: three 5 GiB models in a 12 GiB cache leave 10 GiB', () => {
      const evicted: number[] = [];
      const cache = open<string>({ maxBytes: 12 * GiB, onEvict: (_k, _v, bytes) => evicted.push(bytes) });
      cache.set('Qwen/Qwen2.5-Coder-1.5B-Instruct', 'q', 5 * GiB);
      cache.set('meta-llama/Llama-3.2-3B-Instruct', 'l', 5 * GiB);
      cache.set('mistralai/Mistral-7B-Instruct-v0.3', 'm', 5 * GiB);
      assert.equal(cache.bytes, 10 * GiB);
      assert.deepEqual(evicted, [5 * GiB]);
      assert.equal(cache.stats().evictedBytes, 5 * GiB);
    });

    test('totals near 2^53 stay exact', () => {
      const cache = open<number>({ maxBytes: MAX_SAFE });
      cache.set('a', 1, MAX_SAFE - 1).set('b', 2, 1);
      assert.equal(cache.bytes, MAX_SAFE);
      cache.set('c', 3, 2 ** 52 + 1); // evicts a, leaving 1 + 2^52 + 1
      assert.deepEqual([...cache.keys()], ['c', 'b']);
      assert.equal(cache.bytes, 2 ** 52 + 2);
      cache.set('b', 2, MAX_SAFE - 2 ** 52 - 1);
      assert.equal(cache.bytes, MAX_SAFE);
    });

    test('without a byte limit, a total past 2^53-1 is refused and nothing changes', () => {
      const cache = open<number>();
      cache.set('a', 1, MAX_SAFE - 10);
      const before = snapshot(cache);
      assert.throws(() => cache.set('b', 2, 11), RangeError);
      assert.deepEqual(snapshot(cache), before);
      cache.set('b', 2, 10);
      assert.equal(cache.bytes, MAX_SAFE);
      cache.set('a', 3, MAX_SAFE - 10); // a replacement counts the old size out
      assert.equal(cache.bytes, MAX_SAFE);
    });

    test('grows to a million entries, and evicts from a million', () => {
      const million = 1_000_000;
      const cache = open<number>();
      for (let i = 0; i < million; i++) cache.set(`org-${i}/model-${i}-Instruct`, i, 1024);
      assert.equal(cache.size, million);
      assert.equal(cache.bytes, million * 1024);
      assert.equal(cache.get('org-0/model-0-Instruct'), 0);
      assert.equal(cache.get(`org-${million - 1}/model-${million - 1}-Instruct`), million - 1);
      const keys = [...cache.keys()];
      assert.equal(keys.length, million);
      assert.equal(keys[0], `org-${million - 1}/model-${million - 1}-Instruct`);
      assert.equal(keys[1], 'org-0/model-0-Instruct');
      assert.equal(keys[million - 1], 'org-1/model-1-Instruct');
      cache.close();

      const bounded = open<number>({ maxEntries: million });
      for (let i = 0; i < million + 1000; i++) bounded.set(`k${i}`, i, 1);
      assert.equal(bounded.size, million);
      assert.equal(bounded.has('k999'), false);
      assert.equal(bounded.has('k1000'), true);
      assert.equal(bounded.stats().evictions, 1000);
      bounded.close();
    });

    test('one set may evict many entries, beyond one victim batch', () => {
      const evicted: string[] = [];
      const cache = open<number>({ maxBytes: 1000, onEvict: (k) => evicted.push(k) });
      for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i, 1);
      cache.set('big', 0, 1000);
      assert.equal(evicted.length, 1000);
      assert.deepEqual(evicted.slice(0, 3), ['k0', 'k1', 'k2']);
      assert.equal(evicted[999], 'k999');
      assert.deepEqual([...cache.keys()], ['big']);
      assert.equal(cache.bytes, 1000);
    });

    test('any string is a key', () => {
      const odd = [
        '',
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'Qwen/Qwen2.5-Coder-1.5B-Instruct',
        'модель/ß',
        '模型',
        '🦀\u0000x',
        'x'.repeat(10_000),
        '1',
        '-0',
      ];
      const cache = open<number>();
      odd.forEach((key, i) => cache.set(key, i, i));
      assert.equal(cache.size, odd.length);
      odd.forEach((key, i) => {
        assert.equal(cache.get(key), i);
        assert.equal(cache.has(key), true);
      });
      assert.deepEqual([...cache.keys()], [...odd].reverse());
      assert.equal(cache.has('0'), false);
      assert.equal(cache.delete('__proto__'), true);
      assert.equal(cache.has('__proto__'), false);
    });

    test('a non-string key is a TypeError on every method, and changes nothing', () => {
      const cache = open<number>();
      cache.set('a', 1, 1);
      const before = snapshot(cache);
      for (const key of [1, null, undefined, {}, Symbol('k'), 1n, ['a'], new String('a')]) {
        const bad = key as unknown as string;
        assert.throws(() => cache.get(bad), TypeError);
        assert.throws(() => cache.peek(bad), TypeError);
        assert.throws(() => cache.has(bad), TypeError);
        assert.throws(() => cache.set(bad, 1), { name: 'TypeError', message: /key/ });
        assert.throws(() => cache.delete(bad), TypeError);
      }
      assert.deepEqual(snapshot(cache), before);
    });

    test('a bad size is refused with a clear error and changes nothing', () => {
      const cache = open<string>({ maxBytes: 100 });
      cache.set('a', 'A', 10).set('b', 'B', 20);
      const before = snapshot(cache);
      for (const bytes of ['1', null, {}, 1n, true]) {
        assert.throws(() => cache.set('a', 'X', bytes as unknown as number), { name: 'TypeError', message: /bytes/ });
      }
      for (const bytes of [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 1e300, -0.5]) {
        assert.throws(() => cache.set('a', 'X', bytes), { name: 'RangeError', message: /bytes/ });
      }
      // Larger than the whole cache: the existing entry keeps its value and recency.
      assert.throws(() => cache.set('a', 'X', 101), { name: 'RangeError', message: /maxBytes/ });
      assert.throws(() => cache.set('new', 'X', 101), RangeError);
      assert.deepEqual(snapshot(cache), before);
      assert.deepEqual([...cache.keys()], ['b', 'a']);
    });

    test('bad limits and options are refused by createCache', () => {
      for (const maxEntries of [0, -1, 1.5, NaN, -Infinity, 2 ** 53]) {
        assert.throws(() => open({ maxEntries }), { name: 'RangeError', message: /maxEntries/ });
      }
      for (const maxBytes of [-1, 0.5, NaN, -Infinity, 2 ** 53]) {
        assert.throws(() => open({ maxBytes }), { name: 'RangeError', message: /maxBytes/ });
      }
      assert.throws(() => open({ maxEntries: '5' as unknown as number }), { name: 'TypeError', message: /maxEntries/ });
      assert.throws(() => open({ maxBytes: '5' as unknown as number }), { name: 'TypeError', message: /maxBytes/ });
      assert.throws(() => open({ onEvict: 'no' as unknown as () => void }), { name: 'TypeError', message: /onEvict/ });
      assert.throws(() => createCache({ backend: 'gpu' as BackendName }), { name: 'RangeError', message: /backend/ });
      assert.throws(() => createCache(null as unknown as CacheOptions<unknown>), {
        name: 'TypeError',
        message: /options/,
      });
      assert.equal(open({ maxBytes: 0 }).maxBytes, 0);
    });

    test('close frees the engine; later calls throw; a second close is harmless', () => {
      const cache = open<number>({ maxEntries: 10 });
      cache.set('a', 1, 1);
      cache.close();
      cache.close();
      const calls: [string, () => unknown][] = [
        ['get', () => cache.get('a')],
        ['peek', () => cache.peek('a')],
        ['has', () => cache.has('a')],
        ['set', () => cache.set('a', 2)],
        ['delete', () => cache.delete('a')],
        ['clear', () => cache.clear()],
        ['keys', () => cache.keys()],
        ['entries', () => cache.entries()],
        ['stats', () => cache.stats()],
        ['size', () => cache.size],
        ['bytes', () => cache.bytes],
      ];
      for (const [name, call] of calls) assert.throws(call, /closed/, name);
      assert.equal(cache.backend, backend);
    });

    test('an onEvict that throws: every eviction is still reported, the first error is rethrown, the cache is consistent', () => {
      const reported: string[] = [];
      const cache = open<number>({
        maxBytes: 10,
        onEvict: (key) => {
          reported.push(key);
          throw new Error(`refused ${key}`);
        },
      });
      cache.set('a', 1, 4).set('b', 2, 4).set('c', 3, 2);
      assert.throws(() => cache.set('d', 4, 10), /refused a/);
      assert.deepEqual(reported, ['a', 'b', 'c']);
      assert.deepEqual([...cache.entries()], [['d', 4]]);
      assert.equal(cache.bytes, 10);
      assert.equal(cache.stats().evictions, 3);
    });

    test('an onEvict that changes the same cache leaves it consistent', () => {
      const cache: Cache<number> = open<number>({
        maxEntries: 3,
        onEvict: (key, value) => {
          if (key === 'a') cache.set('a-again', value); // evicts again, re-entering
          if (key === 'b') cache.delete('c');
          if (key === 'x') cache.clear();
        },
      });
      cache.set('a', 1).set('b', 2).set('c', 3).set('d', 4);
      // a is evicted; its callback inserts a-again, which evicts b, whose callback deletes c.
      assert.deepEqual([...cache.keys()], ['a-again', 'd']);
      assert.equal(cache.size, 2);
      cache.set('x', 0).set('y', 0).set('z', 0); // evicts d, then a-again
      assert.deepEqual([...cache.keys()], ['z', 'y', 'x']);
      cache.set('w', 0); // evicts x, whose callback clears everything, w too
      assert.deepEqual([...cache.keys()], []);
      assert.equal(cache.bytes, 0);
      cache.set('v', 1);
      assert.equal(cache.get('v'), 1);
    });
  });
}
