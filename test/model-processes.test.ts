// ModelCache across processes: writers killed with SIGKILL at random moments
// lose no acknowledged change and leave nothing behind after the next open;
// writers running at once on one directory lose nothing.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ModelCache } from 'caro-cache';

const writer = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'model-writer.js');
const root = mkdtempSync(join(tmpdir(), 'caro-processes-'));
after(() => rmSync(root, { recursive: true, force: true }));
const GiB = 2 ** 30;

interface Run {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Starts a writer. `killAfterMs` is asked at the start (line undefined) and
 * after every line of output whether to SIGKILL it, and after how many ms.
 */
function runWriter(
  args: string[],
  killAfterMs?: (line: string | undefined, lines: string[]) => number | undefined,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = (line: string | undefined) => {
      if (timer !== undefined) return;
      const delay = killAfterMs?.(line, lines);
      if (delay !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), delay);
    };
    arm(undefined);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        arm(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Only whole lines count: a line cut by the kill was never acknowledged.
      if (code !== 0 && signal === null) reject(new Error(`writer failed (${code}): ${stderr}`));
      else resolve({ lines, code, signal });
    });
  });
}

/** The model files in models/, sidecars left out; none may be in quarantine/. */
function modelFiles(dir: string): string[] {
  assert.deepEqual(existsSync(join(dir, 'quarantine')) ? readdirSync(join(dir, 'quarantine')) : [], []);
  return readdirSync(join(dir, 'models')).filter((n) => !/\.(meta\.json|removed)$/.test(n));
}

describe('ModelCache across processes', () => {
  test('SIGKILL at random moments loses no acknowledged add or remove and leaves no temporary file', async (t) => {
    const dir = join(root, 'crash');
    const scratch = join(root, 'crash-scratch');
    mkdirSync(scratch, { recursive: true });
    const acked = new Map<string, string>();
    const removing = new Set<string>();
    const removed = new Set<string>();
    let kills = 0;
    let killedBeforeReady = 0;
    const started = Date.now();
    // Bounded: at least 10 kills, then as many as fit in about 12 s.
    for (let round = 0; round < 60 && (round < 10 || Date.now() - started < 12_000); round++) {
      // One round in four kills at any moment from the start (opening and
      // recovery included); the others kill it within a few ms of a random
      // step (0 to 9 acknowledged adds in), so kills land in every phase of
      // an add or a remove whatever the machine's speed.
      const early = round % 4 === 3;
      const steps = Math.floor(Math.random() * 10);
      const run = await runWriter([dir, 'w', String(round * 1000), 'forever', String(GiB), scratch], (line, lines) => {
        if (early) return line === undefined ? Math.random() * 300 : undefined;
        const acks = lines.filter((l) => l.startsWith('ack ')).length;
        if ((line === 'ready' && steps === 0) || (line?.startsWith('ack ') && acks === steps)) return Math.random() * 8;
        return undefined;
      });
      assert.equal(run.signal, 'SIGKILL');
      kills++;
      if (!run.lines.includes('ready')) killedBeforeReady++;
      for (const line of run.lines) {
        const [kind, id, sha] = line.split(' ');
        if (kind === 'ack') acked.set(id, sha);
        else if (kind === 'rm-start') removing.add(id);
        else if (kind === 'rm-ack') removed.add(id);
      }

      const store = await ModelCache.open({ dir, maxBytes: GiB });
      try {
        assert.deepEqual(readdirSync(join(dir, 'tmp')), [], `round ${round}: temporary files survived the open`);
        const present = new Map(store.list().map((m) => [m.id, m]));
        for (const [id, sha] of acked) {
          if (removed.has(id))
            assert.equal(present.has(id), false, `round ${round}: ${id} was removed (acknowledged) but is back`);
          else if (!removing.has(id)) {
            assert.ok(present.has(id), `round ${round}: acknowledged ${id} is missing`);
            assert.equal(present.get(id)!.sha256, sha, `round ${round}: ${id} has other content`);
          }
        }
        for (const id of present.keys()) assert.ok(/^w\/model-\d+$/.test(id), id);
        const verdict = await store.verify();
        assert.deepEqual(
          { corrupted: verdict.corrupted, missing: verdict.missing },
          { corrupted: [], missing: [] },
          `round ${round}`,
        );
        assert.equal(modelFiles(dir).length, present.size, `round ${round}: files no model owns`);
      } finally {
        await store.close();
      }
    }
    assert.ok(acked.size > 20, `only ${acked.size} adds were acknowledged over ${kills} kills`);
    assert.ok(removed.size > 0);
    t.diagnostic(
      `${kills} kills (${killedBeforeReady} before ready), ${acked.size} acknowledged adds, ${removed.size} removes`,
    );
  });

  test('two processes adding and removing at once lose nothing', async () => {
    const dir = join(root, 'together');
    const scratch = join(root, 'together-scratch');
    mkdirSync(scratch, { recursive: true });
    const runs = await Promise.all(
      ['p', 'q'].map((prefix) => runWriter([dir, prefix, '0', '40', String(GiB), scratch])),
    );
    const expected = new Map<string, string>();
    for (const run of runs) {
      assert.equal(run.code, 0);
      assert.equal(run.lines.at(-1), 'done');
      for (const line of run.lines) {
        const [kind, id, sha] = line.split(' ');
        if (kind === 'ack') expected.set(id, sha);
        if (kind === 'rm-ack') expected.delete(id);
      }
    }
    assert.equal(expected.size, 2 * (40 - 10), 'each writer removes 10 of its 40');
    const store = await ModelCache.open({ dir, maxBytes: GiB });
    assert.deepEqual(new Map(store.list().map((m) => [m.id, m.sha256])), expected);
    const verdict = await store.verify();
    assert.equal(verdict.valid.length, expected.size);
    assert.equal(modelFiles(dir).length, expected.size);
    await store.close();
  });

  test('two processes evicting from one small store keep it within its limit, with no stray files', async () => {
    const dir = join(root, 'small');
    const scratch = join(root, 'small-scratch');
    mkdirSync(scratch, { recursive: true });
    const maxBytes = 256 * 1024;
    const runs = await Promise.all(
      ['p', 'q'].map((prefix) => runWriter([dir, prefix, '0', '30', String(maxBytes), scratch])),
    );
    const acked = new Map<string, string>();
    for (const run of runs) {
      assert.equal(run.code, 0);
      for (const line of run.lines) if (line.startsWith('ack ')) acked.set(line.split(' ')[1], line.split(' ')[2]);
    }
    const store = await ModelCache.open({ dir, maxBytes });
    const { bytes, count } = store.stats();
    assert.ok(bytes <= maxBytes && count > 0, `${count} models, ${bytes} bytes`);
    for (const model of store.list())
      assert.equal(model.sha256, acked.get(model.id), `${model.id} was acknowledged with this content`);
    assert.equal((await store.verify()).valid.length, count);
    assert.equal(modelFiles(dir).length, count);
    assert.equal(store.stats().evictions, 0, 'the writers left it within the limit');
    await store.close();
  });
});
