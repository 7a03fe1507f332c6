// An append-only journal of JSON records, one per line, each framed so that a
// torn or damaged line is recognised:
//
//   <byte length of the JSON, decimal> <CRC-32 of the JSON, 8 hex digits> <JSON>\n
//
// The first record is a header naming the journal's generation, a random id
// that changes whenever the journal is rewritten (compacted), so a process
// that remembers an offset into an older generation knows to read it all again.
//
// The journal does no locking: its callers hold the store's lock around every
// read, append and rewrite. Its reads and writes are small and synchronous;
// only fsync runs off the main thread.

import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir, fsyncFd } from './files.js';

/**
 * The format this version writes. Readers refuse newer journals, since
 * compaction would drop the records they do not know. 2: `limit` records, and
 * `add` records that carry the ids they evicted. 3: `bad` records. 4: `add`
 * records of multi-file models, which carry their `files`.
 */
export const JOURNAL_VERSION = 4;

/** A record: any JSON object with a string type tag `t`. */
export type JournalRecord = { t: string } & Record<string, unknown>;

interface Header extends JournalRecord {
  t: 'journal';
  v: number;
  gen: string;
}

/** One record as a framed line. */
export function encodeRecord(record: JournalRecord): Buffer {
  const json = Buffer.from(JSON.stringify(record), 'utf8');
  const prefix = `${json.length} ${crc32(json).toString(16).padStart(8, '0')} `;
  return Buffer.concat([Buffer.from(prefix, 'latin1'), json, Buffer.from('\n', 'latin1')]);
}

const NEWLINE = 0x0a;
const PREFIX = /^(\d{1,9}) ([0-9a-f]{8}) $/;

export interface Decoded {
  /** The records of every intact line, in order. */
  records: JournalRecord[];
  /** Where the intact data ends: after the last intact line. A torn or damaged tail starts here. */
  end: number;
  /** Damaged lines followed by intact ones (skipped), not counting the tail. */
  skipped: number;
}

/** Decodes framed lines from `bytes`; never throws on damaged input. */
export function decodeRecords(bytes: Buffer): Decoded {
  const records: JournalRecord[] = [];
  let pos = 0;
  let end = 0;
  let damaged = 0;
  let skipped = 0;
  while (pos < bytes.length) {
    const newline = bytes.indexOf(NEWLINE, pos);
    if (newline === -1) break; // an unfinished line: the torn tail
    const record = decodeLine(bytes, pos, newline);
    pos = newline + 1;
    if (record === undefined) {
      damaged++;
      continue;
    }
    records.push(record);
    skipped += damaged;
    damaged = 0;
    end = pos;
  }
  return { records, end, skipped };
}

function decodeLine(bytes: Buffer, start: number, newline: number): JournalRecord | undefined {
  // The prefix is at most 9 + 1 + 8 + 1 characters.
  const space = bytes.indexOf(0x20, start);
  if (space === -1 || space > newline) return undefined;
  const second = bytes.indexOf(0x20, space + 1);
  if (second === -1 || second > newline || second - start > 19) return undefined;
  const match = PREFIX.exec(bytes.toString('latin1', start, second + 1));
  if (match === null) return undefined;
  const length = Number(match[1]);
  if (second + 1 + length !== newline) return undefined;
  const json = bytes.subarray(second + 1, newline);
  if (crc32(json) !== parseInt(match[2], 16)) return undefined;
  try {
    const value: unknown = JSON.parse(json.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (typeof (value as { t?: unknown }).t !== 'string') return undefined;
    return value as JournalRecord;
  } catch {
    return undefined;
  }
}

function isHeader(record: JournalRecord | undefined): record is Header {
  return (
    record !== undefined && record.t === 'journal' && typeof record.gen === 'string' && typeof record.v === 'number'
  );
}

export interface ReadResult {
  /** True when the records are the whole journal (first read, or another generation): start from nothing. */
  reset: boolean;
  /** The new records since the last read (or all, after a reset), header excluded. */
  records: JournalRecord[];
  /** Damaged lines skipped in the middle of what was read. */
  skipped: number;
  /** Bytes of torn or damaged tail cut off. */
  truncated: number;
}

/** The journal of one store, as seen by one process. */
export class Journal {
  readonly path: string;
  #generation: string | undefined;
  #offset = 0;
  #records = 0;
  #version = JOURNAL_VERSION;

  constructor(path: string) {
    this.path = path;
  }

  /** Records in the current generation, header included: what compaction is weighed by. */
  get records(): number {
    return this.#records;
  }

  /** The format version in the header of the current generation. */
  get version(): number {
    return this.#version;
  }

  /** Bytes of the current generation read or written so far. */
  get size(): number {
    return this.#offset;
  }

  /**
   * Reads what was appended since the last read (all of it if the journal was
   * rewritten meanwhile), creating the journal if there is none, and cuts off
   * a torn or damaged tail so that appends follow intact data. Call under the lock.
   * With `readOnly` it changes nothing, so it needs no lock: the journal is
   * append-only and framed, so a write in progress is only a torn tail to it.
   */
  async read(readOnly = false): Promise<ReadResult> {
    let fd: number;
    try {
      fd = openSync(this.path, readOnly ? 'r' : 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (readOnly) {
        this.#generation = undefined;
        return { reset: true, records: [], skipped: 0, truncated: 0 };
      }
      await this.rewrite([]);
      return { reset: true, records: [], skipped: 0, truncated: 0 };
    }
    let open = true;
    try {
      const { size } = fstatSync(fd);
      const head = readHeader(fd, size);
      if (!isHeader(head.header)) {
        // A damaged header (the file is only ever created whole, by rename):
        // keep every intact record under a new header.
        const decoded = decodeRecords(readAt(fd, 0, size));
        closeSync(fd);
        open = false;
        const records = decoded.records.filter((r) => !isHeader(r));
        // A reader cannot repair it, and reads it whole again next time.
        if (readOnly) this.#generation = undefined;
        else await this.rewrite(records);
        return { reset: true, records, skipped: decoded.skipped + 1, truncated: size - decoded.end };
      }
      if (head.header.v > JOURNAL_VERSION) {
        throw new Error(
          `${this.path} is a version ${head.header.v} journal; this caro-cache reads version ${JOURNAL_VERSION}`,
        );
      }
      const reset = head.header.gen !== this.#generation || size < this.#offset;
      const from = reset ? head.end : this.#offset;
      const decoded = decodeRecords(readAt(fd, from, size - from));
      const truncated = size - from - decoded.end;
      if (truncated > 0 && !readOnly) {
        ftruncateSync(fd, from + decoded.end);
        await fsyncFd(fd);
      }
      if (reset) {
        this.#generation = head.header.gen;
        this.#version = head.header.v;
        this.#records = 1;
      }
      this.#offset = from + decoded.end;
      this.#records += decoded.records.length;
      return { reset, records: decoded.records, skipped: decoded.skipped, truncated };
    } finally {
      if (open) closeSync(fd);
    }
  }

  /** Appends records in one write; with `sync`, flushes them to the disk before resolving. Call under the lock, after `read`. */
  async append(records: JournalRecord[], sync: boolean): Promise<void> {
    if (records.length === 0) return;
    const data = Buffer.concat(records.map(encodeRecord));
    const fd = openSync(this.path, 'a');
    try {
      const before = fstatSync(fd).size;
      try {
        writeAll(fd, data);
      } catch (error) {
        // A short write (a full disk) must not leave a torn record for the next append to follow.
        try {
          ftruncateSync(fd, before);
        } catch {
          // The next read cuts it off as a torn tail.
        }
        throw error;
      }
      if (sync) await fsyncFd(fd);
    } finally {
      closeSync(fd);
    }
    this.#offset += data.length;
    this.#records += records.length;
  }

  /**
   * Replaces the journal with a new generation holding `records`: written to a
   * temporary file, flushed, renamed over the journal, and the directory
   * flushed, so a crash leaves either the old journal or the new one. Call under the lock.
   */
  async rewrite(records: JournalRecord[]): Promise<void> {
    const generation = randomBytes(8).toString('hex');
    const header: Header = { t: 'journal', v: JOURNAL_VERSION, gen: generation, created: new Date().toISOString() };
    const data = Buffer.concat([header, ...records].map(encodeRecord));
    const temp = join(dirname(this.path), `${basename(this.path)}.${process.pid}-${generation}.tmp`);
    const fd = openSync(temp, 'wx');
    try {
      writeAll(fd, data);
      await fsyncFd(fd);
    } catch (error) {
      closeSync(fd);
      try {
        unlinkSync(temp);
      } catch {
        // Recovery at the next open removes it.
      }
      throw error;
    }
    closeSync(fd);
    renameSync(temp, this.path);
    await fsyncDir(dirname(this.path));
    this.#generation = generation;
    this.#version = JOURNAL_VERSION;
    this.#offset = data.length;
    this.#records = records.length + 1;
  }
}

function writeAll(fd: number, data: Buffer): void {
  let written = 0;
  while (written < data.length) written += writeSync(fd, data, written, data.length - written);
}

function readAt(fd: number, position: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, bytes, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? bytes : bytes.subarray(0, done);
}

/** The header and where it ends; reads the first line only. */
function readHeader(fd: number, size: number): { header: JournalRecord | undefined; end: number } {
  const bytes = readAt(fd, 0, Math.min(size, 4096));
  const newline = bytes.indexOf(NEWLINE);
  if (newline === -1) return { header: undefined, end: 0 };
  const { records, end } = decodeRecords(bytes.subarray(0, newline + 1));
  return { header: records[0], end };
}

/** Whether a file name is a journal's temporary file (left by an interrupted rewrite). */
export function isJournalTemp(name: string, journalName: string): boolean {
  return name.startsWith(`${journalName}.`) && name.endsWith('.tmp');
}
