/**
 * Regression metrics as scikit-learn computes them (sklearn.metrics 1.x, default arguments):
 * mean_absolute_error, mean_squared_error and its root (root_mean_squared_error), r2_score with
 * force_finite=True, mean_absolute_percentage_error (a fraction, not a percent) and max_error — overall and
 * per data segment.
 */

export interface RegressionMetrics {
  n: number;
  mae: number;
  mse: number;
  rmse: number;
  /** 1 − SS_res / SS_tot; for a constant truth 1.0 when every prediction is exact, else 0.0; NaN under 2 rows. */
  r2: number;
  /** mean(|y − ŷ| / max(|y|, ε)) with ε = float64 machine epsilon, as sklearn writes it: 0.1 is 10 %. */
  mape: number;
  maxError: number;
}

/** A table's task: continuous numeric labels are a regression, anything else classes. */
export type Task = 'classification' | 'regression';

/** A label that reads as a finite decimal number (as `canonicalLabel` writes numbers). */
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function regressionMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>): RegressionMetrics {
  const n = truth.length;
  if (predicted.length !== n) throw new Error(`${n} true values but ${predicted.length} predictions`);
  let abs = 0;
  let sq = 0;
  let pct = 0;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = truth[i] - predicted[i];
    const a = Math.abs(e);
    abs += a;
    sq += e * e;
    pct += a / Math.max(Math.abs(truth[i]), Number.EPSILON);
    if (a > max) max = a;
    sum += truth[i];
  }
  const mean = sum / n;
  let tot = 0;
  for (let i = 0; i < n; i++) tot += (truth[i] - mean) ** 2;
  // sklearn: R² is undefined under two samples (NaN); a constant truth gives 1.0 for exact predictions, else 0.0.
  const r2 = n < 2 ? NaN : tot !== 0 ? 1 - sq / tot : sq === 0 ? 1 : 0;
  const mse = n ? sq / n : NaN;
  return { n, mae: n ? abs / n : NaN, mse, rmse: Math.sqrt(mse), r2, mape: n ? pct / n : NaN, maxError: n ? max : NaN };
}

/** The same metrics on each value of a segment column, values in sorted order. */
export function regressionSegments(truth: ArrayLike<number>, predicted: ArrayLike<number>, segments: string[], sort: (v: Iterable<string>) => string[]): Record<string, RegressionMetrics> {
  const groups = new Map<string, number[]>();
  segments.forEach((s, i) => {
    let list = groups.get(s);
    if (!list) groups.set(s, (list = []));
    list.push(i);
  });
  const out: Record<string, RegressionMetrics> = Object.create(null); // keyed by the file's values
  for (const s of sort(groups.keys())) {
    const idx = groups.get(s)!;
    out[s] = regressionMetrics(idx.map((i) => truth[i]), idx.map((i) => predicted[i]));
  }
  return out;
}
