// The native and WebAssembly engines buffer hits and deletes in memory they
// share with JavaScript and apply them in batches of 256, before anything
// that reads or changes recency or the total. A set flushes the buffer and so
// do keys() and bytes, so these tests check only at the end of long runs:
// full batches, repeated hits on one entry, deletes among the hits, and (for
// WebAssembly) linear memory growing between buffered hits, which detaches
// the views the engine writes into.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCache, type BackendName, type Cache } from 'caro-cache';
import { createRng, ReferenceLru, type Limits } from './reference.js';

type Instance = new (module: object, imports?: object) => { readonly exports: Record<string, unknown> };
const wasmApi = (globalThis as unknown as { WebAssembly: { Instance: Instance } }).WebAssembly;

/** A cache beside the reference, with the byte length of its linear memory when it has one. */
function open(backend: BackendName, limits: Limits) {
  const Original = wasmApi.Instance;
  let memory: WebAssembly.Memory | undefined;
  wasmApi.Instance = class extends Original {
    constructor(module: object, imports?: object) {
      super(module, imports);
      memory = this.exports.memory as WebAssembly.Memory;
    }
  };
  const evicted: [string, number, number][] = [];
  let cache: Cache<number>;
  try {
    cache = createCache<number>({
      backend,
      ...limits,
      onEvict: (key, value, bytes) => evicted.push([key, value, bytes]),
    });
  } finally {
    wasmApi.Instance = Original;
  }
  assert.equal(memory !== undefined, backend === 'wasm', 'only the wasm engine instantiates WebAssembly');
  return { cache, model: new ReferenceLru<number>(limits), evicted, memoryBytes: () => memory?.buffer.byteLength ?? 0 };
}

const key = (i: number) => `org-${i}/model`;

for (const backend of ['native', 'wasm'] as const)
  describe(`${backend} engine: buffered hits and deletes`, () => {
    test('runs of hits past a full batch, with repeats, keep exact recency', () => {
      const { cache, model } = open(backend, { maxEntries: Infinity, maxBytes: Infinity });
      const random = createRng(1);
      for (let i = 0; i < 1000; i++) {
        cache.set(key(i), i, 1);
        model.set(key(i), i, 1);
      }
      for (let run = 0; run < 20; run++) {
        // Between 0 and 2000 hits, each repeated 0-3 times: never a set, delete or keys() in between.
        const hits = Math.floor(random() * 2000);
        for (let h = 0; h < hits; h++) {
          const k = key(Math.floor(random() * (random() < 0.5 ? 8 : 1000)));
          for (let r = Math.floor(random() * 4); r >= 0; r--) assert.equal(cache.get(k), model.get(k));
        }
        assert.deepEqual([...cache.keys()], model.keys(), `run ${run}`);
      }
    });

    test('runs of hits and deletes past a full batch keep exact recency, totals and the slots sets reuse', () => {
      const { cache, model } = open(backend, { maxEntries: Infinity, maxBytes: Infinity });
      const random = createRng(3);
      let next = 0;
      const add = (count: number) => {
        for (let i = 0; i < count; i++, next++) {
          const bytes = 1 + Math.floor(random() * 1000);
          cache.set(key(next), next, bytes);
          model.set(key(next), next, bytes);
        }
      };
      add(2000);
      for (let run = 0; run < 30; run++) {
        // Up to 1500 hits and deletes, a third of them deletes, some of absent keys: no set in between.
        for (let op = Math.floor(random() * 1500); op > 0; op--) {
          const k = key(Math.floor(random() * next));
          if (random() < 0.33) assert.equal(cache.delete(k), model.delete(k), `delete ${k}`);
          else assert.equal(cache.get(k), model.get(k), `get ${k}`);
        }
        assert.equal(cache.bytes, model.bytes, `run ${run}`);
        assert.equal(cache.size, model.size, `run ${run}`);
        assert.deepEqual([...cache.keys()], model.keys(), `run ${run}`);
        // Sets after deletes reuse the freed slots: their values must come back right.
        add(Math.floor(random() * 600));
      }
      for (const k of model.keys()) assert.equal(cache.peek(k), model.peek(k), k);
    });

    test('hits buffered while inserts grow linear memory are all applied, and evictions follow them', () => {
      const limits = { maxEntries: 150_000, maxBytes: Infinity };
      const { cache, model, evicted, memoryBytes } = open(backend, limits);
      const random = createRng(2);
      let grown = 0;
      for (let n = 0, round = 0; n < 200_000; round++) {
        // Hits fewer than a batch, so they stay buffered until the next set...
        for (let h = Math.floor(random() * 255); h > 0 && n > 0; h--) {
          const k = key(Math.floor(random() * n));
          assert.equal(cache.get(k), model.get(k));
        }
        // ...then sets that may grow memory, then more hits into the grown memory.
        const before = memoryBytes();
        for (let s = 1 + Math.floor(random() * 3000); s > 0; s--, n++) {
          cache.set(key(n), n, 1);
          model.set(key(n), n, 1);
        }
        if (memoryBytes() > before) grown++;
        for (let h = Math.floor(random() * 255); h > 0; h--) {
          const k = key(Math.floor(random() * n));
          assert.equal(cache.get(k), model.get(k));
        }
        if (round % 16 === 0) assert.deepEqual([...cache.keys()], model.keys(), `round ${round}`);
        assert.equal(evicted.length, model.evicted.length, `round ${round}`);
      }
      if (backend === 'wasm') assert.ok(grown >= 3, `linear memory grew ${grown} times`);
      assert.ok(evicted.length > 0, 'the run evicted');
      assert.deepEqual(evicted, model.evicted);
      assert.deepEqual([...cache.keys()], model.keys());
    });

    test('buffered hits apply before a delete, an update and an eviction, and a clear drops them', () => {
      const { cache, model, evicted } = open(backend, { maxEntries: 4, maxBytes: Infinity });
      const both = (f: (c: Cache<number> | ReferenceLru<number>) => unknown) => assert.deepEqual(f(cache), f(model));
      for (let i = 0; i < 4; i++) both((c) => c.set(key(i), i, 1) && undefined);
      both((c) => [c.get(key(0)), c.get(key(1)), c.get(key(0))]);
      both((c) => c.delete(key(0))); // the most recent one: a later get must still buffer it
      both((c) => [c.get(key(2)), c.set(key(3), 30, 2) && undefined, c.get(key(3)), c.get(key(1))]);
      both((c) => c.set(key(4), 4, 1) && c.set(key(5), 5, 1) && undefined);
      assert.deepEqual(evicted, model.evicted);
      assert.deepEqual([...cache.keys()], model.keys());
      both((c) => [c.get(key(4)), c.get(key(1))]);
      cache.clear();
      model.clear();
      both((c) => [c.set(key(1), 1, 1) && undefined, c.set(key(4), 4, 1) && undefined, c.get(key(1)), c.get(key(4))]);
      assert.deepEqual([...cache.keys()], model.keys());
    });
  });
