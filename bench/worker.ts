// One benchmark process: one subject (an engine, a peer or a floor) in one
// cell, so that no JIT state or heap carries over from another. Started by
// processes.ts with a JSON job as its argument. A cell job warms up, says it
// is ready, then takes one sample per line read on stdin, answering each,
// the last with the whole result; a memory job prints its figure and exits.
// A count job runs under callgrind (instructions.ts): it marks the edges of
// each timed batch, and of an empty window beside it, by reading
// process.ppid, whose getppid(2) call is where callgrind starts a new dump.

import { createInterface } from 'node:readline';
import { FLOOR_BATCH, floorRoutine } from './floors.js';
import { Sampling, type SamplerOptions } from './sampler.js';
import { engineSubject, peerSubject, type Subject } from './subjects.js';
import { BENCHMARKS, MiB, ids as modelIds, type Workload } from './workloads.js';
import type { BackendName } from 'caro-cache';
import { nativeMemoryBytes } from 'caro-cache/internal';

export type Job =
  | {
      type: 'cell';
      subject: string;
      kind: 'engine' | 'peer' | 'floor';
      benchmark: string;
      entries: number;
      sampler: SamplerOptions;
    }
  | { type: 'memory'; subject: string; kind: 'engine' | 'peer'; entries: number }
  | {
      type: 'count';
      subject: string;
      kind: 'engine' | 'peer';
      benchmark: string;
      entries: number;
      warmUp: number;
      batches: number;
    };

export type WorkerResult =
  | { type: 'ready'; samples: number }
  | { type: 'taken' }
  | { type: 'sample'; benchmark: string; entries: number; unitsPerBatch: number; iters: number[]; times: number[] }
  | { type: 'skip'; benchmark: string; entries: number; reason: string }
  | { type: 'memory'; entries: number; bytesPerEntry: number; heapBytes: number; externalBytes: number }
  | { type: 'counted'; benchmark: string; entries: number; unitsPerBatch: number; batches: number };

const emit = (result: WorkerResult): void => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
};

/** JS heap, external memory (typed arrays, WASM memory) and the addon's own storage, after a full GC. */
function heldBytes(subject: Subject): { heap: number; external: number } {
  (globalThis as { gc?: () => void }).gc!();
  const { heapUsed, external } = process.memoryUsage();
  return { heap: heapUsed, external: external + (subject.name === 'native' ? nativeMemoryBytes() : 0) };
}

function measureMemory(subject: Subject, entries: number): WorkerResult {
  if (!('gc' in globalThis)) throw new Error('memory figures need node --expose-gc');
  const ids = modelIds(entries);
  const before = heldBytes(subject);
  const store = subject.create({ entries, bytes: entries * MiB });
  for (let i = 0; i < entries; i++) store.set(ids[i], i, MiB);
  const after = heldBytes(subject);
  if (store.size !== entries) throw new Error(`${subject.name} holds ${store.size} of ${entries}`);
  const heapBytes = after.heap - before.heap;
  const externalBytes = after.external - before.external;
  return { type: 'memory', entries, bytesPerEntry: (heapBytes + externalBytes) / entries, heapBytes, externalBytes };
}

const subjectOf = (job: Job): Subject =>
  job.kind === 'engine' ? engineSubject(job.subject as BackendName | 'auto') : peerSubject(job.subject);

/** The cell's routine with its units and check, or why this subject cannot run it. */
function workload(job: Job & { type: 'cell' | 'count' }): Workload | string {
  if (job.kind === 'floor') {
    const verify = (sink: number) => {
      if (!(sink > 0)) throw new Error('the floor did no work');
    };
    return { routine: floorRoutine(job.subject, job.entries), unitsPerBatch: FLOOR_BATCH, verify };
  }
  const subject = subjectOf(job);
  const benchmark = BENCHMARKS.find((b) => b.id === job.benchmark);
  if (benchmark === undefined) throw new Error(`unknown benchmark ${job.benchmark}`);
  if (benchmark.needsByteLimit && !subject.byteLimit) return 'limits entries only, not summed sizes';
  return benchmark.build(subject, job.entries);
}

/** A window edge for callgrind: nothing else in the process calls getppid(2). */
const mark = (): number => process.ppid;

/** Warms the routine up, then runs each batch between two marks, followed by an empty pair of marks. */
function countWindows(job: Job & { type: 'count' }): WorkerResult {
  const cell = workload(job);
  if (typeof cell === 'string') return { type: 'skip', benchmark: job.benchmark, entries: job.entries, reason: cell };
  const { routine } = cell;
  let sink = 0;
  for (let i = 0; i < job.warmUp; i++) {
    routine.setup?.();
    sink += routine.run();
  }
  let marks = 0;
  for (let i = 0; i < job.batches; i++) {
    routine.setup?.();
    marks += mark();
    sink += routine.run();
    marks += mark();
    // The empty window: what the marks themselves cost, to subtract from the batch's window.
    marks += mark();
    marks += mark();
  }
  cell.verify(sink);
  if (!(marks > 0)) throw new Error('process.ppid gave no parent pid');
  return {
    type: 'counted',
    benchmark: job.benchmark,
    entries: job.entries,
    unitsPerBatch: cell.unitsPerBatch,
    batches: job.batches,
  };
}

async function main(job: Job): Promise<void> {
  if (job.type === 'memory') {
    emit(measureMemory(subjectOf(job), job.entries));
    return;
  }
  if (job.type === 'count') {
    emit(countWindows(job));
    return;
  }
  const cell = workload(job);
  if (typeof cell === 'string') {
    emit({ type: 'skip', benchmark: job.benchmark, entries: job.entries, reason: cell });
    return;
  }
  const sampling = new Sampling(cell.routine, job.sampler);
  emit({ type: 'ready', samples: sampling.iters.length });
  const lines = createInterface({ input: process.stdin });
  for await (const _ of lines) {
    sampling.next();
    if (!sampling.done) {
      emit({ type: 'taken' });
      continue;
    }
    const { iters, times, sink } = sampling.measurement();
    cell.verify(sink);
    emit({
      type: 'sample',
      benchmark: job.benchmark,
      entries: job.entries,
      unitsPerBatch: cell.unitsPerBatch,
      iters,
      times,
    });
    lines.close();
  }
}

await main(JSON.parse(process.argv[2]) as Job);
