/**
 * In-place selection (quickselect), O(n) expected: the median of a resample
 * without sorting it, which is most of the cost of bootstrapping medians.
 * Works on a range of a buffer so a resample packed beside others needs no
 * copy; the caller guarantees no NaN.
 */

/**
 * Rearranges a[lo..hi] so that a[k] holds the value it would have if sorted,
 * with everything before it <= a[k] <= everything after it. Hoare partitioning
 * with a median-of-three pivot.
 */
function selectInPlace(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    if (hi - lo < 16) {
      // Insertion sort is faster than partitioning for tiny ranges.
      for (let i = lo + 1; i <= hi; i++) {
        const v = a[i]!;
        let j = i - 1;
        while (j >= lo && a[j]! > v) {
          a[j + 1] = a[j]!;
          j--;
        }
        a[j + 1] = v;
      }
      return;
    }
    const mid = (lo + hi) >>> 1;
    // Order a[lo], a[mid], a[hi]; the median of the three becomes the pivot.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi], and any of a[j+1..i-1] equal pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Median of a[start..end) (the mean of the two middle values for an even count), reordering that range. */
export function medianInPlace(a: Float64Array, start = 0, end = a.length): number {
  const n = end - start;
  const k = start + (n >>> 1);
  selectInPlace(a, k, start, end - 1);
  const upper = a[k]!;
  if (n & 1) return upper;
  // After selection a[start..k) are all <= a[k]; the lower middle is their maximum.
  let lower = a[start]!;
  for (let i = start + 1; i < k; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}
