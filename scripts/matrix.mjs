#!/usr/bin/env node
// npm run matrix [-- [--no-build] [--full] [filter...]]
//
// Runs the conformance suite on {linux-x64, linux-arm64} x {Node 20, 22, 24, 26}
// from this tree, each cell with its own node binary from the npm packages
// node-linux-<arch> (cached in target/matrix/node/ by bench/node-binaries.ts,
// which the harness's --node shares) and with PREBUILDS_ONLY=1, so the
// native engine must come from prebuilds/linux-<arch>/. arm64 cells run
// under qemu-user. Prints a table and exits 1 if any cell fails a test or
// cannot load the native and wasm engines.
//
//   --no-build   skip `npm run pretest`, which builds the package and compiles the tests
//   --full       also run differential.test.js on emulated cells (~80 s more each)
//   filter...    run only cells whose name contains every filter, e.g. arm64 22.23.3
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch as hostArch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'target', 'matrix');
const TESTS = join(ROOT, 'target', 'build', 'test');

export const ARCHES = ['x64', 'arm64'];
export const VERSIONS = ['20.20.2', '22.23.3', '24.21.0', '26.10.0'];

// How to run a foreign arch on an x64 host: Debian's qemu-user with the cross
// libraries of g++-aarch64-linux-gnu as the guest's root for the dynamic loader.
const EMULATORS = { arm64: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'] };
const EMULATOR_PACKAGES = ['qemu-user', 'g++-aarch64-linux-gnu'];

// differential.test.js takes ~8 s natively but ~80 s under qemu, so emulated
// cells keep to the two suites that prove every engine loads and conforms.
// lifecycle.test.js cannot run there at all (docs/reliability.md, section 3):
// the guest reads its RSS as 0, and qemu-user keeps host memory for every
// WebAssembly memory the guest frees, up to the OOM killer.
const SUITES = ['conformance', 'backends'];
const NATIVE_ONLY_SUITES = ['differential'];

const TEST_TIMEOUT_MS = 15 * 60 * 1000; // a hung emulator should fail the cell, not stall the run

/** Every cell, in run order. */
export function allCells() {
  return ARCHES.flatMap((arch) =>
    VERSIONS.map((version) => ({ arch, version, name: `linux-${arch} node ${version}` })),
  );
}

/** The cells whose name contains every filter. */
export function selectCells(cells, filters) {
  return cells.filter((cell) => filters.every((filter) => cell.name.includes(filter)));
}

/** The run's closing `# pass N` / `# fail N` from node's TAP output, or null when absent (a crash). */
export function parseTapSummary(tap) {
  // Top-level summary lines start the line; nested ones are indented.
  const last = (key) => [...tap.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].at(-1)?.[1];
  const pass = last('pass');
  const fail = last('fail');
  return pass === undefined || fail === undefined ? null : { pass: Number(pass), fail: Number(fail) };
}

/** Plain text columns, left aligned. */
export function formatTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => String(cell).padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function sh(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: ROOT, ...options });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
  return result;
}

function runCell(cell, { full, nodeBinary }) {
  const emulator = cell.arch === hostArch() ? [] : EMULATORS[cell.arch];
  const node = nodeBinary(cell.arch, cell.version, join(OUT, 'node'), (text) => console.log(`matrix: ${text}`));
  const nodeCommand = [...emulator, node];
  // PREBUILDS_ONLY makes node-gyp-build ignore build/Release (the host's x64 build):
  // the native engine must come from prebuilds/linux-<arch>/. A CARO_CACHE_BACKEND
  // from the caller's shell would change which engine 'auto' picks in the tests.
  const env = { ...process.env, PREBUILDS_ONLY: '1', CARO_MATRIX_EMULATOR: JSON.stringify(emulator) };
  delete env.CARO_CACHE_BACKEND;
  const started = performance.now();

  const probe = spawnSync(
    nodeCommand[0],
    [
      ...nodeCommand.slice(1),
      '--input-type=module',
      '-e',
      "import('caro-cache').then(m => console.log(JSON.stringify(m.availableBackends())))",
    ],
    { cwd: ROOT, env, encoding: 'utf8' },
  );
  let backends = [];
  try {
    backends = JSON.parse(probe.stdout);
  } catch {
    console.log(`matrix: ${cell.name}: the engine probe failed:\n${probe.stderr}`);
  }
  for (const { name, available, reason } of backends) {
    if (!available) console.log(`matrix: ${cell.name}: ${name} does not load: ${reason.split('\n')[0]}`);
  }
  const engines = backends.filter((b) => b.available).map((b) => b.name);

  const suites = emulator.length === 0 || full ? [...SUITES, ...NATIVE_ONLY_SUITES] : SUITES;
  const files = suites.map((suite) => join(TESTS, `${suite}.test.js`));
  // `node --test` runs each file in a child of process.execPath, which under
  // qemu the kernel cannot execute (see matrix/qemu-children.mjs), so emulated
  // cells run each file directly, with a preload that emulates the tests' own
  // child processes. Run either way, node:test ends with the same TAP summary.
  const runs =
    emulator.length === 0
      ? [['--test', '--test-reporter=tap', ...files]]
      : files.map((file) => [
          '--import',
          pathToFileURL(join(ROOT, 'scripts', 'matrix', 'qemu-children.mjs')).href,
          '--test-reporter=tap',
          file,
        ]);

  const logPath = join(OUT, 'logs', `linux-${cell.arch}-${cell.version}.tap`);
  mkdirSync(dirname(logPath), { recursive: true });
  writeFileSync(logPath, '');
  let pass = 0;
  let fail = 0;
  let runsOk = true;
  for (const args of runs) {
    const t0 = performance.now();
    const result = spawnSync(nodeCommand[0], [...nodeCommand.slice(1), ...args], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      maxBuffer: 256 * 2 ** 20,
      timeout: TEST_TIMEOUT_MS,
    });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    appendFileSync(logPath, output);
    const summary = parseTapSummary(output);
    // A run without a summary crashed or timed out; one that exits non-zero
    // with no failed test had a cancelled test or an error outside any test.
    runsOk &&= summary !== null && summary.fail === 0 && result.status === 0;
    pass += summary?.pass ?? 0;
    fail += summary?.fail ?? 0;
    const what = files
      .filter((f) => args.includes(f))
      .map((f) => f.slice(TESTS.length + 1, -'.test.js'.length))
      .join(' ');
    const status = summary ? `pass ${summary.pass} fail ${summary.fail}` : 'no TAP summary';
    const exit =
      result.status === 0
        ? ''
        : `, ${result.error?.message ?? `exit ${result.status}${result.signal ? ` (${result.signal})` : ''}`}`;
    console.log(`matrix: ${cell.name}: ${what}: ${status}${exit}, ${seconds(performance.now() - t0)}`);
  }
  const ok = runsOk && pass > 0 && engines.includes('native') && engines.includes('wasm');
  return { cell, engines, pass, fail, ok, ms: performance.now() - started, log: logPath };
}

/** The comment block at the top of this file. */
const usage = () =>
  readFileSync(fileURLToPath(import.meta.url), 'utf8')
    .match(/^(?:\/\/.*\n)+/m)[0]
    .replace(/^\/\/ ?/gm, '')
    .trimEnd();

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return 0;
  }
  if (process.platform !== 'linux' || hostArch() !== 'x64') {
    console.error('matrix: runs on an x64 Linux host (arm64 cells are emulated with qemu-aarch64)');
    return 2;
  }
  const unknown = argv.filter((a) => a.startsWith('-') && !['--no-build', '--full'].includes(a));
  if (unknown.length > 0) {
    console.error(`matrix: unknown option ${unknown.join(' ')}\n\n${usage()}`);
    return 2;
  }
  const cells = selectCells(
    allCells(),
    argv.filter((a) => !a.startsWith('-')),
  );
  if (cells.length === 0) {
    console.error(
      `matrix: no cell matches; cells are:\n${allCells()
        .map((c) => `  ${c.name}`)
        .join('\n')}`,
    );
    return 2;
  }
  const started = performance.now();
  if (!argv.includes('--no-build')) {
    // `npm test`'s own pre-step: build dist/ and lru.wasm, compile the tests to target/build/.
    sh('npm', ['run', 'pretest']);
  }
  if (cells.some((cell) => cell.arch !== hostArch()))
    sh('bash', [join(ROOT, 'scripts', 'debian-packages.sh'), ...EMULATOR_PACKAGES]);
  // The harness's fetch and cache of node binaries (its --node shares them), built by the step above.
  const binaries = join(ROOT, 'bench', 'dist', 'node-binaries.js');
  if (!existsSync(binaries)) {
    console.error(`matrix: ${binaries} is missing: run without --no-build once`);
    return 2;
  }
  const { nodeBinary } = await import(pathToFileURL(binaries).href);

  const results = cells.map((cell) => runCell(cell, { full: argv.includes('--full'), nodeBinary }));

  const rows = [['cell', 'engines', 'pass', 'fail', 'time', 'result']];
  for (const r of results) {
    rows.push([r.cell.name, r.engines.join(',') || '-', r.pass, r.fail, seconds(r.ms), r.ok ? 'ok' : 'FAILED']);
  }
  console.log(`\n${formatTable(rows)}\n`);
  const failed = results.filter((r) => !r.ok);
  for (const r of failed) console.log(`matrix: ${r.cell.name} failed; TAP log: ${r.log}`);
  console.log(
    `matrix: ${results.length - failed.length} of ${results.length} cells passed in ${seconds(performance.now() - started)}`,
  );
  return failed.length === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main(process.argv.slice(2));
