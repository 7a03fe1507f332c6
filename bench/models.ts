// The `models` benchmark group: the four cache benchmarks on the on-disk
// model store (ModelCache), beside baselines that keep a pretty-printed JSON
// manifest rewritten on every change, as the original tool does. So the gain
// (or cost) of the journal is measured, not claimed.
//
// Subjects:
//   store                ModelCache: journal appends, fsync'd file data and records, no I/O on a hit
//   json-manifest        the original tool's way: manifest.json rewritten in place on every change
//                        (a hit records its access time), nothing fsync'd
//   json-manifest-fsync  the same with the store's guarantees: model data fsync'd, the manifest
//                        written to a temporary file, fsync'd and renamed, the directory fsync'd
//
// Results have the shape of the worker's `sample` lines (bench/worker.ts), so
// run.ts can analyse them like any other cell. Hits are timed with
// sampler.ts's `sample`; adds and removes are asynchronous and are timed with
// `sampleAsync` below, the same linear sampling with awaited batches.
//
// As a process: node bench/dist/models.js '<ModelJob as JSON>' prints one JSON
// result per line; node bench/dist/models.js [--quick] [--dir DIR] [--entries N]
// prints a table.

import { createHash } from 'node:crypto';
import {
  createReadStream,
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelCache, type BackendName } from 'caro-cache';
import { linearPlan, sample, type Measurement, type Routine, type SamplerOptions } from './sampler.js';
import type { Target } from './summary.js';
import { ids as modelIds, lookupOrder } from './workloads.js';

export const MODEL_SUBJECTS = ['store', 'json-manifest', 'json-manifest-fsync'] as const;
export type ModelSubject = (typeof MODEL_SUBJECTS)[number];

export interface ModelBenchmark {
  id: 'get_model_hit' | 'add_model' | 'remove_model' | 'lru_eviction_full';
  description: string;
  target: Target;
  /** Models in the store under test. */
  entries: number;
}

const KiB = 1024;
/** Lookups per timed batch of get_model_hit: as in the cache benchmarks for the store; the baselines write a file per hit. */
const HIT_BATCH: Record<ModelSubject, number> = { store: 1024, 'json-manifest': 8, 'json-manifest-fsync': 8 };

export const MODEL_BENCHMARKS: ModelBenchmark[] = [
  {
    id: 'get_model_hit',
    description: 'look up a present model in a store of 100 (the baselines record the access in their manifest)',
    target: { unit: 'op', highNs: 1000, source: 'a hit does no disk I/O: in-memory cost only' },
    entries: 100,
  },
  {
    id: 'add_model',
    description: 'add a 4 KiB file as a new model to a full store of 100: copy, hash, record, one eviction',
    target: { unit: 'op', highNs: 50_000_000, source: 'dominated by the fsyncs of the file and its record' },
    entries: 100,
  },
  {
    id: 'remove_model',
    description: 'remove a model from a store of 100 (the refill is untimed)',
    target: { unit: 'op', highNs: 50_000_000, source: 'dominated by the fsync of the record' },
    entries: 100,
  },
  {
    id: 'lru_eviction_full',
    description: 'add a 5 KiB model to a full 50 KiB store of 1 KiB models: it evicts exactly 5 (per evicted model)',
    target: { unit: 'evicted entry', highNs: 50_000_000, source: 'the eviction deletes 5 files and records it' },
    entries: 50,
  },
];

/** Sampler settings that fit millisecond operations: fewer samples than the cache benchmarks'. */
export const MODEL_SAMPLER: SamplerOptions = { warmUpMs: 300, measureMs: 2000, samples: 20 };
export const MODEL_SAMPLER_QUICK: SamplerOptions = { warmUpMs: 100, measureMs: 500, samples: 10 };

export interface ModelJob {
  subject: ModelSubject;
  /** Benchmark ids to run (default: all four). */
  benchmarks?: string[];
  sampler?: SamplerOptions;
  /** Where the stores live (default: a new directory under os.tmpdir(); use a real disk, tmpfs makes fsync free). */
  dir?: string;
  /** The store's index engine (store subject only). */
  backend?: BackendName | 'auto';
  /** Models in the store for get_model_hit, add_model and remove_model (default 100): the scale series. */
  entries?: number;
}

/** One result, in the shape of bench/worker.ts's `sample` lines. */
export interface ModelSample {
  type: 'sample';
  benchmark: string;
  entries: number;
  unitsPerBatch: number;
  iters: number[];
  times: number[];
}

export interface AsyncRoutine {
  run(): Promise<number>;
  setup?(): Promise<void>;
}

const now = (): bigint => process.hrtime.bigint();

async function timeBatches(routine: AsyncRoutine, iters: number, sink: { value: number }): Promise<number> {
  let elapsed = 0;
  for (let i = 0; i < iters; i++) {
    if (routine.setup !== undefined) await routine.setup();
    const start = now();
    const result = await routine.run();
    elapsed += Number(now() - start);
    sink.value += result;
  }
  return elapsed;
}

/** sampler.ts's `sample` for asynchronous batches: the same warm-up and linear sampling, each batch awaited and timed on its own. */
export async function sampleAsync(routine: AsyncRoutine, options: SamplerOptions): Promise<Measurement> {
  const sink = { value: 0 };
  let warmIters = 0;
  let warmNs = 0;
  for (let iters = 1; warmNs < options.warmUpMs * 1e6; iters *= 2) {
    warmNs += await timeBatches(routine, iters, sink);
    warmIters += iters;
  }
  const iters = linearPlan(warmNs, warmIters, options);
  const times: number[] = [];
  for (const count of iters) times.push(await timeBatches(routine, count, sink));
  return { iters, times, sink: sink.value };
}

/** What the four benchmarks need of a store. */
interface BenchStore {
  get(id: string): unknown;
  add(id: string, source: string): Promise<unknown>;
  remove(id: string): Promise<boolean>;
  readonly count: number;
  close(): Promise<void>;
}

async function openStore(
  subject: ModelSubject,
  dir: string,
  maxBytes: number,
  backend: BackendName | 'auto' | undefined,
): Promise<BenchStore> {
  if (subject === 'store') {
    const store = await ModelCache.open({ dir, maxBytes, backend });
    return {
      get: (id) => store.get(id),
      add: (id, source) => store.add(id, source),
      remove: (id) => store.remove(id),
      get count() {
        return store.stats().count;
      },
      close: () => store.close(),
    };
  }
  return new ManifestStore(dir, maxBytes, subject === 'json-manifest-fsync');
}

interface ManifestModel {
  file: string;
  bytes: number;
  sha256: string;
  addedAt: string;
  lastAccessed: string;
  /** Tie-break for accesses within one millisecond. */
  sequence: number;
}

/** The baseline: a JSON manifest, pretty-printed and rewritten on every change, LRU by last access. */
class ManifestStore implements BenchStore {
  readonly #dir: string;
  readonly #manifest: string;
  readonly #maxBytes: number;
  readonly #durable: boolean;
  readonly #models = new Map<string, ManifestModel>();
  #bytes = 0;
  #sequence = 0;
  #files = 0;

  constructor(dir: string, maxBytes: number, durable: boolean) {
    this.#dir = dir;
    this.#manifest = join(dir, 'manifest.json');
    this.#maxBytes = maxBytes;
    this.#durable = durable;
    mkdirSync(join(dir, 'models'), { recursive: true });
    this.#save();
  }

  get count(): number {
    return this.#models.size;
  }

  get(id: string): unknown {
    const model = this.#models.get(id);
    if (model === undefined) return undefined;
    model.lastAccessed = new Date().toISOString();
    model.sequence = ++this.#sequence;
    this.#save();
    return join(this.#dir, 'models', model.file);
  }

  async add(id: string, source: string): Promise<unknown> {
    const file = `${this.#files++}.bin`;
    const { bytes, sha256 } = await copyHashing(source, join(this.#dir, 'models', file), this.#durable);
    const previous = this.#models.get(id);
    if (previous !== undefined) this.#drop(id, previous);
    while (this.#bytes + bytes > this.#maxBytes) {
      let oldest: [string, ManifestModel] | undefined;
      for (const entry of this.#models)
        if (oldest === undefined || entry[1].sequence < oldest[1].sequence) oldest = entry;
      this.#drop(...oldest!);
    }
    const time = new Date().toISOString();
    this.#models.set(id, { file, bytes, sha256, addedAt: time, lastAccessed: time, sequence: ++this.#sequence });
    this.#bytes += bytes;
    this.#save();
    return file;
  }

  async remove(id: string): Promise<boolean> {
    const model = this.#models.get(id);
    if (model === undefined) return false;
    this.#drop(id, model);
    this.#save();
    return true;
  }

  async close(): Promise<void> {}

  #drop(id: string, model: ManifestModel): void {
    unlinkSync(join(this.#dir, 'models', model.file));
    this.#models.delete(id);
    this.#bytes -= model.bytes;
  }

  #save(): void {
    const text = JSON.stringify({ version: 1, models: Object.fromEntries(this.#models) }, null, 2);
    if (!this.#durable) {
      writeFileSync(this.#manifest, text);
      return;
    }
    const temp = `${this.#manifest}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.#manifest);
    const dirFd = openSync(this.#dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}

/** The baselines' copy: streamed and hashed as the store's, fsync'd only when durable. */
async function copyHashing(source: string, dest: string, durable: boolean): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const out = await open(dest, 'wx');
  try {
    for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      await out.write(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    if (durable) await out.sync();
  } finally {
    await out.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`models benchmark check failed: ${message}`);
}

/** Writes source files of `bytes` bytes into `dir`, one per name. */
function sources(dir: string, names: string[], bytes: number): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  const paths = new Map<string, string>();
  names.forEach((name, i) => {
    const path = join(dir, `${i}-${bytes}.bin`);
    const data = Buffer.alloc(bytes, name);
    data.writeUInt32LE(i, 0);
    writeFileSync(path, data);
    paths.set(name, path);
  });
  return paths;
}

async function fill(store: BenchStore, ids: string[], files: Map<string, string>): Promise<void> {
  for (const id of ids) await store.add(id, files.get(id)!);
  check(store.count === ids.length, `the fixture holds ${store.count} of ${ids.length} models`);
}

async function measure(
  benchmark: ModelBenchmark,
  subject: ModelSubject,
  root: string,
  job: ModelJob,
  sampler: SamplerOptions,
): Promise<ModelSample> {
  const dir = join(root, `${subject}-${benchmark.id}`);
  const scratch = join(root, `${subject}-${benchmark.id}-sources`);
  const entries = benchmark.id === 'lru_eviction_full' ? benchmark.entries : (job.entries ?? benchmark.entries);
  const ids = modelIds(entries);
  const result = (unitsPerBatch: number, m: Measurement): ModelSample => ({
    type: 'sample',
    benchmark: benchmark.id,
    entries,
    unitsPerBatch,
    iters: m.iters,
    times: m.times,
  });

  if (benchmark.id === 'get_model_hit') {
    const files = sources(scratch, ids, KiB);
    const store = await openStore(subject, dir, entries * KiB, job.backend);
    try {
      await fill(store, ids, files);
      const lookups = lookupOrder(HIT_BATCH[subject], entries).map((i) => ids[i]);
      let misses = 0;
      const routine: Routine = {
        run() {
          let found = 0;
          for (let i = 0; i < lookups.length; i++) {
            if (store.get(lookups[i]) === undefined) misses++;
            else found++;
          }
          return found;
        },
      };
      const m = sample(routine, sampler);
      check(misses === 0 && m.sink > 0, `${misses} lookups missed`);
      return result(HIT_BATCH[subject], m);
    } finally {
      await store.close();
    }
  }

  if (benchmark.id === 'add_model') {
    // Each batch adds one new 4 KiB model to a full store: it evicts the least recently used one.
    // An id comes round again only after more than `entries` newer adds have evicted it.
    const pool = modelIds(entries + 256, entries);
    const files = sources(scratch, [...ids, ...pool], 4 * KiB);
    const store = await openStore(subject, dir, entries * 4 * KiB, job.backend);
    try {
      await fill(store, ids, files);
      let next = 0;
      const m = await sampleAsync(
        {
          async run() {
            await store.add(pool[next], files.get(pool[next])!);
            next = (next + 1) % pool.length;
            return store.count;
          },
        },
        sampler,
      );
      check(store.count === entries, `the store holds ${store.count}, not ${entries}`);
      return result(1, m);
    } finally {
      await store.close();
    }
  }

  if (benchmark.id === 'remove_model') {
    const [extra] = modelIds(1, entries);
    const files = sources(scratch, [...ids, extra], KiB);
    const store = await openStore(subject, dir, (entries + 1) * KiB, job.backend);
    try {
      await fill(store, ids, files);
      let wrong = 0;
      const m = await sampleAsync(
        {
          async setup() {
            await store.add(extra, files.get(extra)!);
          },
          async run() {
            if (await store.remove(extra)) return 1;
            wrong++;
            return 0;
          },
        },
        sampler,
      );
      check(wrong === 0 && store.count === entries, `${wrong} removes found nothing`);
      return result(1, m);
    } finally {
      await store.close();
    }
  }

  // lru_eviction_full: 50 models of 1 KiB fill 50 KiB; a 5 KiB model evicts the five oldest.
  const big = 'org-big/model-5KiB-Instruct';
  const files = sources(scratch, ids, KiB);
  files.set(big, sources(join(scratch, 'big'), [big], 5 * KiB).get(big)!);
  const store = await openStore(subject, dir, entries * KiB, job.backend);
  try {
    await fill(store, ids, files);
    const evictedBy = (round: number, i: number) => ids[(5 * round + i) % entries];
    let rounds = 0;
    const m = await sampleAsync(
      {
        async setup() {
          if (rounds === 0) return;
          await store.remove(big);
          for (let i = 0; i < 5; i++) await store.add(evictedBy(rounds - 1, i), files.get(evictedBy(rounds - 1, i))!);
        },
        async run() {
          await store.add(big, files.get(big)!);
          rounds++;
          return 1;
        },
      },
      sampler,
    );
    check(store.count === entries - 4, `after the add the store holds ${store.count}, not ${entries - 4}`);
    for (let i = 0; i < 5; i++)
      check(store.get(evictedBy(rounds - 1, i)) === undefined, 'the five oldest were evicted');
    return result(5, m);
  } finally {
    await store.close();
  }
}

/**
 * Runs the models group for one subject: each benchmark on a fresh store in
 * its own directory, removed afterwards. Resolves to one result per benchmark.
 */
export async function measureModels(job: ModelJob): Promise<ModelSample[]> {
  if (!MODEL_SUBJECTS.includes(job.subject))
    throw new RangeError(`subject must be one of ${MODEL_SUBJECTS.join(', ')}, got ${job.subject}`);
  const wanted = job.benchmarks ?? MODEL_BENCHMARKS.map((b) => b.id);
  const benchmarks = MODEL_BENCHMARKS.filter((b) => wanted.includes(b.id));
  if (benchmarks.length !== wanted.length) throw new RangeError(`unknown benchmark in ${wanted.join(', ')}`);
  if (job.entries !== undefined && !(Number.isSafeInteger(job.entries) && job.entries > 0)) {
    throw new RangeError(`entries must be a positive integer, got ${job.entries}`);
  }
  const sampler = job.sampler ?? MODEL_SAMPLER;
  if (job.dir !== undefined) mkdirSync(job.dir, { recursive: true });
  const root = mkdtempSync(join(job.dir ?? tmpdir(), 'caro-bench-models-'));
  try {
    const results: ModelSample[] = [];
    for (const benchmark of benchmarks) results.push(await measure(benchmark, job.subject, root, job, sampler));
    return results;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Mean ns per unit over the samples: a quick figure for the table (the harness does the statistics). */
function perUnit(s: ModelSample): number {
  const total = s.times.reduce((a, b) => a + b, 0);
  const batches = s.iters.reduce((a, b) => a + b, 0);
  return total / batches / s.unitsPerBatch;
}

function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} us`;
  return `${ns.toFixed(0)} ns`;
}

async function main(args: string[]): Promise<void> {
  if (args.length === 1 && args[0].startsWith('{')) {
    for (const result of await measureModels(JSON.parse(args[0]) as ModelJob))
      process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const quick = args.includes('--quick');
  const dirAt = args.indexOf('--dir');
  const dir = dirAt === -1 ? undefined : args[dirAt + 1];
  const entriesAt = args.indexOf('--entries');
  const entries = entriesAt === -1 ? undefined : Number(args[entriesAt + 1]);
  const rows = new Map<string, Map<string, number>>();
  for (const subject of MODEL_SUBJECTS) {
    process.stderr.write(`${subject}...\n`);
    for (const result of await measureModels({
      subject,
      dir,
      entries,
      sampler: quick ? MODEL_SAMPLER_QUICK : MODEL_SAMPLER,
    })) {
      const row = rows.get(result.benchmark) ?? new Map<string, number>();
      row.set(subject, perUnit(result));
      rows.set(result.benchmark, row);
    }
  }
  console.log(`${'benchmark'.padEnd(20)}${MODEL_SUBJECTS.map((s) => s.padStart(22)).join('')}`);
  for (const [benchmark, row] of rows) {
    console.log(`${benchmark.padEnd(20)}${MODEL_SUBJECTS.map((s) => formatNs(row.get(s)!).padStart(22)).join('')}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`models benchmark: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
