// Krippendorff's alpha with the interval metric, allowing missing values: the agreement statistic for
// "do repeats (or different judges) give the same scores to the same answers?".

/**
 * `data[coder][unit]`, `null` or NaN for a missing value. Units with fewer than two values are not pairable and
 * are ignored. Returns NaN when there is no expected disagreement (every value equal) or nothing pairable.
 */
export function krippendorffAlphaInterval(data: readonly (readonly (number | null)[])[]): number {
  const units = Math.max(0, ...data.map((row) => row.length));
  let n = 0;
  let observed = 0;
  let total = 0;
  let totalSquares = 0;
  for (let u = 0; u < units; u++) {
    let m = 0;
    let sum = 0;
    let squares = 0;
    for (const row of data) {
      const v = row[u];
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      m++;
      sum += v;
      squares += v * v;
    }
    if (m < 2) continue;
    // Sum over ordered pairs i != j of (v_i - v_j)^2 = 2 (m * sum v^2 - (sum v)^2).
    observed += (2 * (m * squares - sum * sum)) / (m - 1);
    n += m;
    total += sum;
    totalSquares += squares;
  }
  if (n < 2) return Number.NaN;
  const doObserved = observed / n;
  const deExpected = (2 * (n * totalSquares - total * total)) / (n * (n - 1));
  if (deExpected <= 0) return Number.NaN;
  return 1 - doObserved / deExpected;
}
