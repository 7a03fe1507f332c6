// The journal's framing (length + CRC-32 per JSON line), torn and damaged
// tails, generations and rewrites; and the size parser the CLI uses.

import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { decodeRecords, encodeRecord, Journal } from '../src/store/journal.js';
import { foldRecords } from '../src/store/fold.js';
import { formatBytes, parseSize } from '../src/store/sizes.js';

const root = mkdtempSync(join(tmpdir(), 'caro-journal-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => {
  const dir = join(root, String(dirs++));
  rmSync(dir, { recursive: true, force: true });
  return mkdtempSync(`${dir}-`);
};

describe('journal framing', () => {
  test('CRC-32 is the IEEE one (zlib, PNG)', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.alloc(0)), 0);
  });

  test('records round-trip, whatever their ids hold', () => {
    const records = [
      { t: 'add', id: 'a\nb "c" \\ d', n: 1 },
      { t: 'rm', id: '\u00e9\u{1F600}\ud800' },
      { t: 'touch', ids: ['x', 'y'], at: [1, 2] },
    ];
    const bytes = Buffer.concat(records.map(encodeRecord));
    const decoded = decodeRecords(bytes);
    assert.deepEqual(decoded.records, records);
    assert.equal(decoded.end, bytes.length);
    assert.equal(decoded.skipped, 0);
  });

  test('a tail torn at any byte is left out, and where the intact data ends is exact', () => {
    const first = encodeRecord({ t: 'add', id: 'one' });
    const second = encodeRecord({ t: 'add', id: 'two', pad: 'x'.repeat(40) });
    for (let cut = 0; cut < second.length; cut++) {
      const decoded = decodeRecords(Buffer.concat([first, second.subarray(0, cut)]));
      assert.deepEqual(decoded.records, [{ t: 'add', id: 'one' }], `cut at ${cut}`);
      assert.equal(decoded.end, first.length);
    }
  });

  test('a damaged line in the middle is skipped and counted; garbage never throws', () => {
    const lines = ['a', 'b', 'c'].map((id) => encodeRecord({ t: 'add', id }));
    const damaged = Buffer.from(lines[1]);
    damaged[damaged.length - 5] ^= 0x01; // inside the JSON: the CRC no longer matches
    const decoded = decodeRecords(Buffer.concat([lines[0], damaged, lines[2]]));
    assert.deepEqual(
      decoded.records.map((r) => r.id),
      ['a', 'c'],
    );
    assert.equal(decoded.skipped, 1);
    for (const garbage of [
      '\n\n\n',
      '12 00000000 {}\n',
      '2 00000000 []\n',
      '\0\0\0\0\n',
      'x'.repeat(100),
      '9999999999 12345678 {}\n',
    ]) {
      assert.deepEqual(decodeRecords(Buffer.from(garbage)).records, [], JSON.stringify(garbage));
    }
    // A valid frame around JSON that is not a record object is not a record.
    const array = Buffer.from('[1]');
    assert.deepEqual(decodeRecords(Buffer.from(`3 ${crc32(array).toString(16).padStart(8, '0')} [1]\n`)).records, []);
  });
});

describe('Journal', () => {
  test('the first read creates it with a header; appends are read by another reader from its offset', async () => {
    const dir = freshDir();
    const path = join(dir, 'journal');
    const writer = new Journal(path);
    assert.deepEqual(await writer.read(), { reset: true, records: [], skipped: 0, truncated: 0 });
    const reader = new Journal(path);
    assert.equal((await reader.read()).reset, true);
    await writer.append([{ t: 'add', id: 'a' }], true);
    await writer.append(
      [
        { t: 'rm', id: 'a' },
        { t: 'add', id: 'b' },
      ],
      false,
    );
    const next = await reader.read();
    assert.equal(next.reset, false);
    assert.deepEqual(
      next.records.map((r) => r.t),
      ['add', 'rm', 'add'],
    );
    assert.deepEqual((await reader.read()).records, []);
    assert.equal(reader.records, 4);
    assert.equal(reader.size, readFileSync(path).length);
  });

  test('a torn tail is cut off under the lock, so the next append follows intact data', async () => {
    const dir = freshDir();
    const path = join(dir, 'journal');
    const journal = new Journal(path);
    await journal.read();
    await journal.append([{ t: 'add', id: 'a' }], true);
    const intact = readFileSync(path).length;
    appendFileSync(path, encodeRecord({ t: 'add', id: 'torn' }).subarray(0, 20));
    const fresh = new Journal(path);
    const read = await fresh.read();
    assert.deepEqual(
      read.records.map((r) => r.id),
      ['a'],
    );
    assert.equal(read.truncated, 20);
    assert.equal(readFileSync(path).length, intact);
    await fresh.append([{ t: 'add', id: 'b' }], true);
    assert.deepEqual(
      (await new Journal(path).read()).records.map((r) => r.id),
      ['a', 'b'],
    );
  });

  test('a rewrite starts a new generation: readers of the old one read everything again', async () => {
    const dir = freshDir();
    const path = join(dir, 'journal');
    const a = new Journal(path);
    const b = new Journal(path);
    await a.read();
    await a.append(
      [
        { t: 'add', id: 'x' },
        { t: 'rm', id: 'x' },
      ],
      true,
    );
    await b.read();
    await a.rewrite([{ t: 'add', id: 'y' }]);
    assert.deepEqual(readdirSync(dir), ['journal'], 'no temporary file is left');
    const read = await b.read();
    assert.equal(read.reset, true);
    assert.deepEqual(read.records, [{ t: 'add', id: 'y' }]);
  });

  test('a damaged header keeps the intact records under a new one', async () => {
    const dir = freshDir();
    const path = join(dir, 'journal');
    const journal = new Journal(path);
    await journal.read();
    await journal.append([{ t: 'add', id: 'kept' }], true);
    const bytes = readFileSync(path);
    bytes[5] ^= 0x20;
    writeFileSync(path, bytes);
    const read = await new Journal(path).read();
    assert.equal(read.reset, true);
    assert.deepEqual(
      read.records.map((r) => r.id),
      ['kept'],
    );
    assert.deepEqual(
      (await new Journal(path).read()).records.map((r) => r.id),
      ['kept'],
      'rewritten with a good header',
    );
  });

  test('a journal of a newer version is refused, not misread', async () => {
    const dir = freshDir();
    const path = join(dir, 'journal');
    writeFileSync(path, encodeRecord({ t: 'journal', v: 99, gen: 'future' }));
    await assert.rejects(new Journal(path).read(), /version 99 journal/);
  });
});

describe('journal fold', () => {
  const file = (n: number) => `${String(n).repeat(32)}-${'a'.repeat(16)}`;
  const add = (id: string, n: number, extra: Record<string, unknown> = {}) => ({
    t: 'add',
    id,
    file: file(n),
    bytes: 10,
    sha256: 'a'.repeat(64),
    addedAt: '2026-01-01T00:00:00.000Z',
    at: n,
    ...extra,
  });
  /** Known before the records: model k is file 9. */
  const known = (id: string) => (id === 'k' ? { file: file(9) } : undefined);
  const cases: [string, Record<string, unknown>[], boolean, string, Record<string, string>, number | undefined][] = [
    ['adds in order', [add('a', 1), add('b', 2)], true, 'a:add b:add', {}, undefined],
    ['a later add moves an id last', [add('a', 1), add('b', 2), add('a', 3)], true, 'b:add a:add', {}, undefined],
    ['an add names its victims', [add('a', 1), add('b', 2, { evicted: ['a'] })], true, 'a:rm b:add', {}, undefined],
    ['rm', [add('a', 1), { t: 'rm', id: 'a' }], true, 'a:rm', {}, undefined],
    ['clear forgets what came before', [add('a', 1), { t: 'clear' }, add('b', 2)], true, 'b:add', {}, undefined],
    ['touch of a known model', [{ t: 'touch', ids: ['k', 'x'], at: [5, 6] }], false, 'k:touch', {}, undefined],
    ['touch after a reset knows nothing', [{ t: 'touch', ids: ['k'], at: [5] }], true, '', {}, undefined],
    [
      'limit: the last intact one',
      [
        { t: 'limit', maxBytes: 5 },
        { t: 'limit', maxBytes: -1 },
      ],
      true,
      '',
      {},
      5,
    ],
    [
      'bad mark for the current file',
      [add('a', 1), { t: 'bad', id: 'a', file: file(1) }],
      true,
      'a:add',
      { a: file(1) },
      undefined,
    ],
    [
      'bad mark for another file is ignored',
      [add('a', 1), { t: 'bad', id: 'a', file: file(2) }],
      true,
      'a:add',
      {},
      undefined,
    ],
    [
      'a later add clears the mark',
      [add('a', 1), { t: 'bad', id: 'a', file: file(1) }, add('a', 1)],
      true,
      'a:add',
      {},
      undefined,
    ],
    [
      'a touch keeps the mark',
      [
        { t: 'bad', id: 'k', file: file(9) },
        { t: 'touch', ids: ['k'], at: [1] },
      ],
      false,
      'k:touch',
      { k: file(9) },
      undefined,
    ],
    [
      'nonsense is ignored',
      [{ t: 'add', id: '' }, { t: 'rm' }, { t: 'future' }, add('a', 1, { file: '../x' })],
      true,
      '',
      {},
      undefined,
    ],
  ];
  for (const [name, records, reset, mentions, bad, limit] of cases) {
    test(name, () => {
      const folded = foldRecords(records as never, reset, known);
      assert.equal([...folded.mentions].map(([id, m]) => `${id}:${m.kind}`).join(' '), mentions);
      assert.deepEqual(Object.fromEntries(folded.bad), bad);
      assert.equal(folded.limit, limit);
    });
  }
});

describe('sizes', () => {
  test('parseSize reads decimal and binary units, any case, and bare numbers', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['1048576', 2 ** 20],
      ['10GB', 10e9],
      ['10gb', 10e9],
      ['512MiB', 512 * 2 ** 20],
      ['1.5GiB', 1.5 * 2 ** 30],
      ['2G', 2 * 2 ** 30],
      ['100 KB', 100_000],
      ['0.3MB', 300_000],
      ['1.0000001KiB', 1024],
      ['7B', 7],
    ];
    for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
  });

  test('parseSize refuses what is not a size, naming the argument', () => {
    for (const text of ['', 'GB', '-1GB', '1e9', '10 XB', '1,5GB', '99999999PiB']) {
      assert.throws(
        () => parseSize(text, '--max-bytes'),
        (e: Error) => e instanceof RangeError && /--max-bytes/.test(e.message),
        text,
      );
    }
  });

  test('formatBytes', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(10 * 2 ** 30), '10.0 GiB');
  });
});
