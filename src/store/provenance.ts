// Where a model came from, as the server named it: the fields the journal,
// the sidecars and CachedModel carry for a model and for each file of a
// multi-file model.

/** Where a model came from, as the server named it; each field only when known. */
export interface Provenance {
  /** What it was fetched from: the URL or `hf://` source given. */
  source?: string;
  /** The Hub revision asked for (a branch, tag or commit). */
  revision?: string;
  /** The commit the Hub resolved it to (X-Repo-Commit). */
  commit?: string;
  /** The file's ETag (the Hub's X-Linked-Etag, else the ETag). */
  etag?: string;
}

const PROVENANCE = ['source', 'revision', 'commit', 'etag'] as const;

/** The provenance fields of a record or sidecar that are strings; the rest is ignored. */
export function provenanceOf(value: Record<string, unknown>): Provenance {
  const found: Provenance = {};
  for (const key of PROVENANCE) {
    const field = value[key];
    if (typeof field === 'string' && field.length <= 4096) found[key] = field;
  }
  return found;
}

/** The provenance fields that are known, and only those. */
export function provenance(from: Provenance): Provenance {
  const known: Provenance = {};
  for (const key of PROVENANCE) if (from[key] !== undefined) known[key] = from[key];
  return known;
}
