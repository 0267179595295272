/**
 * TensorBoard's scalar smoothing: an exponential moving average debiased for its zero start, so the
 * smoothed line begins at the first value rather than at zero. Non-finite values pass through unsmoothed
 * and do not poison the average. `weight` is in [0, 1): 0 leaves the series as it is.
 */
export function emaSmooth(values: ArrayLike<number>, weight: number): number[] {
  const out = new Array<number>(values.length);
  if (!(weight > 0)) {
    for (let i = 0; i < values.length; i++) out[i] = values[i];
    return out;
  }
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    n++;
    out[i] = last / (1 - Math.pow(w, n));
  }
  return out;
}
