/**
 * Distribution shift between two versions of a table: the two-sample Kolmogorov–Smirnov test for numeric
 * columns (statistic exactly as scipy's `ks_2samp`, p-value by its asymptotic method) and the population
 * stability index for categorical ones.
 */

export interface KsResult {
  /** sup |F₁(x) − F₂(x)| over both samples. */
  statistic: number;
  /** Asymptotic two-sided p-value (scipy `ks_2samp(..., method='asymp')`). */
  pvalue: number;
}

/** KS between two sorted samples. */
export function ks2(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { statistic: NaN, pvalue: NaN };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i], b[j]);
    while (i < n && a[i] <= x) i++;
    while (j < m && b[j] <= x) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  const en = (n * m) / (n + m);
  return { statistic: d, pvalue: kolmogorovSf(Math.sqrt(en) * d) };
}

/** The Kolmogorov distribution's survival function Q(z) = 2 Σ (−1)^(k−1) e^(−2k²z²) (scipy `kstwobign.sf`). */
export function kolmogorovSf(z: number): number {
  if (!(z > 0)) return 1;
  if (z < 0.27) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * z * z);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** The share given to a category absent from one side, so its term stays finite (a common convention). */
export const PSI_EPSILON = 1e-4;

/**
 * PSI = Σ (qᵢ − pᵢ) · ln(qᵢ / pᵢ) over the union of categories, p the reference shares and q the other's;
 * a share of 0 counts as PSI_EPSILON. Below 0.1 is usually read as stable, above 0.25 as a major shift.
 */
export function psi(reference: Map<string, number> | [string, number][], other: Map<string, number> | [string, number][]): number {
  const p = reference instanceof Map ? reference : new Map(reference);
  const q = other instanceof Map ? other : new Map(other);
  const pn = [...p.values()].reduce((s, x) => s + x, 0);
  const qn = [...q.values()].reduce((s, x) => s + x, 0);
  if (pn === 0 || qn === 0) return NaN;
  let sum = 0;
  for (const key of new Set([...p.keys(), ...q.keys()])) {
    const ps = Math.max((p.get(key) ?? 0) / pn, PSI_EPSILON);
    const qs = Math.max((q.get(key) ?? 0) / qn, PSI_EPSILON);
    sum += (qs - ps) * Math.log(qs / ps);
  }
  return sum;
}

export function psiVerdict(value: number): 'stable' | 'moderate shift' | 'major shift' {
  return value < 0.1 ? 'stable' : value < 0.25 ? 'moderate shift' : 'major shift';
}

export interface SharedHistogram {
  /** bins + 1 edges over both samples' range. */
  edges: number[];
  /** Share of each sample per bin (each side sums to 1), so samples of different sizes compare. */
  before: number[];
  after: number[];
}

/**
 * Two sorted samples binned on the same equal-width edges (the last bin closed), as shares: what a chart
 * of a drifting column overlays. A constant column gets one bin; with `integers`, a range of at most
 * `bins` values gets one bin per value.
 */
export function sharedHistogram(a: ArrayLike<number>, b: ArrayLike<number>, bins = 30, integers = false): SharedHistogram | undefined {
  if (!a.length || !b.length) return undefined;
  let lo = Math.min(a[0], b[0]);
  let hi = Math.max(a[a.length - 1], b[b.length - 1]);
  // Integer values over a short range (class ids, counts): a bin per value, centred on it.
  if (integers && hi - lo + 1 <= bins) {
    bins = hi - lo + 1;
    lo -= 0.5;
    hi += 0.5;
  }
  const n = hi > lo ? bins : 1;
  const width = (hi - lo) / n;
  const edges = Array.from({ length: n + 1 }, (_, i) => (i === n ? hi : lo + i * width));
  const share = (xs: ArrayLike<number>) => {
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < xs.length; i++) counts[width > 0 ? Math.min(n - 1, Math.floor((xs[i] - lo) / width)) : 0]++;
    return counts.map((c) => c / xs.length);
  };
  return { edges, before: share(a), after: share(b) };
}
