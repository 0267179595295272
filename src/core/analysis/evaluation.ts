/**
 * One evaluation of a prediction table: the classification report, per-segment metrics and the gap between
 * segments (bias), binary curves where there are scores, the worst errors (wrong and most confident), and
 * the rare classes. The CLI's `evaluate` and the evaluation panel both show this.
 */
import type { BinaryCurves, ClassificationReport } from './classification';
import { binaryCurves, classificationReport, reportFromConfusion, segmentReport, sortLabels } from './classification';
import type { ColumnMapping, PredictionSource, PredictionTable } from './predictions';
import type { RegressionMetrics, Task } from './regression';
import { NUMBER, regressionMetrics, regressionSegments } from './regression';

export interface ErrorRow {
  /** Index into the table's rows, and the file line, to show or open it. */
  row: number;
  line: number;
  truth: string;
  predicted: string;
  /** Probability the model gave its (wrong) prediction, when the table has scores. */
  confidence?: number;
  /** A regression's error, predicted − true. */
  error?: number;
  id?: string;
  text?: string;
  image?: string;
}

export interface GroupFairness {
  value: string;
  n: number;
  /** Share of the group predicted positive. */
  selectionRate: number;
  /** Recall of the positive class within the group (NaN without positives). */
  truePositiveRate: number;
  accuracy: number;
}

export interface Fairness {
  positive: string;
  groups: GroupFairness[];
  /** Largest minus smallest selection rate across groups (0 = parity). */
  demographicParityDifference: number;
  /** Largest minus smallest true-positive rate across groups with positives (0 = equal opportunity). */
  equalOpportunityDifference: number;
  accuracyGap: number;
}

export interface RegressionEvaluation {
  metrics: RegressionMetrics;
  /** Per segment column: the metrics per value, and the spread of MAE between them. */
  segments: Record<string, { values: Record<string, RegressionMetrics>; maeGap: number }>;
}

export interface Evaluation {
  file: string;
  mapping: ColumnMapping;
  /** How the labels were read: see `EvaluationBuilder` for how a regression is recognised. */
  task: Task;
  /** A classification's report; absent for a regression. */
  report?: ClassificationReport;
  /** A regression's metrics; absent for a classification. */
  regression?: RegressionEvaluation;
  /** Rows left out: a missing true or predicted label (first 100, with their lines), and how many in all. */
  skipped: { line: number; reason: string }[];
  skippedCount: number;
  /** Present for a two-class task with a score column (or the positive class's probability column). */
  binary?: BinaryCurves & { positive: string };
  /**
   * Per segment column: metrics per value, the gap between the best and worst value, and the values whose
   * accuracy is more than `segmentThreshold` below the overall accuracy.
   */
  segments: Record<string, { values: Record<string, { n: number; accuracy: number; macroF1: number }>; gap: number; flagged: string[] }>;
  /** For a two-class task: fairness measures across each segment column. */
  fairness: Record<string, Fairness>;
  worstErrors: ErrorRow[];
  rareClasses: { label: string; support: number; recall: number }[];
}

export class EvaluationError extends Error {}

/**
 * A label as a class name: trimmed, and numbers written one way — "1", "1.0" and JSON's 1 are one class, as
 * a user means them (scikit-learn refuses such a mix outright).
 */
export function canonicalLabel(s: string): string {
  const v = s.trim();
  return v !== '' && NUMBER.test(v) ? String(Number(v)) : v;
}

export interface EvaluateOptions {
  maxErrors?: number;
  segmentThreshold?: number;
  /** The task, when the user names it; otherwise recognised from the labels (see `EvaluationBuilder`). */
  task?: Task;
}

export function evaluate(table: PredictionTable, options: EvaluateOptions = {}): Evaluation {
  const b = new EvaluationBuilder(table.file, table.columns, table.mapping, options);
  table.rows.forEach((r, i) => b.add((c) => r[c], table.lines[i]));
  return b.finish();
}

/** Evaluates a table as it streams from its file (see `openPredictionTable`). */
export function evaluateSource(source: PredictionSource, options: EvaluateOptions = {}): Evaluation {
  const b = new EvaluationBuilder(source.file, source.columns, source.mapping, options);
  source.forEachRow((get, line) => b.add(get, line));
  // A join that matched nothing would segment every row as one unnamed value, which looks fair: refused.
  const j = source.joined?.();
  if (j && j.rows > 0 && j.matched === 0) throw new EvaluationError(`${source.file}: no prediction row's '${j.on}' matches a '${j.key}' of ${j.file} (${j.rows} rows joined on nothing)`);
  return b.finish();
}

/**
 * Evaluation by streaming: rows go in one at a time and only what the result needs is kept — labels and
 * segment values (interned), the scores a binary curve needs, and a bounded set of candidate errors —
 * so a million-row table never sits in memory as rows.
 *
 * The task, unless the caller names it: a regression when every true and predicted label is a decimal
 * number and at least one of them is not an integer (`25.22`, `0.5`; `1.0` counts as the integer 1).
 * Integer labels stay classes, since class ids are integers — a count target needs `task: 'regression'`.
 */
export class EvaluationBuilder {
  private readonly truth: string[] = [];
  private readonly predicted: string[] = [];
  private readonly scores: number[] = [];
  private readonly classScores = new Map<string, number[]>();
  private readonly segmentValues = new Map<string, string[]>();
  private readonly interned = new Map<string, string>();
  private readonly skipped: { line: number; reason: string }[] = [];
  private skippedCount = 0;
  private candidates: ErrorRow[] = [];
  /** The largest errors by size, kept while every label so far is a number (a regression's worst errors). */
  private numericCandidates: ErrorRow[] = [];
  private numeric = true;
  private fractional = false;
  private readonly maxErrors: number;
  /** Each class's probability column, by the class's canonical label. */
  private readonly scoreColumns: Map<string, string>;

  constructor(
    private readonly file: string,
    columns: string[],
    private readonly mapping: ColumnMapping,
    private readonly options: EvaluateOptions = {},
  ) {
    if (!mapping.truth || !mapping.predicted) throw new EvaluationError(`${file}: no true-label and predicted-label columns (have: ${columns.join(', ')})`);
    this.maxErrors = options.maxErrors ?? 100;
    for (const c of mapping.segments ?? []) this.segmentValues.set(c, []);
    // Two per-class probability columns: a binary task's curves can use the positive class's.
    this.scoreColumns = new Map(Object.entries(mapping.classScores ?? {}).map(([label, column]) => [canonicalLabel(label), column]));
    if (this.scoreColumns.size === 2) for (const label of this.scoreColumns.keys()) this.classScores.set(label, []);
  }

  private intern(s: string): string {
    let v = this.interned.get(s);
    if (v === undefined) this.interned.set(s, (v = s));
    return v;
  }

  /** One row: `get` reads a column's text; `line` is where the row is in the file. */
  add(get: (column: string) => string | undefined, line: number): void {
    const m = this.mapping;
    const rawT = get(m.truth!) ?? '';
    const rawP = get(m.predicted!) ?? '';
    // Rows without both labels cannot be scored: left out, each located.
    if (!rawT.trim() || !rawP.trim()) {
      if (this.skippedCount++ < 100) this.skipped.push({ line, reason: `no value in '${!rawT.trim() ? m.truth : m.predicted}'` });
      return;
    }
    const t = this.intern(canonicalLabel(rawT));
    const p = this.intern(canonicalLabel(rawP));
    if (this.options.task === 'regression' && !(NUMBER.test(t) && NUMBER.test(p))) {
      if (this.skippedCount++ < 100) this.skipped.push({ line, reason: `not a number in '${NUMBER.test(t) ? m.predicted : m.truth}': ${NUMBER.test(t) ? rawP : rawT}` });
      return;
    }
    const row = this.truth.length;
    this.truth.push(t);
    this.predicted.push(p);
    if (m.score) this.scores.push(Number(get(m.score)));
    for (const [label, scores] of this.classScores) scores.push(Number(get(this.scoreColumns.get(label)!)));
    for (const [c, values] of this.segmentValues) values.push(this.intern(get(c) ?? ''));
    if (this.numeric) {
      if (NUMBER.test(t) && NUMBER.test(p)) {
        if (!this.fractional && !(Number.isInteger(Number(t)) && Number.isInteger(Number(p)))) this.fractional = true;
        if (this.maxErrors > 0 && t !== p) {
          this.numericCandidates.push({ row, line, truth: t, predicted: p, error: Number(p) - Number(t), id: m.id ? get(m.id) : undefined, text: m.text ? get(m.text) : undefined, image: m.image ? get(m.image) : undefined });
          if (this.numericCandidates.length >= 4 * this.maxErrors + 1000) this.trimNumeric();
        }
      } else (this.numeric = false), (this.numericCandidates = []);
    }
    if (t === p || this.maxErrors === 0) return;
    // How sure the model was of its wrong answer: its probability for the predicted class, or for a bare
    // binary score, how far the score is from undecided (max(s, 1 − s)).
    const classCol = this.scoreColumns.get(p);
    let confidence: number | undefined;
    if (classCol) confidence = Number(get(classCol));
    else if (m.score) {
      const s = Number(get(m.score));
      confidence = Number.isFinite(s) ? Math.max(s, 1 - s) : undefined;
    }
    this.candidates.push({ row, line, truth: t, predicted: p, confidence, id: m.id ? get(m.id) : undefined, text: m.text ? get(m.text) : undefined, image: m.image ? get(m.image) : undefined });
    if (this.candidates.length >= 4 * this.maxErrors + 1000) this.trim();
  }

  private trimNumeric(): void {
    this.numericCandidates.sort((a, b) => Math.abs(b.error!) - Math.abs(a.error!) || a.row - b.row);
    this.numericCandidates.length = Math.min(this.numericCandidates.length, this.maxErrors);
  }

  /** The task: the caller's, else a regression when every label is a number and some are not integers. */
  task(): Task {
    return this.options.task ?? (this.numeric && this.fractional ? 'regression' : 'classification');
  }

  private trim(): void {
    this.candidates.sort((a, b) => (b.confidence ?? -1) - (a.confidence ?? -1) || a.row - b.row);
    this.candidates.length = Math.min(this.candidates.length, this.maxErrors);
  }

  finish(): Evaluation {
    for (const [column, values] of this.segmentValues) {
      if (values.length > 0 && values.every((v) => v.trim() === '')) throw new EvaluationError(`${this.file}: the segment column '${column}' has no value in any of the ${values.length} rows`);
    }
    if (this.task() === 'regression') return this.finishRegression();
    const t = this.truth;
    const p = this.predicted;
    const report = classificationReport(t, p);
    let binary: Evaluation['binary'];
    if (report.labels.length === 2) {
      const positive = report.labels[1];
      const scores = this.mapping.score ? this.scores : this.classScores.get(positive);
      if (scores && scores.length === t.length && scores.every(Number.isFinite)) binary = { ...binaryCurves(t.map((x) => x === positive), scores), positive };
    }
    const threshold = this.options.segmentThreshold ?? 0.05;
    const segments: Evaluation['segments'] = Object.create(null); // keyed by column names
    const fairness: Evaluation['fairness'] = {};
    for (const [column, groups] of this.segmentValues) {
      const values = segmentReport(t, p, groups);
      const accs = Object.values(values).filter((v) => v.n > 0).map((v) => v.accuracy);
      const flagged = Object.entries(values).filter(([, v]) => v.accuracy < report.accuracy - threshold).map(([k]) => k);
      segments[column] = { values, gap: accs.length ? Math.max(...accs) - Math.min(...accs) : 0, flagged };
      if (report.labels.length === 2) fairness[column] = fairnessOf(t, p, groups, report.labels[1]);
    }
    this.trim();
    // Rare: under 1 % of the rows or fewer than 10 examples — where metrics are noisy and models fail first.
    const rareClasses = report.labels
      .map((label) => ({ label, support: report.perClass[label].support, recall: report.perClass[label].recall }))
      .filter((c) => c.support > 0 && (c.support < 10 || c.support < report.n * 0.01))
      .sort((a, b) => a.support - b.support || (a.label < b.label ? -1 : 1));
    return { file: this.file, mapping: this.mapping, task: 'classification', report, skipped: this.skipped, skippedCount: this.skippedCount, binary, segments, fairness, worstErrors: this.candidates, rareClasses };
  }

  /** Every row here has numeric labels: `add` left out, located, the rows a named regression cannot score. */
  private finishRegression(): Evaluation {
    const t = Float64Array.from(this.truth, Number);
    const p = Float64Array.from(this.predicted, Number);
    const segments: RegressionEvaluation['segments'] = Object.create(null); // keyed by column names
    for (const [column, groups] of this.segmentValues) {
      const values = regressionSegments(t, p, groups, sortLabels);
      const maes = Object.values(values).map((v) => v.mae);
      segments[column] = { values, maeGap: maes.length ? Math.max(...maes) - Math.min(...maes) : 0 };
    }
    this.trimNumeric();
    return {
      file: this.file,
      mapping: this.mapping,
      task: 'regression',
      regression: { metrics: regressionMetrics(t, p), segments },
      skipped: this.skipped,
      skippedCount: this.skippedCount,
      segments: {},
      fairness: {},
      worstErrors: this.numericCandidates,
      rareClasses: [],
    };
  }
}

/**
 * Group fairness of a binary classifier across the values of a sensitive column, as fairlearn defines it:
 * demographic parity difference (spread of selection rates) and equal opportunity difference (spread of
 * true-positive rates), plus the accuracy gap.
 */
export function fairnessOf(truth: string[], predicted: string[], groups: string[], positive: string): Fairness {
  const by = new Map<string, { n: number; selected: number; positives: number; truePositives: number; correct: number }>();
  groups.forEach((g, i) => {
    let s = by.get(g);
    if (!s) by.set(g, (s = { n: 0, selected: 0, positives: 0, truePositives: 0, correct: 0 }));
    s.n++;
    if (predicted[i] === positive) s.selected++;
    if (truth[i] === positive) {
      s.positives++;
      if (predicted[i] === positive) s.truePositives++;
    }
    if (truth[i] === predicted[i]) s.correct++;
  });
  const out: GroupFairness[] = [...by].map(([value, s]) => ({ value, n: s.n, selectionRate: s.selected / s.n, truePositiveRate: s.positives ? s.truePositives / s.positives : NaN, accuracy: s.correct / s.n }));
  out.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const spread = (v: number[]) => (v.length ? Math.max(...v) - Math.min(...v) : 0);
  return {
    positive,
    groups: out,
    demographicParityDifference: spread(out.map((g) => g.selectionRate)),
    equalOpportunityDifference: spread(out.map((g) => g.truePositiveRate).filter(Number.isFinite)),
    accuracyGap: spread(out.map((g) => g.accuracy)),
  };
}

/** The evaluation of a logged confusion matrix: the report only — there are no rows to list or segment. */
export function evaluateConfusion(file: string, labels: string[], matrix: number[][]): Evaluation {
  return { file, mapping: {}, task: 'classification', report: reportFromConfusion(labels, matrix), skipped: [], skippedCount: 0, segments: {}, fairness: {}, worstErrors: [], rareClasses: [] };
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

export interface EvaluationDelta {
  labels: string[];
  /** Confusion matrices of the baseline (a) and the candidate (b) over the union of labels, and b − a. */
  a: number[][];
  b: number[][];
  delta: number[][];
  /** Per class, sorted from most improved F1 to most degraded. */
  perClass: { label: string; f1A: number; f1B: number; deltaF1: number; recallA: number; recallB: number; supportA: number; supportB: number }[];
  accuracy: { a: number; b: number };
  macroF1: { a: number; b: number };
}

/** Two evaluations of the same task side by side: both matrices, their difference, and which classes moved. */
export function compareReports(a: ClassificationReport, b: ClassificationReport): EvaluationDelta {
  const labels = sortLabels([...a.labels, ...b.labels]);
  const onto = (r: ClassificationReport) => {
    const idx = new Map(r.labels.map((l, i) => [l, i]));
    return labels.map((t) => labels.map((p) => (idx.has(t) && idx.has(p) ? r.confusion[idx.get(t)!][idx.get(p)!] : 0)));
  };
  const ma = onto(a);
  const mb = onto(b);
  const zero = { precision: 0, recall: 0, f1: 0, support: 0 };
  const perClass = labels
    .map((label) => {
      const x = a.perClass[label] ?? zero;
      const y = b.perClass[label] ?? zero;
      return { label, f1A: x.f1, f1B: y.f1, deltaF1: y.f1 - x.f1, recallA: x.recall, recallB: y.recall, supportA: x.support, supportB: y.support };
    })
    .sort((p, q) => q.deltaF1 - p.deltaF1 || (p.label < q.label ? -1 : 1));
  return {
    labels,
    a: ma,
    b: mb,
    delta: mb.map((row, i) => row.map((v, j) => v - ma[i][j])),
    perClass,
    accuracy: { a: a.accuracy, b: b.accuracy },
    macroF1: { a: a.macro.f1, b: b.macro.f1 },
  };
}
