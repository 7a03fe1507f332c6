// Fault injection on the model store (issue 15, the store's cases): damaged
// and lost journals, full and read-only file systems, files deleted or
// corrupted under the store, failing unlinks and appends, hostile ids. Each
// test counts acknowledged operations, operations lost and model files
// deleted because of damage; FAULT_FIGURES=1 prints them for docs/reliability.md.
//
// Faults in system calls are injected by replacing node:fs functions and
// syncing the ES module bindings (module.syncBuiltinESMExports), so the store
// sees them as real errors. File systems are real: tmpfs mounts, as root.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs, {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
// A namespace import, so that this file also loads (and its tests fail one
// by one) on a version without StoreReadOnlyError.
import * as caro from 'caro-cache';
import { caroCache } from './bin.js';
import { serveLoopback } from './loopback.js';

const root = mkdtempSync(join(tmpdir(), 'caro-fault-'));
const mounts: string[] = [];
after(() => {
  for (const mount of mounts.reverse()) execFileSync('umount', ['-l', mount]);
  rmSync(root, { recursive: true, force: true });
});
let count = 0;
const freshDir = () => join(root, `store-${count++}`);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const asRoot = process.getuid?.() === 0;
const NOT_ROOT = 'needs root (tmpfs mounts); CI runs as root';
const quiet = { onWarning: () => {} };
const { ModelCache } = caro;

/** Figures for docs/reliability.md, printed with FAULT_FIGURES=1. */
function figures(name: string, f: { trials: number; acknowledged: number; lost: number; deleted: number }): void {
  if (process.env.FAULT_FIGURES) console.log(`figures ${name}: ${JSON.stringify(f)}`);
}

/** A source file whose content depends on `seed`. */
function source(seed: string, bytes = 1024): { path: string; sha256: string } {
  const data = Buffer.alloc(bytes, `${seed}:`);
  const dir = join(root, 'sources');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${count++}`);
  writeFileSync(path, data);
  return { path, sha256: sha256(data) };
}

/** The model files in a folder of the store (sidecars left out). */
const modelFiles = (dir: string, sub = 'models') =>
  existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).filter((n) => !/\.(meta\.json|removed)$/.test(n)) : [];

/** A closed store holding models m0..m(n-1), each of `bytes` bytes. */
async function storeWith(n: number, options: { maxBytes?: number; bytes?: number } = {}): Promise<string> {
  const dir = freshDir();
  const store = await ModelCache.open({ dir, maxBytes: options.maxBytes });
  for (let i = 0; i < n; i++) await store.add(`m${i}`, source(`m${i}`, options.bytes).path);
  await store.close();
  return dir;
}

/** Flips one byte inside the JSON of the journal line that matches. */
function flipIn(journal: string, match: (line: string) => boolean): void {
  const lines = readFileSync(journal, 'latin1').split('\n');
  const i = lines.findIndex(match);
  assert.ok(i > 0, 'the line to damage');
  const at = lines[i].indexOf('{') + 5;
  lines[i] = lines[i].slice(0, at) + String.fromCharCode(lines[i].charCodeAt(at) ^ 1) + lines[i].slice(at + 1);
  writeFileSync(journal, lines.join('\n'), 'latin1');
}

/** Replaces a node:fs function for the store's code too; returns the undo. */
function inject<T extends object, K extends keyof T>(target: T, name: K, replacement: T[K]): () => void {
  const original = target[name];
  target[name] = replacement;
  syncBuiltinESMExports();
  return () => {
    target[name] = original;
    syncBuiltinESMExports();
  };
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** A real tmpfs of `size` at a fresh directory, unmounted after the tests. */
function tmpfs(size: string): string {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Fills the file system of `dir` until a write fails with ENOSPC. */
function fill(dir: string): void {
  const fd = fs.openSync(join(dir, `filler-${count++}`), 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
}

/** A seeded PRNG (mulberry32), so a failing trial can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('model store under faults', () => {
  test('case 1: a flipped byte in an add record: the file survives, is re-adopted and reported', async () => {
    const dir = await storeWith(3);
    flipIn(join(dir, 'journal'), (line) => line.includes('"id":"m1"'));
    const warnings: string[] = [];
    const store = await ModelCache.open({ dir, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(
      store
        .list()
        .map((m) => m.id)
        .sort(),
      ['m0', 'm1', 'm2'],
    );
    assert.equal(modelFiles(dir).length, 3);
    assert.ok(
      warnings.some((w) => /journal .* damaged/.test(w)),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) => /re-adopted 1 model .*"m1"/.test(w)),
      warnings.join('\n'),
    );
    assert.deepEqual((await store.verify()).valid.sort(), ['m0', 'm1', 'm2']);
    await store.close();
    figures('flipped add', { trials: 1, acknowledged: 3, lost: 0, deleted: 0 });
  });

  test('case 1: a journal truncated at 20 random offsets deletes no model file of 30', async () => {
    const base = await storeWith(30);
    const size = readFileSync(join(base, 'journal')).length;
    const next = random(15);
    let lost = 0;
    let deleted = 0;
    for (let trial = 0; trial < 20; trial++) {
      const dir = freshDir();
      cpSync(base, dir, { recursive: true });
      const offset = Math.floor(next() * size);
      truncateSync(join(dir, 'journal'), offset);
      const store = await ModelCache.open({ dir, ...quiet });
      const ids = new Set(store.list().map((m) => m.id));
      lost += Array.from({ length: 30 }, (_, i) => `m${i}`).filter((id) => !ids.has(id)).length;
      deleted += 30 - modelFiles(dir).length - modelFiles(dir, 'quarantine').length;
      assert.equal((await store.verify()).valid.length, 30, `offset ${offset}`);
      await store.close();
    }
    assert.equal(deleted, 0, 'model files deleted');
    assert.equal(lost, 0, 'models lost');
    figures('truncated journal', { trials: 20, acknowledged: 30 * 20, lost, deleted });
  });

  test('case 1: a deleted or an empty journal loses no model file; the store is rebuilt from the sidecars', async () => {
    for (const damage of ['deleted', 'empty'] as const) {
      const dir = await storeWith(10);
      if (damage === 'deleted') rmSync(join(dir, 'journal'));
      else writeFileSync(join(dir, 'journal'), '');
      const warnings: string[] = [];
      const store = await ModelCache.open({ dir, onWarning: (m) => warnings.push(m) });
      assert.equal(store.list().length, 10, damage);
      assert.equal(modelFiles(dir).length, 10, damage);
      assert.ok(
        warnings.some((w) => /re-adopted 10 models/.test(w)),
        warnings.join('\n'),
      );
      await store.close();
      const again = await ModelCache.open({ dir, ...quiet });
      assert.equal(again.list().length, 10, 'the rebuilt journal holds them');
      await again.close();
    }
    figures('deleted or empty journal', { trials: 2, acknowledged: 20, lost: 0, deleted: 0 });
  });

  test('case 1: a damaged limit record never shrinks the limit: an opener with a smaller default evicts nothing', async () => {
    const dir = await storeWith(30, { maxBytes: 1024 * 1024, bytes: 2048 });
    flipIn(join(dir, 'journal'), (line) => line.includes('"t":"limit"'));
    const saved = process.env.CARO_CACHE_MAX_BYTES;
    process.env.CARO_CACHE_MAX_BYTES = '14KiB';
    try {
      const store = await ModelCache.open({ dir, ...quiet });
      assert.equal(store.list().length, 30);
      assert.equal(store.stats().evictions, 0);
      assert.ok(store.stats().maxBytes >= 30 * 2048);
      await store.close();
    } finally {
      if (saved === undefined) delete process.env.CARO_CACHE_MAX_BYTES;
      else process.env.CARO_CACHE_MAX_BYTES = saved;
    }
    assert.equal(modelFiles(dir).length, 30);
    figures('damaged limit record', { trials: 1, acknowledged: 30, lost: 0, deleted: 0 });
  });

  test('case 3: on a full tmpfs, ls, path, verify, rm and gc work', { skip: !asRoot && NOT_ROOT }, async () => {
    const dir = join(tmpfs('2m'), 'store');
    let store = await ModelCache.open({ dir });
    for (let i = 0; i < 4; i++) await store.add(`m${i}`, source(`m${i}`, 128 * 1024).path);
    await store.close();
    fill(join(dir, '..'));
    // ls and path
    store = await ModelCache.open({ dir, ...quiet });
    assert.equal(store.list().length, 4);
    assert.ok(store.get('m0')?.path);
    assert.equal((await store.verify()).valid.length, 4);
    // rm
    assert.equal(await store.remove('m1'), true);
    assert.equal(store.has('m1'), false);
    await store.close();
    fill(join(dir, '..'));
    // gc, after a removal whose file is still there
    store = await ModelCache.open({ dir, ...quiet });
    assert.equal(store.stats().readOnly, false);
    assert.equal(await store.remove('m2'), true);
    await store.gc();
    assert.deepEqual(
      store
        .list()
        .map((m) => m.id)
        .sort(),
      ['m0', 'm3'],
    );
    await store.close();
    const reopened = await ModelCache.open({ dir, ...quiet });
    assert.deepEqual(
      reopened
        .list()
        .map((m) => m.id)
        .sort(),
      ['m0', 'm3'],
      'the removals were recorded',
    );
    await reopened.close();
    assert.equal(modelFiles(dir).length, 2);
    figures('full tmpfs', { trials: 1, acknowledged: 6, lost: 0, deleted: 0 });
  });

  test('case 3: gc removes downloads no process is writing; stats count them', async () => {
    const dir = await storeWith(1);
    const { pid: dead } = spawnSync(process.execPath, ['-e', '']);
    writeFileSync(join(dir, 'tmp', `${dead}-${'a'.repeat(32)}.download`), Buffer.alloc(5000));
    writeFileSync(
      join(dir, 'tmp', `${dead}-${'a'.repeat(32)}.json`),
      JSON.stringify({ url: 'http://x/', bytes: 5000, validator: '"v"' }),
    );
    const store = await ModelCache.open({ dir });
    assert.equal(store.stats().partialBytes, 5000, 'a partial kept to resume is counted');
    const result = await store.gc();
    assert.equal(result.leftovers, 2);
    assert.equal(store.stats().partialBytes, 0);
    await store.close();
  });

  test('case 6: verify reports a model whose file was deleted while the store was closed', async () => {
    const dir = await storeWith(2);
    const store = await ModelCache.open({ dir, ...quiet });
    const gone = store.list().find((m) => m.id === 'm1')!;
    await store.close();
    rmSync(gone.path);
    const reopened = await ModelCache.open({ dir, ...quiet });
    const result = await reopened.verify();
    assert.deepEqual(result.missing, ['m1']);
    assert.equal(reopened.get('m1'), undefined);
    await reopened.close();
  });

  test('case 6: a file verify found corrupt is refused by get and path, and fetch downloads it again', async () => {
    const body = Buffer.alloc(50_000, 'model');
    let requests = 0;
    const base = await serveLoopback((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-length': body.length, etag: '"v1"' });
      res.end(body);
    });
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const model = await store.fetch('m', `${base}/m`, { sha256: sha256(body) });
    writeFileSync(model.path, Buffer.alloc(body.length, 'rot'));
    assert.deepEqual((await store.verify()).corrupted, ['m']);
    assert.equal(store.get('m'), undefined);
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.equal(reopened.get('m'), undefined, 'the bad mark is in the journal');
    const path = await caroCache(['--dir', dir, 'path', 'm']);
    assert.equal(path.status, 1);
    assert.match(path.stderr, /missing or corrupt/);
    const again = await reopened.fetch('m', `${base}/m`, { sha256: sha256(body) });
    assert.equal(requests, 2);
    assert.deepEqual(readFileSync(again.path), body);
    assert.equal(reopened.get('m')?.path, again.path);
    assert.deepEqual((await reopened.verify()).valid, ['m']);
    await reopened.close();
  });

  test('case 6: get in a process that has the store open never returns a path another process removed', async () => {
    const dir = await storeWith(1);
    const store = await ModelCache.open({ dir });
    assert.ok(store.get('m0'));
    const removed = await caroCache(['--dir', dir, 'rm', 'm0']);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(store.get('m0'), undefined);
    await store.close();
  });

  test('case 8: remove whose unlink fails resolves true; gc deletes the file later; no resurrection', async () => {
    const dir = await storeWith(2);
    const store = await ModelCache.open({ dir });
    const file = store.list().find((m) => m.id === 'm0')!.path;
    const unlink = fsp.unlink;
    const undo = inject(fsp, 'unlink', (async (path: fs.PathLike) => {
      if (String(path) === file) throw errno('EACCES');
      return unlink(path);
    }) as typeof fsp.unlink);
    let removed: boolean;
    try {
      removed = await store.remove('m0');
    } finally {
      undo();
    }
    assert.equal(removed, true);
    assert.equal(store.has('m0'), false);
    assert.ok(existsSync(file), 'the unlink failed');
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(
      reopened.list().map((m) => m.id),
      ['m1'],
      'not resurrected',
    );
    assert.equal(existsSync(file), false, 'the leftover was deleted');
    await reopened.close();
  });

  test('case 8: an add whose journal append failed leaves no trace in has, get or list', async () => {
    const dir = await storeWith(1);
    const store = await ModelCache.open({ dir });
    const journalFds = new Set<number>();
    const { openSync, writeSync } = fs;
    const undoOpen = inject(fs, 'openSync', ((path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      const fd = openSync(path, flags as fs.OpenMode, mode);
      if (String(path) === join(dir, 'journal') && flags === 'a') journalFds.add(fd);
      return fd;
    }) as typeof fs.openSync);
    const undoWrite = inject(fs, 'writeSync', ((fd: number, ...rest: unknown[]) => {
      if (journalFds.has(fd)) throw errno('ENOSPC');
      return (writeSync as (fd: number, ...args: unknown[]) => number)(fd, ...rest);
    }) as typeof fs.writeSync);
    try {
      await assert.rejects(store.add('x', source('x').path), /ENOSPC/);
    } finally {
      undoWrite();
      undoOpen();
    }
    assert.equal(store.has('x'), false);
    assert.equal(store.get('x'), undefined);
    assert.deepEqual(
      store.list().map((m) => m.id),
      ['m0'],
    );
    await store.add('y', source('y').path);
    await store.close();
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(
      reopened
        .list()
        .map((m) => m.id)
        .sort(),
      ['m0', 'y'],
    );
    assert.equal(modelFiles(dir).length, 2, "the failed add's file is gone");
    await reopened.close();
  });

  test(
    'case 9: a read-only mount can be listed, verified and asked for paths',
    { skip: !asRoot && NOT_ROOT },
    async () => {
      const mount = tmpfs('4m');
      const dir = join(mount, 'store');
      let store = await ModelCache.open({ dir });
      for (let i = 0; i < 3; i++) await store.add(`m${i}`, source(`m${i}`).path);
      await store.close();
      execFileSync('mount', ['-o', 'remount,ro', mount]);
      try {
        store = await ModelCache.open({ dir, ...quiet });
        assert.equal(store.stats().readOnly, true);
        assert.equal(store.stats().count, 3);
        assert.deepEqual(
          store
            .list()
            .map((m) => m.id)
            .sort(),
          ['m0', 'm1', 'm2'],
        );
        assert.ok(store.get('m1')?.path);
        assert.equal((await store.verify()).valid.length, 3);
        await assert.rejects(store.add('x', source('x').path), (e: Error) => e instanceof caro.StoreReadOnlyError);
        await assert.rejects(store.remove('m0'), (e: Error) => e instanceof caro.StoreReadOnlyError);
        await store.close();
        const ls = await caroCache(['--dir', dir, 'ls']);
        assert.equal(ls.status, 0, ls.stderr);
        assert.match(ls.stdout, /^3 models/m);
      } finally {
        execFileSync('mount', ['-o', 'remount,rw', mount]);
      }
    },
  );

  test('case 9: a reader lists the models of a lost journal from their sidecars, and changes nothing', async () => {
    const dir = await storeWith(3);
    const journal = join(dir, 'journal');
    rmSync(journal);
    const [damaged] = modelFiles(dir);
    truncateSync(join(dir, 'models', damaged), 10);
    const before = readdirSync(join(dir, 'models')).sort();
    const warnings: string[] = [];
    const reader = await ModelCache.open({ dir, readOnly: true, onWarning: (w) => warnings.push(w) });
    assert.equal(reader.stats().count, 2, 'the two whole models are listed; the truncated one is not');
    for (const model of reader.list()) assert.ok(existsSync(reader.get(model.id)!.path));
    assert.match(warnings.join('\n'), /2 models .* no journal record; read-only, listed from their sidecars/);
    assert.equal((await reader.verify()).valid.length, 2);
    await reader.close();
    assert.ok(!existsSync(journal), 'a reader writes no journal');
    assert.deepEqual(readdirSync(join(dir, 'models')).sort(), before, 'a reader moves nothing');
    const writer = await ModelCache.open({ dir, ...quiet });
    assert.equal(writer.stats().count, 2, "a writer's open re-adopts them for good");
    assert.equal(writer.stats().quarantined, 1, 'and quarantines the truncated one');
    await writer.close();
  });

  test('case 10: ls escapes control characters: an id with a newline cannot forge a line', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await store.add('evil\nforged  1 B  2020-01-01 00:00:00Z  000000000000\x1b[2J', source('evil').path);
    await store.close();
    const ls = await caroCache(['--dir', dir, 'ls']);
    assert.equal(ls.status, 0, ls.stderr);
    const lines = ls.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, ls.stdout);
    assert.ok(lines[1].startsWith('evil\\u000aforged'), lines[1]);
    assert.ok(!ls.stdout.includes('\x1b'));
  });
});
