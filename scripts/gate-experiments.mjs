#!/usr/bin/env node
// The experiments behind the gate's figures in docs/benchmarking.md: how
// often unchanged code is flagged (A/A), how often a ts hit path that does
// 1.3x or 2x the work is caught (power), each in the three ways of comparing
// (same-run --against, a saved baseline, instruction counts), quiet and with
// a busy neighbour. A full replay takes hours, so it is not part of npm test.
//
//   node scripts/gate-experiments.mjs [--runs 20] [--modes against,baseline,instructions]
//     [--fixtures aa,1.3x,2x] [--neighbours quiet,other-cpu,shared-cpu] [--threshold 15]
//     [--filter '^get_model_hit$'] [--out target/experiments]
//
// Needs a clean checkout with `npm install` done. Each run appends one JSON
// line to <out>/gate.jsonl; the table at the end is per neighbour, mode and
// fixture. The slowed-down fixtures are commits made with git's plumbing
// (the working tree is not touched), built by the harness's own --against.

import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    modes: { type: 'string', default: 'against,baseline,instructions' },
    fixtures: { type: 'string', default: 'aa,1.3x,2x' },
    neighbours: { type: 'string', default: 'quiet,other-cpu,shared-cpu' },
    threshold: { type: 'string', default: '15' },
    filter: { type: 'string', default: '^get_model_hit$' },
    out: { type: 'string', default: 'target/experiments' },
  },
});
const runs = Number(values.runs);
const out = resolve(root, values.out);
const list = (text) => text.split(',').filter(Boolean);
const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

if (git('status', '--porcelain', '--untracked-files=no') !== '') {
  throw new Error('the experiments compare against HEAD: commit or stash your changes first');
}
const head = git('rev-parse', 'HEAD');
mkdirSync(out, { recursive: true });
execFileSync('npm', ['run', '--silent', 'compile'], { cwd: root, stdio: 'inherit' });
execFileSync('npm', ['run', '--silent', 'compile:bench'], { cwd: root, stdio: 'inherit' });
const { prepareAgainst } = await import(join(root, 'bench', 'dist', 'against.js'));

const TS_ENGINE = 'src/engines/ts.ts';
const TOUCH = '  touch(slot: number): void {\n';

/** A commit on top of HEAD whose ts engine spins `spins` times on every touch, i.e. on every hit. */
function slowerCommit(spins) {
  const source = readFileSync(join(root, TS_ENGINE), 'utf8');
  if (!source.includes(TOUCH)) throw new Error(`${TS_ENGINE} has no touch() to slow down`);
  const patched = source.replace(
    TOUCH,
    `  #spin = 0;\n\n${TOUCH}    for (let i = 0; i < ${spins}; i++) this.#spin = (Math.imul(this.#spin, 31) + slot) | 0;\n`,
  );
  const index = join(mkdtempSync(join(out, 'index-')), 'index');
  const env = { ...process.env, GIT_INDEX_FILE: index };
  const plumb = (args, input) => execFileSync('git', args, { cwd: root, env, input, encoding: 'utf8' }).trim();
  plumb(['read-tree', head]);
  const blob = plumb(['hash-object', '-w', '--stdin'], patched);
  plumb(['update-index', '--cacheinfo', `100644,${blob},${TS_ENGINE}`]);
  const tree = plumb(['write-tree']);
  rmSync(dirname(index), { recursive: true, force: true });
  return execFileSync('git', ['commit-tree', tree, '-p', head, '-m', `fixture: ts hit path spins ${spins} times`], {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'fixture',
      GIT_AUTHOR_EMAIL: 'fixture@localhost',
      GIT_COMMITTER_NAME: 'fixture',
      GIT_COMMITTER_EMAIL: 'fixture@localhost',
    },
  }).trim();
}

/** A built checkout of `commit`: its directory and how to remove it. */
function build(commit) {
  const against = prepareAgainst(commit, (text) => process.stderr.write(text));
  return { dir: resolve(dirname(against.worker), '..', '..'), remove: against.remove };
}

/** Runs the harness of the checkout in `dir`; resolves to its exit code and its gate lines. */
function harness(dir, args) {
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(dir, 'bench', 'dist', 'cli.js'), ...args], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) =>
      resolvePromise({
        code,
        seconds: (Date.now() - started) / 1000,
        regressed: stderr.split('\n').filter((l) => l.startsWith('regressed:')),
        inconclusive: stderr.split('\n').filter((l) => l.startsWith('inconclusive:')),
        gate: stderr.split('\n').find((l) => l.startsWith('gate:')) ?? stderr.trim().split('\n').at(-1),
      }),
    );
  });
}

/** The ts hit's instruction ratio of `dir`'s version over HEAD's. */
async function hitRatio(dir) {
  const o = mkdtempSync(join(out, 'count-'));
  const r = await harness(dir, [
    values.filter,
    '--measure',
    'instructions',
    '--backend',
    'ts',
    '--against',
    head,
    '--out',
    o,
  ]);
  if (r.code !== 0) throw new Error(`counting failed: ${r.gate}`);
  const { results } = JSON.parse(readFileSync(join(o, 'instructions', 'summary.json'), 'utf8'));
  rmSync(o, { recursive: true, force: true });
  return results.find((c) => c.subject === 'ts' && c.entries === 100).change.ratio;
}

/** The fixture for `factor`: spins found by the secant rule on instruction counts, within 2% of the factor. */
async function fixture(factor) {
  if (factor === 1) return { dir: root, remove: () => undefined, ratio: 1, spins: 0 };
  let spins = 32;
  for (let attempt = 1; ; attempt++) {
    const built = build(slowerCommit(spins));
    const ratio = await hitRatio(built.dir);
    process.stderr.write(`fixture ${factor}x: ${spins} spins, ts hit at ${ratio.toFixed(3)}x HEAD's instructions\n`);
    if (Math.abs(ratio - factor) <= 0.02 * factor || attempt === 4) return { ...built, ratio, spins };
    built.remove();
    spins = Math.max(1, Math.round((spins * (factor - 1)) / (ratio - 1)));
  }
}

/** A busy process for the run: on the other CPU throughout, or on the benchmark's CPU a third of the time. */
function neighbour(kind) {
  if (kind === 'quiet') return () => undefined;
  const cpu = kind === 'other-cpu' ? '1' : '0';
  const loop =
    kind === 'other-cpu'
      ? 'for (;;);'
      : 'const nap = new Int32Array(new SharedArrayBuffer(4)); for (;;) { const t = Date.now(); while (Date.now() - t < 5000); Atomics.wait(nap, 0, 0, 10000); }';
  const child = spawn('taskset', ['-c', cpu, process.execPath, '-e', loop], { stdio: 'ignore' });
  return () => child.kill('SIGKILL');
}

const threshold = values.threshold;
const MODES = {
  against: (dir, o) =>
    harness(dir, [
      '--quick',
      values.filter,
      '--group',
      'cache',
      '--against',
      head,
      '--fail-on-regression',
      threshold,
      '--out',
      o,
    ]),
  baseline: (dir, o) =>
    harness(dir, [
      '--quick',
      values.filter,
      '--group',
      'cache',
      '--baseline',
      'experiment',
      '--fail-on-regression',
      threshold,
      '--out',
      o,
    ]),
  instructions: (dir, o) =>
    harness(dir, [
      values.filter,
      '--measure',
      'instructions',
      '--against',
      head,
      '--fail-on-regression',
      threshold,
      '--out',
      o,
    ]),
};
const FACTORS = { aa: 1, '1.3x': 1.3, '2x': 2 };

const table = [];
for (const name of list(values.fixtures)) {
  if (!(name in FACTORS)) throw new Error(`--fixtures: unknown fixture ${name} (aa, 1.3x, 2x)`);
  const fx = await fixture(FACTORS[name]);
  try {
    for (const kind of list(values.neighbours)) {
      for (const mode of list(values.modes)) {
        if (!(mode in MODES)) throw new Error(`--modes: unknown mode ${mode}`);
        const o = mkdtempSync(join(out, 'run-'));
        const stop = neighbour(kind);
        try {
          // A saved baseline is taken once, from HEAD, before the runs it judges.
          if (mode === 'baseline')
            await harness(root, [
              '--quick',
              values.filter,
              '--group',
              'cache',
              '--save-baseline',
              'experiment',
              '--out',
              o,
            ]);
          const row = { fixture: name, neighbour: kind, mode, runs: 0, flagged: 0, undecided: 0, seconds: [] };
          for (let run = 1; run <= runs; run++) {
            const r = await MODES[mode](fx.dir, o);
            if (r.code !== 0 && r.code !== 1 && r.code !== 3) throw new Error(`${mode} run failed: ${r.gate}`);
            row.runs++;
            if (r.code === 1) row.flagged++;
            if (r.code === 3) row.undecided++;
            row.seconds.push(r.seconds);
            const line = {
              date: new Date().toISOString(),
              commit: head,
              fixture: name,
              factor: FACTORS[name],
              instructionRatio: fx.ratio,
              spins: fx.spins,
              neighbour: kind,
              mode,
              run,
              ...r,
            };
            appendFileSync(join(out, 'gate.jsonl'), `${JSON.stringify(line)}\n`);
            process.stderr.write(
              `${name} ${kind} ${mode} run ${run}/${runs}: exit ${r.code} (${r.seconds.toFixed(0)} s) ${r.regressed.join('; ')}\n`,
            );
          }
          table.push(row);
        } finally {
          stop();
          rmSync(o, { recursive: true, force: true });
        }
      }
    }
  } finally {
    fx.remove();
  }
}

console.log('\nfixture  neighbour   mode          flagged  undecided  runs  median s');
for (const r of table) {
  const median = [...r.seconds].sort((a, b) => a - b)[r.seconds.length >> 1];
  console.log(
    `${r.fixture.padEnd(8)} ${r.neighbour.padEnd(11)} ${r.mode.padEnd(13)} ${String(r.flagged).padStart(7)} ${String(r.undecided).padStart(10)} ${String(r.runs).padStart(5)} ${median.toFixed(0).padStart(9)}`,
  );
}
