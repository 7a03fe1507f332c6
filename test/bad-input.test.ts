// Bad input across the public cache API (createCache and every Cache method),
// table-driven, on every engine: wrong types, out-of-range numbers, huge and
// odd strings. README, "Semantics": bad input throws TypeError (wrong type) or
// RangeError (out of range) with the argument named, and changes nothing; any
// string is a key. The model store (issue 5) has its own bad-input tests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCache, type BackendName, type Cache, type CacheOptions } from 'caro-cache';
import { ENGINES } from './engines.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const HUGE = 10 * 2 ** 20; // a 10 MB string

/** A label for a value in a test name. */
function show(value: unknown): string {
  if (typeof value === 'string') return value.length > 20 ? `a string of ${value.length} chars` : JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return typeof value;
  if (Object.is(value, -0)) return '-0';
  if (value instanceof Number) return 'new Number';
  if (value instanceof String) return 'new String';
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'object';
  return String(value);
}

/** Everything observable about a cache. */
function snapshot<V>(cache: Cache<V>, evicted: unknown[]) {
  return {
    entries: [...cache.entries()],
    size: cache.size,
    bytes: cache.bytes,
    stats: cache.stats(),
    evicted: evicted.length,
  };
}

/** Checks the error: its class, that it names `argument`, and that its message stays short whatever the value. */
function expectError(
  call: () => unknown,
  kind: typeof TypeError | typeof RangeError,
  argument: RegExp,
  label: string,
): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof kind, `${label}: expected ${kind.name}, got ${String(error)}`);
    assert.equal(error.constructor, kind, `${label}: exactly ${kind.name}`);
    assert.match(error.message, argument, `${label}: the message names the argument`);
    assert.ok(error.message.length < 200, `${label}: a message of ${error.message.length} chars`);
    return true;
  });
}

// Values of the wrong type for a string or a number argument.
const notStrings: unknown[] = [
  undefined,
  null,
  0,
  1,
  NaN,
  true,
  1n,
  Symbol('k'),
  {},
  [],
  ['a'],
  new String('a'),
  () => 'a',
  { toString: () => 'a' },
  new Proxy({}, {}),
];
const notNumbers: unknown[] = [
  '1',
  '',
  'x'.repeat(HUGE),
  null,
  true,
  false,
  1n,
  Symbol('n'),
  {},
  [],
  [1],
  new Number(1),
  () => 1,
  { valueOf: () => 1 },
];
// Numbers that are no size: negative, fractional, not finite, 2^53 or more.
const notSizes: unknown[] = [
  -1,
  -0.5,
  0.5,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  2 ** 53 + 2,
  1e300,
  Number.MIN_VALUE,
  Number.EPSILON,
  -MAX_SAFE,
  Number.MAX_VALUE,
];

describe('createCache: bad options', () => {
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [];
  for (const options of [null, 5, 'x', true, Symbol('o'), 5n, () => ({})]) {
    cases.push([`options ${show(options)}`, () => createCache(options as CacheOptions<unknown>), TypeError, /options/]);
  }
  for (const name of ['maxEntries', 'maxBytes'] as const) {
    for (const value of notNumbers) {
      if (value === undefined) continue;
      cases.push([
        `${name} ${show(value)}`,
        () => createCache({ [name]: value as number }),
        TypeError,
        new RegExp(name),
      ]);
    }
    const outOfRange =
      name === 'maxEntries'
        ? [0, -0, ...notSizes.filter((v) => v !== Infinity)]
        : notSizes.filter((v) => v !== Infinity);
    for (const value of outOfRange)
      cases.push([
        `${name} ${show(value)}`,
        () => createCache({ [name]: value as number }),
        RangeError,
        new RegExp(name),
      ]);
  }
  for (const backend of [5, null, true, {}, Symbol('b'), ['native']]) {
    cases.push([
      `backend ${show(backend)}`,
      () => createCache({ backend: backend as BackendName }),
      TypeError,
      /options\.backend/,
    ]);
  }
  for (const backend of ['gpu', '', 'NATIVE', 'native ', 'wasm\u0000', 'x'.repeat(HUGE)]) {
    cases.push([
      `backend ${show(backend)}`,
      () => createCache({ backend: backend as BackendName }),
      RangeError,
      /options\.backend/,
    ]);
  }
  for (const onEvict of ['x', 5, null, {}, true, Symbol('f'), [() => {}]]) {
    cases.push([
      `onEvict ${show(onEvict)}`,
      () => createCache({ onEvict: onEvict as () => void }),
      TypeError,
      /onEvict/,
    ]);
  }
  for (const [label, call, kind, argument] of cases) {
    test(`${label}: ${kind.name} naming it`, () => expectError(call, kind, argument, label));
  }

  test('$CARO_CACHE_BACKEND: a bad value is a RangeError naming the variable; the option wins over it', () => {
    const saved = process.env.CARO_CACHE_BACKEND;
    try {
      process.env.CARO_CACHE_BACKEND = 'gpu';
      expectError(() => createCache({}), RangeError, /CARO_CACHE_BACKEND/, 'env gpu');
      assert.equal(createCache({ backend: 'ts' }).backend, 'ts');
      process.env.CARO_CACHE_BACKEND = 'wasm';
      assert.equal(createCache().backend, 'wasm');
    } finally {
      if (saved === undefined) delete process.env.CARO_CACHE_BACKEND;
      else process.env.CARO_CACHE_BACKEND = saved;
    }
  });

  test('the edges that are allowed: maxEntries 1, maxBytes 0, 2^53-1 and Infinity, an empty options object, no options', () => {
    for (const options of [
      { maxEntries: 1 },
      { maxBytes: 0 },
      { maxEntries: MAX_SAFE, maxBytes: MAX_SAFE },
      { maxEntries: Infinity, maxBytes: Infinity },
      {},
      undefined,
    ]) {
      const cache = createCache(options);
      assert.equal(cache.maxEntries, options?.maxEntries ?? Infinity);
      assert.equal(cache.maxBytes, options?.maxBytes ?? Infinity);
      cache.close();
    }
  });

  test('maxBytes -0 is 0', () => {
    // Number.isSafeInteger(-0) holds, so -0 passes as a size; it should then be 0.
    assert.ok(Object.is(createCache({ maxBytes: -0 }).maxBytes, 0));
  });

  test('options are read once: getters that change their answer cannot slip in a non-function onEvict', () => {
    // Each read of options.onEvict returns the next of these.
    const answers = [() => {}, () => {}, 'not a function', 'not a function'];
    let reads = 0;
    const options = {
      maxEntries: 1,
      get onEvict() {
        return answers[Math.min(reads++, answers.length - 1)];
      },
    } as unknown as CacheOptions<number>;
    let cache: Cache<number> | undefined;
    try {
      cache = createCache(options);
    } catch (error) {
      assert.ok(error instanceof TypeError && /onEvict/.test(error.message), String(error));
      return; // refused: fine
    }
    // Accepted: then the function it checked must be the one it calls.
    cache.set('a', 1);
    assert.doesNotThrow(() => cache.set('b', 2), 'the cache accepted onEvict as a function and then called a string');
  });
});

for (const backend of ENGINES) {
  describe(`bad arguments to every method (${backend})`, () => {
    const evicted: unknown[] = [];
    const make = () => {
      evicted.length = 0;
      const cache = createCache<string>({
        backend,
        maxEntries: 3,
        maxBytes: 100,
        onEvict: (...args) => evicted.push(args),
      });
      cache.set('a', 'A', 10).set('b', 'B', 20).set('c', 'C', 30);
      return cache;
    };

    const keyMethods: [string, (cache: Cache<string>, key: unknown) => unknown][] = [
      ['get', (cache, key) => cache.get(key as string)],
      ['peek', (cache, key) => cache.peek(key as string)],
      ['has', (cache, key) => cache.has(key as string)],
      ['delete', (cache, key) => cache.delete(key as string)],
      ['set', (cache, key) => cache.set(key as string, 'X', 1)],
    ];

    test(`key: ${notStrings.length} values that are not strings, on ${keyMethods.map(([m]) => m).join(', ')}: TypeError naming key, nothing changes`, () => {
      const cache = make();
      const before = snapshot(cache, evicted);
      for (const [method, call] of keyMethods) {
        for (const key of notStrings)
          expectError(() => call(cache, key), TypeError, /\bkey\b/, `${method}(${show(key)})`);
        expectError(
          () => (cache as unknown as Record<string, () => unknown>)[method](),
          TypeError,
          /\bkey\b/,
          `${method}()`,
        );
      }
      assert.deepEqual(snapshot(cache, evicted), before);
      assert.deepEqual([...cache.keys()], ['c', 'b', 'a'], 'recency unchanged');
    });

    test(`bytes: ${notNumbers.length} values that are not numbers (TypeError) and ${notSizes.length} numbers that are not sizes (RangeError), on a new key and an existing one: nothing changes`, () => {
      const cache = make();
      const before = snapshot(cache, evicted);
      for (const key of ['a', 'new']) {
        for (const bytes of notNumbers)
          expectError(
            () => cache.set(key, 'X', bytes as number),
            TypeError,
            /\bbytes\b/,
            `set(${key}, X, ${show(bytes)})`,
          );
        for (const bytes of notSizes)
          expectError(
            () => cache.set(key, 'X', bytes as number),
            RangeError,
            /\bbytes\b/,
            `set(${key}, X, ${show(bytes)})`,
          );
        // Larger than the whole cache.
        for (const bytes of [101, MAX_SAFE])
          expectError(() => cache.set(key, 'X', bytes), RangeError, /maxBytes/, `set(${key}, X, ${bytes})`);
      }
      assert.deepEqual(snapshot(cache, evicted), before);
      assert.deepEqual([...cache.keys()], ['c', 'b', 'a'], 'recency unchanged');
    });

    test('bytes past the 2^53-1 total without a byte limit: RangeError naming bytes, nothing changes', () => {
      const cache = createCache<string>({ backend });
      cache.set('a', 'A', MAX_SAFE - 5).set('b', 'B', 5);
      const before = snapshot(cache, []);
      for (const [key, bytes] of [
        ['c', 1],
        ['b', 6],
        ['c', MAX_SAFE],
      ] as const) {
        expectError(() => cache.set(key, 'X', bytes), RangeError, /\bbytes\b/, `set(${key}, X, ${bytes})`);
      }
      assert.deepEqual(snapshot(cache, []), before);
    });

    test('a bad key is reported before a bad size, and bad calls in a row leave a cache that still works', () => {
      const cache = make();
      expectError(() => cache.set(5 as unknown as string, 'X', -1), TypeError, /\bkey\b/, 'set(5, X, -1)');
      for (let i = 0; i < 100; i++) {
        assert.throws(() => cache.set(i as unknown as string, 'X'));
        assert.throws(() => cache.set('a', 'X', -i - 1));
      }
      cache.set('d', 'D', 40);
      assert.deepEqual([...cache.keys()], ['d', 'c', 'b']);
      assert.equal(cache.bytes, 90);
      assert.deepEqual(evicted, [['a', 'A', 10]]);
    });

    test('arguments where none are taken, and extra arguments, are ignored', () => {
      const cache = make() as unknown as Record<string, (...args: unknown[]) => unknown>;
      const typed = cache as unknown as Cache<string>;
      assert.deepEqual([...(cache.keys(1, 'x') as Iterable<string>)], ['c', 'b', 'a']);
      assert.equal(cache.get('a', 'extra', 3), 'A');
      assert.equal(cache.set('e', 'E', 1, 'extra'), typed);
      assert.deepEqual((cache.stats(null) as { sets: number }).sets, 4);
      cache.clear(false);
      assert.equal(typed.size, 0);
      cache.close('now');
      assert.throws(() => typed.size, /closed/);
    });

    test('a method called away from its cache throws TypeError and touches no cache', () => {
      const cache = make();
      const before = snapshot(cache, evicted);
      const { get, set, has, delete: del, keys, stats, clear } = cache;
      for (const call of [
        () => get('a'),
        () => set('z', 'Z'),
        () => has('a'),
        () => del('a'),
        () => keys(),
        () => stats(),
        () => clear(),
      ]) {
        assert.throws(call, TypeError);
      }
      for (const other of [{}, null, undefined, Object.create(cache) as object]) {
        assert.throws(() => get.call(other as Cache<string>, 'a'), TypeError);
        assert.throws(() => set.call(other as Cache<string>, 'a', 'Z'), TypeError);
      }
      // Another cache is a cache: the method works on it, and leaves this one be.
      const other = createCache<string>({ backend });
      set.call(other, 'z', 'Z');
      assert.equal(other.get('z'), 'Z');
      assert.deepEqual(snapshot(cache, evicted), before);
    });

    test('maxEntries, maxBytes and backend cannot be changed by assignment (the engine would keep the old limits)', () => {
      const cache = make();
      const writable = cache as unknown as Record<string, unknown>;
      for (const [name, value] of [
        ['maxBytes', Infinity],
        ['maxEntries', 1],
        ['backend', 'other'],
      ] as const) {
        try {
          writable[name] = value;
        } catch (error) {
          assert.ok(error instanceof TypeError, `${name}: ${String(error)}`);
        }
      }
      assert.equal(cache.maxBytes, 100);
      assert.equal(cache.maxEntries, 3);
      assert.equal(cache.backend, backend);
      // The limits the engine enforces and the ones set() checks stay the same.
      expectError(
        () => cache.set('big', 'X', 1000),
        RangeError,
        /maxBytes/,
        'set(big, X, 1000) after assigning maxBytes',
      );
      assert.ok(cache.bytes <= 100);
    });

    test('any value is a value: undefined, null, functions, symbols, the cache itself', () => {
      const cache = createCache<unknown>({ backend });
      const values: unknown[] = [undefined, null, 0, -0, NaN, '', () => 1, Symbol('v'), cache, new Proxy({}, {}), 10n];
      values.forEach((value, i) => cache.set(`v${i}`, value));
      values.forEach((value, i) => {
        assert.equal(cache.has(`v${i}`), true);
        assert.ok(Object.is(cache.get(`v${i}`), value), `v${i}`);
      });
      assert.equal(cache.size, values.length);
    });
  });

  describe(`huge and odd string keys (${backend})`, () => {
    test('10 MB keys work: set, get, peek, has, keys, delete; keys differing only in their last character are distinct', () => {
      const cache = createCache<number>({ backend, maxEntries: 3 });
      const big = 'm'.repeat(HUGE);
      const bigA = `${big}a`;
      const bigB = `${big}b`;
      const surrogates = '\uD800'.repeat(HUGE);
      cache.set(bigA, 1, 1).set(bigB, 2, 2).set(surrogates, 3, 3);
      assert.equal(cache.get(bigA), 1);
      assert.equal(cache.peek(bigB), 2);
      assert.equal(cache.has(`${big}c`), false);
      assert.equal(cache.has(surrogates), true);
      const keys = [...cache.keys()];
      assert.equal(keys.length, 3);
      assert.ok(keys[0] === bigA && keys[1] === surrogates && keys[2] === bigB);
      assert.equal(cache.delete(bigB), true);
      cache.set('small', 4).set('smaller', 5); // evicts the surrogates key, then bigA
      assert.deepEqual([...cache.keys()], ['smaller', 'small', bigA]);
      cache.close();
    });

    test('odd strings are keys like any other, each distinct, read back exactly', () => {
      const odd = [
        '',
        '\u0000',
        'a\u0000',
        'a',
        'a\u0000b',
        '\uD800',
        '\uDBFF',
        '\uDC00',
        '\uDFFF',
        '\uDC00\uD800',
        '\uD83E\uDD80',
        '\uD83E',
        '\uFEFF',
        '\uFFFE',
        '\uFFFF',
        '\u202Emodel',
        'e\u0301',
        '\u00E9',
        ' ',
        '\t',
        '\n',
        '\r\n',
        '0',
        '-0',
        '1e3',
        '1000',
        'NaN',
        'Infinity',
        'undefined',
        'null',
        'true',
        '__proto__',
        'constructor',
        'prototype',
        'hasOwnProperty',
        'toString',
        'valueOf',
        '__defineGetter__',
        'Qwen/Qwen2.5-Coder-1.5B-Instruct',
        '../../etc/passwd',
        'C:\\models\\x',
        '%s%n',
        '${x}',
        '模型',
        '🦀'.repeat(1000),
      ];
      assert.equal(new Set(odd).size, odd.length);
      const cache = createCache<number>({ backend });
      odd.forEach((key, i) => cache.set(key, i, i));
      assert.equal(cache.size, odd.length);
      odd.forEach((key, i) => {
        assert.equal(cache.get(key), i, JSON.stringify(key));
        assert.equal(cache.has(key), true);
      });
      assert.deepEqual([...cache.keys()], [...odd].reverse());
      assert.equal(cache.bytes, (odd.length * (odd.length - 1)) / 2);
      for (const key of odd) assert.equal(cache.delete(key), true, JSON.stringify(key));
      assert.equal(cache.size, 0);
      assert.equal(cache.bytes, 0);
    });
  });
}
