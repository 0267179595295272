/**
 * `runlens analyze <run|file>` (alias `evaluate`): the error analysis of a prediction table — the
 * classification report with the same numbers scikit-learn gives, per class and averaged, metrics per
 * segment with the weak segments flagged, fairness across segments for binary tasks, rare classes and the
 * worst errors. Given a run, every prediction table among its artifacts is analysed.
 */
import { toJson } from './json';
import * as fs from 'node:fs';
import { evaluateConfusion, evaluateSource, EvaluationError, topKConfusion } from '../core/analysis/evaluation';
import type { Evaluation } from '../core/analysis/evaluation';
import type { ColumnMapping } from '../core/analysis/predictions';
import { openPredictionTable, predictionTablesOfRun, readLoggedConfusion } from '../core/analysis/predictions';
import type { Args } from './args';
import { UsageError, value } from './args';
import { ambiguous } from './commands';
import { formatTable } from './table';
import { openWorkspace } from './workspace';

const out = (s: string) => process.stdout.write(s + '\n');
const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

export function runAnalyze(rest: string[], args: Args): number {
  if (rest.length !== 1) throw new UsageError('usage: runlens analyze <run | predictions.csv|.tsv|.jsonl> [--truth COL] [--pred COL] [--score COL] [--segment COL]… [--join DATASET --join-key COL --join-on COL] [--task regression|classification] [--errors N] [--json] [--out FILE]');
  const ref = rest[0];
  if (fs.existsSync(ref) && fs.statSync(ref).isFile()) return analyzeFile(ref, args);
  const files = tablesOfRunRef(ref, args);
  let status = 0;
  for (const f of files) {
    if (!args.flags.json) out(`\n== ${f}`);
    status = Math.max(status, analyzeFile(f, args));
  }
  return status;
}

/** The prediction tables among a run's artifacts (those whose columns hold a true and a predicted label). */
function tablesOfRunRef(ref: string, args: Args): string[] {
  const { store } = openWorkspace(undefined, args, { byRun: true });
  try {
    const runs = store.resolveRun(ref);
    if (runs.length === 0) throw new UsageError(`'${ref}' is neither a file nor a run in the index`);
    if (runs.length > 1) throw new UsageError(ambiguous(ref, runs));
    const run = runs[0];
    const { tables, candidates } = predictionTablesOfRun(store, run);
    if (tables.length === 0) throw new UsageError(`run ${run.name} has no prediction table among its ${candidates} table artifacts (a CSV/TSV/JSONL with true and predicted labels)`);
    return tables;
  } finally {
    store.close();
  }
}

function analyzeFile(file: string, args: Args): number {
  const logged = readLoggedConfusion(file);
  if (logged) return print(file, evaluateConfusion(file, logged.labels, logged.matrix), args);
  const override: ColumnMapping = {};
  if (value(args, 'truth')) override.truth = value(args, 'truth');
  if (value(args, 'pred')) override.predicted = value(args, 'pred');
  if (value(args, 'score')) override.score = value(args, 'score');
  if (args.values.segment) override.segments = args.values.segment;
  const join = value(args, 'join');
  if (join) {
    if (!fs.existsSync(join)) throw new UsageError(`no such dataset file: ${join}`);
    override.join = { file: join, key: value(args, 'join-key') ?? value(args, 'join-on') ?? 'id', on: value(args, 'join-on') };
  }
  const task = value(args, 'task');
  if (task !== undefined && task !== 'regression' && task !== 'classification') throw new UsageError(`--task is 'regression' or 'classification', not '${task}'`);
  const source = openPredictionTable(file, override);
  for (const c of [override.truth, override.predicted, override.score, ...(override.segments ?? [])]) {
    if (c !== undefined && !source.columns.includes(c)) throw new UsageError(`${file} has no column '${c}' (columns: ${source.columns.join(', ')})`);
  }
  let ev;
  try {
    ev = evaluateSource(source, { maxErrors: Number(value(args, 'errors') ?? 10), task });
    for (const d of source.diagnostics.slice(0, 50)) process.stderr.write(`${d.file}:${d.line ?? 0}: ${d.severity}: ${d.message}\n`);
  } catch (e) {
    if (e instanceof EvaluationError) throw new UsageError(!source.mapping.truth || !source.mapping.predicted ? `${e.message}; name them with --truth and --pred` : e.message);
    throw e;
  }
  return print(file, ev, args);
}

function print(file: string, ev: Evaluation, args: Args): number {
  const json = () => toJson(ev);
  // --out: the JSON report to a file as well (what the editor's Evaluate Run task reads back).
  const target = value(args, 'out');
  if (target) fs.writeFileSync(target, json() + '\n');
  if (args.flags.json) {
    out(json());
    return 0;
  }
  if (ev.skippedCount) out(`${ev.skippedCount} rows without a usable true or predicted label left out (first at line ${ev.skipped[0].line}: ${ev.skipped[0].reason})`);
  if (ev.regression) return printRegression(file, ev, ev.regression);
  const r = ev.report!;
  out(ev.mapping.truth ? `${file}: ${r.n} rows, ${r.labels.length} classes (true: ${ev.mapping.truth}, predicted: ${ev.mapping.predicted}${ev.mapping.score ? `, score: ${ev.mapping.score}` : ''})\n` : `${file}: a logged confusion matrix of ${r.n} rows, ${r.labels.length} classes\n`);
  out(formatTable(['CLASS', 'PRECISION', 'RECALL', 'F1', 'SUPPORT'], [
    ...r.labels.map((l) => [l, f(r.perClass[l].precision), f(r.perClass[l].recall), f(r.perClass[l].f1), String(r.perClass[l].support)]),
    ...(['macro', 'micro', 'weighted'] as const).map((a) => [`${a} avg`, f(r[a].precision), f(r[a].recall), f(r[a].f1), String(r.n)]),
  ]));
  out(`\naccuracy ${f(r.accuracy)} · balanced accuracy ${f(r.balancedAccuracy)} · Cohen's kappa ${f(r.cohenKappa)} · MCC ${f(r.mcc)}`);
  if (ev.binary) out(`ROC AUC ${f(ev.binary.rocAuc)} · average precision ${f(ev.binary.averagePrecision)} (positive class: ${ev.binary.positive})`);
  const cm = topKConfusion(r, 15);
  out(`\nConfusion matrix (rows: true, columns: predicted${cm.other ? '; top 15 classes by support, the rest as "other"' : ''})`);
  out(formatTable(['', ...cm.labels], cm.matrix.map((row, i) => [cm.labels[i], ...row.map(String)])));
  for (const [column, s] of Object.entries(ev.segments)) {
    out(`\nBy ${column} (accuracy gap between segments: ${f(s.gap)}${s.flagged.length ? `; well below overall accuracy: ${s.flagged.join(', ')}` : ''})`);
    out(formatTable([column.toUpperCase(), 'ROWS', 'ACCURACY', 'MACRO F1'], Object.entries(s.values).map(([v, m]) => [v, String(m.n), f(m.accuracy), f(m.macroF1)])));
  }
  for (const [column, fair] of Object.entries(ev.fairness)) {
    out(`\nFairness across ${column} (positive class ${fair.positive}): demographic parity difference ${f(fair.demographicParityDifference)} · equal opportunity difference ${f(fair.equalOpportunityDifference)} · accuracy gap ${f(fair.accuracyGap)}`);
    out(formatTable([column.toUpperCase(), 'ROWS', 'SELECTION RATE', 'TRUE POSITIVE RATE', 'ACCURACY'], fair.groups.map((g) => [g.value, String(g.n), f(g.selectionRate), f(g.truePositiveRate), f(g.accuracy)])));
  }
  if (ev.rareClasses.length) out(`\nRare classes: ${ev.rareClasses.map((c) => `${c.label} (${c.support} rows, recall ${f(c.recall)})`).join(', ')}`);
  if (ev.worstErrors.length) {
    out(`\nWorst errors (${r.n - Math.round(r.accuracy * r.n)} wrong; most confident first)`);
    out(formatTable(['LINE', 'ID', 'TRUE', 'PREDICTED', 'CONFIDENCE', 'TEXT'], ev.worstErrors.map((e) => [String(e.line), e.id ?? '', e.truth, e.predicted, e.confidence === undefined ? '' : f(e.confidence), (e.text ?? e.image ?? '').slice(0, 60)])));
  }
  return 0;
}

function printRegression(file: string, ev: Evaluation, reg: NonNullable<Evaluation['regression']>): number {
  const m = reg.metrics;
  out(`${file}: a regression (continuous labels) of ${m.n} rows (true: ${ev.mapping.truth}, predicted: ${ev.mapping.predicted})\n`);
  out(`MAE ${f(m.mae)} · RMSE ${f(m.rmse)} · R² ${f(m.r2)} · MAPE ${f(m.mape)} (a fraction) · MSE ${f(m.mse)} · max error ${f(m.maxError)}`);
  for (const [column, s] of Object.entries(reg.segments)) {
    out(`\nBy ${column} (MAE gap between segments: ${f(s.maeGap)})`);
    out(formatTable([column.toUpperCase(), 'ROWS', 'MAE', 'RMSE', 'R²', 'MAPE'], Object.entries(s.values).map(([v, x]) => [v === '' ? '(no value)' : v, String(x.n), f(x.mae), f(x.rmse), f(x.r2), f(x.mape)])));
  }
  if (ev.worstErrors.length) {
    out(`\nLargest errors (predicted − true)`);
    out(formatTable(['LINE', 'ID', 'TRUE', 'PREDICTED', 'ERROR', 'TEXT'], ev.worstErrors.map((e) => [String(e.line), e.id ?? '', e.truth, e.predicted, f(e.error ?? NaN), (e.text ?? e.image ?? '').slice(0, 60)])));
  }
  return 0;
}
