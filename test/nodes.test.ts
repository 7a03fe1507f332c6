// The Node axis of --node (bench/node-axis.ts and the report's section), and
// how a run tells it is emulated (bench/host.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isEmulated } from '../bench/host.js';
import { nodeAxis, relateByNode, splitSubject } from '../bench/node-axis.js';
import { renderReport } from '../bench/report/index.js';
import { estimates } from '../bench/stats/index.js';
import type { Cell, SubjectKind, Summary } from '../bench/summary.js';

const TARGET = { unit: 'op', highNs: 60, source: 'docs/performance.md' };

/** A cell of `ns` per op, with a fixed interval so that the figures read exactly. */
function cell(subject: string, kind: SubjectKind, ns: number): Cell {
  const iters = [1, 2, 3, 4];
  const times = iters.map((n, i) => n * ns * (1 + 0.01 * (i - 1.5)));
  return {
    subject,
    kind,
    entries: 100,
    perUnit: { point: ns, lower: ns * 0.98, upper: ns * 1.02 },
    samples: times.map((t, i) => t / iters[i]!),
    iters,
    estimates: estimates({ iters, times }, { resamples: 100 }),
    outliers: { lowSevere: 0, lowMild: 0, highMild: 0, highSevere: 0 },
  };
}

const FLOORS = { native: ['floor:map-get', 'floor:napi-call'], ts: ['floor:map-get'] };

/** get_model_hit under the run's Node (v20) and node22, where the floor halves and ts overtakes native. */
function cells(): Cell[] {
  return [
    cell('native', 'engine', 30),
    cell('ts', 'engine', 40),
    cell('lru-cache', 'peer', 50),
    cell('floor:map-get', 'floor', 10),
    cell('floor:napi-call', 'floor', 5),
    cell('native@node22', 'engine', 28),
    cell('ts@node22', 'engine', 20),
    cell('lru-cache@node22', 'peer', 25),
    cell('floor:map-get@node22', 'floor', 5),
    cell('floor:napi-call@node22', 'floor', 7),
  ];
}

function summary(): Summary {
  const all = cells();
  relateByNode(all, TARGET, new Set(['lru-cache']), FLOORS, ['node22']);
  return {
    version: 1,
    environment: {
      cpu: 'Fake CPU',
      cores: 2,
      memoryBytes: 2 ** 30,
      node: 'v20.20.2',
      v8: '11.3',
      platform: 'linux',
      arch: 'x64',
      emulated: false,
      nodes: [
        {
          label: 'node22',
          path: '/cache/x64-22.23.3/bin/node',
          node: 'v22.23.3',
          v8: '12.4',
          engines: { native: 'loaded', ts: 'loaded' },
        },
      ],
      engines: { native: 'loaded', ts: 'loaded' },
      quick: true,
      placement: 'every benchmark process on CPU 0 (taskset)',
      date: '2026-01-01T00:00:00.000Z',
      version: '0.1.0',
      commit: 'abc',
      load: { start: 0, end: 0 },
      controlsDrift: 1,
      noiseThreshold: 0.02,
    },
    benchmarks: [{ id: 'get_model_hit', description: 'a hit', target: TARGET, cells: all, skipped: [] }],
    scale: [],
    memory: [],
    skipped: [],
  };
}

describe('the Node axis', () => {
  test('a subject name splits into subject and Node label', () => {
    assert.deepEqual(splitSubject('ts@node22'), { subject: 'ts', node: 'node22' });
    assert.deepEqual(splitSubject('floor:map-get@node22.1.0'), { subject: 'floor:map-get', node: 'node22.1.0' });
    assert.deepEqual(splitSubject('lru.min'), { subject: 'lru.min' });
  });

  test("each version's engines are related to that version's own floors and peers", () => {
    const all = cells();
    relateByNode(all, TARGET, new Set(['lru-cache']), FLOORS, ['node22']);
    const of = (name: string) => all.find((c) => c.subject === name)!;
    assert.deepEqual(of('native').floor, { subject: 'floor:map-get + floor:napi-call', ns: 15, ratio: 2 });
    assert.deepEqual(of('native@node22').floor, {
      subject: 'floor:map-get@node22 + floor:napi-call@node22',
      ns: 12,
      ratio: 28 / 12,
    });
    assert.equal(of('ts@node22').floor!.ratio, 4);
    assert.deepEqual(of('ts@node22').bestPeer, { subject: 'lru-cache@node22', ns: 25, ratio: 0.8 });
    assert.equal(of('ts').bestPeer!.subject, 'lru-cache');
    assert.equal(of('floor:map-get@node22').floor, undefined);
  });

  test('per benchmark and engine: the figure under each version, its floor ratio, the fastest marked', () => {
    const axis = nodeAxis(summary())!;
    assert.deepEqual(axis.columns, [{ node: 'v20.20.2' }, { label: 'node22', node: 'v22.23.3' }]);
    const [hit] = axis.benchmarks;
    // wasm ran under neither: no row.
    assert.deepEqual(
      hit!.rows.map((r) => r.engine),
      ['native', 'ts'],
    );
    const [native, ts] = hit!.rows;
    assert.deepEqual(
      native!.figures.map((f) => [f!.perUnit.point, f!.floorRatio, f!.fastest]),
      [
        [30, 2, true],
        [28, 28 / 12, false],
      ],
    );
    assert.deepEqual(
      ts!.figures.map((f) => [f!.perUnit.point, f!.floorRatio, f!.fastest]),
      [
        [40, 4, false],
        [20, 4, true],
      ],
    );
    const plain = summary();
    delete plain.environment.nodes;
    assert.equal(nodeAxis(plain), undefined);
  });

  test("the report has a Node versions section; the summary table keeps to the run's own Node", () => {
    const html = renderReport(summary());
    assert.match(html, /<a href="#nodes">Node versions<\/a>/);
    const section = html.slice(
      html.indexOf('<section id="nodes">'),
      html.indexOf('</section>', html.indexOf('id="nodes"')),
    );
    assert.match(section, /Node v20\.20\.2 <span class="muted">\(this run's\)<\/span>/);
    assert.match(section, /Node v22\.23\.3/);
    assert.equal(section.split('badge met">fastest').length - 1, 2, 'one fastest engine per version');
    assert.match(section, /<strong>20\.0 ns \[19\.6, 20\.4\]<\/strong>/);
    const table = html.slice(html.indexOf('<section id="summary">'), html.indexOf('<section id="nodes">'));
    assert.doesNotMatch(table, /@node22/);
    assert.match(html, /<th scope="row">Node v22\.23\.3<\/th><td>subjects <code>…@node22<\/code>, V8 12\.4/);
    const plain = summary();
    delete plain.environment.nodes;
    assert.doesNotMatch(renderReport(plain), /id="nodes"/);
  });
});

describe('emulation', () => {
  test("a Node of another arch than the host kernel's machine is emulated; 32-bit on its 64-bit host is not", () => {
    assert.equal(isEmulated('arm64', 'x86_64', []), true);
    assert.equal(isEmulated('x64', 'aarch64', []), true);
    assert.equal(isEmulated('x64', 'x86_64', []), false);
    assert.equal(isEmulated('arm64', 'aarch64', []), false);
    assert.equal(isEmulated('ia32', 'x86_64', []), false);
    assert.equal(isEmulated('arm', 'aarch64', []), false);
  });

  test('an emulator named by the matrix is emulation; an unknown kernel without one is not', () => {
    assert.equal(isEmulated('arm64', undefined, ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu']), true);
    assert.equal(isEmulated('arm64', undefined, []), false);
    assert.equal(isEmulated('mips', 'mips', []), false);
  });

  test('the report says when a run was emulated', () => {
    const run = summary();
    assert.match(renderReport(run), /<th scope="row">Emulated<\/th><td>no<\/td>/);
    run.environment.emulated = true;
    assert.match(renderReport(run), /<th scope="row">Emulated<\/th><td><span class="badge missed">yes<\/span>/);
  });
});
