// The harness's command line, criterion's controls included: parsed and
// checked in one place, so that every bad flag or value is one clear error
// that points to --help.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BACKENDS, type BackendName } from 'caro-cache';
import type { SamplerOptions } from './sampler.js';

export const GROUPS = ['cache', 'models'] as const;
export const MEASURES = ['time', 'instructions'] as const;
/** The engine subjects: each engine, and `auto`, the one createCache serves by default. */
export const ENGINE_SUBJECTS = [...BACKENDS, 'auto'] as const;
export type EngineSubject = BackendName | 'auto';

export const USAGE = `Usage: caro-cache-bench [filter] [options]   (in a clone: npm run bench -- ...)
       caro-cache-bench compare <summary.json>... [--out DIR]   (compare --help)

  filter                       a regular expression: run only benchmarks whose id matches it
  --list                       list the benchmarks and their subjects, run nothing
  --group cache|models         only this group: the in-memory engines beside the floors and
                               npm peers, or the on-disk store beside JSON manifests (default: both)
  --backend NAME                only this engine: native, wasm, ts, or auto (what createCache
                               serves by default); peers and floors still run, and the store's
                               index runs on it
  --quick                      short sampling, scale up to 10^4 entries, no memory figures:
                               about a minute
  --measure time|instructions  what to measure (default: time). instructions: the engines'
                               instructions per operation, counted by valgrind's callgrind with
                               V8 made repeatable: a gate that noise cannot move, blind to memory
                               stalls (so without the 10^6 series) and to the models group
  --node VERSIONS              also run the cache group under these Node versions, in the same
                               turns: a comma-separated list of versions (fetched as the npm
                               package node-linux-<arch> into target/matrix/node/) or paths to
                               node binaries; their subjects are named like ts@node22

Sampling (criterion's controls; the defaults depend on the group and on --quick):
  --sample-size N              samples per cell, at least 10
  --measurement-time SECONDS   time spent sampling each cell
  --warm-up-time SECONDS       time spent warming each cell up

Comparing and gating:
  --against REF                build the git ref REF in a temporary worktree and sample its
                               engines in turn with this tree's, on the same CPU: changes are
                               judged within the run (the mode for CI)
  --save-baseline NAME         save this run as NAME (default: base)
  --baseline NAME              compare against NAME and keep it unchanged
  --noise-threshold FRACTION   changes within ±FRACTION are noise (default: 0.02)
  --significance-level P       p-value below which a change is significant (default: 0.05)
  --fail-on-regression PCT     exit 1 if an engine regressed by more than PCT%, exit 3 if
                               that is still undecided after --gate-time
  --gate-time SECONDS          how long the gate may sample more while a change is
                               inconclusive (default: 120)
  --check-targets              exit 1 if an engine misses a target

  --cpu N                      run every benchmark process on CPU N (Linux, with taskset;
                               default: the first CPU allowed)
  --out DIR                    output root, one directory per group (default: target/criterion)
  --help                       this text

Changes against a saved baseline are taken relative to the controls (peers and floors)
measured in the same run, so a machine that slowed down as a whole shows no change.
A run with --against, --fail-on-regression or --save-baseline samples each engine in two
processes: two processes of the same code differ too, and a baseline's draw is shared by
every run judged against it.`;

export type Options = ReturnType<typeof parse>;

function number(flag: string, text: string | undefined, valid: (n: number) => boolean, what: string) {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !valid(value)) throw new RangeError(`--${flag} needs ${what}, got ${JSON.stringify(text)}`);
  return value;
}

function filterOf(text: string | undefined): RegExp {
  try {
    return new RegExp(text ?? '');
  } catch (error) {
    throw new RangeError(`the filter must be a regular expression: ${(error as Error).message}`, { cause: error });
  }
}

export function parse(args: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        list: { type: 'boolean', default: false },
        group: { type: 'string' },
        backend: { type: 'string' },
        quick: { type: 'boolean', default: false },
        measure: { type: 'string', default: 'time' },
        'sample-size': { type: 'string' },
        'measurement-time': { type: 'string' },
        'warm-up-time': { type: 'string' },
        'save-baseline': { type: 'string' },
        baseline: { type: 'string' },
        against: { type: 'string' },
        'noise-threshold': { type: 'string' },
        'significance-level': { type: 'string' },
        'fail-on-regression': { type: 'string' },
        'gate-time': { type: 'string' },
        'check-targets': { type: 'boolean', default: false },
        out: { type: 'string' },
        cpu: { type: 'string' },
        node: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    // Node's own message names the flag; the pointer to --help is ours.
    throw new RangeError(`${(error as Error).message.split('\n')[0]} (caro-cache-bench --help lists the options)`, {
      cause: error,
    });
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new RangeError(`one filter at most, got ${positionals.join(' ')}`);
  if (values.backend !== undefined && !ENGINE_SUBJECTS.includes(values.backend as never)) {
    throw new RangeError(`--backend must be one of ${ENGINE_SUBJECTS.join(', ')}, got ${values.backend}`);
  }
  if (values.group !== undefined && !GROUPS.includes(values.group as never)) {
    throw new RangeError(`--group must be one of ${GROUPS.join(', ')}, got ${values.group}`);
  }
  if (!MEASURES.includes(values.measure as never)) {
    throw new RangeError(`--measure must be one of ${MEASURES.join(', ')}, got ${values.measure}`);
  }
  if (values.against !== undefined && values.baseline !== undefined) {
    throw new RangeError('--against and --baseline cannot be combined: one comparison at a time');
  }
  if (values.node !== undefined && values.against !== undefined) {
    throw new RangeError('--node and --against cannot be combined: one axis at a time');
  }
  if (values.node !== undefined && values.measure === 'instructions') {
    throw new RangeError("--node measures time: --measure instructions counts under the harness's own Node");
  }
  if (values.baseline !== undefined && values['save-baseline'] !== undefined) {
    throw new RangeError('--baseline and --save-baseline cannot be combined');
  }
  const positive = (n: number) => n > 0 && Number.isFinite(n);
  const seconds = (flag: 'measurement-time' | 'warm-up-time' | 'gate-time') =>
    number(flag, values[flag], positive, 'a positive number of seconds');
  const samples = number(
    'sample-size',
    values['sample-size'],
    (n) => Number.isSafeInteger(n) && n >= 10,
    'a whole number of samples, at least 10',
  );
  const measurement = seconds('measurement-time');
  const warmUp = seconds('warm-up-time');
  const noiseThreshold =
    number(
      'noise-threshold',
      values['noise-threshold'],
      (n) => n >= 0 && n < 1,
      'a fraction from 0 to 1, such as 0.02',
    ) ?? 0.02;
  const significance =
    number('significance-level', values['significance-level'], (n) => n > 0 && n < 1, 'a p-value between 0 and 1') ??
    0.05;
  const failOn = number(
    'fail-on-regression',
    values['fail-on-regression'],
    (n) => n >= 0 && Number.isFinite(n),
    'a non-negative percentage',
  );
  if (failOn !== undefined && failOn / 100 < noiseThreshold) {
    throw new RangeError(
      `--fail-on-regression (${failOn}%) must be at least the noise threshold (${noiseThreshold * 100}%)`,
    );
  }
  const cpu = number('cpu', values.cpu, (n) => Number.isSafeInteger(n) && n >= 0, 'a CPU number');
  return {
    help: values.help,
    list: values.list,
    filter: filterOf(positionals[0]),
    groups: values.group === undefined ? [...GROUPS] : [values.group],
    backend: values.backend as EngineSubject | undefined,
    engines: values.backend === undefined ? [...ENGINE_SUBJECTS] : [values.backend as EngineSubject],
    quick: values.quick,
    measure: values.measure as (typeof MEASURES)[number],
    /** What the sampling flags change in a group's own sampler. */
    sampling: (defaults: SamplerOptions): SamplerOptions => ({
      samples: samples ?? defaults.samples,
      measureMs: measurement === undefined ? defaults.measureMs : measurement * 1000,
      warmUpMs: warmUp === undefined ? defaults.warmUpMs : warmUp * 1000,
    }),
    against: values.against,
    compareWith: values.baseline ?? values['save-baseline'] ?? 'base',
    saveAs: values.baseline === undefined ? (values['save-baseline'] ?? 'base') : undefined,
    mustExist: values.baseline !== undefined,
    /** A gate's evidence (--against, --fail-on-regression, or a baseline saved by name): engine cells from several processes. */
    replicated: values.against !== undefined || failOn !== undefined || values['save-baseline'] !== undefined,
    noiseThreshold,
    significance,
    failOn,
    gateMs: (seconds('gate-time') ?? 120) * 1000,
    checkTargets: values['check-targets'],
    out: resolve(values.out ?? 'target/criterion'),
    cpu,
    /** The --node list as given; node-versions.ts resolves it. */
    node: values.node,
  };
}
