// The recency log: hits that `get` made in memory and that are not yet in the
// journal. They are appended as `touch` records by the next session, which a
// timer starts shortly after the first unrecorded hit.

import type { JournalRecord } from './journal.js';

/** Ids per touch record. */
const TOUCH_CHUNK = 512;

export interface Touchable {
  id: string;
  file: string;
  /** Last access, ms since the epoch. */
  accessed: number;
  /** Order of this log's last unrecorded hit on it (0: none). */
  touched: number;
}

export class RecencyLog<E extends Touchable> {
  /** Entries hit since recency was last appended, each once; their `touched` orders them. */
  #dirty: E[] = [];
  #sequence = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #delayMs: number;
  readonly #due: () => void;

  /** `due` runs `delayMs` after the first unrecorded hit (on an unref'd timer). */
  constructor(delayMs: number, due: () => void) {
    this.#delayMs = delayMs;
    this.#due = due;
  }

  get pending(): boolean {
    return this.#dirty.length > 0;
  }

  /** Notes a hit on an entry the index has just made most recent. */
  hit(entry: E, now: number): void {
    entry.accessed = now;
    if (entry.touched === 0) this.#dirty.push(entry);
    entry.touched = ++this.#sequence;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#due();
      }, this.#delayMs);
      this.#timer.unref();
    }
  }

  /** The unrecorded hits, oldest first; the log is empty afterwards. */
  take(): E[] {
    const hits = this.#dirty.filter((e) => e.touched > 0).sort((a, b) => a.touched - b.touched);
    this.forget();
    return hits;
  }

  /** Drops every unrecorded hit. */
  forget(): void {
    for (const entry of this.#dirty) entry.touched = 0;
    this.#dirty = [];
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** Touch records for models used in this order at these times. */
export function touchRecords(ids: string[], at: number[]): JournalRecord[] {
  const records: JournalRecord[] = [];
  for (let i = 0; i < ids.length; i += TOUCH_CHUNK)
    records.push({ t: 'touch', ids: ids.slice(i, i + TOUCH_CHUNK), at: at.slice(i, i + TOUCH_CHUNK) });
  return records;
}
