/**
 * MLflow's order of a metric's points: by step, then timestamp, then value. Its latest value is the
 * greatest point in that order (the file store's `max(…, key=(step, timestamp, value))`, the SQL store's
 * `latest_metrics`), not the last row written: a step 1000 logged before step 999 is still the latest.
 * The index keeps an MLflow series in this order, so its last point is MLflow's latest and its points
 * read back in step order.
 *
 * A NaN value counts as the lowest value at its step and timestamp (MLflow compares it as 0 in the SQL
 * store and not at all in the file store; the order has to be total to sort by).
 */

/** Whether point (s1, t1, v1) comes before (s2, t2, v2). */
export function mlflowBefore(s1: number, t1: number, v1: number, s2: number, t2: number, v2: number): boolean {
  if (s1 !== s2) return s1 < s2;
  if (t1 !== t2) return t1 < t2;
  if (v2 !== v2) return false;
  return v1 !== v1 || v1 < v2;
}

/** Whether the n points of `columns` (steps at [0, n), times at [cap, cap + n), values at [2cap, 2cap + n)) are in order. */
export function inMlflowOrder(columns: Float64Array, cap: number, n: number): boolean {
  for (let i = 1; i < n; i++) {
    if (mlflowBefore(columns[i], columns[cap + i], columns[2 * cap + i], columns[i - 1], columns[cap + i - 1], columns[2 * cap + i - 1])) return false;
  }
  return true;
}

/** Puts the n points of `columns` in order, in place; equal points keep their order. Returns whether any moved. */
export function sortMlflowOrder(columns: Float64Array, cap: number, n: number): boolean {
  if (inMlflowOrder(columns, cap, n)) return false;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const [sa, ta, va, sb, tb, vb] = [columns[a], columns[cap + a], columns[2 * cap + a], columns[b], columns[cap + b], columns[2 * cap + b]];
    return mlflowBefore(sa, ta, va, sb, tb, vb) ? -1 : mlflowBefore(sb, tb, vb, sa, ta, va) ? 1 : a - b;
  });
  for (let c = 0; c < 3; c++) {
    const col = columns.slice(c * cap, c * cap + n);
    for (let i = 0; i < n; i++) columns[c * cap + i] = col[order[i]];
  }
  return true;
}

/** MLflow's latest of points (the greatest in its order), or undefined when there are none. */
export function mlflowLatest<P extends { step: number; time: number; value: number }>(points: P[]): P | undefined {
  let best: P | undefined;
  for (const p of points) if (!best || !mlflowBefore(p.step, p.time, p.value, best.step, best.time, best.value)) best = p;
  return best;
}
