/**
 * Statistics of one data table, computed in a single streamed pass with bounded memory: rows, columns and
 * their types, missing values (pandas' default NA strings), distinct values, numeric summaries, value
 * counts, the class balance of a label column, and duplicate rows. Numeric columns keep every value up to
 * SAMPLE values and a uniform sample beyond, enough for a Kolmogorov–Smirnov test between two versions.
 */
import type { Diagnostic } from '../model';
import { type ByteSource, type TableFormat, readTable } from './table';
import { RowHashSet, hashRow } from './rowHash';
import { rng as seededRng } from '../random';

export type ColumnType = 'integer' | 'float' | 'boolean' | 'string' | 'empty';

export interface ColumnStats {
  name: string;
  type: ColumnType;
  /** Non-missing values. */
  count: number;
  missing: number;
  /** Distinct non-missing values; a lower bound when `distinctCapped`. */
  distinct: number;
  distinctCapped: boolean;
  min?: number;
  max?: number;
  mean?: number;
  /** Sample standard deviation (n − 1), as pandas' `describe()`. */
  std?: number;
  /** Numeric values, sorted: all of them, or a uniform sample of SAMPLE when `sampled`. */
  values?: number[];
  sampled?: boolean;
  /** Value counts, most frequent first (ties by value): all of them when `countsComplete`; the top TOP when there are more; none once over DISTINCT_CAP values (not categories). */
  counts: [string, number][];
  countsComplete: boolean;
}

export interface TableStats {
  format: TableFormat;
  bytes: number;
  md5: string;
  rows: number;
  columns: ColumnStats[];
  /** The label column whose class balance is shown (given, or found by name). */
  label?: string;
  /** Rows that repeat an earlier row exactly, over the first `duplicateRowsChecked` rows. */
  duplicates: number;
  duplicateRowsChecked: number;
  /** The first few repeats: a row's line and the line of the row it repeats. */
  duplicateExamples: { line: number; of: number }[];
  diagnostics: Diagnostic[];
}

export const SAMPLE = 50_000;
const TOP = 1_000;
const DISTINCT_CAP = 20_000;
const DUPLICATE_ROWS_CAP = 3_000_000;

/** The strings pandas reads as missing by default (`na_values`). */
export const NA_STRINGS = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']);

const LABEL_NAMES = ['label', 'labels', 'target', 'class', 'y', 'category', 'species', 'outcome', 'sentiment', 'actual', 'ground_truth', 'true_label'];

/** The column that is most likely the label: one named like a label, case-insensitively. */
export function guessLabelColumn(columns: string[]): string | undefined {
  const lower = columns.map((c) => c.toLowerCase());
  for (const name of LABEL_NAMES) {
    const i = lower.indexOf(name);
    if (i >= 0) return columns[i];
  }
  return undefined;
}

const INTEGER = /^[+-]?\d+$/;

/** A cell as a number the way a CSV reader would take it, or undefined for text. */
export function cellNumber(s: string): number | undefined {
  const c = s.charCodeAt(0);
  // Digits, sign, dot, or leading space: the only starts a number has (besides inf/Infinity).
  if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 32)) return s === 'inf' || s === 'Infinity' ? Infinity : undefined;
  const x = s.charCodeAt(1) | 32;
  if (c === 48 && (x === 120 || x === 111 || x === 98)) return undefined; // 0x…, 0o…, 0b…: Number() would take them
  const n = Number(s);
  if (n !== n) {
    const t = s.trim();
    return t === '-inf' || t === '-Infinity' ? -Infinity : t === '+inf' ? Infinity : undefined;
  }
  return c === 32 && s.trim() === '' ? undefined : n;
}

class ColumnAccumulator {
  count = 0;
  missing = 0;
  examined = 0;
  numeric = true;
  integer = true;
  boolean = true;
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  sample: number[] = [];
  seenNumbers = 0;
  counts = new Map<string, number>();
  capped = false;
  distinctSeen = 0;

  constructor(
    readonly name: string,
    private readonly rng: () => number,
  ) {}

  add(s: string): void {
    this.examined++;
    if (NA_STRINGS.has(s)) {
      this.missing++;
      return;
    }
    this.count++;
    if (!this.capped) {
      const c = this.counts.get(s);
      if (c !== undefined) this.counts.set(s, c + 1);
      else if (this.counts.size < DISTINCT_CAP) this.counts.set(s, 1);
      else {
        // Too many values to be categories (ids, measurements, free text): stop counting, free the map.
        this.capped = true;
        this.distinctSeen = this.counts.size;
        this.counts = new Map();
      }
    }
    if (this.boolean && s !== 'True' && s !== 'False' && s !== 'true' && s !== 'false' && s !== 'TRUE' && s !== 'FALSE') this.boolean = false;
    if (!this.numeric) return;
    const x = cellNumber(s);
    if (x === undefined) {
      this.numeric = false;
      this.sample = [];
      return;
    }
    if (this.integer && !INTEGER.test(s)) this.integer = false;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (Number.isFinite(x)) {
      this.n++;
      const d = x - this.mean;
      this.mean += d / this.n;
      this.m2 += d * (x - this.mean);
    }
    // Reservoir sampling (algorithm R): every value has the same chance to be kept.
    this.seenNumbers++;
    if (this.sample.length < SAMPLE) this.sample.push(x);
    else {
      const j = Math.floor(this.rng() * this.seenNumbers);
      if (j < SAMPLE) this.sample[j] = x;
    }
  }

  finish(rows: number): ColumnStats {
    const missing = this.missing + (rows - this.examined);
    const type: ColumnType = this.count === 0 ? 'empty' : this.boolean ? 'boolean' : this.numeric ? (this.integer ? 'integer' : 'float') : 'string';
    const counts = [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const out: ColumnStats = {
      name: this.name,
      type,
      count: this.count,
      missing,
      distinct: this.capped ? this.distinctSeen : this.counts.size,
      distinctCapped: this.capped,
      counts: counts.slice(0, TOP),
      countsComplete: !this.capped && counts.length <= TOP,
    };
    if (type === 'integer' || type === 'float') {
      out.min = this.min;
      out.max = this.max;
      out.mean = this.n > 0 ? this.mean : undefined;
      out.std = this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : undefined;
      out.values = Array.from(Float64Array.from(this.sample).sort());
      out.sampled = this.seenNumbers > SAMPLE;
    }
    return out;
  }
}


export interface StatsOptions {
  /** The label column; found by name when not given. */
  label?: string;
  signal?: { cancelled: boolean };
}

/** Streams a table once and returns its statistics. Bad content becomes located diagnostics. */
export async function tableStats(source: ByteSource, format: TableFormat, name: string, options: StatsOptions = {}): Promise<TableStats> {
  // Seeded, so a table's sample — and so its statistics — are the same on every read.
  const rng = seededRng(0x5eed);
  let columns: ColumnAccumulator[] = [];
  let rows = 0;
  const dupes = new RowHashSet();
  let duplicates = 0;
  let checked = 0;
  const examples: { line: number; of: number }[] = [];
  const result = await readTable(
    source,
    format,
    name,
    {
      onHeader(names) {
        for (let i = columns.length; i < names.length; i++) columns.push(new ColumnAccumulator(names[i], rng));
      },
      onRow(cells, line) {
        rows++;
        for (let i = 0; i < cells.length; i++) columns[i].add(cells[i]);
        if (checked < DUPLICATE_ROWS_CAP) {
          checked++;
          const of = dupes.addOrGet(hashRow(cells), line);
          if (of !== undefined) {
            duplicates++;
            if (examples.length < 10) examples.push({ line, of });
          }
        }
      },
    },
    options.signal,
  );
  const stats = columns.map((c) => c.finish(rows));
  columns = [];
  const names = stats.map((c) => c.name);
  const label = options.label !== undefined ? (names.includes(options.label) ? options.label : undefined) : guessLabelColumn(names);
  const diagnostics = result.diagnostics;
  if (options.label !== undefined && label === undefined) diagnostics.push({ file: name, line: 1, severity: 'warning', message: `no column named ${JSON.stringify(options.label)}` });
  return { format, bytes: result.bytes, md5: result.md5, rows, columns: stats, label, duplicates, duplicateRowsChecked: checked, duplicateExamples: examples, diagnostics };
}

/** A column of classes: not real-valued, and few enough values that every count is kept. */
export function isCategorical(c: ColumnStats): boolean {
  return c.type !== 'float' && c.type !== 'empty' && c.countsComplete;
}

/** The class balance of the label column: each class with its count and share, most frequent first. */
export function classBalance(stats: TableStats): { value: string; count: number; share: number }[] | undefined {
  const col = stats.columns.find((c) => c.name === stats.label);
  if (!col || !isCategorical(col)) return undefined;
  return col.counts.map(([value, count]) => ({ value, count, share: col.count > 0 ? count / col.count : 0 }));
}
