// Property-based differential testing: random configurations and operation
// sequences, on every engine and the reference model in lock-step (see
// test/fuzz-harness.ts). A bounded number of runs here; `npm run fuzz -- --ops N`
// runs a long campaign. Kept counterexamples in test/regressions/ replay first.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Cache } from 'caro-cache';
import {
  caseArb,
  checkCases,
  counters,
  decodeCase,
  encodeCase,
  hostileCaseArb,
  runCase,
  type Case,
  type Regression,
} from './fuzz-harness.js';

/** The kept cases live beside the sources: target/build/test/ -> test/regressions/. */
const REGRESSIONS = new URL('../../../test/regressions/', import.meta.url);
/** A random seed each run, printed; CARO_CACHE_FUZZ_SEED replays one. */
const SEED =
  process.env.CARO_CACHE_FUZZ_SEED === undefined
    ? (Math.random() * 2 ** 31) | 0
    : Number(process.env.CARO_CACHE_FUZZ_SEED);
/** Scales the number of runs (CARO_CACHE_FUZZ_RUNS=10 for a tenfold run). */
const SCALE = Number(process.env.CARO_CACHE_FUZZ_RUNS ?? 1);

function property(name: string, arb: fc.Arbitrary<Case>, numRuns: number, seed: number): void {
  test(`${name} (${numRuns * SCALE} runs)`, (t) => {
    const before = { ...counters };
    const result = checkCases(arb, { seed, numRuns: numRuns * SCALE });
    t.diagnostic(
      `seed ${seed} (replay: CARO_CACHE_FUZZ_SEED=${SEED}); ${counters.operations - before.operations} operations in ${counters.cases - before.cases} cases`,
    );
    if (!result.ok) assert.fail(result.report);
  });
}

describe('kept counterexamples and hand-made cases (test/regressions/)', () => {
  const files = readdirSync(REGRESSIONS)
    .filter((f) => f.endsWith('.json'))
    .sort();
  test('there are some', () => assert.ok(files.length >= 5, `${files.length} files`));
  for (const file of files) {
    const regression = decodeCase<Regression>(readFileSync(new URL(file, REGRESSIONS), 'utf8'));
    test(`${file}: ${regression.name}`, () => runCase(regression));
  }
});

describe('differential fuzzing: native, wasm, ts and the reference model in lock-step', () => {
  property('random limits, operations and onEvict reactions', caseArb({ maxOps: 150 }), 2500, SEED);
  property('hostile onEvict under tight limits', hostileCaseArb({ maxOps: 60 }), 1500, SEED + 1);
});

/** A cache with some methods replaced, everything else passed through. */
function override(cache: Cache<string>, methods: Partial<Record<keyof Cache<string>, unknown>>): Cache<string> {
  return new Proxy(cache, {
    get(target, prop) {
      if (Object.hasOwn(methods, prop)) return methods[prop as keyof Cache<string>];
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('the fuzzer itself', () => {
  test('cases survive JSON: NaN, Infinity, -0 and absent sizes included', () => {
    const c: Case = {
      config: { maxEntries: Infinity, maxBytes: 0, onEvict: [{ do: 'set', key: '\uD800', bytes: -0 }] },
      ops: [
        { op: 'set', key: 'a\u0000b', bytes: NaN },
        { op: 'set', key: 'x', bytes: -Infinity },
        { op: 'set', key: 'y' },
        { op: 'fill', from: 3, count: 2, bytes: 1 },
      ],
    };
    const back = decodeCase(encodeCase(c));
    assert.deepEqual(back, c);
    assert.ok(Object.is((back.config.onEvict![0] as { bytes: number }).bytes, -0));
  });

  test('catches an engine that disagrees, and shrinks to a short case', () => {
    // The ts engine's keys() drops the least recent key once there are three.
    const broken = (_name: string, cache: Cache<string>) =>
      override(cache, { keys: () => [...cache.keys()].slice(0, 2).values() });
    const result = checkCases(caseArb({ maxOps: 60 }), { seed: 42, numRuns: 200 }, (c) =>
      runCase(c, { engines: ['ts'], wrap: broken }),
    );
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.match(result.report, /ts and the model disagree/);
      assert.ok(result.counterexample.ops.length <= 4, result.report);
    }
  });

  test('catches a wrong onEvict order', () => {
    const c: Case = {
      config: { maxEntries: 1, onEvict: [] },
      ops: [
        { op: 'set', key: 'a' },
        { op: 'set', key: 'b' },
      ],
    };
    // The native cache reports its victims to onEvict under another name.
    const swapped = (_name: string, cache: Cache<string>) =>
      override(cache, {
        set: (key: string, value: string, bytes?: number) => cache.set(key === 'b' ? 'c' : key, value, bytes),
      });
    assert.throws(() => runCase(c, { engines: ['native'], wrap: swapped }), /native and the model disagree/);
  });
});
