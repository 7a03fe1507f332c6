// Hostile onEvict callbacks: ones that throw (Errors and other values), and
// ones that call set, delete, clear or close on the same cache, on every
// engine. README, "Semantics": onEvict runs after the cache is consistent
// again (the evicted key is gone, the limits hold, the cache can be read or
// changed); delete, replacement and clear do not call it; if it throws, the
// remaining evictions are still reported and the first error is rethrown from
// set. Random hostile callbacks also run in the fuzzer (test/fuzz.test.ts);
// these are the cases worth spelling out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCache, type Cache, type CacheOptions } from 'caro-cache';
import { ENGINES } from './engines.js';
import { runCase, type Case } from './fuzz-harness.js';

/** The invariants any cache must meet between calls, whatever its callbacks did. */
function assertConsistent<V>(cache: Cache<V>, where: string): void {
  const keys = [...cache.keys()];
  const entries = [...cache.entries()];
  assert.equal(keys.length, cache.size, `${where}: keys() has ${keys.length} keys, size is ${cache.size}`);
  assert.equal(new Set(keys).size, keys.length, `${where}: a key listed twice`);
  assert.ok(cache.size <= cache.maxEntries, `${where}: ${cache.size} entries, maxEntries ${cache.maxEntries}`);
  assert.ok(cache.bytes <= cache.maxBytes, `${where}: ${cache.bytes} bytes, maxBytes ${cache.maxBytes}`);
  assert.ok(Number.isSafeInteger(cache.bytes) && cache.bytes >= 0, `${where}: bytes ${cache.bytes}`);
  keys.forEach((key, i) => {
    assert.equal(typeof key, 'string', `${where}: key ${i} is ${String(key)}`);
    assert.ok(cache.has(key), `${where}: keys() lists ${key}, has() denies it`);
    assert.equal(entries[i][0], key, `${where}: entries() and keys() differ at ${i}`);
    assert.equal(cache.peek(key), entries[i][1], `${where}: peek(${key})`);
  });
}

for (const backend of ENGINES) {
  const open = <V>(options: Omit<CacheOptions<V>, 'backend'>): Cache<V> => createCache<V>({ ...options, backend });

  describe(`hostile onEvict (${backend})`, () => {
    test('throwing on every one of 700 victims (three victim batches): all reported oldest first, the first error rethrown, the cache consistent', () => {
      const reported: string[] = [];
      const errors: Error[] = [];
      const cache = open<number>({
        maxBytes: 1000,
        onEvict: (key) => {
          reported.push(key);
          const error = new Error(`refused ${key}`);
          errors.push(error);
          throw error;
        },
      });
      for (let i = 0; i < 700; i++) cache.set(`k${i}`, i, 1);
      assert.throws(
        () => cache.set('big', -1, 1000),
        (error: unknown) => error === errors[0],
      );
      assert.equal(reported.length, 700);
      assert.deepEqual(
        reported,
        Array.from({ length: 700 }, (_, i) => `k${i}`),
      );
      assert.deepEqual([...cache.entries()], [['big', -1]]);
      assert.equal(cache.bytes, 1000);
      assert.deepEqual(cache.stats(), { hits: 0, misses: 0, sets: 701, deletes: 0, evictions: 700, evictedBytes: 700 });
      assertConsistent(cache, 'after');
      // It goes on working, callbacks and all.
      assert.throws(() => cache.set('next', 0, 1), /refused big/);
      assert.deepEqual([...cache.keys()], ['next']);
    });

    test('values that are not Errors are rethrown as they are: undefined, null, 0, a string, a symbol, a promise', () => {
      const symbol = Symbol('thrown');
      const promise = Promise.resolve();
      for (const thrown of [undefined, null, 0, '', 'a string', symbol, promise]) {
        const cache = open<number>({
          maxEntries: 1,
          onEvict: () => {
            throw thrown;
          },
        });
        cache.set('a', 1);
        let caught: { value: unknown } | undefined;
        try {
          cache.set('b', 2);
        } catch (value) {
          caught = { value };
        }
        assert.ok(caught !== undefined, `throwing ${String(thrown)} was swallowed`);
        assert.equal(caught.value, thrown);
        assert.deepEqual([...cache.keys()], ['b']);
        assertConsistent(cache, String(thrown));
      }
    });

    test('inside every callback of a mass eviction: its key is gone, the limits hold, stats already count every victim', () => {
      const seen: { has: boolean; size: number; bytes: number; evictions: number; keys: number }[] = [];
      const cache: Cache<number> = open<number>({
        maxEntries: 500,
        maxBytes: 600,
        onEvict: (key) => {
          seen.push({
            has: cache.has(key),
            size: cache.size,
            bytes: cache.bytes,
            evictions: cache.stats().evictions,
            keys: [...cache.keys()].length,
          });
        },
      });
      for (let i = 0; i < 500; i++) cache.set(`k${i}`, i, 1);
      cache.set('big', 0, 590); // 500 + 590 bytes: evicts 490, leaving 10 + 590
      assert.equal(seen.length, 490);
      for (const s of seen) assert.deepEqual(s, { has: false, size: 11, bytes: 600, evictions: 490, keys: 11 });
    });

    test('set inside onEvict: nested evictions are reported nested, every limit holds when the outer set returns', () => {
      const log: string[] = [];
      let depth = 0;
      const cache: Cache<number> = open<number>({
        maxEntries: 2,
        onEvict: (key) => {
          log.push(`${'>'.repeat(depth)}${key}`);
          depth++;
          try {
            if (key === 'a') cache.set('x', 0); // evicts b, whose callback sets y, evicting c
            if (key === 'b') cache.set('y', 0);
          } finally {
            depth--;
          }
        },
      });
      cache.set('a', 1).set('b', 2);
      assert.equal(cache.set('c', 3), cache);
      assert.deepEqual(log, ['a', '>b', '>>c']);
      assert.deepEqual([...cache.keys()], ['y', 'x']);
      assertConsistent(cache, 'after');
      assert.deepEqual(cache.stats(), { hits: 0, misses: 0, sets: 5, deletes: 0, evictions: 3, evictedBytes: 0 });
    });

    test('deleting the entry being set, and re-setting the evicted key once, inside onEvict', () => {
      const cache: Cache<number> = open<number>({
        maxEntries: 2,
        onEvict: (key) => void (key === 'a' && cache.delete('c')),
      });
      cache.set('a', 1).set('b', 2);
      assert.equal(cache.set('c', 3), cache);
      assert.deepEqual([...cache.keys()], ['b']);
      assertConsistent(cache, 'delete');

      let resurrected = false;
      const back: Cache<number> = open<number>({
        maxEntries: 2,
        onEvict: (key, value) => {
          if (!resurrected) {
            resurrected = true;
            back.set(key, value * 10); // evicts b in turn
          }
        },
      });
      back.set('a', 1).set('b', 2).set('c', 3);
      assert.deepEqual(
        [...back.entries()],
        [
          ['a', 10],
          ['c', 3],
        ],
      );
      assertConsistent(back, 'resurrect');
    });

    test('clear inside onEvict: the other victims are still reported with their values and sizes, the cache is empty and works', () => {
      const log: [string, number, number][] = [];
      const cache: Cache<number> = open<number>({
        maxBytes: 10,
        onEvict: (key, value, bytes) => {
          log.push([key, value, bytes]);
          if (key === 'a') cache.clear();
        },
      });
      cache.set('a', 1, 3).set('b', 2, 3).set('c', 3, 3);
      cache.set('d', 4, 10);
      assert.deepEqual(log, [
        ['a', 1, 3],
        ['b', 2, 3],
        ['c', 3, 3],
      ]);
      assert.equal(cache.size, 0);
      assert.equal(cache.bytes, 0);
      assert.equal(cache.stats().evictions, 3);
      cache.set('e', 5, 10);
      assert.deepEqual([...cache.entries()], [['e', 5]]);
      assertConsistent(cache, 'after');
    });

    test('close inside onEvict: the set returns, the callbacks still due run and find it closed, later calls throw', () => {
      const log: string[] = [];
      const cache: Cache<number> = open<number>({
        maxBytes: 10,
        onEvict: (key) => {
          if (key === 'a') cache.close();
          try {
            cache.has(key);
            log.push(`${key} open`);
          } catch (error) {
            log.push(`${key} ${(error as Error).message}`);
          }
        },
      });
      cache.set('a', 1, 3).set('b', 2, 3).set('c', 3, 3);
      assert.equal(cache.set('d', 4, 10), cache);
      assert.deepEqual(log, [
        'a caro-cache: the cache is closed',
        'b caro-cache: the cache is closed',
        'c caro-cache: the cache is closed',
      ]);
      assert.throws(() => cache.get('d'), /closed/);
      cache.close();

      // A callback that calls into the closed cache: its error is the one rethrown.
      const again: Cache<number> = open<number>({ maxEntries: 1, onEvict: () => (again.close(), again.set('z', 0)) });
      again.set('a', 1);
      assert.throws(() => again.set('b', 2), /caro-cache: the cache is closed/);
    });

    test('a refused set inside onEvict (a size over maxBytes) is rethrown, and changes nothing', () => {
      const cache: Cache<number> = open<number>({ maxBytes: 10, onEvict: () => cache.set('huge', 0, 11) });
      cache.set('a', 1, 6);
      assert.throws(() => cache.set('b', 2, 6), { name: 'RangeError', message: /maxBytes/ });
      assert.deepEqual([...cache.entries()], [['b', 2]]);
      assertConsistent(cache, 'after');
    });

    test('an onEvict that recurses without end: set throws, and the cache stays consistent and usable', () => {
      // Each callback sets a new key, which evicts, whose callback sets a new
      // key... until the stack runs out, wherever in the cache's own code that
      // happens to be. Tried from several starting stack depths, so the
      // overflow lands at different points.
      const failures: string[] = [];
      for (let pad = 0; pad <= 400; pad += 40) {
        let n = 0;
        let recurse = true;
        const cache: Cache<number> = open<number>({
          maxEntries: 2,
          onEvict: () => {
            if (recurse) cache.set(`r${n++}`, n, 1);
          },
        });
        cache.set('a', 0, 1).set('b', 0, 1);
        const deep = (frames: number): void => {
          if (frames > 0) return deep(frames - 1);
          cache.set('c', 0, 1);
        };
        assert.throws(() => deep(pad), `pad ${pad}: the runaway recursion did not throw`);
        recurse = false;
        try {
          assertConsistent(cache, `pad ${pad}, after the overflow`);
          for (let i = 0; i < 5; i++) cache.set(`after${i}`, i, 1);
          assertConsistent(cache, `pad ${pad}, five sets later`);
          for (const key of [...cache.keys()]) assert.equal(cache.delete(key), true, `pad ${pad}: delete ${key}`);
          assert.equal(cache.size, 0);
          assert.equal(cache.bytes, 0);
        } catch (error) {
          failures.push((error as Error).message.split('\n')[0]);
        }
        cache.close();
      }
      assert.deepEqual(failures, [], `${failures.length} of 11 starting depths left the cache inconsistent`);
    });
  });
}

describe('hostile onEvict: every engine agrees with the reference model', () => {
  // The same kind of cases as above, compared entry by entry across engines (test/fuzz-harness.ts).
  const cases: [string, Case][] = [
    [
      'throw, observe, set, delete and clear through one mass eviction',
      {
        config: {
          maxBytes: 300,
          onEvict: [
            { do: 'throw' },
            { do: 'set', key: 'k1', bytes: 150 },
            { do: 'observe' },
            { do: 'throwValue' },
            { do: 'delete', key: 'big' },
            { do: 'clear' },
            { do: 'observe' },
          ],
        },
        ops: [
          { op: 'fill', from: 0, count: 300, bytes: 1 },
          { op: 'set', key: 'big', bytes: 290 },
          { op: 'fill', from: 0, count: 10, bytes: 30 },
          { op: 'set', key: 'k2', bytes: 300 },
        ],
      },
    ],
    [
      'maxEntries 1, each callback setting the next key',
      {
        config: {
          maxEntries: 1,
          onEvict: Array.from({ length: 10 }, (_, i) => ({ do: 'set' as const, key: `k${i + 1}`, bytes: i })),
        },
        ops: [{ op: 'set', key: 'k0' }, { op: 'set', key: 'start' }, { op: 'entries' }],
      },
    ],
  ];
  for (const [name, c] of cases) test(name, () => runCase(c));
});
