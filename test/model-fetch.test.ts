// ModelCache.fetch against a local HTTP server on 127.0.0.1: resuming with
// Range after a dropped connection, one download for concurrent fetches,
// redirects, servers that ignore Range, errors that name the URL and status,
// integrity checks, and nothing left behind by a failure.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DownloadError, ModelCache } from 'caro-cache';
import { download, type PartialDownload } from '../src/store/download.js';
import { serveLoopback } from './loopback.js';

const root = mkdtempSync(join(tmpdir(), 'caro-fetch-'));
let dirs = 0;
const freshDir = () => join(root, `store-${dirs++}`);

const BODY = (() => {
  const data = Buffer.alloc(600 * 1024 + 123);
  let block = createHash('sha256').update('model').digest();
  for (let i = 0; i < data.length; i += block.length) {
    block.copy(data, i);
    block = createHash('sha256').update(block).digest();
  }
  return data;
})();
const SHA = createHash('sha256').update(BODY).digest('hex');

/** Requests per path, and the Range header of each. */
const requests = new Map<string, (string | undefined)[]>();
const seen = (path: string) => requests.get(path) ?? [];

/** Sends BODY, honouring `Range: bytes=N-` unless told not to. */
function send(req: IncomingMessage, res: ServerResponse, honourRange = true): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range !== null && honourRange) {
    const start = Number(range[1]);
    res.writeHead(206, {
      'content-length': BODY.length - start,
      'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}`,
      etag: '"v1"',
    });
    res.end(BODY.subarray(start));
  } else {
    res.writeHead(200, { 'content-length': BODY.length, etag: '"v1"' });
    res.end(BODY);
  }
}

/** Sends the headers and the first part of the body, then drops the connection. */
function dropMidBody(res: ServerResponse): void {
  res.writeHead(200, { 'content-length': BODY.length, etag: '"v1"' });
  res.write(BODY.subarray(0, 200 * 1024), () => setTimeout(() => res.socket?.destroy(), 20));
}

const base = await serveLoopback((req, res) => {
  const path = new URL(req.url!, 'http://x').pathname;
  requests.set(path, [...seen(path), req.headers.range]);
  const n = seen(path).length;
  switch (path) {
    case '/drop-once':
      return n === 1 ? dropMidBody(res) : send(req, res);
    case '/drop-once-no-range':
      return n === 1 ? dropMidBody(res) : send(req, res, false);
    case '/drop-once-no-validator':
      if (n === 1) {
        res.writeHead(200, { 'content-length': BODY.length });
        return void res.write(BODY.subarray(0, 200 * 1024), () => setTimeout(() => res.socket?.destroy(), 20));
      }
      return send(req, res);
    case '/drop-once-then-changed': {
      if (n === 1) return dropMidBody(res);
      // The resource changed under the same ETag: another total betrays it.
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const other = BODY.subarray(0, BODY.length - 1000);
      if (start > 0) {
        res.writeHead(206, {
          'content-range': `bytes ${start}-${other.length - 1}/${other.length}`,
          'content-length': other.length - start,
          etag: '"v1"',
        });
        return res.end(other.subarray(start));
      }
      res.writeHead(200, { 'content-length': other.length, etag: '"v1"' });
      return res.end(other);
    }
    case '/redirect':
      res.writeHead(302, { location: '/model-via-redirect' });
      return res.end();
    case '/loop':
      res.writeHead(307, { location: '/loop' });
      return res.end();
    case '/missing':
      res.writeHead(404, 'Not Found');
      return res.end('no such model');
    case '/broken':
      res.writeHead(500);
      return res.end();
    case '/drops-five-times': {
      // Every answer of the first five sends 100 KiB from where it was asked to start, then drops.
      if (n > 5) return send(req, res);
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(start > 0 ? 206 : 200, {
        'content-length': BODY.length - start,
        etag: '"v1"',
        ...(start > 0 && { 'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}` }),
      });
      return void res.write(BODY.subarray(start, start + 100 * 1024), () =>
        setTimeout(() => res.socket?.destroy(), 20),
      );
    }
    case '/changed':
      // A new version: If-Range no longer matches, so the whole body comes back.
      res.writeHead(200, { 'content-length': BODY.length, etag: '"v2"' });
      return res.end(BODY);
    case '/stall-once':
    case '/stall-old':
      if (n === 1) {
        res.writeHead(200, { 'content-length': BODY.length, etag: '"v1"' });
        return void res.write(BODY.subarray(0, 200 * 1024));
      }
      return send(req, res);
    case '/hang':
      res.writeHead(200, { 'content-length': BODY.length });
      return void res.write(BODY.subarray(0, 1024));
    case '/chunked':
      res.writeHead(200);
      res.write(BODY.subarray(0, 1000));
      return res.end(BODY.subarray(1000));
    default:
      if (path.startsWith('/slow')) {
        // Slow enough that concurrent fetches overlap for sure.
        res.writeHead(200, { 'content-length': BODY.length });
        res.write(BODY.subarray(0, 1000));
        return void setTimeout(() => res.end(BODY.subarray(1000)), 100);
      }
      return send(req, res);
  }
});

after(() => rmSync(root, { recursive: true, force: true }));

const leftovers = (dir: string) => readdirSync(join(dir, 'tmp'));

describe('ModelCache.fetch', () => {
  test('downloads on a miss, verifies and adds; a hit makes no request', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const progress: [number, number | undefined][] = [];
    const model = await store.fetch('org/model.gguf', `${base}/plain`, {
      sha256: SHA,
      onProgress: (done, total) => progress.push([done, total]),
    });
    assert.equal(model.sha256, SHA);
    assert.equal(model.bytes, BODY.length);
    assert.deepEqual(readFileSync(model.path), BODY);
    assert.deepEqual(seen('/plain'), [undefined]);
    assert.ok(progress.length > 1);
    assert.deepEqual(progress.at(-1), [BODY.length, BODY.length]);
    assert.ok(
      progress.every(([done], i) => i === 0 || done > progress[i - 1][0]),
      'progress only grows',
    );
    const hit = await store.fetch('org/model.gguf', `${base}/plain`);
    assert.equal(hit.path, model.path);
    assert.equal(seen('/plain').length, 1);
    assert.deepEqual(store.stats().hits, 1);
    assert.deepEqual(leftovers(dir), []);
    await store.close();
  });

  test('a connection dropped mid-body is resumed with a Range request', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const model = await store.fetch('m', `${base}/drop-once`, { sha256: SHA });
    assert.deepEqual(readFileSync(model.path), BODY);
    const ranges = seen('/drop-once');
    assert.equal(ranges.length, 2, 'one resumed request');
    assert.equal(ranges[0], undefined);
    const start = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
    assert.ok(start > 0 && start <= 200 * 1024, `resumed at ${ranges[1]}`);
    assert.deepEqual(leftovers(dir), []);
    await store.close();
  });

  test('a server that answers a Range request with 200 is read again from the start', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const model = await store.fetch('m', `${base}/drop-once-no-range`, { sha256: SHA });
    assert.deepEqual(readFileSync(model.path), BODY);
    assert.equal(seen('/drop-once-no-range').length, 2);
    await store.close();
  });

  test('without an ETag or Last-Modified an interrupted transfer starts over, never splicing versions', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const model = await store.fetch('m', `${base}/drop-once-no-validator`, { sha256: SHA });
    assert.deepEqual(readFileSync(model.path), BODY);
    assert.deepEqual(seen('/drop-once-no-validator'), [undefined, undefined], 'no Range without If-Range');
    await store.close();
  });

  test('a resumed answer with another total starts over from the first byte', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const model = await store.fetch('m', `${base}/drop-once-then-changed`);
    assert.deepEqual(readFileSync(model.path), BODY.subarray(0, BODY.length - 1000));
    const ranges = seen('/drop-once-then-changed');
    assert.equal(ranges.length, 3);
    assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
    assert.equal(ranges[2], undefined);
    await store.close();
  });

  test("concurrent fetches share a download only if they expect the same content: one caller's wrong SHA-256 fails no other", async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const [wrong, right, any] = await Promise.allSettled([
      store.fetch('m', `${base}/slow-expect`, { sha256: '0'.repeat(64) }),
      store.fetch('m', `${base}/slow-expect`, { sha256: SHA }),
      store.fetch('m', `${base}/slow-expect`),
    ]);
    assert.equal(wrong.status, 'rejected');
    assert.match(String((wrong as PromiseRejectedResult).reason), /SHA-256/);
    assert.equal(right.status, 'fulfilled');
    assert.equal(any.status, 'fulfilled');
    assert.equal(store.get('m')?.sha256, SHA);
    assert.equal(seen('/slow-expect').length, 2, 'the wrong expectation downloaded once; the others shared one');
    await store.close();
  });

  test('a remove called after a fetch takes effect after it', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const fetched = store.fetch('m', `${base}/slow-order`);
    assert.equal(await store.remove('m'), true);
    assert.equal((await fetched).sha256, SHA);
    assert.equal(store.has('m'), false);
    await store.close();
  });

  test('concurrent fetches of one id share one download', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const calls: number[] = [];
    const models = await Promise.all(
      [0, 1, 2, 3].map((i) => store.fetch('shared', `${base}/slow-shared`, { onProgress: () => calls.push(i) })),
    );
    assert.equal(seen('/slow-shared').length, 1);
    assert.ok(models.every((m) => m.path === models[0].path && m.sha256 === SHA));
    assert.deepEqual(new Set(calls), new Set([0, 1, 2, 3]), 'every caller hears the progress');
    assert.equal(store.stats().count, 1);
    await store.close();
  });

  test('a fetch another store object already completed is not downloaded again', async () => {
    const dir = freshDir();
    const one = await ModelCache.open({ dir });
    const two = await ModelCache.open({ dir });
    await one.fetch('m', `${base}/slow-other`);
    const model = await two.fetch('m', `${base}/slow-other`);
    assert.equal(model.sha256, SHA);
    assert.equal(seen('/slow-other').length, 1);
    await Promise.all([one.close(), two.close()]);
  });

  test('redirects are followed; too many are an error naming the URL', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    assert.equal((await store.fetch('r', `${base}/redirect`)).sha256, SHA);
    assert.equal(seen('/model-via-redirect').length, 1);
    await assert.rejects(
      store.fetch('loop', `${base}/loop`),
      (e: Error) => e instanceof DownloadError && e.message.includes(`${base}/loop`) && /redirects/.test(e.message),
    );
    assert.deepEqual(leftovers(dir), []);
    await store.close();
  });

  test('an HTTP error names the URL and the status and leaves nothing behind', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await assert.rejects(store.fetch('m', `${base}/missing`), (e: DownloadError) => {
      assert.ok(e instanceof DownloadError);
      assert.equal(e.status, 404);
      assert.match(e.message, new RegExp(`${base}/missing.*HTTP 404 Not Found`));
      return true;
    });
    assert.equal(seen('/missing').length, 1, 'a 404 is not retried');
    await assert.rejects(store.fetch('m', `${base}/broken`), /HTTP 500.*after 5 attempts/);
    assert.equal(seen('/broken').length, 5, 'a 500 is retried');
    await assert.rejects(store.fetch('m', 'http://127.0.0.1:1/refused'), (e: Error) =>
      e.message.includes('http://127.0.0.1:1/refused'),
    );
    assert.equal(store.has('m'), false);
    assert.deepEqual(leftovers(dir), []);
    assert.deepEqual(readdirSync(join(dir, 'models')), []);
    await store.close();
  });

  test('a download whose SHA-256 does not match is refused and removed', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const wrong = 'e'.repeat(64);
    await assert.rejects(
      store.fetch('m', `${base}/plain-mismatch`, { sha256: wrong }),
      (e: Error) => e.message.includes(`${base}/plain-mismatch`) && e.message.includes(wrong),
    );
    assert.equal(store.has('m'), false);
    assert.deepEqual(leftovers(dir), []);
    assert.deepEqual(readdirSync(join(dir, 'models')), []);
    await store.close();
  });

  test('a model present with another SHA-256 than asked for is downloaded again', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await store.fetch('m', `${base}/chunked`, { sha256: SHA });
    await store.fetch('m', `${base}/chunked`, { sha256: SHA });
    assert.equal(seen('/chunked').length, 1);
    await assert.rejects(store.fetch('m', `${base}/chunked`, { sha256: 'a'.repeat(64) }), /SHA-256/);
    assert.equal(seen('/chunked').length, 2);
    assert.equal(store.get('m')?.sha256, SHA, 'the model present stays');
    await store.close();
  });

  test('a body larger than maxBytes is refused before it is downloaded', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir, maxBytes: 1024 });
    await assert.rejects(
      store.fetch('m', `${base}/plain-big`),
      (e: Error) => e instanceof RangeError && /maxBytes/.test(e.message),
    );
    assert.deepEqual(leftovers(dir), []);
    await store.close();
  });

  test('a download cut short by close is kept, and the next fetch of the id from that URL resumes it', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const pending = store.fetch('m', `${base}/stall-once`, { sha256: SHA });
    const partial = () => leftovers(dir).filter((n) => n.endsWith('.download'));
    while (!partial().some((n) => statSync(join(dir, 'tmp', n)).size === 200 * 1024))
      await new Promise((r) => setTimeout(r, 5));
    await store.close();
    await assert.rejects(pending, /closed/);
    assert.equal(leftovers(dir).length, 2, 'the bytes and their record');
    const reopened = await ModelCache.open({ dir });
    assert.equal(leftovers(dir).length, 2, 'open keeps a recent partial');
    const model = await reopened.fetch('m', `${base}/stall-once`, { sha256: SHA });
    assert.deepEqual(readFileSync(model.path), BODY);
    assert.deepEqual(seen('/stall-once'), [undefined, `bytes=${200 * 1024}-`]);
    assert.deepEqual(leftovers(dir), []);
    await reopened.close();
  });

  test('a network that fails every attempt keeps the partial; the next fetch resumes it', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    await assert.rejects(store.fetch('m', `${base}/drops-five-times`, { sha256: SHA }), /after 5 attempts/);
    assert.equal(leftovers(dir).length, 2, 'the bytes and their record');
    const model = await store.fetch('m', `${base}/drops-five-times`, { sha256: SHA });
    assert.deepEqual(readFileSync(model.path), BODY);
    assert.deepEqual(
      seen('/drops-five-times').slice(1),
      [1, 2, 3, 4, 5].map((k) => `bytes=${k * 100 * 1024}-`),
    );
    assert.deepEqual(leftovers(dir), []);
    await store.close();
  });

  test('a partial of an older version: its record is reset before the new version overwrites a byte', async () => {
    const dest = join(root, 'changed.download');
    writeFileSync(dest, Buffer.alloc(1000, 'old'));
    const records: PartialDownload[] = [];
    const sizes: number[] = [];
    const hashed = await download(`${base}/changed`, dest, {
      resume: { bytes: 1000, validator: '"v1"' },
      keepPartial: true,
      onDurable: (partial) => {
        records.push(partial);
        sizes.push(statSync(dest).size);
      },
    });
    assert.equal(hashed.sha256, SHA);
    assert.deepEqual(readFileSync(dest), BODY);
    assert.deepEqual(seen('/changed'), ['bytes=1000-']);
    assert.deepEqual(records[0], { bytes: 0, validator: '' });
    assert.equal(sizes[0], 1000, 'reset while the old bytes were still there');
    assert.deepEqual(records[1], { bytes: 0, validator: '"v2"', total: BODY.length });
  });

  test('open removes partial downloads left for more than a week', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const pending = store.fetch('m', `${base}/stall-old`);
    while (leftovers(dir).length < 2) await new Promise((r) => setTimeout(r, 5));
    await store.close();
    await assert.rejects(pending, /closed/);
    const old = (Date.now() - 8 * 24 * 3600 * 1000) / 1000;
    for (const name of leftovers(dir)) utimesSync(join(dir, 'tmp', name), old, old);
    const reopened = await ModelCache.open({ dir });
    assert.deepEqual(leftovers(dir), []);
    await reopened.close();
  });

  test('close cancels a download in progress; its temporary file goes', async () => {
    const dir = freshDir();
    const store = await ModelCache.open({ dir });
    const pending = store.fetch('m', `${base}/hang`);
    while (seen('/hang').length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    await store.close();
    await assert.rejects(
      pending,
      (e: Error) => e instanceof DownloadError && e.message.includes(`${base}/hang`) && /closed/.test(e.message),
    );
    assert.deepEqual(leftovers(dir), []);
  });
});
