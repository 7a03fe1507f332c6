// One benchmark process: measures one subject (an engine, a peer or a floor)
// so that no JIT state or heap carries over from another. Started by run.ts
// with a JSON job as its argument; prints one JSON result per line.

import { loadAddon } from '../src/native-core.js';
import { FLOOR_BATCH, floorRoutine } from './floors.js';
import { sample, type SamplerOptions } from './sampler.js';
import { engineSubject, peerSubject, type Subject } from './subjects.js';
import { BENCHMARKS, MiB, modelId } from './workloads.js';
import type { BackendName } from '../src/index.js';

export interface Job {
  subject: string;
  kind: 'engine' | 'peer' | 'floor';
  runs: { benchmark: string; entries: number }[];
  /** Entries at which to measure memory per entry, if at all. */
  memoryEntries?: number;
  sampler: SamplerOptions;
}

export type WorkerResult =
  | { type: 'sample'; benchmark: string; entries: number; unitsPerBatch: number; iters: number[]; times: number[] }
  | { type: 'skip'; benchmark: string; entries: number; reason: string }
  | { type: 'memory'; entries: number; bytesPerEntry: number; heapBytes: number; externalBytes: number };

const emit = (result: WorkerResult): void => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
};

/** JS heap, external memory (typed arrays, WASM memory) and the addon's own storage, after a full GC. */
function heldBytes(subject: Subject): { heap: number; external: number } {
  (globalThis as { gc?: () => void }).gc!();
  const { heapUsed, external } = process.memoryUsage();
  return { heap: heapUsed, external: external + (subject.name === 'native' ? loadAddon().memoryBytes() : 0) };
}

function measureMemory(subject: Subject, entries: number): WorkerResult {
  if (!('gc' in globalThis)) throw new Error('memory figures need node --expose-gc');
  const ids = Array.from({ length: entries }, (_, i) => modelId(i));
  const before = heldBytes(subject);
  const store = subject.create({ entries, bytes: entries * MiB });
  for (let i = 0; i < entries; i++) store.set(ids[i], i, MiB);
  const after = heldBytes(subject);
  if (store.size !== entries) throw new Error(`${subject.name} holds ${store.size} of ${entries}`);
  const heapBytes = after.heap - before.heap;
  const externalBytes = after.external - before.external;
  return { type: 'memory', entries, bytesPerEntry: (heapBytes + externalBytes) / entries, heapBytes, externalBytes };
}

function main(job: Job): void {
  if (job.kind === 'floor') {
    for (const run of job.runs) {
      const { iters, times, sink } = sample(floorRoutine(job.subject, run.entries), job.sampler);
      if (!(sink > 0)) throw new Error('the floor did no work');
      emit({ type: 'sample', benchmark: run.benchmark, entries: run.entries, unitsPerBatch: FLOOR_BATCH, iters, times });
    }
    return;
  }
  const subject = job.kind === 'engine' ? engineSubject(job.subject as BackendName) : peerSubject(job.subject);
  for (const run of job.runs) {
    const benchmark = BENCHMARKS.find((b) => b.id === run.benchmark);
    if (benchmark === undefined) throw new Error(`unknown benchmark ${run.benchmark}`);
    if (benchmark.needsByteLimit && !subject.byteLimit) {
      emit({ type: 'skip', benchmark: run.benchmark, entries: run.entries, reason: 'limits entries only, not summed sizes' });
      continue;
    }
    const workload = benchmark.build(subject, run.entries);
    const { iters, times, sink } = sample(workload.routine, job.sampler);
    workload.verify(sink);
    emit({ type: 'sample', benchmark: run.benchmark, entries: run.entries, unitsPerBatch: workload.unitsPerBatch, iters, times });
  }
  if (job.memoryEntries !== undefined) emit(measureMemory(subject, job.memoryEntries));
}

main(JSON.parse(process.argv[2]) as Job);
