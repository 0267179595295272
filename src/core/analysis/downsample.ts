/**
 * Downsampling of long series for charts: Largest-Triangle-Three-Buckets (Steinarsson, 2013) keeps the
 * shape a reader sees — peaks, dips, the first and last point — with a fixed number of points, in one pass.
 */

/**
 * Picks at most `threshold` of the points (xs[i], ys[i]) and returns their indices, ascending. Non-finite
 * values (NaN, ±inf: real in training logs) are kept as points of their own bucket's choice only when the
 * bucket has nothing else; the first and last points are always kept.
 */
export function lttb(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const n = xs.length;
  if (threshold >= n || threshold < 3) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [0];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // The next bucket's average is the third corner of the triangle.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    let m = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      if (!Number.isFinite(ys[j])) continue;
      avgX += xs[j];
      avgY += ys[j];
      m++;
    }
    if (m > 0) {
      avgX /= m;
      avgY /= m;
    } else {
      avgX = xs[Math.min(nextStart, n - 1)];
      avgY = ys[a];
    }
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const y = ys[j];
      const area = Number.isFinite(y) ? Math.abs((xs[a] - avgX) * (y - ys[a]) - (xs[a] - xs[j]) * (avgY - ys[a])) : -0.5;
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(best);
    a = best;
  }
  out.push(n - 1);
  return out;
}

/**
 * Tableau 10's hues, the light ones (orange, teal, yellow, grey) darkened and pink made magenta (darkened,
 * it was red's twin), so that every line keeps a 3:1 contrast (WCAG's for graphics) on VS Code's default
 * light and dark backgrounds alike: Tableau's own grey and yellow all but vanished on a light theme. A run
 * keeps its colour in every panel.
 */
export const PALETTE = ['#4e79a7', '#d37519', '#e15759', '#3b9a93', '#59a14f', '#a68b12', '#b07aa1', '#c0399b', '#9c755f', '#858585'];

function slot(runId: string): number {
  let h = 2166136261;
  for (let i = 0; i < runId.length; i++) h = Math.imul(h ^ runId.charCodeAt(i), 16777619);
  return (h >>> 0) % PALETTE.length;
}

export function runColor(runId: string): string {
  return PALETTE[slot(runId)];
}

/**
 * Colours for runs shown together: each run its own colour (its hashed one unless another run of the set
 * took it first, then the next free one), the same for the same set of runs in every panel.
 */
export function runColors(runIds: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<number>();
  for (const id of [...new Set(runIds)].sort()) {
    let k = slot(id);
    for (let probe = 0; probe < PALETTE.length && used.has(k); probe++) k = (k + 1) % PALETTE.length;
    if (used.size >= PALETTE.length) used.clear(); // more runs than colours: start the palette over
    used.add(k);
    out.set(id, PALETTE[k]);
  }
  return out;
}
