import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { npm } from './npm.js';

const require = createRequire(import.meta.url);
const root = join(require.resolve('caro-cache/package.json'), '..');
const sourceHash = execFileSync(process.execPath, [join(root, 'scripts', 'source-hash.mjs')], { encoding: 'utf8' });

describe('prebuilt binaries', () => {
  const binaries = readdirSync(join(root, 'prebuilds')).flatMap((platform) =>
    readdirSync(join(root, 'prebuilds', platform)).map((file) => join(platform, file)),
  );

  // CI's release job adds the other platforms' binaries to these.
  test('linux-x64 and linux-arm64 are prebuilt, for Node-API and glibc', () => {
    for (const binary of ['linux-arm64/caro-cache.glibc.node', 'linux-x64/caro-cache.glibc.node']) {
      assert.ok(binaries.includes(binary), `${binary} is missing`);
    }
  });

  // A binary of any architecture carries its source hash as a string, so this
  // also checks the ones this machine cannot load.
  test('every committed binary was built from the current native sources (else run npm run prebuild)', () => {
    for (const binary of binaries) {
      const bytes = readFileSync(join(root, 'prebuilds', binary));
      assert.ok(bytes.includes(sourceHash), `${binary} was built from other sources than native/ holds now`);
    }
  });

  // Node 20's Linux binaries run from glibc 2.28 on (RHEL 8, whose libstdc++
  // is GCC 8's). A binary built on a newer system can ask for newer symbol
  // versions and then fail to load where Node itself runs, leaving those users
  // the WebAssembly engine. The release job runs this on the binaries CI built.
  // Each required version is a plain string in the binary, so no ELF tool is needed.
  test('the Linux binaries ask for no newer glibc or libstdc++ than Node 20 itself needs', () => {
    const newest: Record<string, number[]> = { GLIBC: [2, 28], GLIBCXX: [3, 4, 25] };
    const newer = (version: number[], bound: number[]) => {
      const at = version.findIndex((part, i) => part !== (bound[i] ?? 0));
      return at !== -1 && version[at] > (bound[at] ?? 0);
    };
    for (const binary of binaries.filter((b) => b.startsWith('linux-'))) {
      const text = readFileSync(join(root, 'prebuilds', binary)).toString('latin1');
      const needs = [...text.matchAll(/\b(GLIBC|GLIBCXX)_(\d+(?:\.\d+)+)\b/g)];
      assert.ok(
        needs.some(([, library]) => library === 'GLIBC'),
        `${binary} names no glibc version`,
      );
      for (const [name, library, version] of needs) {
        assert.ok(
          !newer(version.split('.').map(Number), newest[library]),
          `${binary} needs ${name}, but Node 20 runs with ${library}_${newest[library].join('.')}`,
        );
      }
    }
  });

  test("the binaries for this machine's platform load and report the same hash", () => {
    const here = `${process.platform}-${process.arch}/`;
    for (const binary of binaries.filter((b) => b.startsWith(here))) {
      const addon = require(join(root, 'prebuilds', binary)) as { sourceHash: string };
      assert.equal(addon.sourceHash, sourceHash, binary);
    }
  });
});

test('the package ships what it needs and nothing else', () => {
  const { stdout } = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  const files = pack.files.map((f) => f.path).sort();
  for (const needed of [
    'LICENSE',
    'README.md',
    'package.json',
    'binding.gyp',
    'scripts/source-hash.mjs',
    'native/binding.cc',
    'native/lru_core.cc',
    'native/lru_core.h',
    'dist/lru.wasm',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/src/internal.js',
    'dist/src/cli/main.js',
    'dist/src/engines/native.js',
    'dist/src/store/model-cache.js',
    'prebuilds/linux-x64/caro-cache.glibc.node',
    'prebuilds/linux-arm64/caro-cache.glibc.node',
  ]) {
    assert.ok(files.includes(needed), `${needed} is missing from the package`);
  }
  const allowed =
    /^(LICENSE|README\.md|package\.json|binding\.gyp|scripts\/source-hash\.mjs|native\/[^/]+\.(cc|h)|dist\/(lru\.wasm|src\/([a-z]+\/)?[^/]+\.(js|d\.ts))|prebuilds\/[^/]+\/[^/]+\.node)$/;
  assert.deepEqual(
    files.filter((f) => !allowed.test(f)),
    [],
    'the harness is its own package (bench/)',
  );
});

test('the harness package ships its compiled harness and nothing else', () => {
  const { stdout } = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: join(root, 'bench') });
  const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  const files = pack.files.map((f) => f.path).sort();
  for (const needed of [
    'package.json',
    'dist/cli.js',
    'dist/run.js',
    'dist/worker.js',
    'dist/models.js',
    'dist/stats/index.js',
  ]) {
    assert.ok(files.includes(needed), `${needed} is missing from caro-cache-bench`);
  }
  assert.deepEqual(
    // Compiled modules only, at the top of dist/ or in its folders (dist/report/charts/bars.js).
    files.filter((f) => !/^(package\.json|dist\/([a-z]+\/)*[^/]+\.js)$/.test(f)),
    [],
  );
  assert.ok(!files.some((f) => f.includes('selftest')), 'the clock self-test needs devDependencies and stays out');
});
