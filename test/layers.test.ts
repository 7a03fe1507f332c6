// The layering of src/ (eslint.config.js, rule caro/layers): imports run
// cli > store > cache > engines, never back up, and nothing in src/ reaches
// the benchmark harness. The tree must pass, and each kind of wrong-way
// import must fail, so the rule is shown to bite.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const root = join(createRequire(import.meta.url).resolve('caro-cache/package.json'), '..');
const eslint = new ESLint({ cwd: root });

/** The layering findings on `code` as if it were the file `path` of the tree. */
async function layering(code: string, path: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result.messages.filter((m) => m.ruleId === 'caro/layers').map((m) => m.message);
}

describe('the layers of src/', () => {
  test('every file of src/ keeps them', async () => {
    const results = await eslint.lintFiles([join(root, 'src')]);
    assert.ok(results.length >= 20, `linted ${results.length} files`);
    const found = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === 'caro/layers').map((m) => `${r.filePath}: ${m.message}`),
    );
    assert.deepEqual(found, []);
  });

  test('an import up a layer fails, from every layer to every one above it', async () => {
    const layers = ['cli', 'store', 'cache', 'engines'];
    for (const [i, from] of layers.entries()) {
      for (const to of layers.slice(0, i)) {
        const found = await layering(`import { x } from '../${to}/any.js';\nexport { x };\n`, `src/${from}/new.ts`);
        assert.equal(found.length, 1, `${from} importing ${to}`);
        assert.match(found[0], new RegExp(`src/${from}/ may not import from src/${to}/`));
      }
    }
  });

  test('re-exports and dynamic imports are held to the same rule', async () => {
    assert.equal((await layering(`export * from '../cache/cache.js';\n`, 'src/engines/new.ts')).length, 1);
    assert.equal((await layering(`export const m = import('../store/ids.js');\n`, 'src/cache/new.ts')).length, 1);
  });

  test('nothing in src/ imports the harness, by path or by package', async () => {
    for (const source of ['../../bench/run.js', 'caro-cache-bench', 'caro-cache-bench/dist/run.js']) {
      const found = await layering(`import '${source}';\n`, 'src/cli/new.ts');
      assert.equal(found.length, 1, source);
      assert.match(found[0], /may not import the benchmark harness/);
    }
  });

  test('imports down a layer, within one, and from the entry points pass', async () => {
    assert.deepEqual(await layering(`import { createCache } from '../cache/cache.js';\n`, 'src/store/new.ts'), []);
    assert.deepEqual(await layering(`import { VICTIM_BATCH } from './contract.js';\n`, 'src/engines/new.ts'), []);
    assert.deepEqual(await layering(`export { ModelCache } from './store/model-cache.js';\n`, 'src/new.ts'), []);
  });
});
