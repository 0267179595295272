/**
 * Runs side by side: every param (with whether it differs), every metric's last / min / max, and which run
 * is best per metric. One model for the CLI's `compare`, the editor's comparison document and the
 * comparison panel, so the three always agree.
 */
import type { SeriesSummary } from '../model';

export interface CompareRun {
  id: string;
  name: string;
  params: Record<string, string>;
  metrics: SeriesSummary[];
}

export interface ParamRow {
  key: string;
  values: (string | null)[];
  differs: boolean;
}

export interface MetricRow {
  key: string;
  /** Per run: the series summary, or null where the run has no such series. */
  values: ({ last: number; min: number; max: number; count: number } | null)[];
  /** Index of the run with the best last value, by the metric's direction; -1 when unknown or tied by all. */
  best: number;
  direction: 'max' | 'min';
}

export interface Comparison {
  params: ParamRow[];
  metrics: MetricRow[];
}

const LOWER_IS_BETTER = /(^|[/_.\-\s])(loss|err|error|errors|mse|mae|rmse|mape|perplexity|ppl|wer|cer|nll|time|runtime|latency|fpr|fnr|distance)($|[/_.\-\s\d])/i;

/** Last path segment of counters and schedules: `epoch`, `trainer/global_step`, `train/learning_rate`, `lr-Adam`. */
const NOT_RANKED = /^(epoch|epochs|step|steps|global_step|lr|learning_rate|grad_norm|lr-[\w-]+|(\w+_)?(samples_per_second|steps_per_second|total_flos))$/i;

/** Whether a metric is a score to rank runs by (not a counter or schedule such as epoch or learning rate). */
export function isRanked(key: string): boolean {
  return !NOT_RANKED.test(key.split(/[/.]/).pop() ?? key);
}

/** Whether larger values of a metric are better, from its name (loss, error, … → smaller is better). */
export function metricDirection(key: string): 'max' | 'min' {
  return LOWER_IS_BETTER.test(key) ? 'min' : 'max';
}

export function compareRuns(runs: CompareRun[]): Comparison {
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const params = paramKeys.map((key) => {
    const values = runs.map((r) => (key in r.params ? r.params[key] : null));
    return { key, values, differs: new Set(values).size > 1 };
  });
  const byKey = runs.map((r) => new Map(r.metrics.map((s) => [s.key, s])));
  const metricKeys = [...new Set(runs.flatMap((r) => r.metrics.map((s) => s.key)))].sort();
  const metrics = metricKeys.map((key) => {
    const direction = metricDirection(key);
    const values = byKey.map((m) => {
      const s = m.get(key);
      return s ? { last: s.last, min: s.min, max: s.max, count: s.count } : null;
    });
    let best = -1;
    let seen = 0;
    values.forEach((v, i) => {
      if (!v || !Number.isFinite(v.last)) return;
      seen++;
      if (best < 0 || (direction === 'max' ? v.last > values[best]!.last : v.last < values[best]!.last)) best = i;
    });
    // With one run there is nothing to be best against; where all are equal, no run is best; counters and
    // schedules (epoch, step, learning rate) are not scores.
    const allEqual = new Set(values.filter((v) => v && Number.isFinite(v.last)).map((v) => v!.last)).size <= 1;
    return { key, values, best: seen > 1 && !allEqual && isRanked(key) ? best : -1, direction };
  });
  return { params, metrics };
}

/**
 * The metric a run is summed up by when the user set none: a validation/test accuracy-like score first,
 * then any such score, then a validation loss, then a loss.
 */
export function pickKeyMetric(keys: string[]): string | undefined {
  const score = /(acc|accuracy|f1|auc|map|precision|recall|iou|bleu|rouge)/i;
  const held = /(^|[/_.\-])(val|valid|validation|eval|test)([/_.\-]|$)/i;
  return (
    keys.find((k) => held.test(k) && score.test(k)) ??
    keys.find((k) => score.test(k)) ??
    keys.find((k) => held.test(k) && /loss/i.test(k)) ??
    keys.find((k) => /loss/i.test(k))
  );
}
