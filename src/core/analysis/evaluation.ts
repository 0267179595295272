/**
 * One evaluation of a prediction table: the classification report, per-segment metrics and the gap between
 * segments (bias), binary curves where there are scores, the worst errors (wrong and most confident), and
 * the rare classes. The CLI's `evaluate` and the evaluation panel both show this.
 */
import type { BinaryCurves, ClassificationReport } from './classification';
import { binaryCurves, classificationReport, segmentReport } from './classification';
import type { ColumnMapping, PredictionTable } from './predictions';

export interface ErrorRow {
  /** Index into the table's rows, and the file line, to show or open it. */
  row: number;
  line: number;
  truth: string;
  predicted: string;
  /** Probability the model gave its (wrong) prediction, when the table has scores. */
  confidence?: number;
  id?: string;
  text?: string;
  image?: string;
}

export interface Evaluation {
  file: string;
  mapping: ColumnMapping;
  report: ClassificationReport;
  /** Present for a two-class task with a score column (or the positive class's probability column). */
  binary?: BinaryCurves & { positive: string };
  segments: Record<string, { values: Record<string, { n: number; accuracy: number; macroF1: number }>; gap: number }>;
  worstErrors: ErrorRow[];
  rareClasses: { label: string; support: number; recall: number }[];
}

export class EvaluationError extends Error {}

export function evaluate(table: PredictionTable, options: { maxErrors?: number } = {}): Evaluation {
  const { truth, predicted } = table.mapping;
  if (!truth || !predicted) throw new EvaluationError(`${table.file}: no true-label and predicted-label columns (have: ${table.columns.join(', ')})`);
  const t = table.rows.map((r) => r[truth]);
  const p = table.rows.map((r) => r[predicted]);
  const report = classificationReport(t, p);

  let binary: Evaluation['binary'];
  if (report.labels.length === 2) {
    const positive = report.labels[1];
    const scoreColumn = table.mapping.score ?? table.mapping.classScores?.[positive];
    if (scoreColumn) {
      const scores = table.rows.map((r) => Number(r[scoreColumn]));
      if (scores.every(Number.isFinite)) binary = { ...binaryCurves(t.map((x) => x === positive), scores), positive };
    }
  }

  const segments: Evaluation['segments'] = {};
  for (const column of table.mapping.segments ?? []) {
    const values = segmentReport(t, p, table.rows.map((r) => r[column]));
    const accs = Object.values(values).filter((v) => v.n > 0).map((v) => v.accuracy);
    segments[column] = { values, gap: accs.length ? Math.max(...accs) - Math.min(...accs) : 0 };
  }

  const confidenceOf = (i: number): number | undefined => {
    const row = table.rows[i];
    const col = table.mapping.classScores?.[p[i]];
    if (col) return Number(row[col]);
    if (table.mapping.score && report.labels.length === 2) {
      const s = Number(row[table.mapping.score]);
      return p[i] === report.labels[1] ? s : 1 - s;
    }
    return undefined;
  };
  const errors: ErrorRow[] = [];
  for (let i = 0; i < t.length; i++) {
    if (t[i] === p[i]) continue;
    const row = table.rows[i];
    errors.push({
      row: i,
      line: table.lines[i],
      truth: t[i],
      predicted: p[i],
      confidence: confidenceOf(i),
      id: table.mapping.id ? row[table.mapping.id] : undefined,
      text: table.mapping.text ? row[table.mapping.text] : undefined,
      image: table.mapping.image ? row[table.mapping.image] : undefined,
    });
  }
  errors.sort((a, b) => (b.confidence ?? -1) - (a.confidence ?? -1) || a.row - b.row);

  // Rare: under 1 % of the rows or fewer than 10 examples — where metrics are noisy and models fail first.
  const rareClasses = report.labels
    .map((label) => ({ label, support: report.perClass[label].support, recall: report.perClass[label].recall }))
    .filter((c) => c.support > 0 && (c.support < 10 || c.support < report.n * 0.01))
    .sort((a, b) => a.support - b.support || (a.label < b.label ? -1 : 1));

  return { file: table.file, mapping: table.mapping, report, binary, segments, worstErrors: errors.slice(0, options.maxErrors ?? 100), rareClasses };
}

/**
 * The confusion matrix reduced to the `k` most frequent true labels (by support, ties by label order), the
 * rest folded into one "other" row and column — for tasks with hundreds of classes.
 */
export function topKConfusion(report: ClassificationReport, k: number): { labels: string[]; matrix: number[][]; other: boolean } {
  if (report.labels.length <= k) return { labels: report.labels, matrix: report.confusion, other: false };
  const keep = report.labels
    .map((l, i) => ({ l, i, support: report.perClass[l].support }))
    .sort((a, b) => b.support - a.support || a.i - b.i)
    .slice(0, k)
    .sort((a, b) => a.i - b.i);
  const pos = new Map(keep.map((x, j) => [x.i, j]));
  const size = keep.length + 1;
  const matrix = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  report.confusion.forEach((row, i) => row.forEach((v, j) => (matrix[pos.get(i) ?? keep.length][pos.get(j) ?? keep.length] += v)));
  return { labels: [...keep.map((x) => x.l), 'other'], matrix, other: true };
}
