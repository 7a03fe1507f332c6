import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createRequire } from 'node:module';
import { availableBackends, createCache } from 'caro-cache';

const root = join(createRequire(import.meta.url).resolve('caro-cache/package.json'), '..');

/** Runs an ES module snippet in a fresh Node process; returns its stdout or throws with its stderr. */
function runNode(
  code: string,
  options: { cwd?: string; env?: Record<string, string>; type?: 'module' | 'commonjs' } = {},
): string {
  const env = { ...process.env, ...options.env };
  if (!options.env || !('CARO_CACHE_BACKEND' in options.env)) delete env.CARO_CACHE_BACKEND;
  const flag = options.type === 'commonjs' ? '--input-type=commonjs' : '--input-type=module';
  return execFileSync(process.execPath, [flag, '-e', code], { cwd: options.cwd ?? root, env, encoding: 'utf8' }).trim();
}

describe('choosing an engine', () => {
  test('every engine loads here', () => {
    assert.deepEqual(
      availableBackends().map(({ name, available, reason }) => [name, available, reason]),
      [
        ['native', true, undefined],
        ['wasm', true, undefined],
        ['ts', true, undefined],
      ],
    );
  });

  test("'auto' prefers the fastest engine, ts", () => {
    assert.equal(runNode(`import { createCache } from 'caro-cache'; console.log(createCache().backend)`), 'ts');
    assert.equal(createCache({ backend: 'auto' }).backend, 'ts');
  });

  test('CARO_CACHE_BACKEND chooses the engine when options do not', () => {
    const code = `import { createCache } from 'caro-cache'; console.log(createCache().backend, createCache({ backend: 'wasm' }).backend)`;
    assert.equal(runNode(code, { env: { CARO_CACHE_BACKEND: 'ts' } }), 'ts wasm');
    assert.throws(
      () => runNode(`import { createCache } from 'caro-cache'; createCache()`, { env: { CARO_CACHE_BACKEND: 'gpu' } }),
      /RangeError: the CARO_CACHE_BACKEND environment variable must be one of/,
    );
  });

  test('require() loads the package too', () => {
    const code = `const { createCache } = require('caro-cache'); console.log(createCache({ backend: 'wasm' }).set('a', 1).get('a'))`;
    assert.equal(runNode(code, { type: 'commonjs' }), '1');
  });

  describe('where engines are missing', () => {
    // A copy of the package with no addon built and no prebuilt binaries.
    const copy = mkdtempSync(join(tmpdir(), 'caro-cache-'));
    cpSync(join(root, 'package.json'), join(copy, 'package.json'));
    cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    after(() => rmSync(copy, { recursive: true, force: true }));

    test('asking for the native engine names it and says why; auto still serves ts', () => {
      const code = `import { createCache, availableBackends } from 'caro-cache';
        try { createCache({ backend: 'native' }); } catch (e) { console.log(e.constructor.name + ': ' + e.message.split('\\n')[0]); }
        console.log(createCache().backend);
        console.log(JSON.stringify(availableBackends().map((b) => b.available)));`;
      const [error, backend, available] = runNode(code, { cwd: copy }).split('\n');
      assert.match(error, /^Error: caro-cache: the native engine cannot load here: No native build was found/);
      assert.equal(backend, 'ts');
      assert.equal(available, '[false,true,true]');
    });

    test('without the WebAssembly module either, auto serves ts', () => {
      rmSync(join(copy, 'dist', 'lru.wasm'));
      const code = `import { createCache } from 'caro-cache';
        try { createCache({ backend: 'wasm' }); } catch (e) { console.log(e.message.split('\\n')[0]); }
        console.log(createCache().backend);`;
      const [error, backend] = runNode(code, { cwd: copy }).split('\n');
      assert.match(error, /^caro-cache: the wasm engine cannot load here: .*lru\.wasm/);
      assert.equal(backend, 'ts');
    });
  });
});
