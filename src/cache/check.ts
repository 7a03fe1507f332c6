// Argument checks shared by every public entry point, so that each kind of
// bad input gets the same TypeError or RangeError, naming the argument, and
// a message that stays short whatever the value.

/** A value as an error message shows it: type and a bounded preview. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** An options argument: undefined or a plain object. */
export function checkOptions(value: unknown, name = 'options'): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * A size: a non-negative safe integer. Returned with -0 made 0, which one
 * engine would otherwise hand back to onEvict as -0 and the others as 0.
 * One test refuses a non-number and a bad number alike (a few instructions
 * fewer per set); the error then says which it was.
 */
export function checkSize(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw badSize(value, name);
  return (value as number) + 0;
}

function badSize(value: unknown, name: string): Error {
  if (typeof value !== 'number') return new TypeError(`${name} must be a number, got ${describe(value)}`);
  return new RangeError(`${name} must be a non-negative integer no larger than 2^53-1, got ${value}`);
}
