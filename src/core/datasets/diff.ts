/**
 * What changed between two versions of a table: schema (columns added, removed, retyped), row counts,
 * missing values, the label's class balance, and per-column drift — KS for numeric columns, PSI for
 * categorical ones (and for numeric columns with few distinct values, which are categories in practice).
 */
import { ks2, psi, psiVerdict, sharedHistogram, type SharedHistogram } from './drift';
import { type ColumnStats, type TableStats, isCategorical } from './stats';

export interface ColumnDrift {
  column: string;
  test: 'ks' | 'psi';
  statistic: number;
  /** KS only. */
  pvalue?: number;
  /** KS on a sample of at least one side (a table over SAMPLE rows). */
  sampled?: boolean;
  verdict: string;
}

export interface TableDiff {
  rows: { before: number; after: number };
  added: string[];
  removed: string[];
  retyped: { column: string; before: string; after: string }[];
  missing: { column: string; before: number; after: number }[];
  label?: { column: string; classes: { value: string; before: number; after: number }[]; psi: number; verdict: string };
  drift: ColumnDrift[];
  duplicates: { before: number; after: number };
}

/** Numeric columns with at most this many distinct values also get PSI over their values. */
const FEW_VALUES = 20;
/** Beyond this many distinct values a text column is more like ids or free text than categories: no PSI. */
const MANY_VALUES = 200;

const isNumeric = (c: ColumnStats) => c.type === 'integer' || c.type === 'float';

export function diffTables(before: TableStats, after: TableStats): TableDiff {
  const b = new Map(before.columns.map((c) => [c.name, c]));
  const a = new Map(after.columns.map((c) => [c.name, c]));
  const diff: TableDiff = {
    rows: { before: before.rows, after: after.rows },
    added: after.columns.filter((c) => !b.has(c.name)).map((c) => c.name),
    removed: before.columns.filter((c) => !a.has(c.name)).map((c) => c.name),
    retyped: [],
    missing: [],
    drift: [],
    duplicates: { before: before.duplicates, after: after.duplicates },
  };
  for (const cb of before.columns) {
    const ca = a.get(cb.name);
    if (!ca) continue;
    if (cb.type !== ca.type && cb.type !== 'empty' && ca.type !== 'empty') diff.retyped.push({ column: cb.name, before: cb.type, after: ca.type });
    if (cb.missing !== ca.missing) diff.missing.push({ column: cb.name, before: cb.missing, after: ca.missing });
    diff.drift.push(...columnDrift(cb, ca));
  }
  const label = after.label ?? before.label;
  const lb = label !== undefined ? b.get(label) : undefined;
  const la = label !== undefined ? a.get(label) : undefined;
  if (label !== undefined && lb && la && isCategorical(lb) && isCategorical(la)) {
    const before = new Map(lb.counts);
    const after = new Map(la.counts);
    const classes = [...new Set([...before.keys(), ...after.keys()])]
      .map((value) => ({ value, before: before.get(value) ?? 0, after: after.get(value) ?? 0 }))
      .sort((x, y) => y.after + y.before - (x.after + x.before) || (x.value < y.value ? -1 : 1));
    const value = psi(lb.counts, la.counts);
    diff.label = { column: label, classes, psi: value, verdict: psiVerdict(value) };
  }
  return diff;
}

function columnDrift(before: ColumnStats, after: ColumnStats): ColumnDrift[] {
  const out: ColumnDrift[] = [];
  if (before.count === 0 || after.count === 0) return out;
  if (isNumeric(before) && isNumeric(after) && before.values && after.values) {
    const r = ks2(before.values, after.values);
    out.push({
      column: before.name,
      test: 'ks',
      statistic: r.statistic,
      pvalue: r.pvalue,
      sampled: before.sampled || after.sampled || undefined,
      verdict: r.pvalue < 0.01 ? 'distribution changed' : r.pvalue < 0.05 ? 'likely changed' : 'no evidence of change',
    });
    if (!(isCategorical(before) && isCategorical(after) && before.distinct <= FEW_VALUES && after.distinct <= FEW_VALUES)) return out;
  } else if (isNumeric(before) !== isNumeric(after)) {
    return out;
  }
  if (isCategorical(before) && isCategorical(after) && before.distinct <= MANY_VALUES && after.distinct <= MANY_VALUES) {
    const value = psi(before.counts, after.counts);
    out.push({ column: before.name, test: 'psi', statistic: value, verdict: psiVerdict(value) });
  }
  return out;
}

/** A diff as a panel shows it: the diff, both sides' summaries, and histograms of the numeric columns. */
export interface TableDiffView {
  before: { label: string; rows: number; columns: number; bytes: number; md5: string };
  after: { label: string; rows: number; columns: number; bytes: number; md5: string };
  diff: TableDiff;
  /** Numeric columns on both sides, most drifted (KS statistic) first. */
  histograms: ({ column: string } & SharedHistogram)[];
}

export function tableDiffView(before: { label: string; stats: TableStats }, after: { label: string; stats: TableStats }, diff: TableDiff, maxHistograms = 12): TableDiffView {
  const side = ({ label, stats }: { label: string; stats: TableStats }) => ({ label, rows: stats.rows, columns: stats.columns.length, bytes: stats.bytes, md5: stats.md5 });
  const a = new Map(after.stats.columns.map((c) => [c.name, c]));
  const ks = new Map(diff.drift.filter((d) => d.test === 'ks').map((d) => [d.column, d.statistic]));
  const histograms: TableDiffView['histograms'] = [];
  for (const cb of [...before.stats.columns].sort((x, y) => (ks.get(y.name) ?? -1) - (ks.get(x.name) ?? -1))) {
    const ca = a.get(cb.name);
    if (histograms.length >= maxHistograms || !ca?.values || !cb.values || !ks.has(cb.name)) continue;
    const h = sharedHistogram(cb.values, ca.values, 30, cb.type === 'integer' && ca.type === 'integer');
    if (h) histograms.push({ column: cb.name, ...h });
  }
  return { before: side(before), after: side(after), diff, histograms };
}
