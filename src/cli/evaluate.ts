/**
 * `runlens evaluate <predictions file>`: the classification report of a prediction table — the same numbers
 * scikit-learn gives — per class, averaged, per segment, with the worst errors and rare classes.
 */
import * as fs from 'node:fs';
import { evaluate, EvaluationError, topKConfusion } from '../core/analysis/evaluation';
import type { ColumnMapping } from '../core/analysis/predictions';
import { readPredictionTable } from '../core/analysis/predictions';
import type { Args } from './args';
import { UsageError, value } from './args';
import { formatTable } from './table';

const out = (s: string) => process.stdout.write(s + '\n');
const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

export function runEvaluate(rest: string[], args: Args): number {
  if (rest.length !== 1) throw new UsageError('usage: runlens evaluate <predictions.csv|.tsv|.jsonl> [--truth COL] [--pred COL] [--score COL] [--segment COL]… [--json]');
  const file = rest[0];
  if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const override: ColumnMapping = {};
  if (value(args, 'truth')) override.truth = value(args, 'truth');
  if (value(args, 'pred')) override.predicted = value(args, 'pred');
  if (value(args, 'score')) override.score = value(args, 'score');
  if (args.values.segment) override.segments = args.values.segment;
  const table = readPredictionTable(file, override);
  for (const c of [override.truth, override.predicted, override.score, ...(override.segments ?? [])]) {
    if (c !== undefined && !table.columns.includes(c)) throw new UsageError(`${file} has no column '${c}' (columns: ${table.columns.join(', ')})`);
  }
  for (const d of table.diagnostics) process.stderr.write(`${d.file}:${d.line ?? 0}: ${d.severity}: ${d.message}\n`);
  let ev;
  try {
    ev = evaluate(table, { maxErrors: Number(value(args, 'errors') ?? 10) });
  } catch (e) {
    if (e instanceof EvaluationError) throw new UsageError(`${e.message}; name them with --truth and --pred`);
    throw e;
  }
  if (args.flags.json) {
    out(JSON.stringify(ev, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2));
    return 0;
  }
  const r = ev.report;
  out(`${file}: ${r.n} rows, ${r.labels.length} classes (true: ${ev.mapping.truth}, predicted: ${ev.mapping.predicted}${ev.mapping.score ? `, score: ${ev.mapping.score}` : ''})\n`);
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
    out(`\nBy ${column} (accuracy gap between segments: ${f(s.gap)})`);
    out(formatTable([column.toUpperCase(), 'ROWS', 'ACCURACY', 'MACRO F1'], Object.entries(s.values).map(([v, m]) => [v, String(m.n), f(m.accuracy), f(m.macroF1)])));
  }
  if (ev.rareClasses.length) out(`\nRare classes: ${ev.rareClasses.map((c) => `${c.label} (${c.support} rows, recall ${f(c.recall)})`).join(', ')}`);
  if (ev.worstErrors.length) {
    out(`\nWorst errors (${r.n - Math.round(r.accuracy * r.n)} wrong; most confident first)`);
    out(formatTable(['LINE', 'ID', 'TRUE', 'PREDICTED', 'CONFIDENCE', 'TEXT'], ev.worstErrors.map((e) => [String(e.line), e.id ?? '', e.truth, e.predicted, e.confidence === undefined ? '' : f(e.confidence), (e.text ?? e.image ?? '').slice(0, 60)])));
  }
  return 0;
}
