// The differential fuzzer's machinery, shared by test/fuzz.test.ts (bounded,
// in `npm test`) and test/fuzz-campaign.ts (`npm run fuzz`, long campaigns).
//
// A case is plain data: a configuration (limits and a script of hostile
// onEvict reactions) and a list of operations. `runCase` applies it in
// lock-step to one cache per engine and to a model built on the reference LRU
// (test/reference.ts), and after every operation compares what each returned or
// threw, size, bytes, keys() and entries() order, stats() and the onEvict log.
// Cases serialise to JSON (`encodeCase`/`decodeCase`), so a shrunk
// counterexample can be kept in test/regressions/ and replayed.
import { AssertionError, deepStrictEqual } from 'node:assert/strict';
import fc from 'fast-check';
import { createCache, type BackendName, type Cache, type CacheStats } from 'caro-cache';
import { ENGINES } from './engines.js';
import { ReferenceLru } from './reference.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// ------------------------------------------------------------------ cases

/** What an onEvict callback does, consumed one per call, in order. */
export type Reaction =
  | { do: 'none' }
  | { do: 'throw' } // an Error subclass
  | { do: 'throwValue' } // a non-Error value
  | { do: 'observe' } // reads size, bytes, keys, has(evicted key) into the log
  | { do: 'get'; key: string }
  | { do: 'set'; key: string; bytes?: unknown }
  | { do: 'delete'; key: string }
  | { do: 'clear' }
  | { do: 'close' };

export interface FuzzConfig {
  maxEntries?: number;
  maxBytes?: number;
  /** Absent: no onEvict at all. Present: a recording onEvict running these reactions in turn. */
  onEvict?: Reaction[];
}

export type Op =
  | { op: 'get' | 'peek' | 'has' | 'delete'; key: string }
  | { op: 'set'; key: string; bytes?: unknown }
  /** count sets of keys `f<from>`..`f<from+count-1>`, stopping at the first throw. */
  | { op: 'fill'; from: number; count: number; bytes: number }
  | { op: 'clear' | 'keys' | 'entries' | 'iterate' | 'stats' | 'size' | 'bytes' | 'close' };

export interface Case {
  config: FuzzConfig;
  ops: Op[];
}

/** A kept counterexample or hand-made case, as stored in test/regressions/. */
export interface Regression extends Case {
  name: string;
  why: string;
}

// JSON has no NaN, Infinity, -0 or undefined-in-arrays: numbers JSON cannot
// hold are written as {"number": "<String(n)>"}.
export function encodeCase(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)))
        return { number: Object.is(v, -0) ? '-0' : String(v) };
      if (typeof v === 'bigint') return { bigint: String(v) };
      return v;
    },
    space,
  );
}

export function decodeCase<T = Case>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === 'number') return Number((v as { number: string }).number);
      if (keys.length === 1 && keys[0] === 'bigint') return BigInt((v as { bigint: string }).bigint);
    }
    return v;
  }) as T;
}

// ------------------------------------------------------------------ the model

/** The cache API every subject offers: the engines' caches and the model. */
interface Subject {
  readonly size: number;
  readonly bytes: number;
  get(key: string): string | undefined;
  peek(key: string): string | undefined;
  has(key: string): boolean;
  set(key: string, value: string, bytes?: number): unknown;
  delete(key: string): boolean;
  clear(): void;
  keys(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  stats(): CacheStats;
  close(): void;
}

type OnEvict = (key: string, value: string, bytes: number) => void;

/**
 * The documented behaviour (README, "Semantics") around the reference LRU:
 * argument checks, the closed state, and onEvict called after each set's
 * evictions are done, every victim reported, the first error rethrown.
 * Messages are not modelled, only error classes.
 */
export class ModelCache implements Subject {
  readonly #lru: ReferenceLru<string>;
  readonly #maxBytes: number;
  readonly #onEvict: OnEvict | undefined;
  #closed = false;

  constructor(maxEntries: number | undefined, maxBytes: number | undefined, onEvict: OnEvict | undefined) {
    this.#maxBytes = maxBytes ?? Infinity;
    this.#lru = new ReferenceLru<string>({ maxEntries: maxEntries ?? Infinity, maxBytes: this.#maxBytes });
    this.#onEvict = onEvict;
  }

  #open(): ReferenceLru<string> {
    if (this.#closed) throw new Error('model: closed');
    return this.#lru;
  }

  get size(): number {
    return this.#open().size;
  }

  get bytes(): number {
    return this.#open().bytes;
  }

  get(key: string): string | undefined {
    return this.#open().get(checkKey(key));
  }

  peek(key: string): string | undefined {
    return this.#open().peek(checkKey(key));
  }

  has(key: string): boolean {
    return this.#open().has(checkKey(key));
  }

  set(key: string, value: string, bytes: unknown = 0): this {
    const lru = this.#open();
    checkKey(key);
    if (typeof bytes !== 'number') throw new TypeError('model: bytes type');
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError('model: bytes range');
    // A size is a non-negative integer: -0 is 0, in onEvict as everywhere.
    const size = bytes === 0 ? 0 : bytes;
    const before = lru.evicted.length;
    if (!lru.set(key, value, size)) throw new RangeError('model: over maxBytes or 2^53-1');
    const victims = lru.evicted.slice(before);
    if (this.#onEvict !== undefined && victims.length > 0) {
      let failure: { error: unknown } | undefined;
      for (const [k, v, b] of victims) {
        try {
          this.#onEvict(k, v, b);
        } catch (error) {
          failure ??= { error };
        }
      }
      if (failure !== undefined) throw failure.error;
    }
    return this;
  }

  delete(key: string): boolean {
    return this.#open().delete(checkKey(key));
  }

  clear(): void {
    this.#open().clear();
  }

  keys(): IterableIterator<string> {
    return this.#open().keys().values();
  }

  entries(): IterableIterator<[string, string]> {
    const lru = this.#open();
    return lru
      .keys()
      .map((k): [string, string] => [k, lru.peek(k)!])
      .values();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  stats(): CacheStats {
    return { ...this.#open().counters };
  }

  close(): void {
    this.#closed = true;
  }
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new TypeError('model: key type');
  return key;
}

// ------------------------------------------------------------------ running

/** Thrown by a hostile onEvict. */
export class HostileError extends Error {
  override name = 'HostileError';
}

/** What a call did, in a form that compares across subjects. */
type Outcome = { value: unknown } | { error: string; message: string };

function attempt(call: () => unknown): Outcome {
  try {
    return { value: call() };
  } catch (error) {
    if (error instanceof HostileError) return { error: 'HostileError', message: error.message };
    if (error instanceof Error) return { error: error.constructor.name, message: error.message };
    return { error: 'thrown value', message: String(error) };
  }
}

/** The model's messages are not the library's: beside the model, compare library errors by class only. */
function forModel(outcome: Outcome): Outcome {
  if ('error' in outcome && outcome.error !== 'HostileError' && outcome.error !== 'thrown value') {
    return { error: outcome.error, message: '' };
  }
  return outcome;
}

type LogEntry = [string, string, number] | { observed: Outcome[] };

interface Running {
  name: BackendName | 'model';
  cache: Subject;
  log: LogEntry[];
}

/** Everything observable about a subject. */
function observe(s: Running): Outcome[] {
  return [
    attempt(() => s.cache.size),
    attempt(() => s.cache.bytes),
    attempt(() => [...s.cache.keys()]),
    attempt(() => [...s.cache.entries()]),
    attempt(() => s.cache.stats()),
    { value: s.log.length },
  ];
}

function makeOnEvict(running: () => Running, reactions: Reaction[]): OnEvict {
  let next = 0;
  let made = 0;
  return (key, value, bytes) => {
    const s = running();
    s.log.push([key, value, bytes]);
    const reaction = reactions[next++] ?? { do: 'none' };
    const cache = s.cache;
    switch (reaction.do) {
      case 'none':
        return;
      case 'throw':
        throw new HostileError(`onEvict refuses ${key}`);
      case 'throwValue':
        throw `onEvict throws a string for ${key}`;
      case 'observe':
        s.log.push({ observed: [...observe(s), attempt(() => cache.has(key))] });
        return;
      case 'get':
        s.log.push({ observed: [attempt(() => cache.get(reaction.key))] });
        return;
      case 'set':
        cache.set(reaction.key, `h${made++}`, reaction.bytes as number);
        return;
      case 'delete':
        cache.delete(reaction.key);
        return;
      case 'clear':
        cache.clear();
        return;
      case 'close':
        cache.close();
        return;
    }
  };
}

function apply(cache: Subject, op: Op, index: number): unknown {
  switch (op.op) {
    case 'get':
      return cache.get(op.key);
    case 'peek':
      return cache.peek(op.key);
    case 'has':
      return cache.has(op.key);
    case 'delete':
      return cache.delete(op.key);
    case 'set':
      return cache.set(op.key, `v${index}`, op.bytes as number) === cache ? 'this' : 'not this';
    case 'fill':
      for (let j = 0; j < op.count; j++) cache.set(`f${op.from + j}`, `v${index}.${j}`, op.bytes);
      return 'filled';
    case 'clear':
      return cache.clear();
    case 'keys':
      return [...cache.keys()];
    case 'entries':
      return [...cache.entries()];
    case 'iterate':
      return [...cache];
    case 'stats':
      return cache.stats();
    case 'size':
      return cache.size;
    case 'bytes':
      return cache.bytes;
    case 'close':
      return cache.close();
  }
}

export interface RunOptions {
  /** Engines to run beside the model; all three unless told. */
  engines?: readonly BackendName[];
  /** Compare the full observation every `every` operations (and always while small); 1 = after every one. */
  every?: number;
  /** For the harness's own test: makes a subject's cache from the engine's. */
  wrap?: (name: BackendName, cache: Cache<string>) => Subject;
}

/** Operations applied to each subject, summed over runCase calls; a fill of n sets counts n, and is also counted in `filled`. */
export const counters = { operations: 0, filled: 0, cases: 0 };

function fail(message: string, index: number, op: Op | 'create', actual: unknown, expected: unknown): never {
  throw new AssertionError({
    message: `${message} at operation ${index} (${encodeCase(op)})`,
    actual,
    expected,
    operator: 'deepStrictEqual',
  });
}

/** Strict structural equality (Object.is on numbers, so -0 is not 0) for the plain data compared here; fast. */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
      return false;
  }
  return true;
}

function compare(subjects: Running[], outcomes: unknown[], what: string, index: number, op: Op | 'create'): void {
  const [model, first, ...rest] = subjects.map((s, i) => ({ s, o: outcomes[i] }));
  for (const other of rest) {
    if (same(other.o, first.o)) continue;
    try {
      deepStrictEqual(other.o, first.o);
    } catch {
      // deepStrictEqual is the judge; same() only saves its cost when all agree.
      fail(`${other.s.name} and ${first.s.name} disagree on ${what}`, index, op, other.o, first.o);
    }
  }
  const strip = (o: unknown): unknown => {
    if (Array.isArray(o)) return o.map(strip);
    if (o !== null && typeof o === 'object') {
      if ('error' in o && 'message' in o) return forModel(o as Outcome);
      if ('observed' in o) return { observed: strip(o.observed) };
    }
    return o;
  };
  const [a, b] = [strip(first.o), strip(model.o)];
  if (same(a, b)) return;
  try {
    deepStrictEqual(a, b);
  } catch {
    fail(`${first.s.name} and the model disagree on ${what}`, index, op, a, b);
  }
}

/**
 * Runs one case on every engine and the model in lock-step; throws an
 * AssertionError naming the first disagreement.
 */
export function runCase(c: Case, options: RunOptions = {}): void {
  const engines = options.engines ?? ENGINES;
  const every = options.every ?? 1;
  const subjects: Running[] = [];
  const make = (name: BackendName | 'model'): Running => {
    const s = { name, log: [] } as unknown as Running;
    const onEvict = c.config.onEvict === undefined ? undefined : makeOnEvict(() => s, c.config.onEvict);
    if (name === 'model') {
      s.cache = new ModelCache(c.config.maxEntries, c.config.maxBytes, onEvict);
    } else {
      const cache = createCache<string>({
        backend: name,
        maxEntries: c.config.maxEntries,
        maxBytes: c.config.maxBytes,
        onEvict,
      });
      if (cache.backend !== name) throw new Error(`asked for ${name}, got ${cache.backend}`);
      s.cache = options.wrap ? options.wrap(name, cache) : cache;
    }
    return s;
  };
  subjects.push(make('model'));
  for (const name of engines) subjects.push(make(name));
  counters.cases++;
  let logged = 0;
  // Once closed, every call throws: three more operations show it, the rest would only repeat it.
  let afterClose = 0;
  try {
    for (let i = 0; i < c.ops.length && afterClose <= 3; i++) {
      const op = c.ops[i];
      counters.operations += op.op === 'fill' ? op.count : 1;
      if (op.op === 'fill') counters.filled += op.count;
      const results = subjects.map((s) => attempt(() => apply(s.cache, op, i)));
      compare(subjects, results, 'the result', i, op);
      let size = 0;
      try {
        size = subjects[0].cache.size;
      } catch {
        afterClose++;
      }
      if (every === 1 || size <= 32 || i % every === 0 || i === c.ops.length - 1) {
        compare(subjects, subjects.map(observe), 'size, bytes, keys, entries, stats or the onEvict count', i, op);
        // The log only grows: compare what is new since the last comparison.
        compare(
          subjects,
          subjects.map((s) => s.log.slice(logged)),
          'the onEvict log',
          i,
          op,
        );
        logged = subjects[0].log.length;
      } else {
        compare(
          subjects,
          subjects.map((s) => [attempt(() => s.cache.size), attempt(() => s.cache.bytes), s.log.length]),
          'size, bytes or the onEvict count',
          i,
          op,
        );
      }
    }
    compare(subjects, subjects.map(observe), 'the final state', c.ops.length, { op: 'stats' });
    compare(
      subjects,
      subjects.map((s) => s.log.slice(logged)),
      'the onEvict log',
      c.ops.length,
      { op: 'stats' },
    );
  } finally {
    for (const s of subjects) s.cache.close();
  }
}

// ------------------------------------------------------------------ generators

/** Limits: the edges (1, 0, 2^53-1, Infinity, absent) and ordinary values. */
export const maxEntriesArb = fc.oneof(
  { arbitrary: fc.constantFrom(undefined, Infinity, 1, 2, MAX_SAFE, 2 ** 31, 2 ** 32 + 1), weight: 3 },
  { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 3 },
  { arbitrary: fc.integer({ min: 1, max: 400 }), weight: 2 },
);

export const maxBytesArb = fc.oneof(
  {
    arbitrary: fc.constantFrom(undefined, Infinity, 0, 1, MAX_SAFE, MAX_SAFE - 1, 2 ** 52, 2 ** 32, 12 * 2 ** 30),
    weight: 4,
  },
  { arbitrary: fc.integer({ min: 0, max: 100 }), weight: 2 },
  { arbitrary: fc.integer({ min: 100, max: 100_000 }), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: MAX_SAFE }), weight: 1 },
  { arbitrary: fc.integer({ min: MAX_SAFE - 2 ** 20, max: MAX_SAFE }), weight: 1 },
);

/**
 * Entry sizes for a byte limit: mostly small, some around the limit (so one
 * set evicts many, or is refused), some near 2^53 (exactness and the 2^53-1
 * rule without a limit), and now and then one that is not a size at all.
 */
export function bytesArb(maxBytes: number | undefined): fc.Arbitrary<unknown> {
  const limit = maxBytes ?? Infinity;
  const around = Number.isFinite(limit)
    ? fc.integer({ min: -3, max: 3 }).map((d) => limit + d)
    : fc.integer({ min: 0, max: 1000 });
  return fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 16 }), weight: 12 },
    { arbitrary: fc.integer({ min: 0, max: 5000 }), weight: 3 },
    { arbitrary: around, weight: 3 },
    { arbitrary: fc.constantFrom(undefined, 0, -0, MAX_SAFE, 2 ** 52, 2 ** 52 + 1), weight: 2 },
    { arbitrary: fc.integer({ min: MAX_SAFE - 2 ** 20, max: MAX_SAFE }), weight: 2 },
    { arbitrary: fc.integer({ min: 0, max: MAX_SAFE }), weight: 1 },
    {
      arbitrary: fc.constantFrom(-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2, 1e300, '5', null, true),
      weight: 1,
    },
  );
}

/** Keys from a small pool, so operations meet, plus the odd ones. */
export function keyArb(pool: number): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: pool - 1 }).map((i) => `k${i}`), weight: 20 },
    {
      arbitrary: fc.constantFrom(
        '',
        '__proto__',
        'constructor',
        'toString',
        '\uD800',
        '\uDC00x',
        'a\u0000b',
        '🦀',
        'e\u0301',
        '\u00e9',
        'f0',
      ),
      weight: 1,
    },
  );
}

function reactionArb(pool: number, maxBytes: number | undefined): fc.Arbitrary<Reaction> {
  const key = keyArb(pool);
  return fc.oneof(
    { arbitrary: fc.constant<Reaction>({ do: 'none' }), weight: 8 },
    { arbitrary: fc.constantFrom<Reaction>({ do: 'throw' }, { do: 'throwValue' }, { do: 'observe' }), weight: 6 },
    { arbitrary: key.map((k): Reaction => ({ do: 'get', key: k })), weight: 2 },
    { arbitrary: fc.record({ do: fc.constant('set' as const), key, bytes: bytesArb(maxBytes) }), weight: 6 },
    { arbitrary: key.map((k): Reaction => ({ do: 'delete', key: k })), weight: 4 },
    { arbitrary: fc.constant<Reaction>({ do: 'clear' }), weight: 2 },
    { arbitrary: fc.constant<Reaction>({ do: 'close' }), weight: 1 },
  );
}

export interface ArbOptions {
  /** Longest operation list. */
  maxOps: number;
}

export function opArb(pool: number, maxBytes: number | undefined): fc.Arbitrary<Op> {
  const key = keyArb(pool);
  const keyed = (op: 'get' | 'peek' | 'has' | 'delete') => key.map((k): Op => ({ op, key: k }));
  return fc.oneof(
    { arbitrary: keyed('get'), weight: 200 },
    { arbitrary: fc.record({ op: fc.constant('set' as const), key, bytes: bytesArb(maxBytes) }), weight: 300 },
    { arbitrary: keyed('delete'), weight: 80 },
    { arbitrary: keyed('peek'), weight: 40 },
    { arbitrary: keyed('has'), weight: 40 },
    {
      arbitrary: fc.record({
        op: fc.constant('fill' as const),
        from: fc.integer({ min: 0, max: 1000 }),
        count: fc.oneof(
          { arbitrary: fc.integer({ min: 1, max: 20 }), weight: 2 },
          { arbitrary: fc.integer({ min: 1, max: 700 }), weight: 1 },
        ),
        bytes: fc.integer({ min: 0, max: 3 }),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.constantFrom<Op>(
        { op: 'keys' },
        { op: 'entries' },
        { op: 'iterate' },
        { op: 'stats' },
        { op: 'size' },
        { op: 'bytes' },
      ),
      weight: 12,
    },
    { arbitrary: fc.constant<Op>({ op: 'clear' }), weight: 6 },
    { arbitrary: fc.constant<Op>({ op: 'close' }), weight: 1 },
  );
}

/** A configuration and an operation list made for it. */
export function caseArb(options: ArbOptions): fc.Arbitrary<Case> {
  return casesFrom(
    fc.record({
      maxEntries: maxEntriesArb,
      maxBytes: maxBytesArb,
      pool: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 64 })),
      callback: fc.constantFrom('none', 'record', 'hostile', 'hostile'),
    }),
    options,
  );
}

/** Tight limits and a hostile onEvict every time, so callbacks run often and re-enter. */
export function hostileCaseArb(options: ArbOptions): fc.Arbitrary<Case> {
  return casesFrom(
    fc.record({
      maxEntries: fc.constantFrom(1, 2, 3, undefined),
      maxBytes: fc.oneof(fc.constantFrom(undefined, 0, 1, 10, MAX_SAFE), fc.integer({ min: 0, max: 50 })),
      pool: fc.integer({ min: 1, max: 8 }),
      callback: fc.constant('hostile'),
    }),
    options,
  );
}

interface Shape {
  maxEntries: number | undefined;
  maxBytes: number | undefined;
  pool: number;
  callback: string;
}

function casesFrom(shape: fc.Arbitrary<Shape>, options: ArbOptions): fc.Arbitrary<Case> {
  return shape.chain(({ maxEntries, maxBytes, pool, callback }) =>
    fc.record({
      config: (callback === 'none'
        ? fc.constant({ maxEntries, maxBytes })
        : callback === 'record'
          ? fc.constant({ maxEntries, maxBytes, onEvict: [] as Reaction[] })
          : fc
              .array(reactionArb(pool, maxBytes), { minLength: 1, maxLength: 12, size: 'max' })
              .map((onEvict) => ({ maxEntries, maxBytes, onEvict }))
      ).map((config: FuzzConfig): FuzzConfig => {
        // Absent limits stay absent (the default), rather than written as undefined.
        const out: FuzzConfig = {};
        if (config.maxEntries !== undefined) out.maxEntries = config.maxEntries;
        if (config.maxBytes !== undefined) out.maxBytes = config.maxBytes;
        if (config.onEvict !== undefined) out.onEvict = config.onEvict;
        return out;
      }),
      ops: fc.array(opArb(pool, maxBytes), { maxLength: options.maxOps, size: 'max' }),
    }),
  );
}

/** One line describing a configuration, for campaign summaries. */
export function describeConfig(config: FuzzConfig): string {
  const n = (v: number | undefined) => (v === undefined ? 'default' : v === MAX_SAFE ? '2^53-1' : String(v));
  const hostile =
    config.onEvict === undefined
      ? 'no onEvict'
      : config.onEvict.length === 0
        ? 'recording onEvict'
        : `hostile onEvict (${config.onEvict.length} reactions)`;
  return `maxEntries ${n(config.maxEntries)}, maxBytes ${n(config.maxBytes)}, ${hostile}`;
}

// ------------------------------------------------------------------ checking

/** Runs a property over cases; the report of a failure carries the shrunk case as JSON, ready to keep. */
export function checkCases(
  arb: fc.Arbitrary<Case>,
  params: fc.Parameters<[Case]>,
  run: (c: Case) => void = (c) => runCase(c),
): { ok: true; runs: number } | { ok: false; report: string; counterexample: Case } {
  const details = fc.check(
    fc.property(arb, (c) => {
      run(c);
    }),
    params,
  );
  if (!details.failed) return { ok: true, runs: details.numRuns };
  const counterexample = details.counterexample![0];
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const report = [
    `fast-check seed ${details.seed}, path "${details.counterexamplePath}", failed after ${details.numRuns} runs, shrunk ${details.numShrinks} times`,
    error,
    'Shrunk counterexample (keep it as test/regressions/<name>.json, adding "name" and "why"):',
    encodeCase(counterexample),
  ].join('\n');
  return { ok: false, report, counterexample };
}
