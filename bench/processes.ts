// Benchmark processes, each measuring one subject with a JSON job as its
// argument and printing one JSON result per line.
//
// The processes of one benchmark (each subject at each size) are sampled in
// turn: every process warms up, then the first sample of each is taken, then
// the second of each, and so on, the order rotating from round to round. This
// machine class drifts by 10-50% over seconds; taken one subject after
// another, a slow spell lands on whichever subject ran during it and shows up
// as a false ratio, while taken in turn it lands on every subject alike.
//
// Every process runs on the same CPU where the system lets us choose
// (Linux, with taskset): on this machine class one vCPU runs the same code
// about 50% slower than the other, so subjects that the scheduler placed on
// different CPUs were compared across that gap.
//
// Every process gets a fixed V8 hash seed, by default 1. The seed decides
// which model ids share a bucket of a Map, and with it the cost of a lookup:
// callgrind counts a Map.get of the benchmark's ids at 196 to 241
// instructions over hash seeds 1 to 8. With random seeds, two processes of
// the same code, or the same cell in two runs, differ by that much.
//
// A process runs this harness's Node unless its job names another binary
// (--node); under an emulator (CARO_MATRIX_EMULATOR, host.ts) every one is
// started behind it, since the host kernel cannot run the guest's binary.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { emulator } from './host.js';

/** Where the benchmark processes run: one CPU, or anywhere with the reason why. */
export interface Placement {
  cpu: number | undefined;
  description: string;
}

/** The CPUs this process may run on, from Linux's /proc/self/status ("0-3,6"). */
function allowedCpus(): number[] {
  const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  return list.split(',').flatMap((range) => {
    const [from, to = from] = range.split('-').map(Number);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

/** Pins to `requested`, or to the first CPU allowed; unpinned where that is not possible. */
export function placement(requested: number | undefined): Placement {
  const unpinned = (why: string): Placement => {
    if (requested !== undefined) throw new RangeError(`--cpu ${requested}: cannot pin processes here (${why})`);
    return { cpu: undefined, description: `not pinned: ${why}` };
  };
  if (process.platform !== 'linux') return unpinned('pinning needs Linux');
  if (spawnSync('taskset', ['--version']).status !== 0) return unpinned('taskset (util-linux) is not installed');
  const allowed = allowedCpus();
  if (allowed.length === 0) return unpinned('no CPU list in /proc/self/status');
  if (requested !== undefined && !allowed.includes(requested)) {
    throw new RangeError(`--cpu must be a CPU this process may use (${allowed.join(', ')}), got ${requested}`);
  }
  const cpu = requested ?? allowed[0];
  return { cpu, description: `every benchmark process on CPU ${cpu} (taskset)` };
}

/** The command that starts Node binary `node` (default: this harness's own). */
export function nodeCommand(node = process.execPath): string[] {
  return [...emulator(), node];
}

/** A running benchmark process and the lines it has printed but nobody has read. */
class BenchProcess {
  readonly #child: ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiting: { resolve(line: string): void; reject(error: Error): void }[] = [];
  readonly #exited: Promise<void>;
  /** Why no more lines will come, once the process has closed. */
  #ended: Error | undefined;

  constructor(
    script: string,
    job: unknown,
    readonly name: string,
    cpu: number | undefined,
    hashSeed: number,
    node: string | undefined,
  ) {
    // --expose-gc for the memory figures, which are taken after a full collection.
    const command = [...nodeCommand(node), '--expose-gc', `--hash-seed=${hashSeed}`, script, JSON.stringify(job)];
    if (cpu !== undefined) command.unshift('taskset', '--cpu-list', String(cpu));
    this.#child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    // A write to a process that has died fails here; the death itself is reported by 'close'.
    this.#child.stdin!.on('error', () => undefined);
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#lines.push(line);
      else waiter.resolve(line);
    });
    this.#exited = new Promise((resolve, reject) => {
      this.#child.on('close', (code, signal) => {
        const failed = code !== 0;
        const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
        this.#ended = new Error(`benchmark process ${name} ${failed ? how : 'ended without a result'}`);
        for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#ended);
        if (failed) reject(this.#ended);
        else resolve();
      });
    });
    // Failures reach the caller through read() and end(); this only keeps an early one from going unhandled.
    this.#exited.catch(() => undefined);
  }

  /** The next line, parsed. */
  async read<T>(): Promise<T> {
    const line = this.#lines.shift() ?? (await this.#nextLine());
    return JSON.parse(line) as T;
  }

  /** Asks for the next sample. */
  request(): void {
    this.#child.stdin!.write('\n');
  }

  /** Closes stdin and waits for a clean exit; returns the lines not read. */
  async end<T>(): Promise<T[]> {
    this.#child.stdin!.end();
    await this.#exited;
    return this.#lines.splice(0).map((line) => JSON.parse(line) as T);
  }

  #nextLine(): Promise<string> {
    if (this.#ended !== undefined) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }
}

/** Runs one process to its end and returns every result it printed. */
export async function runProcess<T>(script: string, job: unknown, name: string, cpu: number | undefined): Promise<T[]> {
  return new BenchProcess(script, job, name, cpu, 1, undefined).end<T>();
}

/**
 * Runs one process per job, warming them up one after another, then takes
 * their samples in rotating turns. Returns each job's final result, in the
 * jobs' order: its whole measurement, or whatever else it said instead of
 * being ready (a skip). A job may name a script of its own (another
 * version's worker, for --against), a hash seed of its own (a replica) and
 * a Node binary of its own (--node).
 */
export async function interleave<T>(
  script: string,
  jobs: { name: string; job: unknown; script?: string; hashSeed?: number; node?: string }[],
  cpu: number | undefined,
): Promise<T[]> {
  const started: { child: BenchProcess; samples: number; result?: T }[] = [];
  try {
    for (const { name, job, script: own, hashSeed = 1, node } of jobs) {
      const child = new BenchProcess(own ?? script, job, name, cpu, hashSeed, node);
      const entry: (typeof started)[number] = { child, samples: 0 };
      started.push(entry);
      const opening = await entry.child.read<{ type: string; samples?: number }>();
      if (opening.type === 'ready') entry.samples = opening.samples!;
      else entry.result = opening as T;
    }
    const rounds = Math.max(0, ...started.map((s) => s.samples));
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < started.length; i++) {
        const turn = started[(round + i) % started.length];
        if (round >= turn.samples) continue;
        turn.child.request();
        const reply = await turn.child.read<T>();
        if (round === turn.samples - 1) turn.result = reply;
      }
    }
    for (const s of started) await s.child.end();
  } catch (error) {
    for (const s of started) s.child.end().catch(() => undefined);
    throw error;
  }
  return started.map((s, i) => {
    if (s.result === undefined) throw new Error(`benchmark process ${jobs[i].name} gave no result`);
    return s.result;
  });
}
