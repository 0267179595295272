/**
 * A run's metric series as a chart draws it: on the chosen x axis, downsampled in the host so the webview
 * only ever gets a few thousand points per line.
 */
import type { ChartRun, XAxis } from '../../protocol';
import type { RunRow, Store } from '../index/store';
import { lttb } from './downsample';

/** Series up to this many points are read whole; longer ones through the index's per-chunk overviews. */
const WHOLE_SERIES = 20_000;

/**
 * One run's series on the chosen x axis, downsampled (LTTB) to `maxPoints`. A long series is read as its
 * chunks' overviews (first, lowest, highest, last point of every 1,024) — never whole — and a zoomed range
 * reads only the chunks that overlap it, at full detail.
 */
export function chartSeries(store: Store, run: RunRow, metric: string, xAxis: XAxis, color: string, maxPoints: number, range?: [number, number]): ChartRun {
  const total = store.seriesSummaries(run.rid).find((s) => s.key === metric)?.count ?? 0;
  const long = total > WHOLE_SERIES;
  const zoomed = range !== undefined && long;
  // The whole series (or its overview) is read to draw it, or for its start time on the relative axis; a
  // zoom on steps or wall time needs only the chunks in range.
  const head = zoomed && xAxis !== 'relative' ? [] : long ? store.seriesOverview(run.rid, metric) : store.seriesPoints(run.rid, metric);
  let t0 = Infinity;
  for (const p of head) if (p.time < t0) t0 = p.time;
  let pts = head;
  if (zoomed) {
    const [a, b] = xAxis === 'relative' ? [range[0] + t0, range[1] + t0] : range;
    pts = store.seriesRange(run.rid, metric, xAxis === 'step' ? 'step' : 'time', a, b);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of pts) {
    const x = xAxis === 'step' ? p.step : xAxis === 'time' ? p.time : p.time - t0;
    if (range && (x < range[0] || x > range[1])) continue;
    xs.push(x);
    ys.push(p.value);
  }
  const keep = lttb(xs, ys, maxPoints);
  const flat: number[] = [];
  for (const i of keep) flat.push(xs[i], ys[i]);
  return { id: run.id, name: run.name, color, points: flat, total };
}
