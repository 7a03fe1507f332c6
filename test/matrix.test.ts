// The pure parts of scripts/matrix.mjs (`npm run matrix`), and its preload
// for emulated cells, run here with env(1) standing in for qemu.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

interface Cell {
  arch: string;
  version: string;
  name: string;
}
interface Matrix {
  ARCHES: string[];
  VERSIONS: string[];
  allCells(): Cell[];
  selectCells(cells: Cell[], filters: string[]): Cell[];
  parseTapSummary(tap: string): { pass: number; fail: number } | null;
  formatTable(rows: (string | number)[][]): string;
}

const root = join(createRequire(import.meta.url).resolve('caro-cache/package.json'), '..');
const matrix = (await import(pathToFileURL(join(root, 'scripts', 'matrix.mjs')).href)) as Matrix;

describe('npm run matrix', () => {
  test('has a cell for every arch and Node version', () => {
    const names = matrix.allCells().map((cell) => cell.name);
    assert.equal(names.length, 8);
    assert.equal(new Set(names).size, 8);
    assert.ok(names.includes('linux-arm64 node 20.20.2'));
    assert.ok(names.includes('linux-x64 node 26.10.0'));
  });

  test('a cell is selected when its name contains every filter', () => {
    const cells = matrix.allCells();
    assert.equal(matrix.selectCells(cells, []).length, 8);
    assert.deepEqual(
      matrix.selectCells(cells, ['arm64', '22.23.3']).map((c) => c.name),
      ['linux-arm64 node 22.23.3'],
    );
    assert.equal(matrix.selectCells(cells, ['x64']).length, 4);
    assert.deepEqual(matrix.selectCells(cells, ['riscv64']), []);
  });

  test("reads the run's closing summary, not a nested one", () => {
    const tap = [
      'TAP version 13',
      '# Subtest: conformance (native)',
      '    # pass 99',
      '    # fail 7',
      'ok 1 - conformance (native)',
      '1..1',
      '# tests 63',
      '# pass 62',
      '# fail 1',
      '# cancelled 0',
      '# duration_ms 1234.5',
    ].join('\n');
    assert.deepEqual(matrix.parseTapSummary(tap), { pass: 62, fail: 1 });
    assert.equal(matrix.parseTapSummary('TAP version 13\n# Subtest: crashed\n'), null);
    assert.equal(matrix.parseTapSummary('# pass 3\n'), null);
  });

  test('formats a table in aligned columns', () => {
    const rows = [
      ['cell', 'pass'],
      ['linux-x64 node 22.23.3', 93],
    ];
    assert.equal(matrix.formatTable(rows), 'cell                    pass\nlinux-x64 node 22.23.3  93');
  });

  test("the emulated cells' preload puts the emulator in front of spawns of process.execPath only", () => {
    const preload = pathToFileURL(join(root, 'scripts', 'matrix', 'qemu-children.mjs')).href;
    const code = `import { execFileSync, spawnSync } from 'node:child_process';
      const read = '-p';
      console.log(execFileSync(process.execPath, [read, 'process.env.WRAPPED'], { encoding: 'utf8' }).trim());
      console.log(spawnSync(process.execPath, { input: 'console.log(process.env.WRAPPED)', encoding: 'utf8' }).stdout.trim());
      console.log(execFileSync('/usr/bin/env', { encoding: 'utf8' }).split('\\n').some((line) => line.startsWith('WRAPPED=')));`;
    const output = execFileSync(process.execPath, ['--import', preload, '--input-type=module', '-e', code], {
      encoding: 'utf8',
      env: { ...process.env, CARO_MATRIX_EMULATOR: JSON.stringify(['/usr/bin/env', 'WRAPPED=yes']) },
    });
    assert.deepEqual(output.trim().split('\n'), ['yes', 'yes', 'false']);
  });
});
