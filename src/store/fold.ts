// The journal fold: journal records in, their net effect out. Pure: no file
// system, no index; ModelCache applies the result to its index.
//
// Records are folded into what each id ends up as (removed, added, touched),
// in the order of each id's last mention, so that the caller can apply
// removals first and the rest least recent first: when the models do not all
// fit, the ones evicted are the least recently used of the end state, not
// whichever happened to be oldest halfway through. A record that does not
// make sense is ignored.

import { isByteCount, isId, isModelFileName, isSha256 } from './ids.js';
import type { JournalRecord } from './journal.js';
import { filesOf, type ModelFile } from './model-files.js';
import { provenanceOf, type Provenance } from './provenance.js';

/** A model as the journal records it. */
export interface ModelRecord extends Provenance {
  id: string;
  /** The name of its file in models/. */
  file: string;
  bytes: number;
  sha256: string;
  /** ISO 8601. */
  addedAt: string;
  /** Last access, ms since the epoch. */
  accessed: number;
  /** `verify` found the file corrupt: it is not served. */
  bad: boolean;
  /** A multi-file model's files (model-files.ts): then `file` is a directory. */
  files?: ModelFile[];
}

export type Mention = { kind: 'add'; model: ModelRecord } | { kind: 'touch'; at: number } | { kind: 'rm' };

export interface Folded {
  /** Everything before these records is gone (a `clear`, or a read from the start). */
  cleared: boolean;
  /** Each id's net change, in the order of its last mention. */
  mentions: Map<string, Mention>;
  /** The last intact `limit`, if any. */
  limit: number | undefined;
  /** Models marked bad, by id, with the file the mark is for; applies to the end state. */
  bad: Map<string, string>;
}

/** What the caller knows of a model from earlier records: its file, if it has the model. */
export type Known = (id: string) => { file: string } | undefined;

/** The model an intact `add` record describes, or undefined when the record does not make sense. */
export function modelOf(record: JournalRecord): ModelRecord | undefined {
  const { id, file, bytes, sha256, addedAt, at } = record;
  if (!isId(id) || !isModelFileName(file) || !isSha256(sha256)) return undefined;
  if (!isByteCount(bytes) || typeof addedAt !== 'string') return undefined;
  const files = filesOf(record);
  if (files === null) return undefined;
  const accessed = typeof at === 'number' && Number.isFinite(at) ? at : Date.parse(addedAt) || 0;
  const model: ModelRecord = { id, file, bytes, sha256, addedAt, accessed, bad: false, ...provenanceOf(record) };
  if (files !== undefined) model.files = files;
  return model;
}

/**
 * Folds `records` (header excluded) into their net effect. `reset`: they are
 * the whole journal, so nothing `known` counts. `known` answers for models of
 * earlier records, which touches and bad marks may name.
 */
export function foldRecords(records: readonly JournalRecord[], reset: boolean, known: Known): Folded {
  const mentions = new Map<string, Mention>();
  const bad = new Map<string, string>();
  let cleared = reset;
  let limit: number | undefined;
  const mention = (id: string, m: Mention) => {
    mentions.delete(id);
    mentions.set(id, m);
    bad.delete(id);
  };
  const fileOf = (id: string): string | undefined => {
    const m = mentions.get(id);
    if (m !== undefined) return m.kind === 'add' ? m.model.file : m.kind === 'rm' ? undefined : knownFile(id);
    return knownFile(id);
  };
  const knownFile = (id: string) => (cleared ? undefined : known(id)?.file);
  for (const record of records) {
    switch (record.t) {
      case 'add': {
        const model = modelOf(record);
        if (model === undefined) break;
        if (Array.isArray(record.evicted))
          for (const victim of record.evicted) if (isId(victim)) mention(victim, { kind: 'rm' });
        mention(model.id, { kind: 'add', model });
        break;
      }
      case 'rm':
        if (isId(record.id)) mention(record.id, { kind: 'rm' });
        break;
      case 'clear':
        mentions.clear();
        bad.clear();
        cleared = true;
        break;
      case 'limit':
        if (typeof record.maxBytes === 'number' && Number.isSafeInteger(record.maxBytes) && record.maxBytes >= 0)
          limit = record.maxBytes;
        break;
      case 'touch': {
        const { ids, at } = record;
        if (!Array.isArray(ids) || !Array.isArray(at)) break;
        ids.forEach((id: unknown, i) => {
          const time: unknown = at[i];
          if (!isId(id) || typeof time !== 'number' || !Number.isFinite(time)) return;
          const earlier = mentions.get(id);
          if (earlier?.kind === 'add') {
            earlier.model.accessed = time;
            const mark = bad.get(id);
            mention(id, earlier);
            if (mark !== undefined) bad.set(id, mark);
          } else if (earlier?.kind === 'touch' || (earlier === undefined && knownFile(id) !== undefined)) {
            const mark = bad.get(id);
            mention(id, { kind: 'touch', at: time });
            if (mark !== undefined) bad.set(id, mark);
          }
        });
        break;
      }
      case 'bad': {
        const { id, file } = record;
        if (isId(id) && isModelFileName(file) && fileOf(id) === file) bad.set(id, file);
        break;
      }
      default:
      // Headers and kinds of record this version does not know.
    }
  }
  return { cleared, mentions, limit, bad };
}
