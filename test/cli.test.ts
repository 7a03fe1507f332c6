import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Summary } from '../bench/summary.js';

const require = createRequire(import.meta.url);

/** The path of a package's command, as its package.json names it. */
function binOf(name: string): string {
  const manifest = require.resolve(`${name}/package.json`);
  return join(
    manifest,
    '..',
    (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin[name],
  );
}

const runBin = (bin: string, args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const caroCache = (...args: string[]) => runBin(binOf('caro-cache'), args);
const harness = (...args: string[]) => runBin(binOf('caro-cache-bench'), args);
/** How many processes the sample in criterion's directory `dir` came from. */
const processesOf = (dir: string): number =>
  new Set((JSON.parse(readFileSync(join(dir, 'sample.json'), 'utf8')) as { processes?: number[] }).processes ?? [0])
    .size;

describe('the caro-cache command line', () => {
  test('--help lists the commands; no command is a usage error', () => {
    const help = caroCache('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /bench/);
    assert.equal(caroCache().status, 2);
  });

  test('an unknown command is one line on stderr and a non-zero exit', () => {
    const { status, stderr } = caroCache('frob');
    assert.equal(status, 1);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /^caro-cache: /);
  });

  test('bench runs the harness package where it is installed, with the same arguments', () => {
    const { status, stdout } = caroCache('bench', '--help');
    assert.equal(status, 0);
    assert.match(stdout, /^Usage: caro-cache-bench /);
  });

  test('bench without the harness installed says how to get it', () => {
    // The library alone, where no caro-cache-bench can be resolved.
    const alone = mkdtempSync(join(tmpdir(), 'caro-alone-'));
    try {
      const root = join(require.resolve('caro-cache/package.json'), '..');
      cpSync(join(root, 'package.json'), join(alone, 'package.json'));
      cpSync(join(root, 'dist'), join(alone, 'dist'), { recursive: true });
      const { status, stderr } = runBin(join(alone, 'dist', 'src', 'cli', 'main.js'), ['bench', '--quick']);
      assert.equal(status, 2);
      assert.match(stderr, /npx caro-cache-bench --quick/);
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });
});

describe('the caro-cache-bench command line', () => {
  test('a bad option or filter is one line on stderr and a non-zero exit', () => {
    for (const args of [
      ['--backend', 'gpu'],
      ['--group', 'disk'],
      ['no-such-benchmark'],
      ['get_model_hit['],
      ['--sample-size', '5'],
      ['--measurement-time', '0'],
      ['--noise-threshold', '2%'],
      ['--significance-level', '1'],
      ['--fail-on-regression', '1', '--noise-threshold', '0.05'],
      ['--measure', 'cycles'],
      ['--measure', 'instructions', '--group', 'models'],
      ['--node', '22.23.3', '--against', 'HEAD'],
      ['--node', '22.23.3', '--measure', 'instructions'],
      ['--node', 'no-such-node'],
    ]) {
      const { status, stderr } = harness(...args);
      assert.equal(status, 1, args.join(' '));
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.match(stderr, /^caro-cache-bench: /);
    }
  });

  test('an unknown flag names itself and points to --help', () => {
    const { status, stderr } = harness('--sample-sizes', '20');
    assert.equal(status, 1);
    assert.match(stderr, /--sample-sizes/);
    assert.match(stderr, /caro-cache-bench --help/);
  });

  test('--list names the benchmarks a regular expression selects, and runs nothing', () => {
    const all = harness('--list');
    assert.equal(all.status, 0, all.stderr);
    const ids = all.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(':')[0]);
    for (const group of ['cache', 'models']) {
      for (const id of ['get_model_hit', 'add_model', 'remove_model', 'lru_eviction_full']) {
        assert.ok(ids.includes(`${group}/${id}`), `${group}/${id}`);
      }
    }
    const some = harness('--list', '^(add|remove)_model$', '--group', 'cache');
    assert.deepEqual(
      some.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(':')[0]),
      ['cache/add_model', 'cache/remove_model'],
    );
  });

  describe('runs', () => {
    /** A quick run of the ts engine beside its own HEAD. */
    const TS_AGAINST_HEAD = ['--group', 'cache', '--backend', 'ts', '--quick', '--against', 'HEAD'];
    const out = mkdtempSync(join(tmpdir(), 'caro-bench-'));
    after(() => rmSync(out, { recursive: true, force: true }));
    const cache = join(out, 'cache');

    test('writes criterion files, the summary and the report, with floors and peers beside the engine', () => {
      const run = harness('^get_model_hit$', '--group', 'cache', '--backend', 'ts', '--quick', '--out', out);
      assert.equal(run.status, 0, run.stderr);
      const summary = JSON.parse(readFileSync(join(cache, 'summary.json'), 'utf8')) as Summary;
      const [hit] = summary.benchmarks;
      assert.equal(hit.id, 'get_model_hit');
      const subjects = hit.cells.map((c) => c.subject);
      for (const subject of [
        'ts',
        'floor:map-get',
        'floor:napi-call',
        'floor:wasm-call',
        'lru-cache',
        'mnemonist-map',
        'mnemonist-cache',
      ])
        assert.ok(subjects.includes(subject), subject);
      const ts = hit.cells.find((c) => c.subject === 'ts')!;
      assert.ok(ts.floor !== undefined && ts.bestPeer !== undefined && ts.targetMet !== undefined);
      // The engine and the Map floor beneath it, at each size of the quick series.
      assert.deepEqual(
        summary.scale.map((s) => [s.subject, s.points.map((p) => p.entries)]),
        [
          ['ts', [100, 1_000, 10_000]],
          ['floor:map-get', [100, 1_000, 10_000]],
        ],
      );
      // Exact peers run at every size up to 10^4, so each point carries the engine's ratios there.
      for (const point of summary.scale.find((series) => series.subject === 'ts')!.points) {
        assert.ok(point.floor !== undefined && point.bestPeer !== undefined, `ratios at ${point.entries}`);
        assert.equal(point.bestPeer.ratio, point.perUnit.point / point.bestPeer.ns);
      }
      for (const file of ['new/estimates.json', 'new/sample.json', 'base/sample.json']) {
        assert.ok(existsSync(join(cache, 'get_model_hit', 'ts', file)), file);
      }
      // A run that neither gates nor saves a named baseline samples each engine cell in one process.
      assert.equal(processesOf(join(cache, 'get_model_hit', 'ts', 'new')), 1);
      assert.ok(existsSync(join(cache, 'report', 'index.html')));
      assert.ok(existsSync(join(cache, 'benchmark-history.json')));
      assert.equal(readFileSync(join(cache, 'history.jsonl'), 'utf8').trim().split('\n').length, 1);
      assert.equal(summary.baseline, undefined);
    });

    test('a second run compares against the first, net of the controls beside it, and gates the engine', () => {
      const run = harness(
        '^get_model_hit$',
        '--group',
        'cache',
        '--backend',
        'ts',
        '--quick',
        '--out',
        out,
        '--fail-on-regression',
        '50',
        '--gate-time',
        '5',
      );
      // A noisy machine may leave the change undecided (3); an unchanged engine must not fail (1).
      assert.ok(run.status === 0 || run.status === 3, `exit ${run.status}: ${run.stderr}`);
      assert.match(run.stderr, /^gate: /m);
      const summary = JSON.parse(readFileSync(join(cache, 'summary.json'), 'utf8')) as Summary;
      assert.equal(summary.baseline, 'base');
      assert.ok(summary.benchmarks[0].cells.every((c) => c.change !== undefined));
      const ts = summary.benchmarks[0].cells.find((c) => c.subject === 'ts')!;
      assert.equal(ts.change!.normalisation, 'controls');
      // A gated run takes each engine cell from two processes at least (more after a gate round).
      assert.ok(processesOf(join(cache, 'get_model_hit', 'ts', 'new')) >= 2);
      assert.equal(summary.benchmarks[0].cells.find((c) => c.kind === 'peer')!.change!.normalisation, 'none');
      // The scale series carries its changes too.
      assert.ok(summary.scale.find((s) => s.subject === 'ts')!.points.every((p) => p.change !== undefined));
      assert.ok(existsSync(join(cache, 'get_model_hit', 'ts', 'change', 'estimates.json')));
      const report = readFileSync(join(cache, 'report', 'index.html'), 'utf8');
      assert.match(report, /Change since/i);
      // One history line per run, gate rounds or not; the report charts both runs.
      assert.equal(readFileSync(join(cache, 'history.jsonl'), 'utf8').trim().split('\n').length, 2);
      assert.match(report, /over the last 2 saved runs/);
      assert.match(report, /data-plot="change-density"/);
    });

    const valgrind = spawnSync('valgrind', ['--version']).status === 0;
    test(
      '--measure instructions counts each batch under callgrind, the same from run to run, and gates on the counts',
      { skip: !valgrind && 'valgrind is not installed' },
      () => {
        const count = () =>
          harness(
            '^remove_model$',
            '--measure',
            'instructions',
            '--backend',
            'ts',
            '--out',
            out,
            '--fail-on-regression',
            '2',
            '--noise-threshold',
            '0.01',
          );
        const first = count();
        assert.equal(first.status, 0, first.stderr);
        const cell = join(out, 'instructions', 'remove_model', 'ts');
        const file = JSON.parse(readFileSync(join(cell, 'new', 'instructions.json'), 'utf8')) as {
          instructionsPerUnit: number;
          windows: [number, number][];
        };
        // A delete is some hundreds of instructions: neither nothing nor the whole process.
        assert.ok(file.instructionsPerUnit > 50 && file.instructionsPerUnit < 50_000, String(file.instructionsPerUnit));
        assert.ok(file.windows.every(([batch, empty]) => batch > empty && empty > 0));
        assert.ok(existsSync(join(cell, 'base', 'instructions.json')));
        const second = count();
        assert.equal(second.status, 0, second.stderr);
        // One change per size of the scale series.
        assert.match(second.stderr, /^gate: 3 changes, none beyond 2%/m);
        const summary = JSON.parse(readFileSync(join(out, 'instructions', 'summary.json'), 'utf8')) as {
          results: { subject: string; kind: string; entries: number; change?: { ratio: number; verdict: string } }[];
        };
        assert.match(readFileSync(join(out, 'instructions', 'report', 'index.html'), 'utf8'), /<section id="counts">/);
        const engines = summary.results.filter((r) => r.kind === 'engine');
        assert.equal(engines.length, 3);
        for (const ts of engines) {
          assert.equal(ts.change!.verdict, 'no change');
          assert.ok(Math.abs(ts.change!.ratio - 1) < 0.01, `counts moved by ${ts.change!.ratio - 1}`);
        }
        // The exact peers are counted at every size, as the mark to beat, and never gated.
        const peers = summary.results.filter((r) => r.kind === 'peer');
        assert.ok(peers.some((p) => p.subject === 'mnemonist-map' && p.entries === 10_000));
        assert.ok(peers.every((p) => p.change === undefined));
        assert.match(second.stdout, /remove_model\/ts +10000 entries +\d+ instructions per unit, .*, \d+\.\d\dx \S+/);
      },
    );

    test('the models group measures the store beside the JSON manifests, in its own directory', () => {
      const run = harness('remove_model', '--group', 'models', '--backend', 'ts', '--quick', '--out', out);
      assert.equal(run.status, 0, run.stderr);
      const summary = JSON.parse(readFileSync(join(out, 'models', 'summary.json'), 'utf8')) as Summary;
      assert.deepEqual(
        summary.benchmarks.map((b) => b.id),
        ['remove_model'],
      );
      const cells = summary.benchmarks[0].cells;
      assert.deepEqual(cells.map((c) => c.subject).sort(), ['json-manifest', 'json-manifest-fsync', 'store']);
      const store = cells.find((c) => c.subject === 'store')!;
      assert.equal(store.kind, 'engine');
      assert.ok(store.bestPeer !== undefined && store.bestPeer.subject.startsWith('json-manifest'));
      assert.ok(existsSync(join(out, 'models', 'remove_model', 'store', 'new', 'estimates.json')));
      assert.ok(existsSync(join(out, 'models', 'report', 'index.html')));
      assert.match(run.stdout, /== models: /);
    });

    test('--against builds another version in a worktree and judges the change within the run', () => {
      const ab = join(out, 'against');
      const root = join(require.resolve('caro-cache/package.json'), '..');
      const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
      // Worktrees as a killed run and a live one would leave them: only the killed run's goes.
      const gone = spawnSync(process.execPath, ['-e', '']).pid!;
      const plant = (name: string, pid: number) => {
        const dir = join(mkdtempSync(join(tmpdir(), 'caro-against-')), name);
        const reason = `caro-cache-bench --against, pid ${pid}`;
        assert.equal(git('worktree', 'add', '--detach', '--lock', '--reason', reason, dir, 'HEAD').status, 0);
        return dir;
      };
      const abandoned = plant('abandoned', gone);
      const live = plant('live', process.pid);
      const run = harness(
        'get_model_hit',
        ...TS_AGAINST_HEAD,
        '--out',
        ab,
        '--fail-on-regression',
        '50',
        '--gate-time',
        '5',
      );
      assert.ok(run.status === 0 || run.status === 3, `exit ${run.status}: ${run.stderr}`);
      const summary = JSON.parse(readFileSync(join(ab, 'cache', 'summary.json'), 'utf8')) as Summary;
      assert.match(summary.environment.against!, /^HEAD at [0-9a-f]{40}$/);
      const cells = summary.benchmarks[0].cells;
      assert.ok(
        cells.some((c) => c.subject === 'ts@HEAD'),
        'the other version measured beside this one',
      );
      const ts = cells.find((c) => c.subject === 'ts')!;
      assert.equal(ts.change!.normalisation, 'same run');
      assert.equal(ts.change!.baseline, 'HEAD');
      // The worktree it built in is gone again.
      const dir = /building [0-9a-f]{10} in (\S+)/.exec(run.stderr)?.[1];
      assert.ok(dir !== undefined, run.stderr);
      assert.ok(!existsSync(dir), dir);
      const worktrees = git('worktree', 'list').stdout;
      assert.ok(!worktrees.includes(dir), worktrees);
      assert.ok(!worktrees.includes(abandoned) && !existsSync(abandoned), worktrees);
      assert.match(run.stderr, /removing \S+abandoned, left by process \d+/);
      assert.ok(worktrees.includes(live), worktrees);
      assert.equal(git('worktree', 'remove', '--force', '--force', live).status, 0);
    });

    test('--against: a gate round samples again only the undecided engines and their twins', () => {
      // A threshold of 0.001% is never ruled out, so the engine's cells start a round.
      const run = harness(
        '^get_model_hit$',
        ...TS_AGAINST_HEAD,
        '--out',
        join(out, 'against-rounds'),
        '--noise-threshold',
        '0',
        '--fail-on-regression',
        '0.001',
        '--gate-time',
        '1',
      );
      assert.ok([0, 1, 3].includes(run.status!), `exit ${run.status}: ${run.stderr}`);
      const lines = run.stderr.split('\n');
      const at = lines.findIndex((line) => /^gate round 1: /.test(line));
      assert.ok(at > 0, run.stderr);
      const undecided = Number(/^gate round 1: (\d+) inconclusive/.exec(lines[at])![1]);
      const first = /get_model_hit \((\d+) processes in turn\)/.exec(lines.slice(0, at).join('\n'));
      const again = /get_model_hit \((\d+) processes in turn\)/.exec(lines.slice(at + 1).join('\n'));
      assert.ok(first !== null && again !== null, run.stderr);
      // Each undecided cell: ts and ts@HEAD, in two replica processes each; no peer, no floor.
      assert.ok(undecided > 0);
      assert.equal(Number(again[1]), 4 * undecided);
      assert.ok(Number(again[1]) < Number(first[1]), run.stderr);
    });

    test('--against a ref that does not exist is refused before measuring', () => {
      const { status, stderr } = harness('--against', 'no-such-ref-anywhere', '--out', out);
      assert.equal(status, 1);
      assert.match(stderr, /--against needs a git ref/);
    });

    test('a named baseline that does not exist is refused before measuring', () => {
      const { status, stderr } = harness('--baseline', 'nope', '--out', out);
      assert.equal(status, 1);
      assert.match(stderr, /baseline "nope" does not exist/);
    });
  });
});
