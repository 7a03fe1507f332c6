// The long differential fuzzing campaign:
//
//   npm run fuzz -- --ops 10000000            # a new seed, printed first
//   npm run fuzz -- --ops 10000000 --seed 123 # the same campaign again
//   npm run fuzz -- --replay test/regressions/x.json
//
// Rounds of fast-check runs (test/fuzz-harness.ts) on every engine and the
// reference model in lock-step, until --ops operations have been applied. Every
// round's fast-check seed derives from the campaign seed, so a campaign is
// replayed exactly by its seed. A failure is shrunk, printed as JSON and
// written to target/fuzz/, ready to keep in test/regressions/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  caseArb,
  checkCases,
  counters,
  decodeCase,
  describeConfig,
  encodeCase,
  hostileCaseArb,
  runCase,
  type Case,
  type Regression,
} from './fuzz-harness.js';

const HELP = `usage: npm run fuzz -- [--ops N] [--seed S] [--max-ops L] [--runs R]
       npm run fuzz -- --replay FILE [FILE ...]

  --ops N      operations to apply (each on every engine and the model); default 1000000
  --seed S     campaign seed (an integer); default: a new one, printed
  --max-ops L  longest operation list in one case; default 400
  --runs R     fast-check runs per round; default 50
  --replay F   run a kept case (a test/regressions/*.json file) and stop`;

function parse() {
  try {
    return parseArgs({
      allowPositionals: true, // more files after --replay
      options: {
        ops: { type: 'string', default: '1000000' },
        seed: { type: 'string' },
        'max-ops': { type: 'string', default: '400' },
        runs: { type: 'string', default: '50' },
        replay: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`fuzz: ${error instanceof Error ? error.message : String(error)}\n${HELP}`);
    process.exit(2);
  }
}
const { values, positionals } = parse();
if (positionals.length > 0 && values.replay === undefined) {
  console.error(`fuzz: unexpected ${positionals.join(' ')}\n${HELP}`);
  process.exit(2);
}

function integer(text: string, name: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`fuzz: --${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

if (values.help) {
  console.log(HELP);
  process.exit(0);
}

if (values.replay !== undefined) {
  let failed = 0;
  for (const file of [...values.replay, ...positionals]) {
    const c = decodeCase<Regression>(readFileSync(file, 'utf8'));
    try {
      runCase(c);
      console.log(`ok   ${file}${c.name ? `: ${c.name}` : ''}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}

const target = integer(values.ops, 'ops');
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : integer(values.seed, 'seed') % 2 ** 31;
const maxOps = integer(values['max-ops'], 'max-ops');
const runs = Math.max(1, integer(values.runs, 'runs'));

console.log(
  `fuzz: seed ${seed} (replay with --seed ${seed}), ${target} operations, cases of up to ${maxOps} operations, ${runs} runs per round`,
);
console.log(
  'fuzz: native, wasm, ts and the reference model in lock-step: results, size, bytes and the onEvict count after every operation; keys, entries, stats and the onEvict log too while 32 entries or fewer, else every 16th',
);

const general = caseArb({ maxOps });
const hostile = hostileCaseArb({ maxOps: Math.max(1, Math.floor(maxOps / 4)) });

// What the campaign covered, by configuration class.
const classes = new Map<string, number>();
const tally = (c: Case): void => {
  const { maxEntries, maxBytes, onEvict } = c.config;
  const tags = [
    maxEntries === 1
      ? 'maxEntries 1'
      : maxEntries === undefined || maxEntries === Infinity
        ? 'maxEntries unlimited'
        : 'maxEntries finite',
    maxBytes === 0
      ? 'maxBytes 0'
      : maxBytes === undefined || maxBytes === Infinity
        ? 'maxBytes unlimited'
        : maxBytes >= 2 ** 52
          ? 'maxBytes >= 2^52'
          : 'maxBytes finite',
    onEvict === undefined ? 'no onEvict' : onEvict.length === 0 ? 'recording onEvict' : 'hostile onEvict',
  ];
  for (const tag of tags) classes.set(tag, (classes.get(tag) ?? 0) + 1);
};

const started = performance.now();
let lastReport = started;
let round = 0;
while (counters.operations < target) {
  const hostileRound = round % 4 === 3;
  // Each round's fast-check seed is a function of the campaign seed and the round.
  const roundSeed = (seed + Math.imul(round, 0x9e3779b1)) | 0;
  const result = checkCases(hostileRound ? hostile : general, { seed: roundSeed, numRuns: runs }, (c) => {
    tally(c);
    // Full comparisons after every operation while a cache holds up to 32
    // entries, and every 16th operation beyond that; results, size, bytes and
    // the onEvict count after every one.
    runCase(c, { every: 16 });
  });
  if (!result.ok) {
    const elapsed = (performance.now() - started) / 1000;
    console.log(`\nfuzz: FAILED in round ${round} after ${counters.operations} operations (${elapsed.toFixed(1)} s)`);
    console.log(result.report);
    console.log(`configuration: ${describeConfig(result.counterexample.config)}`);
    mkdirSync('target/fuzz', { recursive: true });
    const file = `target/fuzz/counterexample-${seed}-${round}.json`;
    writeFileSync(
      file,
      `${encodeCase({ name: 'found by npm run fuzz', why: `seed ${seed}, round ${round}`, ...result.counterexample }, 2)}\n`,
    );
    console.log(`\nwritten to ${file}; replay it with: npm run fuzz -- --replay ${file}`);
    console.log(`replay the campaign with: npm run fuzz -- --ops ${target} --seed ${seed}`);
    process.exit(1);
  }
  round++;
  const now = performance.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    const elapsed = (now - started) / 1000;
    console.log(
      `fuzz: ${counters.operations} operations, ${counters.cases} cases, ${Math.round(counters.operations / elapsed)} operations/s`,
    );
  }
}

const elapsed = (performance.now() - started) / 1000;
console.log(
  `fuzz: passed: ${counters.operations} operations (${counters.filled} of them sets in fills) in ${counters.cases} cases (${round} rounds), ${elapsed.toFixed(1)} s, ` +
    `${Math.round(counters.operations / elapsed)} operations/s (each on 3 engines and the model), seed ${seed}`,
);
console.log(`fuzz: configurations: ${[...classes].map(([tag, n]) => `${tag} ${n}`).join(', ')}`);
