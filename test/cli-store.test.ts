// The store's commands of the caro-cache command line, run as a user would:
// the installed bin in a child process, checking stdout, stderr and exit codes.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { bin, caroCache, type Result } from './bin.js';
import { startHubOrigin } from './hub-origin.js';
import { serveLoopback } from './loopback.js';

const work = mkdtempSync(join(tmpdir(), 'caro-cli-store-'));
const store = join(work, 'store');

const inStore = (...args: string[]) => caroCache(['--dir', store, ...args]);

function file(name: string, bytes: number): { path: string; sha256: string } {
  const data = Buffer.alloc(bytes, name);
  const path = join(work, name);
  writeFileSync(path, data);
  return { path, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Exit code `status` (1 unless said) and exactly one line on stderr, starting with "caro-cache: ". */
function oneLineError(result: Result, pattern: RegExp, status = 1): void {
  assert.equal(result.status, status, result.stderr);
  assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /^caro-cache: /);
  assert.match(result.stderr, pattern);
}

const body = Buffer.alloc(300_000, 'downloaded');
/** Range headers of the requests for /stalls. */
const stallRanges: (string | undefined)[] = [];
const base = await serveLoopback((req, res) => {
  if (req.url === '/stalls') {
    // The first answer stops a third of the way in and hangs; later ones honour Range.
    stallRanges.push(req.headers.range);
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    if (stallRanges.length === 1) {
      res.writeHead(200, { 'content-length': body.length, etag: '"s1"' });
      return void res.write(body.subarray(0, 100_000));
    }
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': body.length - start,
      etag: '"s1"',
      ...(start > 0 && { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` }),
    });
    return void res.end(body.subarray(start));
  }
  if (req.url === '/model.gguf') {
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  } else {
    res.writeHead(404, 'Not Found');
    res.end();
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('caro-cache store commands', () => {
  test('--help lists every command; each command has its own --help', async () => {
    const help = await caroCache(['--help']);
    assert.equal(help.status, 0);
    for (const command of ['ls', 'add', 'fetch', 'rm', 'path', 'verify', 'stats', 'gc', 'bench']) {
      assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'), command);
    }
    for (const command of ['ls', 'add', 'fetch', 'rm', 'path', 'verify', 'stats', 'gc']) {
      const own = await caroCache([command, '--help']);
      assert.equal(own.status, 0, command);
      assert.match(own.stdout, new RegExp(`^Usage: caro-cache ${command}`), command);
      assert.match(own.stdout, /--max-bytes SIZE/);
    }
  });

  test('add, ls, path, stats, rm: output and exit codes', async () => {
    const a = file('a', 3000);
    const added = await inStore('add', 'org/a.gguf', a.path, '--sha256', a.sha256);
    assert.equal(added.status, 0, added.stderr);
    const [line, path] = added.stdout.trim().split('\n');
    assert.equal(line, `added org/a.gguf: 2.93 KiB, sha256 ${a.sha256}`);
    assert.equal(readFileSync(path, 'utf8'), readFileSync(a.path, 'utf8'));
    assert.ok(existsSync(a.path));

    const b = file('b', 1000);
    assert.equal((await inStore('add', 'b', b.path, '--move')).status, 0);
    assert.equal(existsSync(b.path), false, '--move moves');

    const listed = await inStore('ls');
    assert.equal(listed.status, 0);
    const rows = listed.stdout.trim().split('\n');
    assert.match(rows[0], /^ID\s+SIZE\s+LAST USED\s+REVISION\s+COMMIT\s+SHA256$/);
    assert.match(rows[1], /^b\s+1000 B\s/);
    assert.match(rows[2], /^org\/a\.gguf\s+2\.93 KiB\s/);
    assert.equal(rows[3], `2 models, 3.91 KiB of 10.0 GiB in ${store}`);

    const json = await inStore('ls', '--json');
    const models = JSON.parse(json.stdout) as { id: string; path: string; bytes: number; sha256: string }[];
    assert.deepEqual(
      models.map((m) => [m.id, m.bytes]),
      [
        ['b', 1000],
        ['org/a.gguf', 3000],
      ],
    );
    assert.equal(models[1].path, path);

    const found = await inStore('path', 'org/a.gguf');
    assert.deepEqual([found.status, found.stdout], [0, `${path}\n`]);
    oneLineError(await inStore('path', 'nope'), /no model "nope"/);

    const stats = await caroCache(['stats', '--json', '--dir', store]);
    assert.deepEqual(JSON.parse(stats.stdout), {
      dir: store,
      count: 2,
      bytes: 4000,
      maxBytes: 10 * 2 ** 30,
      hits: 0,
      misses: 0,
      evictions: 0,
      partialBytes: 0,
      quarantined: 0,
      readOnly: false,
    });
    assert.match((await inStore('stats')).stdout, /^models +2$/m);

    const removed = await inStore('rm', 'b');
    assert.deepEqual([removed.status, removed.stdout], [0, 'removed b\n']);
    oneLineError(await inStore('rm', 'b'), /no model "b"/);
    assert.equal(JSON.parse((await inStore('ls', '--json')).stdout).length, 1);
  });

  test('the store comes from $CARO_CACHE_DIR without --dir', async () => {
    const dir = join(work, 'from-env');
    const a = file('env', 10);
    assert.equal((await caroCache(['add', 'e', a.path], { CARO_CACHE_DIR: dir })).status, 0);
    assert.match((await caroCache(['ls'], { CARO_CACHE_DIR: dir })).stdout, /^e\s/m);
  });

  test('verify exits 1 when a file is corrupted or missing', async () => {
    const dir = join(work, 'verify');
    const a = file('va', 500);
    const c = file('vc', 500);
    await caroCache(['--dir', dir, 'add', 'a', a.path]);
    const added = await caroCache(['--dir', dir, 'add', 'c', c.path]);
    const ok = await caroCache(['--dir', dir, 'verify']);
    assert.deepEqual([ok.status, ok.stdout], [0, '2 valid, 0 corrupted, 0 missing, 0 quarantined\n']);
    writeFileSync(added.stdout.trim().split('\n')[1], 'tampered');
    const bad = await caroCache(['--dir', dir, 'verify']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, 'corrupted    c\n1 valid, 1 corrupted, 0 missing, 0 quarantined\n');
    assert.deepEqual(JSON.parse((await caroCache(['--dir', dir, 'verify', '--json'])).stdout), {
      valid: ['a'],
      corrupted: ['c'],
      missing: [],
      quarantined: [],
    });
  });

  test('gc --max-bytes evicts least recently used models until the store fits; sizes take units', async () => {
    const dir = join(work, 'gc');
    for (const name of ['g1', 'g2', 'g3', 'g4'])
      assert.equal((await caroCache(['--dir', dir, 'add', name, file(name, 1024).path])).status, 0);
    assert.equal((await caroCache(['--dir', dir, 'path', 'g1'])).status, 0); // g1 is now the most recent
    const gc = await caroCache(['gc', '--dir', dir, '--max-bytes', '2KiB']);
    assert.equal(gc.status, 0, gc.stderr);
    assert.equal(gc.stdout, 'evicted 2 models; 2 left, 2.00 KiB of 2.00 KiB\n');
    const left = JSON.parse((await caroCache(['--dir', dir, '--max-bytes', '1MB', 'ls', '--json'])).stdout) as {
      id: string;
    }[];
    assert.deepEqual(
      left.map((m) => m.id),
      ['g1', 'g4'],
    );
    // The store keeps the limit it was last given; commands without --max-bytes leave it.
    assert.match((await caroCache(['--dir', dir, 'stats'])).stdout, /^max bytes {2}1000000 /m);
    oneLineError(
      await caroCache(['--dir', dir, 'gc', '--max-bytes', 'lots']),
      /--max-bytes must be a size such as 10GB/,
    );
  });

  test('fetch downloads once and prints the path; errors name the URL and status', async () => {
    const dir = join(work, 'fetch');
    const sha = createHash('sha256').update(body).digest('hex');
    const fetched = await caroCache(['--dir', dir, 'fetch', 'remote', `${base}/model.gguf`, '--sha256', sha]);
    assert.equal(fetched.status, 0, fetched.stderr);
    assert.equal(fetched.stderr, '', 'no progress bar when stderr is not a terminal');
    const [line, path] = fetched.stdout.trim().split('\n');
    assert.equal(line, `fetched remote: 293 KiB, sha256 ${sha}`);
    assert.deepEqual(readFileSync(path), body);
    oneLineError(
      await caroCache(['--dir', dir, 'fetch', 'other', `${base}/nope`]),
      new RegExp(`${base}/nope: HTTP 404 Not Found`),
      3,
    );
  });

  test('fetch interrupted by Ctrl-C keeps what it downloaded; the same fetch again resumes there', async () => {
    const dir = join(work, 'fetch-interrupted');
    const child = spawn(process.execPath, [bin, '--dir', dir, 'fetch', 'big', `${base}/stalls`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Wait until the partial holds the bytes sent, then interrupt.
    const partial = () => readdirSync(join(dir, 'tmp')).filter((n) => n.endsWith('.download'));
    for (
      let i = 0;
      i < 500 &&
      !(existsSync(join(dir, 'tmp')) && partial().some((n) => statSync(join(dir, 'tmp', n)).size === 100_000));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGINT');
    assert.equal(await closed, 130, stderr);
    assert.match(stderr, /^caro-cache: interrupted; run the same fetch again to resume the download\n$/);
    assert.equal(partial().length, 1, 'the partial download is kept');
    const again = await caroCache(['--dir', dir, 'fetch', 'big', `${base}/stalls`]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(stallRanges, [undefined, 'bytes=100000-']);
    assert.deepEqual(readFileSync(again.stdout.trim().split('\n')[1]), body);
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [], 'the partial and its record are gone');
  });

  test(
    'fetch draws a progress bar when stderr is a terminal',
    { skip: !existsSync('/usr/bin/script') && 'needs script(1) for a terminal' },
    async () => {
      const dir = join(work, 'fetch-tty');
      const command = [process.execPath, bin, '--dir', dir, 'fetch', 'tty', `${base}/model.gguf`]
        .map((a) => `'${a}'`)
        .join(' ');
      const run = await new Promise<Result>((resolve, reject) => {
        const child = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout, stderr: '' }));
      });
      assert.equal(run.status, 0, run.stdout);
      assert.match(run.stdout, /\r\x1b\[Ktty \[#+\] 100% 293 KiB \/ 293 KiB/);
      assert.match(run.stdout, /\r\x1b\[Kfetched tty: 293 KiB/, 'the bar is cleared before the result');
    },
  );

  test('bad arguments: one line on stderr and exit 1, and the store unchanged', async () => {
    const dir = join(work, 'bad-store');
    const a = file('bad', 10);
    await caroCache(['--dir', dir, 'add', 'kept', a.path]);
    const cases: [string[], RegExp][] = [
      [['add', 'x'], /add takes 2 arguments, got 1/],
      [['add', 'x', a.path, '--sha256', 'abc'], /options\.sha256 must be 64 hex digits/],
      [['add', 'x', join(work, 'no-such-file')], /no-such-file/],
      [['add', '', a.path], /id must not be empty/],
      [['add', 'x'.repeat(257), a.path], /id must be at most 256 characters/],
      [['ls', '--frob'], /Unknown option '--frob'/],
      [['ls', 'extra'], /ls takes no arguments, got 1/],
      [['rm'], /rm takes 1 argument, got 0/],
      [['fetch', 'x', 'ftp://example.com/m'], /url must be an http: or https: URL/],
      [['ls', '--max-bytes=-5'], /--max-bytes must be a size/],
      [['ls', '--max-bytes', '-5'], /--max-bytes' argument is ambiguous/],
      [['ls', '--backend', 'gpu'], /options\.backend must be one of/],
    ];
    for (const [args, pattern] of cases) oneLineError(await caroCache(['--dir', dir, ...args]), pattern);
    oneLineError(await caroCache(['ls', '--dir']), /Option '--dir <value>' argument missing/);
    oneLineError(await caroCache(['--dir']), /--dir needs a value/);
    oneLineError(await caroCache(['--dir', dir, 'bench']), /bench does not take --dir/);
    assert.equal((await caroCache(['--dir', dir])).status, 2, 'a global option without a command is a usage error');
    const left = JSON.parse((await caroCache(['--dir', dir, 'ls', '--json'])).stdout) as { id: string }[];
    assert.deepEqual(
      left.map((m) => m.id),
      ['kept'],
    );
  });
});

describe('caro-cache and the Hub', async () => {
  const hub = await startHubOrigin();
  const repo = 'org/gated-GGUF';
  const data = Buffer.alloc(50_000, 'gguf');
  const commit = hub.publish(repo, 'model-q4_k_m.gguf', data);
  hub.gate(repo, 'hf_cli_token');
  const hubEnv = { HF_ENDPOINT: hub.endpoint, HF_HOME: join(work, 'no-hf-home'), HF_TOKEN: undefined };
  const source = `hf://${repo}/model-q4_k_m.gguf`;

  test('fetch hf:// with $HF_TOKEN, ls shows the revision and commit; the typed errors exit with their own codes', async () => {
    const dir = join(work, 'hub-store');
    const gated = await caroCache(['--dir', dir, 'fetch', 'g', source], hubEnv);
    oneLineError(gated, /HTTP 401: the model may be gated or private; no token was sent/, 6);
    const fetched = await caroCache(['--dir', dir, 'fetch', 'g', source], { ...hubEnv, HF_TOKEN: 'hf_cli_token' });
    assert.equal(fetched.status, 0, fetched.stderr);
    assert.match(fetched.stdout, /^fetched g: /);
    const listed = await caroCache(['--dir', dir, 'ls'], hubEnv);
    assert.match(listed.stdout, /^ID\s+SIZE\s+LAST USED\s+REVISION\s+COMMIT\s+SHA256$/m);
    assert.match(listed.stdout, new RegExp(`^g\\s.*\\smain\\s+${commit.slice(0, 12)}\\s`, 'm'));
    const json = JSON.parse((await caroCache(['--dir', dir, 'ls', '--json'], hubEnv)).stdout) as object[];
    assert.deepEqual(
      json.map((m) => ({ ...m, addedAt: undefined, lastAccessed: undefined, path: undefined })),
      [
        {
          id: 'g',
          bytes: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
          source,
          revision: 'main',
          commit,
          etag: `"${createHash('sha256').update(data).digest('hex')}"`,
          addedAt: undefined,
          lastAccessed: undefined,
          path: undefined,
        },
      ],
    );
    hub.reset();
    oneLineError(await caroCache(['--dir', dir, '--offline', 'fetch', 'h', source], hubEnv), /offline mode is on/, 5);
    oneLineError(
      await caroCache(['--dir', dir, 'fetch', 'h', source], { ...hubEnv, CARO_CACHE_OFFLINE: '1' }),
      /offline mode is on/,
      5,
    );
    const served = await caroCache(['--dir', dir, 'fetch', 'g', source, '--revalidate', '--offline'], hubEnv);
    assert.equal(served.status, 0, served.stderr);
    assert.equal(hub.origin.length + hub.cdnSeen.length, 0, 'offline: no request');
    oneLineError(
      await caroCache(['--dir', dir, 'fetch', 'x', `hf://${repo}/missing.gguf`], {
        ...hubEnv,
        HF_TOKEN: 'hf_cli_token',
      }),
      /HTTP 404/,
      3,
    );
    const a = file('mismatch', 10);
    oneLineError(await caroCache(['--dir', dir, 'add', 'x', a.path, '--sha256', '0'.repeat(64)]), /does not match/, 4);
    oneLineError(await caroCache(['--dir', dir, '--max-bytes', '1KiB', 'add', 'x', a.path + '-big']), /cannot be read/);
    writeFileSync(`${a.path}-big`, Buffer.alloc(4096));
    const tooLarge = await caroCache([
      '--dir',
      join(work, 'hub-small'),
      '--max-bytes',
      '1KiB',
      'add',
      'x',
      `${a.path}-big`,
    ]);
    oneLineError(tooLarge, /larger than the store's maxBytes/, 8);
  });
});
