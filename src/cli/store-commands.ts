// The model store's commands of the caro-cache command line: ls, add, fetch,
// rm, path, verify, stats and gc. main.ts dispatches to them.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ModelCache, type CachedModel } from '../store/model-cache.js';
import {
  AuthenticationRequiredError,
  ChecksumMismatchError,
  DiskFullError,
  DownloadError,
  ModelNotFoundError,
  ModelTooLargeError,
} from '../store/errors.js';
import { formatBytes, parseSize } from '../store/sizes.js';
import type { BackendName } from '../cache/types.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every store command takes, before or after its name. */
export const GLOBAL_OPTIONS: Options = {
  dir: { type: 'string' },
  'max-bytes': { type: 'string' },
  backend: { type: 'string' },
  endpoint: { type: 'string' },
  offline: { type: 'boolean' },
};

/**
 * The exit code of each typed error, so scripts can tell them apart; any
 * other failure exits 1, a usage error 2, an interrupted fetch 130.
 */
export const EXIT_CODES: readonly [new (...args: never[]) => Error, number][] = [
  // Subclasses before the classes they extend.
  [AuthenticationRequiredError, 6],
  [DownloadError, 3],
  [ChecksumMismatchError, 4],
  [ModelNotFoundError, 5],
  [DiskFullError, 7],
  [ModelTooLargeError, 8],
];

export function exitCodeFor(error: unknown): number {
  return EXIT_CODES.find(([type]) => error instanceof type)?.[1] ?? 1;
}

const GLOBAL_HELP = `Options of every store command:
  --dir DIR          the store (default: $CARO_CACHE_DIR, else $XDG_CACHE_HOME/caro-cache/models,
                     else ~/.cache/caro-cache/models)
  --max-bytes SIZE   sets the store's limit, such as 10GB, 512MiB, 2G, and evicts least recently
                     used models until the store fits; the store keeps it (a new store starts
                     with $CARO_CACHE_MAX_BYTES, else 10GiB)
  --backend NAME     the index's engine: native, wasm, ts or auto
  --endpoint URL     where hf:// sources resolve (default: $HF_ENDPOINT, else https://huggingface.co)
  --offline          serve from the store only, never the network (also $CARO_CACHE_OFFLINE=1,
                     $HF_HUB_OFFLINE=1)
  --help             the command's help

Exit codes: 0 done, 1 failed, 2 usage, 3 download failed, 4 checksum mismatch, 5 model
not found (offline), 6 authentication required, 7 disk full, 8 model too large for the
store, 130 interrupted.`;

interface Command {
  args: string;
  summary: string;
  details?: string;
  options: Options;
  positionals: number;
  /** The last argument may repeat: `positionals` is then the fewest. */
  repeats?: boolean;
  run(
    store: () => Promise<ModelCache>,
    positionals: string[],
    values: Record<string, string | boolean | undefined>,
  ): Promise<number>;
}

/** A one-line error, as every other failure: `caro-cache: ...` on stderr. */
function fail(message: string, code = 1): number {
  console.error(`caro-cache: ${message}`);
  return code;
}

/**
 * An id as a terminal may show it: control characters (C0, DEL, C1), line and
 * paragraph separators, bidirectional overrides and backslashes as JSON-style
 * escapes, so that an id can neither move the cursor nor forge a line.
 */
export function printable(id: string): string {
  let out = '';
  for (const c of id) {
    const n = c.charCodeAt(0);
    const control = n < 0x20 || (n >= 0x7f && n <= 0x9f) || n === 0x2028 || n === 0x2029;
    const bidi = (n >= 0x202a && n <= 0x202e) || (n >= 0x2066 && n <= 0x2069);
    if (c === '\\') out += '\\\\';
    else if (control || bidi) out += `\\u${n.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out;
}

function shortDate(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '))
    .join('\n');
}

function describeModel(verb: string, model: CachedModel): string {
  const files = model.files === undefined ? '' : ` in ${model.files.length} files`;
  return `${verb} ${printable(model.id)}: ${formatBytes(model.bytes)}${files}, sha256 ${model.sha256}\n${model.path}`;
}

/** A progress bar on stderr, redrawn at most every 100 ms; `done()` clears it. */
function progressBar(label: string): { update(done: number, total?: number): void; done(): void } {
  const stream = process.stderr;
  const started = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      const rate = done / Math.max((now - started) / 1000, 0.001);
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 60));
      let line = `${label} `;
      if (total !== undefined && total > 0) {
        const fraction = Math.min(done / total, 1);
        const filled = Math.round(fraction * width);
        line += `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(done)} / ${formatBytes(total)}`;
      } else {
        line += formatBytes(done);
      }
      stream.write(`\r\x1b[K${line}  ${formatBytes(rate)}/s`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

const COMMANDS: Record<string, Command> = {
  ls: {
    args: '[--json]',
    summary: 'list the models, most recently used first',
    options: { json: { type: 'boolean', default: false } },
    positionals: 0,
    async run(open, _, values) {
      const store = await open();
      const models = store.list();
      const stats = store.stats();
      if (values.json) {
        console.log(JSON.stringify(models, null, 2));
        return 0;
      }
      if (models.length > 0) {
        const rows = [
          ['ID', 'SIZE', 'LAST USED', 'REVISION', 'COMMIT', 'SHA256'],
          ...models.map((m) => [
            printable(m.id),
            formatBytes(m.bytes),
            shortDate(m.lastAccessed),
            m.revision === undefined ? '-' : printable(m.revision),
            m.commit === undefined ? '-' : printable(m.commit.slice(0, 12)),
            m.sha256.slice(0, 12),
          ]),
        ];
        console.log(table(rows));
      }
      console.log(
        `${stats.count} model${stats.count === 1 ? '' : 's'}, ${formatBytes(stats.bytes)} of ${formatBytes(stats.maxBytes)} in ${stats.dir}`,
      );
      return 0;
    },
  },
  add: {
    args: '<id> <file> [--sha256 HEX] [--move]',
    summary: 'copy (or move) a file into the store as <id>',
    details: `  --sha256 HEX   refuse the file unless its SHA-256 is HEX
  --move         move the file instead of copying it (removed once the model is recorded)

Prints the model's path. Least recently used models are evicted until it fits.`,
    options: { sha256: { type: 'string' }, move: { type: 'boolean', default: false } },
    positionals: 2,
    async run(open, [id, file], values) {
      const store = await open();
      const model = await store.add(id, file, {
        sha256: values.sha256 as string | undefined,
        move: values.move as boolean,
      });
      console.log(describeModel('added', model));
      return 0;
    },
  },
  fetch: {
    args: '<id> <url | hf://owner/repo/file[@revision]>... [--sha256 HEX] [--revalidate]',
    summary: 'download <url> as <id> unless the store has it (resumes interrupted transfers)',
    details: `  --sha256 HEX   refuse the download unless its SHA-256 is HEX (a model present with
                 another SHA-256 is downloaded again)
  --revalidate   ask the server (one HEAD) whether a model the store has changed, and
                 download it again only if its ETag did; a pinned commit is never asked

hf://owner/repo/file@revision resolves to <endpoint>/owner/repo/resolve/revision/file
(revision: default main). Several sources make one multi-file model (a safetensors
model's shards, config and tokenizer): one directory, kept and evicted as one. A gated model needs a token: $HF_TOKEN, or the token file
huggingface-cli login writes ($HF_HOME/token); it is sent to the endpoint's host only.

Prints the model's path; a progress bar on stderr when it is a terminal. Interrupted
(Ctrl-C), it keeps what it downloaded: the same fetch again resumes there.`,
    options: { sha256: { type: 'string' }, revalidate: { type: 'boolean', default: false } },
    positionals: 2,
    repeats: true,
    async run(open, [id, ...urls], values) {
      const store = await open();
      const bar = process.stderr.isTTY ? progressBar(id) : undefined;
      // Closing the store cancels the download and keeps its bytes for the next fetch.
      let interrupted = false;
      const interrupt = () => {
        interrupted = true;
        void store.close();
      };
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      try {
        const model = await store.fetch(id, urls.length === 1 ? urls[0] : urls, {
          sha256: values.sha256 as string | undefined,
          onProgress: bar?.update,
          freshness: values.revalidate ? 'revalidate' : undefined,
        });
        bar?.done();
        console.log(describeModel('fetched', model));
      } catch (error) {
        bar?.done();
        if (interrupted) return fail(`interrupted; run the same fetch again to resume the download`, 130);
        throw error;
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
      }
      return 0;
    },
  },
  rm: {
    args: '<id>',
    summary: 'remove a model and its file (exit 1 if absent)',
    options: {},
    positionals: 1,
    async run(open, [id]) {
      const store = await open();
      if (!(await store.remove(id))) return fail(`no model ${JSON.stringify(id)} in ${store.stats().dir}`);
      console.log(`removed ${printable(id)}`);
      return 0;
    },
  },
  path: {
    args: '<id>',
    summary: "print a model's file path (exit 1 if absent); counts as a use",
    options: {},
    positionals: 1,
    async run(open, [id]) {
      const store = await open();
      const model = store.get(id);
      if (model === undefined && store.has(id))
        return fail(
          `the file of ${JSON.stringify(id)} in ${store.stats().dir} is missing or corrupt; fetch or add it again (verify lists the damage)`,
        );
      if (model === undefined) return fail(`no model ${JSON.stringify(id)} in ${store.stats().dir}`);
      console.log(model.path);
      return 0;
    },
  },
  verify: {
    args: '[--json]',
    summary: "hash every model's file (exit 1 if any is corrupted, missing or quarantined)",
    details: `Corrupted files are recorded as bad: path refuses them and fetch downloads them again.
Quarantined files are files of models no journal record owned and that could not be
re-adopted; gc --quarantine deletes them.`,
    options: { json: { type: 'boolean', default: false } },
    positionals: 0,
    async run(open, _, values) {
      const store = await open();
      const result = await store.verify();
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else {
        for (const id of result.corrupted) console.log(`corrupted    ${printable(id)}`);
        for (const id of result.missing) console.log(`missing      ${printable(id)}`);
        for (const name of result.quarantined) console.log(`quarantined  ${name}`);
        console.log(
          `${result.valid.length} valid, ${result.corrupted.length} corrupted, ${result.missing.length} missing, ${result.quarantined.length} quarantined`,
        );
      }
      return result.corrupted.length + result.missing.length + result.quarantined.length > 0 ? 1 : 0;
    },
  },
  stats: {
    args: '[--json]',
    summary: "the store's directory, models, bytes and limit",
    options: { json: { type: 'boolean', default: false } },
    positionals: 0,
    async run(open, _, values) {
      const store = await open();
      const stats = store.stats();
      if (values.json) console.log(JSON.stringify(stats, null, 2));
      else {
        console.log(`dir        ${stats.dir}`);
        console.log(`models     ${stats.count}`);
        console.log(`bytes      ${stats.bytes} (${formatBytes(stats.bytes)})`);
        console.log(`max bytes  ${stats.maxBytes} (${formatBytes(stats.maxBytes)})`);
        console.log(`evictions  ${stats.evictions}`);
        console.log(
          `partials   ${stats.partialBytes} (${formatBytes(stats.partialBytes)}) downloading or kept to resume`,
        );
        console.log(`quarantine ${stats.quarantined} file${stats.quarantined === 1 ? '' : 's'}`);
        if (stats.readOnly) console.log('read-only  yes');
      }
      return 0;
    },
  },
  gc: {
    args: '[--max-bytes SIZE] [--quarantine]',
    summary: 'delete leftovers and stale downloads, drop models whose files are gone; with --max-bytes, set the limit',
    details: `  --max-bytes SIZE   set the store's limit to SIZE, evicting least recently used models
                     until it fits
  --quarantine       also delete the files in quarantine/ (files no record owned that
                     could not be re-adopted; verify lists them)

Works on a full disk.`,
    options: { quarantine: { type: 'boolean', default: false } },
    positionals: 0,
    async run(open, _, values) {
      const store = await open();
      const result = await store.gc({ quarantine: values.quarantine as boolean });
      const stats = store.stats();
      for (const id of result.dropped) console.log(`dropped      ${printable(id)} (its file was gone)`);
      for (const id of result.adopted) console.log(`re-adopted   ${printable(id)}`);
      for (const name of result.quarantined) console.log(`quarantined  ${name}`);
      if (result.leftovers > 0)
        console.log(`deleted ${result.leftovers} leftover file${result.leftovers === 1 ? '' : 's'}`);
      if (result.deleted > 0)
        console.log(`deleted ${result.deleted} quarantined file${result.deleted === 1 ? '' : 's'}`);
      console.log(
        `evicted ${stats.evictions} model${stats.evictions === 1 ? '' : 's'}; ${stats.count} left, ${formatBytes(stats.bytes)} of ${formatBytes(stats.maxBytes)}`,
      );
      return 0;
    },
  },
};

/** The store's commands, for the top-level usage. */
export function storeUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(width + 4)}${c.summary}`)
    .join('\n');
}

export function isStoreCommand(name: string): boolean {
  return Object.hasOwn(COMMANDS, name);
}

function usage(name: string, command: Command): string {
  return `Usage: caro-cache ${name} ${command.args}\n\n${command.summary[0].toUpperCase()}${command.summary.slice(1)}.\n${
    command.details === undefined ? '' : `\n${command.details}\n`
  }\n${GLOBAL_HELP}`;
}

/** Runs one store command with its arguments (global options included); resolves to the exit code. */
export async function runStoreCommand(name: string, args: string[]): Promise<number> {
  const command = COMMANDS[name];
  const parsed = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { ...GLOBAL_OPTIONS, ...command.options, help: { type: 'boolean', default: false } },
  });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const positionals = parsed.positionals;
  if (values.help) {
    console.log(usage(name, command));
    return 0;
  }
  if (positionals.length < command.positionals || (positionals.length > command.positionals && !command.repeats)) {
    const wanted =
      command.positionals === 0
        ? 'no arguments'
        : `${command.repeats ? 'at least ' : ''}${command.positionals} argument${command.positionals === 1 ? '' : 's'}`;
    throw new RangeError(
      `${name} takes ${wanted}, got ${positionals.length}: usage: caro-cache ${name} ${command.args}`,
    );
  }
  const maxBytes =
    values['max-bytes'] === undefined ? undefined : parseSize(values['max-bytes'] as string, '--max-bytes');
  let store: ModelCache | undefined;
  const open = async () => {
    store = await ModelCache.open({
      dir: values.dir as string | undefined,
      maxBytes,
      backend: values.backend as BackendName | 'auto' | undefined,
      endpoint: values.endpoint as string | undefined,
      offline: values.offline as boolean | undefined,
      onWarning: (message) => console.error(`caro-cache: warning: ${message}`),
    });
    return store;
  };
  try {
    return await command.run(open, positionals, values);
  } finally {
    await store?.close();
  }
}
