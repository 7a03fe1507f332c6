// Issue 15's network cases against hostile loopback servers: a disk that
// fills up mid-download (a real tmpfs, as root), a 206 of another version
// than If-Range named, bodies of another length than announced, bodies
// encoded although identity was asked for, Retry-After, and fetch's signal,
// deadline and idle timeout.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { DiskError, DownloadError, ModelCache } from 'caro-cache';
// download() itself, for the options fetch does not take; its errors are this module's classes.
import { download, DownloadError as RawDownloadError } from '../src/store/download.js';
import { serveLoopback } from './loopback.js';

const root = mkdtempSync(join(tmpdir(), 'caro-fault-network-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `store-${dirs++}`);

function body(seed: string, bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < data.length; i += block.length) {
    block.copy(data, i);
    block = createHash('sha256').update(block).digest();
  }
  return data;
}
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

const BODY = body('v1', 600 * 1024 + 123);
const OTHER = body('v2', BODY.length);
const BIG = body('big', 2 ** 20);
const CUT = 200 * 1024;

/** Per path: each request's Range header, when it came, and whether its answer was cut off by the client. */
const log = new Map<string, { range?: string; at: number; closedEarly?: boolean }[]>();
const seen = (path: string) => log.get(path) ?? [];
const ranges = (path: string) => seen(path).map((r) => r.range);
/** Where a `Range: bytes=N-` asked to start. */
const startOf = (range: string | undefined) => Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1] ?? 0);

/** Answers a Range request for BODY with a proper 206 naming "v1", anything else with the whole of it. */
function send(req: IncomingMessage, res: ServerResponse): void {
  const start = startOf(req.headers.range);
  if (start > 0) {
    res.writeHead(206, {
      'content-length': BODY.length - start,
      'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}`,
      etag: '"v1"',
    });
    return void res.end(BODY.subarray(start));
  }
  res.writeHead(200, { 'content-length': BODY.length, etag: '"v1"' });
  res.end(BODY);
}

/** The first CUT bytes of `data` as a 200 with these headers, then the connection drops (the client may get fewer). */
function dropAfterCut(res: ServerResponse, data: Buffer, headers: Record<string, string | number>): void {
  res.writeHead(200, headers);
  res.write(data.subarray(0, CUT), () => setTimeout(() => res.socket?.destroy(), 20));
}

const GZIP = gzipSync(BODY);

const base = await serveLoopback((req, res) => {
  const path = new URL(req.url!, 'http://x').pathname;
  const entry: { range?: string; at: number; closedEarly?: boolean } = { range: req.headers.range, at: Date.now() };
  log.set(path, [...seen(path), entry]);
  res.on('close', () => (entry.closedEarly = !res.writableFinished));
  const n = seen(path).length;
  switch (path) {
    case '/big':
      res.writeHead(200, { 'content-length': BIG.length, etag: '"big"' });
      return res.end(BIG);
    case '/big-chunked':
      res.writeHead(200, { etag: '"big"' });
      return res.end(BIG);
    // A server that ignores If-Range: its 206 is of a version other than the one asked for.
    case '/range-of-other-etag':
    case '/range-without-validator':
    case '/range-of-other-date': {
      const dated = path === '/range-of-other-date';
      const first: Record<string, string> = dated
        ? { 'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT' }
        : { etag: '"v1"' };
      const now: Record<string, string> = dated
        ? { 'last-modified': 'Wed, 02 Dec 2026 10:00:00 GMT' }
        : { etag: '"v2"' };
      if (n === 1) return dropAfterCut(res, BODY, { 'content-length': BODY.length, ...first });
      const start = startOf(req.headers.range);
      if (start > 0) {
        res.writeHead(206, {
          'content-length': OTHER.length - start,
          'content-range': `bytes ${start}-${OTHER.length - 1}/${OTHER.length}`,
          ...(path === '/range-without-validator' ? {} : now),
        });
        return res.end(OTHER.subarray(start));
      }
      res.writeHead(200, { 'content-length': OTHER.length, ...now });
      return res.end(OTHER);
    }
    case '/short-range':
      // The first answer names no length; the 206 announces the rest of the file but ends after 100 KiB.
      if (n === 1) return dropAfterCut(res, BODY, { etag: '"v1"' });
      if (n === 2) {
        const start = startOf(req.headers.range);
        res.writeHead(206, { 'content-range': `bytes ${start}-${BODY.length - 1}/*`, etag: '"v1"' });
        return res.end(BODY.subarray(start, start + 100 * 1024));
      }
      return send(req, res);
    case '/long-range':
      // The 206 announces the rest of the file and sends 1000 bytes more.
      if (n === 1) return dropAfterCut(res, BODY, { 'content-length': BODY.length, etag: '"v1"' });
      if (n === 2) {
        const start = startOf(req.headers.range);
        res.writeHead(206, { 'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}`, etag: '"v1"' });
        return res.end(Buffer.concat([BODY.subarray(start), Buffer.alloc(1000, 'x')]));
      }
      res.writeHead(200, { 'content-length': BODY.length, etag: '"v1"' });
      return res.end(BODY);
    case '/gzip':
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': GZIP.length, etag: '"v1"' });
      return res.end(GZIP);
    case '/gzip-drop-once':
      if (n === 1) {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': GZIP.length, etag: '"v1"' });
        return void res.write(GZIP.subarray(0, GZIP.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
      }
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': GZIP.length, etag: '"v1"' });
      return res.end(GZIP);
    case '/br': {
      const encoded = brotliCompressSync(BODY);
      res.writeHead(200, { 'content-encoding': 'br', 'content-length': encoded.length });
      return res.end(encoded);
    }
    case '/deflate': {
      const encoded = deflateSync(BODY);
      res.writeHead(200, { 'content-encoding': 'deflate', 'content-length': encoded.length });
      return res.end(encoded);
    }
    case '/zstd':
      res.writeHead(200, { 'content-encoding': 'zstd', 'content-length': 1000 });
      return res.end(Buffer.alloc(1000, 'z'));
    case '/retry-after-seconds':
      if (n === 1) {
        res.writeHead(503, { 'retry-after': '1' });
        return res.end();
      }
      return send(req, res);
    case '/retry-after-date':
      if (n === 1) {
        res.writeHead(429, { 'retry-after': new Date(Date.now() + 2000).toUTCString() });
        return res.end();
      }
      return send(req, res);
    case '/retry-after-an-hour':
      res.writeHead(503, { 'retry-after': '3600' });
      return res.end();
    case '/hang':
      res.writeHead(200, { 'content-length': BODY.length });
      return void res.write(BODY.subarray(0, 1024));
    case '/slow-shared':
      res.writeHead(200, { 'content-length': BODY.length });
      res.write(BODY.subarray(0, 1000));
      return void setTimeout(() => res.end(BODY.subarray(1000)), 300);
    case '/trickle': {
      // 1 KiB every 20 ms: never idle, never done.
      res.writeHead(200, { 'content-length': BODY.length, etag: '"v1"' });
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(BODY.subarray(at, (at += 1024)));
      }, 20);
      return;
    }
    case '/stall-once':
      if (n === 1) {
        res.writeHead(200, { 'content-length': BODY.length, etag: '"v1"' });
        return void res.write(BODY.subarray(0, CUT));
      }
      return send(req, res);
    case '/stall':
      res.writeHead(200, { 'content-length': BODY.length, etag: '"v1"' });
      return void res.write(BODY.subarray(0, CUT));
    default:
      return send(req, res);
  }
});

/** Rejects if `promise` has not settled after `ms`: a test of something that used to hang fails instead. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const tmpFiles = (dir: string) => readdirSync(join(dir, 'tmp'));
// The models' own files, without the sidecar records beside them.
const modelFiles = (dir: string) => readdirSync(join(dir, 'models')).filter((name) => !name.endsWith('.meta.json'));
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
};

describe('a full disk during a download', () => {
  const notRoot = process.getuid?.() !== 0;
  const mounted: string[] = [];
  after(() => {
    for (const dir of mounted) execFileSync('umount', [dir]);
  });

  test(
    'ENOSPC: one attempt, a DiskError naming the id and the bytes, no partial left, the models there intact, the store usable after',
    { skip: notRoot && 'needs root to mount a 256 KiB tmpfs' },
    async () => {
      const dir = freshDir();
      mkdirSync(dir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
      mounted.push(dir);
      const store = await ModelCache.open({ dir });
      const file = (name: string) => {
        const path = join(root, name);
        writeFileSync(path, body(name, 10 * 1024));
        return path;
      };
      await store.add('before', file('before'));
      for (const [path, bytesNeeded] of [
        ['/big', BIG.length],
        ['/big-chunked', undefined],
      ] as const) {
        await assert.rejects(store.fetch('org/big.gguf', `${base}${path}`), (e: DiskError) => {
          assert.ok(e instanceof DiskError, String(e));
          assert.equal(e.code, 'ENOSPC');
          assert.equal(e.id, 'org/big.gguf');
          assert.equal(e.bytesNeeded, bytesNeeded);
          // A known length the disk has no room for is refused before the first byte (the free-space check).
          if (bytesNeeded === undefined)
            assert.ok(e.bytesWritten > 0 && e.bytesWritten < BIG.length, `${e.bytesWritten} bytes written`);
          else assert.equal(e.bytesWritten, 0);
          assert.match(e.message, /"org\/big\.gguf"/);
          if (bytesNeeded !== undefined) assert.match(e.message, new RegExp(`needs ${bytesNeeded} bytes`));
          return true;
        });
        assert.equal(seen(path).length, 1, `${path}: a full disk is not retried`);
        assert.deepEqual(tmpFiles(dir), [], `${path}: the partial and its record are gone`);
      }
      const { valid, corrupted, missing } = await store.verify();
      assert.deepEqual({ valid, corrupted, missing }, { valid: ['before'], corrupted: [], missing: [] });
      await store.add('after', file('after'));
      await store.close();
      const reopened = await ModelCache.open({ dir });
      assert.deepEqual(
        reopened
          .list()
          .map((m) => m.id)
          .sort(),
        ['after', 'before'],
      );
      assert.equal(modelFiles(dir).length, 2);
      await reopened.close();
    },
  );
});

describe('a 206 of another version than If-Range named', () => {
  for (const [path, what] of [
    ['/range-of-other-etag', 'another ETag'],
    ['/range-without-validator', 'no validator'],
    ['/range-of-other-date', 'another Last-Modified'],
  ]) {
    test(`with ${what}: the partial is dropped and the download starts over, never spliced`, async () => {
      const dir = freshDir();
      const store = await ModelCache.open({ dir });
      const model = await store.fetch('m', `${base}${path}`);
      assert.equal(model.sha256, sha256(OTHER), 'the new version, whole');
      assert.deepEqual(readFileSync(model.path), OTHER);
      const [first, resumed, last] = ranges(path);
      assert.ok(first === undefined && startOf(resumed) > 0 && last === undefined, `requests: ${ranges(path)}`);
      assert.equal(seen(path).length, 3);
      assert.deepEqual(tmpFiles(dir), []);
      await store.close();
    });
  }
});

describe('a body of another length than announced', () => {
  test('shorter than its Content-Range: the rest is asked for again, the short body is never the model', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const model = await store.fetch('m', `${base}/short-range`);
    assert.equal(model.bytes, BODY.length);
    assert.deepEqual(readFileSync(model.path), BODY);
    const [first, resumed, rest] = ranges('/short-range');
    assert.equal(first, undefined);
    assert.ok(startOf(resumed) > 0, `resumed with ${resumed}`);
    assert.equal(startOf(rest), startOf(resumed) + 100 * 1024, 'asked again for what the short 206 left out');
    assert.equal(seen('/short-range').length, 3);
    await store.close();
  });

  test('longer than its Content-Range: an error, not retried, nothing stored or left behind', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await assert.rejects(
      store.fetch('m', `${base}/long-range`),
      (e: Error) => e instanceof DownloadError && e.message.includes(`${base}/long-range`) && /longer/.test(e.message),
    );
    assert.equal(seen('/long-range').length, 2);
    assert.equal(store.has('m'), false);
    assert.deepEqual(tmpFiles(dir), []);
    assert.deepEqual(modelFiles(dir), []);
    await store.close();
  });
});

describe('a body encoded although identity was asked for', () => {
  for (const path of ['/gzip', '/br', '/deflate']) {
    test(`${path.slice(1)}: decoded, the model stored as it is`, async () => {
      const dir = freshDir();
      const store = await ModelCache.open({ dir });
      const model = await store.fetch('m', `${base}${path}`, { sha256: sha256(BODY) });
      assert.equal(model.bytes, BODY.length);
      assert.deepEqual(readFileSync(model.path), BODY);
      await store.close();
    });
  }

  test('an encoded transfer cut off starts over: encoded ranges are never joined to decoded bytes', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const model = await store.fetch('m', `${base}/gzip-drop-once`);
    assert.deepEqual(readFileSync(model.path), BODY);
    assert.deepEqual(ranges('/gzip-drop-once'), [undefined, undefined]);
    await store.close();
  });

  test('an encoding it cannot decode is refused at once, naming it; nothing is stored', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await assert.rejects(
      store.fetch('m', `${base}/zstd`),
      (e: Error) => e instanceof DownloadError && /Content-Encoding "zstd"/.test(e.message),
    );
    assert.equal(seen('/zstd').length, 1);
    assert.equal(store.has('m'), false);
    assert.deepEqual(tmpFiles(dir), []);
    await store.close();
  });
});

describe('Retry-After', () => {
  for (const [path, status] of [
    ['/retry-after-seconds', '503 with delay-seconds'],
    ['/retry-after-date', '429 with an HTTP date'],
  ]) {
    test(`${status}: the next attempt waits as long as asked`, async () => {
      const dir = freshDir();
      const store = await ModelCache.open({ dir });
      const model = await store.fetch('m', `${base}${path}`);
      assert.deepEqual(readFileSync(model.path), BODY);
      const [first, second] = seen(path);
      // Asked for 1 s (an HTTP date: 1 to 2 s, its seconds truncated); the default backoff is 200 ms.
      assert.ok(second.at - first.at >= 900, `retried after ${second.at - first.at} ms`);
      await store.close();
    });
  }

  test('a wait longer than maxRetryAfterMs fails at once, saying so', async () => {
    const dest = join(root, 'an-hour.download');
    await assert.rejects(
      within(download(`${base}/retry-after-an-hour`, dest, { maxRetryAfterMs: 1000 }), 5000, 'download'),
      (e: RawDownloadError) => {
        assert.ok(e instanceof RawDownloadError, String(e));
        assert.equal(e.status, 503);
        assert.match(e.message, /retry after 3600 s, longer than maxRetryAfterMs \(1000 ms\)/);
        return true;
      },
    );
    assert.equal(seen('/retry-after-an-hour').length, 1);
  });
});

describe('fetch: signal, deadline, idle timeout', () => {
  test('an abort rejects at once with the signal’s reason and stops the download', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const controller = new AbortController();
    const pending = store.fetch('m', `${base}/hang`, { signal: controller.signal });
    await until(() => seen('/hang').length > 0);
    const reason = new Error('the user changed their mind');
    controller.abort(reason);
    await assert.rejects(within(pending, 5000, 'fetch'), (e) => e === reason);
    await within(
      until(() => seen('/hang')[0].closedEarly === true),
      5000,
      'the connection',
    );
    await store.close();
    assert.deepEqual(tmpFiles(dir), [], 'a download with no validator cannot be resumed: nothing kept');
  });

  test('an aborted signal rejects before any request; other options are checked', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const before = seen('/never').length;
    await assert.rejects(
      store.fetch('m', `${base}/never`, { signal: AbortSignal.abort() }),
      (e: Error) => e.name === 'AbortError',
    );
    assert.equal(seen('/never').length, before);
    await assert.rejects(store.fetch('m', `${base}/never`, { signal: 'stop' as never }), TypeError);
    for (const deadlineMs of [0, -1, 1.5, 2 ** 31]) {
      await assert.rejects(store.fetch('m', `${base}/never`, { deadlineMs }), RangeError);
    }
    await assert.rejects(store.fetch('m', `${base}/never`, { idleTimeoutMs: '1s' as never }), TypeError);
    assert.equal(seen('/never').length, before, 'bad options change nothing');
    assert.equal(store.has('m'), false);
    await store.close();
  });

  test('one of two callers sharing a download gives up: it rejects, the other gets the model from the one download', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const controller = new AbortController();
    const leaving = store.fetch('m', `${base}/slow-shared`, { signal: controller.signal });
    const staying = store.fetch('m', `${base}/slow-shared`);
    await until(() => seen('/slow-shared').length > 0);
    controller.abort();
    await assert.rejects(within(leaving, 5000, 'the abandoned fetch'), (e: Error) => e.name === 'AbortError');
    assert.deepEqual(readFileSync((await staying).path), BODY);
    assert.equal(seen('/slow-shared').length, 1);
    await store.close();
  });

  test('deadlineMs ends a trickle that never goes idle; its bytes are kept to resume', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await assert.rejects(
      within(store.fetch('m', `${base}/trickle`, { deadlineMs: 300 }), 5000, 'fetch'),
      (e: Error) => e instanceof DownloadError && /deadlineMs \(300 ms\)/.test(e.message),
    );
    await within(
      until(() => seen('/trickle')[0].closedEarly === true),
      5000,
      'the connection',
    );
    await store.close();
    assert.equal(tmpFiles(dir).length, 2, 'the partial and its record');
  });

  test('idleTimeoutMs: a server that stalls after its headers is dropped and the download resumed', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    // 1 s, not less: a machine under load may pause that long between two chunks of a healthy answer.
    const model = await within(store.fetch('m', `${base}/stall-once`, { idleTimeoutMs: 1000 }), 5000, 'fetch');
    assert.deepEqual(readFileSync(model.path), BODY);
    assert.equal(ranges('/stall-once')[0], undefined);
    assert.ok(startOf(ranges('/stall-once')[1]) > 0, `resumed with ${ranges('/stall-once')[1]}`);
    await store.close();
    await assert.rejects(
      within(
        download(`${base}/stall`, join(root, 'stall.download'), { attempts: 1, idleTimeoutMs: 100 }),
        5000,
        'download',
      ),
      /no data for 100 ms \(idleTimeoutMs\)/,
    );
  });
});
