// The harness samples the processes of a benchmark (one per subject and size)
// in turn, so that the machine's slow spells land on all of them alike, and
// pins them to one CPU.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { interleave, placement, runProcess } from '../bench/processes.js';

const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'turn-taker.js');

function jobs(specs: { name: string; samples: number; skip?: boolean; failAt?: number }[]) {
  const log = join(mkdtempSync(join(tmpdir(), 'caro-turns-')), 'log');
  return { log, jobs: specs.map((spec) => ({ name: spec.name, job: { ...spec, log } })) };
}

const turns = (log: string) => readFileSync(log, 'utf8').trim().split('\n');

test('samples are taken one round at a time, the order rotating, and each job gets its own result', async () => {
  const { log, jobs: specs } = jobs([
    { name: 'a', samples: 3 },
    { name: 'b', samples: 3 },
    { name: 'c', samples: 2 },
    { name: 'skipped', samples: 5, skip: true },
  ]);
  const results = await interleave<{ type: string; name: string; taken?: number; cpus?: string }>(
    script,
    specs,
    undefined,
  );
  assert.deepEqual(turns(log), ['a', 'b', 'c', 'b', 'c', 'a', 'a', 'b']);
  assert.deepEqual(
    results.map(({ cpus: _, ...result }) => result),
    [
      { type: 'sample', name: 'a', taken: 3 },
      { type: 'sample', name: 'b', taken: 3 },
      { type: 'sample', name: 'c', taken: 2 },
      { type: 'skip', name: 'skipped' },
    ],
  );
});

test('a process that dies fails the whole cell with its name, and the others are ended', async () => {
  const { log, jobs: specs } = jobs([
    { name: 'steady', samples: 4 },
    { name: 'crashing', samples: 4, failAt: 2 },
  ]);
  await assert.rejects(interleave(script, specs, undefined), /benchmark process crashing exited with code 3/);
  assert.deepEqual(turns(log), ['steady', 'crashing', 'crashing', 'steady', 'steady']);
});

test('a one-shot process returns every line it printed', async () => {
  const { jobs: specs } = jobs([{ name: 'once', samples: 1, skip: true }]);
  const results = await runProcess<{ type: string; name: string }>(script, specs[0].job, 'once', undefined);
  assert.deepEqual(
    results.map(({ type, name }) => ({ type, name })),
    [{ type: 'skip', name: 'once' }],
  );
});

test(
  'on Linux every process runs on the one CPU chosen, the first allowed unless asked',
  { skip: process.platform !== 'linux' },
  async () => {
    const where = placement(undefined);
    assert.equal(where.cpu, Number(/^Cpus_allowed_list:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]));
    const { jobs: specs } = jobs([{ name: 'pinned', samples: 1, skip: true }]);
    const [result] = await runProcess<{ cpus: string }>(script, specs[0].job, 'pinned', where.cpu);
    assert.equal(result.cpus, String(where.cpu));
    assert.throws(
      () => placement(1 << 20),
      (e: unknown) => e instanceof RangeError && /--cpu must be a CPU this process may use/.test(e.message),
    );
  },
);

test(
  "a job runs under a Node binary of its own (--node), behind the matrix's emulator where one is named",
  { skip: process.platform === 'win32' },
  async () => {
    // A "binary" that marks the environment and runs this Node; env(1) stands in for qemu.
    const node = join(mkdtempSync(join(tmpdir(), 'caro-node-')), 'node');
    writeFileSync(node, `#!/bin/sh\nCARO_WRAPPED="$CARO_WRAPPED node" exec "${process.execPath}" "$@"\n`);
    chmodSync(node, 0o755);
    const { jobs: specs } = jobs([
      { name: 'own', samples: 1, skip: true },
      { name: 'other', samples: 1, skip: true },
    ]);
    const run = () =>
      interleave<{ wrapped?: string }>(script, [specs[0], { ...specs[1], node }], undefined).then((results) =>
        results.map((r) => r.wrapped),
      );
    assert.deepEqual(await run(), [undefined, ' node']);
    process.env.CARO_MATRIX_EMULATOR = JSON.stringify(['/usr/bin/env', 'CARO_WRAPPED=emulator']);
    try {
      assert.deepEqual(await run(), ['emulator', 'emulator node']);
    } finally {
      delete process.env.CARO_MATRIX_EMULATOR;
    }
  },
);
