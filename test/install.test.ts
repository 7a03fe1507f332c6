// Real installs of the packed tarball into empty projects, as users get it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { npm } from './npm.js';

const root = join(createRequire(import.meta.url).resolve('caro-cache/package.json'), '..');
const work = mkdtempSync(join(tmpdir(), 'caro-install-'));
const NO_NATIVE_LINE =
  'caro-cache: no prebuilt binary fits and the native addon did not compile; the native engine will not load, the others serve';

/** This process's environment without the outer npm's settings, plus `extra`. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'npm_config_nodedir' || !/^(npm_|CARO_CACHE_)/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}
// A compiler that always fails, as on a machine without one.
const NO_COMPILER = { CC: 'false', CXX: 'false' };

function install(name: string, tarball: string, extra: Record<string, string>): { dir: string; output: string } {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  const result = npm(['install', tarball, '--foreground-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: dir,
    env: environment(extra),
  });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(result.status, 0, `npm install failed:\n${output}`);
  return { dir, output };
}

function serving(dir: string, extra: Record<string, string> = {}, options = ''): string {
  const code = `import { createCache } from 'caro-cache'; console.log(createCache(${options}).backend)`;
  const spawnOptions = {
    cwd: dir,
    env: environment(extra),
    encoding: 'utf8' as const,
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
  };
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], spawnOptions).trim();
}

describe('installing the packed tarball', () => {
  let tarball = '';
  let withoutPrebuilds = '';
  before(() => {
    // dist/ is fresh from pretest, so the prepare script need not run again.
    const packed = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
      cwd: root,
      env: environment(),
    });
    const [pack] = JSON.parse(packed.stdout) as [{ filename: string }];
    tarball = join(work, pack.filename);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
    rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true });
    withoutPrebuilds = join(work, 'without-prebuilds.tgz');
    execFileSync('tar', ['czf', withoutPrebuilds, '-C', unpacked, 'package']);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('with no compiler, the prebuilt binary serves', () => {
    const { dir } = install('no-compiler', tarball, NO_COMPILER);
    assert.equal(existsSync(join(dir, 'node_modules', 'caro-cache', 'build')), false, 'nothing was compiled');
    assert.equal(serving(dir, {}, "{ backend: 'native' }"), 'native');
    assert.equal(serving(dir, { CARO_CACHE_BACKEND: 'ts' }), 'ts', 'CARO_CACHE_BACKEND is honoured');
  });

  test('with no prebuilt binary and no compiler, the install succeeds and the other engines serve', () => {
    const { dir, output } = install('no-prebuilds', withoutPrebuilds, NO_COMPILER);
    assert.ok(output.includes(NO_NATIVE_LINE), `the install says which engine will not load:\n${output}`);
    assert.equal(serving(dir), 'ts');
    assert.equal(serving(dir, {}, "{ backend: 'wasm' }"), 'wasm');
    assert.throws(() => serving(dir, {}, "{ backend: 'native' }"), /the native engine cannot load here/);
  });

  test('npm_config_build_from_source=true compiles the addon, which then serves', () => {
    const { dir } = install('from-source', tarball, { npm_config_build_from_source: 'true' });
    assert.ok(
      existsSync(join(dir, 'node_modules', 'caro-cache', 'build', 'Release', 'caro_cache.node')),
      'the addon was compiled',
    );
    assert.equal(serving(dir, {}, "{ backend: 'native' }"), 'native');
  });
});
