/**
 * The seedable generator every randomised procedure here draws from, so that
 * the same input and seed always give the same output (no `Math.random`).
 * xoshiro128** needs only 32-bit integer operations, which JS does natively,
 * unlike a 64-bit generator on BigInt.
 */

/** Seed used when none is given, so that every function here is deterministic. */
export const DEFAULT_SEED = 0x5eed;

/** 2^-32: turns a u32 into a float in [0, 1). */
export const U32_SCALE = 2.3283064365386963e-10;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * xoshiro128** (Blackman & Vigna): 128 bits of state, period 2^128 - 1, passes
 * BigCrush, and needs only `Math.imul` and `|0`.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new RangeError('xoshiro128** state must not be all zero');
    }
  }

  /** Next output as an unsigned 32-bit integer. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
}

/** SplitMix32-style step: Weyl increment then the murmur3 fmix32 finaliser. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The generator for a seed: its integer part modulo 2^64, expanded so that nearby seeds give unrelated states. */
export function seededXoshiro(seed: number): Xoshiro128 {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const int = Math.trunc(seed);
  const lo = int >>> 0;
  const hi = Math.floor(int / 4294967296) >>> 0;
  // A Weyl sequence + finaliser, as the xoshiro authors recommend.
  let w = (lo ^ mix32(hi ^ 0x6a09e667)) >>> 0;
  const s: number[] = [];
  for (let i = 0; i < 4; i++) {
    w = (w + 0x9e3779b9) >>> 0;
    s.push(mix32(w));
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1; // cannot happen in practice
  return new Xoshiro128(s[0]!, s[1]!, s[2]!, s[3]!);
}

/**
 * A seedable PRNG returning floats uniform in [0, 1) with 32 bits of
 * resolution. The same seed always yields the same sequence. Seeds are
 * integers (a fractional part is ignored).
 */
export function createRng(seed: number): () => number {
  const g = seededXoshiro(seed);
  return () => g.nextU32() * U32_SCALE;
}

/**
 * The raw xoshiro128** generator from an explicit 128-bit state (four 32-bit
 * words, not all zero), yielding unsigned 32-bit integers. Exposed so the
 * generator can be checked against the reference implementation's outputs;
 * use {@link createRng} otherwise.
 */
export function xoshiro128ss(s0: number, s1: number, s2: number, s3: number): () => number {
  const g = new Xoshiro128(s0, s1, s2, s3);
  return () => g.nextU32();
}
