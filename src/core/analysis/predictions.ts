/**
 * Prediction tables as evaluation scripts write them — CSV, TSV or JSON Lines with a true-label column, a
 * predicted-label column, optional per-class probabilities or a binary score, and optional id / text /
 * image-path columns — read with their columns recognised by common names. What cannot be recognised
 * with confidence is left for the user to map (`mapping`), and every bad row gets a located diagnostic.
 */
import * as path from 'node:path';
import type { Diagnostic } from '../model';
import { forEachCsvRecord, parseCsv } from '../formats/csv';
import { readTextFile } from '../formats/files';
import type { RunRow, Store } from '../index/store';
import { artifactPath } from '../index/store';

export interface ColumnMapping {
  truth?: string;
  predicted?: string;
  /** One probability column per class (`prob_<label>`, `p_<label>`, `score_<label>`), keyed by label. */
  classScores?: Record<string, string>;
  /** A single score for the positive class of a binary task. */
  score?: string;
  id?: string;
  text?: string;
  image?: string;
  /** Columns with few distinct values: candidates for per-segment metrics. */
  segments?: string[];
  /**
   * A dataset table joined on a key, so its columns (the data's source, a demographic, a length bucket)
   * can segment the predictions: `file`'s column `key` matched to the predictions' column `on` (default:
   * the id column). Joined columns keep their names unless the predictions have one of the same name; then
   * they are called `<name> (data)`.
   */
  join?: { file: string; key: string; on?: string };
}

export interface PredictionTable {
  file: string;
  columns: string[];
  rows: Record<string, string>[];
  /** 1-based line of each row in the file, for diagnostics and "show me this row". */
  lines: number[];
  mapping: ColumnMapping;
  diagnostics: Diagnostic[];
}

const TRUTH = ['label', 'labels', 'y_true', 'true', 'true_label', 'target', 'actual', 'ground_truth', 'gt', 'truth', 'reference', 'y', 'class', 'expected'];
const PREDICTED = ['prediction', 'predictions', 'pred', 'predicted', 'y_pred', 'predicted_label', 'pred_label', 'output', 'predicted_class'];
const SCORE = ['score', 'scores', 'prob', 'proba', 'probability', 'y_score', 'confidence', 'prob_positive', 'positive_score'];
const ID = ['id', 'idx', 'index', 'sample_id', 'row_id', 'uid'];
const TEXT = ['text', 'sentence', 'input', 'prompt', 'question', 'content', 'review'];
const IMAGE = ['image', 'image_path', 'img', 'img_path', 'path', 'file', 'filepath', 'filename', 'file_name'];
const CLASS_SCORE = /^(?:prob|proba|p|score|probability|logit)[_\-:](.+)$/i;

/** The files a prediction table can be: CSV, TSV, JSON Lines, and DVCLive's sklearn plots (JSON lists of rows). */
export const TABLE_FILE = /\.(csv|tsv|jsonl)$|(^|\/)plots\/sklearn\/(.+\/)?[^/]+\.json$/i;

/**
 * A run's prediction tables: its table artifacts whose columns hold a true and a predicted label, those
 * named like `predictions*` first. Only each file's header and first rows are parsed to decide.
 */
export function predictionTablesOfRun(store: Store, run: RunRow): { tables: string[]; candidates: number } {
  const files = store
    .artifacts(run.rid)
    .filter((a) => TABLE_FILE.test(a.path))
    .sort((a, b) => Number(/(^|\/)predictions?[^/]*$/i.test(b.path)) - Number(/(^|\/)predictions?[^/]*$/i.test(a.path)))
    .map((a) => artifactPath(run, a.path));
  const tables = files.filter((f) => {
    const m = openPredictionTable(f).mapping;
    return m.truth !== undefined && m.predicted !== undefined;
  });
  return { tables, candidates: files.length };
}

/** Rows read to recognise the columns before the whole table streams through. */
const SAMPLE_ROWS = 5000;

/** A prediction table opened for streaming: its columns and mapping, and a pass over its rows. */
export interface PredictionSource {
  file: string;
  columns: string[];
  mapping: ColumnMapping;
  diagnostics: Diagnostic[];
  /** Calls `onRow` for each well-formed row; malformed rows add located diagnostics instead. */
  forEachRow(onRow: (get: (column: string) => string | undefined, line: number) => void): void;
  /** With a join: how many rows the last pass over the rows read, and how many of them found a match. */
  joined?: () => { rows: number; matched: number; file: string; key: string; on: string };
}

export function openPredictionTable(file: string, override: ColumnMapping = {}): PredictionSource {
  const diagnostics: Diagnostic[] = [];
  const text = readTextFile(file, diagnostics) ?? '';
  // A `.json` file is a list of rows when it starts as one, else JSON Lines under another name.
  const jsonArray = /\.json$/i.test(file) && text.trimStart().startsWith('[');
  const jsonl = /\.jsonl?$/i.test(file) && !jsonArray;
  const delimiter = /\.tsv$/i.test(file) || (!/\.csv$/i.test(file) && text.split('\n', 1)[0].includes('\t')) ? '\t' : ',';
  let forEachRow: PredictionSource['forEachRow'];
  let columns: string[] = [];
  const sample: Record<string, string>[] = [];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (jsonArray) {
    // A JSON list of row objects: DVCLive's `log_sklearn_plot("confusion_matrix")` writes
    // `[{"actual": …, "predicted": …}, …]` to plots/sklearn/<name>.json.
    const rows = jsonRows(text, file, diagnostics);
    const seen = new Set<string>();
    for (const { o } of rows.slice(0, SAMPLE_ROWS)) {
      for (const k of Object.keys(o)) if (!seen.has(k)) seen.add(k), columns.push(k);
      sample.push(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, cell(v)])));
    }
    forEachRow = (onRow) => rows.forEach(({ o, line }) => onRow((c) => (Object.prototype.hasOwnProperty.call(o, c) ? cell(o[c]) : undefined), line));
  } else if (jsonl) {
    const each = (onRow: (o: Record<string, unknown>, line: number) => void, limit = Infinity) => {
      let i = 0;
      let line = 1;
      let rows = 0;
      while (i < text.length && rows < limit) {
        const nl = text.indexOf('\n', i);
        const end = nl < 0 ? text.length : nl;
        const raw = text.slice(i, end);
        if (raw.trim()) {
          let value: unknown;
          try {
            value = JSON.parse(raw);
          } catch (e) {
            if (limit === Infinity) diagnostics.push({ file, line, severity: 'warning', message: `not a JSON object: ${(e as Error).message}` });
            value = undefined;
          }
          if (value && typeof value === 'object' && !Array.isArray(value)) {
            onRow(value as Record<string, unknown>, line);
            rows++;
          } else if (value !== undefined && limit === Infinity) diagnostics.push({ file, line, severity: 'warning', message: 'a JSON Lines row must be an object' });
        }
        i = end + 1;
        line++;
      }
    };
    const seen = new Set<string>();
    each((o) => {
      for (const k of Object.keys(o)) if (!seen.has(k)) seen.add(k), columns.push(k);
      sample.push(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, cell(v)])));
    }, SAMPLE_ROWS);
    forEachRow = (onRow) => each((o, line) => onRow((c) => (Object.prototype.hasOwnProperty.call(o, c) ? cell(o[c]) : undefined), line));
  } else {
    // The header and a sample from the first lines; then the whole text, one record at a time.
    let cut = 0;
    for (let k = 0; k <= SAMPLE_ROWS && cut >= 0; k++) cut = text.indexOf('\n', cut + 1);
    const head = cut < 0 ? text : text.slice(0, cut + 1);
    forEachCsvRecord(head, file, delimiter, (cells) => {
      if (columns.length === 0) columns = cells;
      else if (cells.length === columns.length) sample.push(Object.fromEntries(columns.map((c, i) => [c, cells[i]])));
    });
    const index = new Map(columns.map((c, i) => [c, i]));
    const width = columns.length;
    forEachRow = (onRow) => {
      let first = true;
      diagnostics.push(
        ...forEachCsvRecord(text, file, delimiter, (cells, line) => {
          if (first) return void (first = false); // the header
          if (cells.length !== width) {
            diagnostics.push({ file, line, severity: 'warning', message: `${cells.length} cells where the header has ${width}; row skipped` });
            return;
          }
          onRow((c) => {
            const i = index.get(c);
            return i === undefined ? undefined : cells[i];
          }, line);
        }),
      );
    };
  }
  let joined: PredictionSource['joined'];
  if (override.join) {
    const j = joinDataset(file, columns, sample, forEachRow, override.join, override.id ?? detectColumns(columns, sample).id, diagnostics);
    columns = j.columns;
    forEachRow = j.forEachRow;
    joined = j.joined;
  }
  const mapping = { ...detectColumns(columns, sample), ...override };
  if (!mapping.truth || !mapping.predicted) {
    diagnostics.push({
      file,
      line: 1,
      severity: 'info',
      message: `no ${!mapping.truth ? 'true-label' : 'predicted-label'} column recognised among ${columns.join(', ')}; map the columns to evaluate this table`,
    });
  }
  return { file: path.resolve(file), columns, mapping, diagnostics, forEachRow, joined };
}

/**
 * The objects of a JSON list, each with the line it starts on. Anything else (not JSON, not a list) is one
 * located diagnostic and no rows; elements that are not objects are skipped, each located.
 */
function jsonRows(text: string, file: string, diagnostics: Diagnostic[]): { o: Record<string, unknown>; line: number }[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    diagnostics.push({ file, line: 1, severity: 'warning', message: `not JSON: ${(e as Error).message}` });
    return [];
  }
  if (!Array.isArray(value)) {
    diagnostics.push({ file, line: 1, severity: 'info', message: 'not a JSON list of rows' });
    return [];
  }
  // The line of each top-level element: a scan for where each value at depth 1 starts, strings skipped.
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let expect = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 34) {
      if (depth === 1 && expect) lines.push(line), (expect = false);
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 91 || c === 123) {
      if (depth === 1 && expect) lines.push(line), (expect = false);
      if (depth++ === 0) expect = true;
    } else if (c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 1) expect = true;
    else if (depth === 1 && expect && c > 32) lines.push(line), (expect = false);
  }
  const out: { o: Record<string, unknown>; line: number }[] = [];
  value.forEach((v, i) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push({ o: v as Record<string, unknown>, line: lines[i] ?? 1 });
    else diagnostics.push({ file, line: lines[i] ?? 1, severity: 'warning', message: 'a row of a JSON list must be an object' });
  });
  return out;
}

/**
 * Joins a dataset table to a prediction table's rows on a key: the dataset is read once into a map from
 * its key column, and each prediction row reads the joined columns through it. Rows without a match get
 * empty joined values (counted in a diagnostic).
 */
function joinDataset(
  file: string,
  columns: string[],
  sample: Record<string, string>[],
  forEachRow: PredictionSource['forEachRow'],
  join: NonNullable<ColumnMapping['join']>,
  idColumn: string | undefined,
  diagnostics: Diagnostic[],
): { columns: string[]; forEachRow: PredictionSource['forEachRow']; joined?: PredictionSource['joined'] } {
  const on = join.on ?? idColumn;
  if (!on || !columns.includes(on)) {
    diagnostics.push({ file, line: 1, severity: 'warning', message: `cannot join ${join.file}: the predictions have no column '${on ?? '(id)'}' to join on` });
    return { columns, forEachRow };
  }
  const data = openPredictionTable(join.file);
  if (!data.columns.includes(join.key)) {
    diagnostics.push({ file: join.file, line: 1, severity: 'warning', message: `cannot join: no column '${join.key}' (columns: ${data.columns.join(', ')})` });
    return { columns, forEachRow };
  }
  const extra = data.columns.filter((c) => c !== join.key);
  const names = new Map(extra.map((c) => [columns.includes(c) ? `${c} (data)` : c, c]));
  const byKey = new Map<string, string[]>();
  data.forEachRow((get) => void byKey.set(get(join.key) ?? '', extra.map((c) => get(c) ?? '')));
  const position = new Map(extra.map((c, i) => [c, i]));
  for (const row of sample) {
    const hit = byKey.get(row[on] ?? '');
    for (const [name, c] of names) row[name] = hit ? hit[position.get(c)!] : '';
  }
  let unmatched = 0;
  let rows = 0;
  return {
    columns: [...columns, ...names.keys()],
    joined: () => ({ rows, matched: rows - unmatched, file: join.file, key: join.key, on }),
    forEachRow(onRow) {
      unmatched = 0;
      rows = 0;
      forEachRow((get, line) => {
        const hit = byKey.get(get(on) ?? '');
        rows++;
        if (!hit) unmatched++;
        onRow((c) => {
          const own = get(c);
          if (own !== undefined && !names.has(c)) return own;
          const source = names.get(c);
          return source === undefined ? own : hit ? hit[position.get(source)!] : '';
        }, line);
      });
      if (unmatched) diagnostics.push({ file: join.file, line: 1, severity: 'info', message: `${unmatched} prediction rows have no '${join.key}' match in the dataset` });
    },
  };
}

/** The whole table in memory (small tables, tests); large ones stream through `openPredictionTable`. */
export function readPredictionTable(file: string, override: ColumnMapping = {}): PredictionTable {
  const source = openPredictionTable(file, override);
  const rows: Record<string, string>[] = [];
  const lines: number[] = [];
  source.forEachRow((get, line) => {
    rows.push(Object.fromEntries(source.columns.map((c) => [c, get(c) ?? ''])));
    lines.push(line);
  });
  // Mapping notes first, then row problems in file order.
  const diagnostics = [...source.diagnostics].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { file: source.file, columns: source.columns, rows, lines, mapping: source.mapping, diagnostics };
}

/** Recognises columns by name (case-insensitive), then class-probability columns by their suffix. */
export function detectColumns(columns: string[], rows: Record<string, string>[]): ColumnMapping {
  const lower = new Map(columns.map((c) => [c.toLowerCase().trim(), c]));
  const pick = (names: string[]) => names.map((n) => lower.get(n)).find((c) => c !== undefined);
  const mapping: ColumnMapping = { truth: pick(TRUTH), predicted: pick(PREDICTED), score: pick(SCORE), id: pick(ID), text: pick(TEXT), image: pick(IMAGE) };
  const classScores: Record<string, string> = {};
  for (const c of columns) {
    const m = CLASS_SCORE.exec(c);
    if (m && c !== mapping.score) classScores[m[1]] = c;
  }
  if (Object.keys(classScores).length >= 2) mapping.classScores = classScores;
  const used = new Set(Object.values(mapping).filter((v): v is string => typeof v === 'string'));
  for (const c of Object.values(classScores)) used.add(c);
  // Segment candidates: few distinct, mostly non-numeric values (a split, a source, a length bucket).
  const sample = rows.slice(0, 5000);
  mapping.segments = columns.filter((c) => {
    if (used.has(c)) return false;
    const values = new Set(sample.map((r) => r[c]));
    return values.size >= 2 && values.size <= 30 && values.size < sample.length / 2;
  });
  return mapping;
}

/**
 * A confusion matrix a script logged instead of predictions: JSON (`{"labels": [...], "matrix": [[...]]}`,
 * also `classes` / `confusion_matrix` / `cm`, or a bare square array) or CSV/TSV with the labels as the
 * header and the first column. Undefined when the file is not one.
 */
export function readLoggedConfusion(file: string): { labels: string[]; matrix: number[][] } | undefined {
  const diagnostics: Diagnostic[] = [];
  const text = readTextFile(file, diagnostics);
  if (text === undefined) return undefined;
  const square = (m: unknown): m is number[][] =>
    Array.isArray(m) && m.length > 0 && m.every((r) => Array.isArray(r) && r.length === m.length && r.every((v) => Number.isInteger(v) && v >= 0));
  if (/\.json$/i.test(file)) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (square(v)) return { labels: v.map((_, i) => String(i)), matrix: v };
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const m = o.matrix ?? o.confusion_matrix ?? o.confusion ?? o.cm;
      const labels = (o.labels ?? o.classes ?? o.class_names) as unknown;
      if (square(m)) {
        const names = Array.isArray(labels) && labels.length === m.length ? labels.map(String) : m.map((_, i) => String(i));
        return { labels: names, matrix: m };
      }
    }
    return undefined;
  }
  const table = parseCsv(text, file, /\.tsv$/i.test(file) ? '\t' : ',');
  const labels = table.header.slice(1).map((h) => h.trim());
  if (labels.length < 2 || table.rows.length !== labels.length) return undefined;
  const rowLabels = table.rows.map((r) => (r.cells[0] ?? '').trim());
  if ([...rowLabels].sort().join('\0') !== [...labels].sort().join('\0')) return undefined;
  const matrix = labels.map((t) => {
    const row = table.rows[rowLabels.indexOf(t)].cells.slice(1).map(Number);
    return row;
  });
  if (!square(matrix)) return undefined;
  return { labels, matrix };
}
