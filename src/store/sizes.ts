// Byte sizes as people write them on a command line (`10GB`, `512MiB`, `1.5G`)
// and back, for the store's limits and listings.

const UNITS: Record<string, bigint> = {
  '': 1n,
  b: 1n,
  kb: 10n ** 3n,
  mb: 10n ** 6n,
  gb: 10n ** 9n,
  tb: 10n ** 12n,
  pb: 10n ** 15n,
  kib: 2n ** 10n,
  mib: 2n ** 20n,
  gib: 2n ** 30n,
  tib: 2n ** 40n,
  pib: 2n ** 50n,
  // A bare letter is binary, as in du and sort -S.
  k: 2n ** 10n,
  m: 2n ** 20n,
  g: 2n ** 30n,
  t: 2n ** 40n,
  p: 2n ** 50n,
};

const SIZE = /^\s*(\d+)(?:\.(\d+))?\s*([a-z]*)\s*$/i;

/**
 * Parses a size: a non-negative decimal number with an optional unit, `B`,
 * decimal `KB MB GB TB PB` (powers of 1000), binary `KiB MiB GiB TiB PiB`
 * (powers of 1024) or a bare `K M G T P` (binary). Case does not matter.
 * Fractions are rounded down to whole bytes. `name` names the argument in errors.
 */
export function parseSize(text: string, name = 'size'): number {
  if (typeof text !== 'string') throw new TypeError(`${name} must be a string, got ${typeof text}`);
  const match = SIZE.exec(text);
  const unit = match === null ? undefined : UNITS[match[3].toLowerCase()];
  if (match === null || unit === undefined) {
    throw new RangeError(`${name} must be a size such as 10GB, 512MiB or 1048576, got ${JSON.stringify(text)}`);
  }
  const fraction = match[2] ?? '';
  const scale = 10n ** BigInt(fraction.length);
  const bytes = (BigInt(match[1] + fraction) * unit) / scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`${name} must be no larger than 2^53-1 bytes, got ${JSON.stringify(text)}`);
  }
  return Number(bytes);
}

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A byte count for people: `512 B`, `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0 && Number.isInteger(value)) return `${value} B`;
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${BINARY[unit]}`;
}
