/**
 * Data checks reported as located problems: rows shared between the splits of one dataset (train/test
 * leakage, by row hash), splits whose class balance differs, and duplicate rows within a file. Split files
 * are found by name — `train.csv`/`test.csv`, `X_train.csv`/`X_val.csv`, `train/data.csv`/`test/data.csv`.
 * Each file is streamed once; memory is 12 bytes per row of the largest split.
 */
import * as path from 'node:path';
import type { Diagnostic } from '../model';
import { psi, psiVerdict } from './drift';
import { RowHashSet, hashRow } from './rowHash';
import { guessLabelColumn } from './stats';
import { type TableFormat, readTable, tableFormat } from './table';

export type SplitName = 'train' | 'validation' | 'test';

const SPLIT_TOKENS: Record<string, SplitName> = {
  train: 'train',
  training: 'train',
  trn: 'train',
  val: 'validation',
  valid: 'validation',
  validation: 'validation',
  dev: 'validation',
  test: 'test',
  testing: 'test',
  tst: 'test',
  holdout: 'test',
  eval: 'test',
};

export interface SplitGroup {
  /** The name the splits share: their folder and the file name without the split token. */
  key: string;
  splits: { split: SplitName; file: string }[];
}

/** Files that are splits of one dataset, grouped; a group has two or more distinct splits. */
export function splitGroups(files: string[]): SplitGroup[] {
  const groups = new Map<string, SplitGroup>();
  for (const file of files) {
    const format = tableFormat(file);
    if (!format) continue;
    const dir = path.dirname(file);
    const base = path.basename(file);
    const ext = path.extname(base);
    const stem = base.slice(0, -ext.length);
    const tokens = stem.split(/([-_. ]+)/);
    let key: string | undefined;
    let split: SplitName | undefined;
    const at = tokens.findIndex((t) => SPLIT_TOKENS[t.toLowerCase()] !== undefined);
    if (at >= 0) {
      split = SPLIT_TOKENS[tokens[at].toLowerCase()];
      key = path.join(dir, [...tokens.slice(0, at), '*', ...tokens.slice(at + 1)].join('') + ext);
    } else if (SPLIT_TOKENS[path.basename(dir).toLowerCase()] !== undefined) {
      split = SPLIT_TOKENS[path.basename(dir).toLowerCase()];
      key = path.join(path.dirname(dir), '*', base);
    }
    if (!key || !split) continue;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, splits: [] }));
    g.splits.push({ split, file });
  }
  const order: SplitName[] = ['train', 'validation', 'test'];
  return [...groups.values()]
    .filter((g) => new Set(g.splits.map((s) => s.split)).size >= 2)
    .map((g) => ({ ...g, splits: g.splits.sort((a, b) => order.indexOf(a.split) - order.indexOf(b.split) || (a.file < b.file ? -1 : 1)) }));
}

/** Columns a writer adds that are not data: pandas' written index. Left out of row identity. */
const INDEX_COLUMNS = new Set(['', 'Unnamed: 0', 'index']);

interface FilePass {
  file: string;
  rows: number;
  header: string[];
  label?: string;
  labels: Map<string, number>;
  duplicates: number;
  firstDuplicate?: { line: number; of: number };
}

export interface CheckOptions {
  label?: string;
  /** Also report duplicate rows in files that are no split's (default true; the editor reports splits only). */
  allDuplicates?: boolean;
  signal?: { cancelled: boolean };
}

/** Leakage, balance and duplicates within one group of splits. */
export async function checkSplitGroup(group: SplitGroup, options: CheckOptions = {}): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  // Rows seen in earlier splits (train first), each with its file and line.
  const seen: { file: string; set: RowHashSet }[] = [];
  let identity: string[] | undefined;
  const passes: FilePass[] = [];
  for (const { file } of group.splits) {
    const format = tableFormat(file) as TableFormat;
    const own = new RowHashSet();
    const pass: FilePass = { file, rows: 0, header: [], labels: new Map(), duplicates: 0 };
    let pick: number[] = [];
    let labelAt = -1;
    const leaks = seen.map(() => ({ count: 0, first: undefined as { line: number; of: number } | undefined }));
    const result = await readTable(
      { file },
      format,
      file,
      {
        onHeader(columns) {
          pass.header = columns;
          identity ??= columns.filter((c) => !INDEX_COLUMNS.has(c));
          pick = identity.map((c) => columns.indexOf(c));
          pass.label = options.label ?? guessLabelColumn(columns);
          labelAt = pass.label === undefined ? -1 : columns.indexOf(pass.label);
        },
        onRow(cells, line) {
          pass.rows++;
          if (labelAt >= 0) pass.labels.set(cells[labelAt], (pass.labels.get(cells[labelAt]) ?? 0) + 1);
          const h = hashRow(pick.map((i) => (i < 0 ? '' : cells[i] ?? '')));
          const of = own.addOrGet(h, line);
          if (of !== undefined) {
            pass.duplicates++;
            pass.firstDuplicate ??= { line, of };
          }
          seen.forEach((s, k) => {
            const at = s.set.get(h);
            if (at !== undefined) {
              leaks[k].count++;
              leaks[k].first ??= { line, of: at };
            }
          });
        },
      },
      options.signal,
    );
    diagnostics.push(...result.diagnostics);
    seen.forEach((s, k) => {
      const leak = leaks[k];
      if (leak.count === 0 || !leak.first) return;
      const share = ((100 * leak.count) / Math.max(1, pass.rows)).toFixed(1);
      diagnostics.push({
        file,
        line: leak.first.line,
        severity: 'warning',
        message: `leakage: ${leak.count} of ${pass.rows} rows (${share} %) also appear in ${path.basename(s.file)} (this line is its line ${leak.first.of})`,
      });
    });
    if (pass.duplicates > 0 && pass.firstDuplicate) {
      diagnostics.push({ file, line: pass.firstDuplicate.line, severity: 'warning', message: duplicateMessage(pass.duplicates, pass.firstDuplicate) });
    }
    seen.push({ file, set: own });
    passes.push(pass);
  }
  diagnostics.push(...balance(passes));
  return diagnostics;
}

function duplicateMessage(count: number, first: { line: number; of: number }): string {
  return `${count} duplicate ${count === 1 ? 'row' : 'rows'}: line ${first.line} repeats line ${first.of}`;
}

/** Class balance of each split against the first (the training split). */
function balance(passes: FilePass[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const [ref, ...others] = passes;
  if (!ref || ref.labels.size === 0 || ref.labels.size > 200) return out;
  for (const p of others) {
    if (p.label !== ref.label || p.labels.size === 0) continue;
    const missing = [...ref.labels.keys()].filter((k) => !p.labels.has(k));
    const unseen = [...p.labels.keys()].filter((k) => !ref.labels.has(k));
    if (unseen.length > 0) {
      out.push({ file: p.file, line: 1, severity: 'warning', message: `split balance: ${unseen.length} ${p.label} ${unseen.length === 1 ? 'class' : 'classes'} never seen in ${path.basename(ref.file)}: ${unseen.slice(0, 5).join(', ')}` });
    }
    if (missing.length > 0) {
      out.push({ file: p.file, line: 1, severity: 'info', message: `split balance: ${missing.length} ${p.label} ${missing.length === 1 ? 'class' : 'classes'} of ${path.basename(ref.file)} absent here: ${missing.slice(0, 5).join(', ')}` });
    }
    const value = psi(ref.labels, p.labels);
    if (value >= 0.1) {
      out.push({ file: p.file, line: 1, severity: 'warning', message: `split balance: ${p.label} distribution differs from ${path.basename(ref.file)} (PSI ${value.toFixed(3)}, ${psiVerdict(value)})` });
    }
  }
  return out;
}

/** Duplicate rows of a file that belongs to no split group: the group check over that file alone. */
export async function checkDuplicates(file: string, options: CheckOptions = {}): Promise<Diagnostic[]> {
  if (!tableFormat(file)) return [];
  return checkSplitGroup({ key: file, splits: [{ split: 'train', file }] }, options);
}

/** Every check over a set of table files: split groups, then duplicates in the files of no group. */
export async function checkTables(files: string[], options: CheckOptions = {}): Promise<Diagnostic[]> {
  const groups = splitGroups(files);
  const grouped = new Set(groups.flatMap((g) => g.splits.map((s) => s.file)));
  const out: Diagnostic[] = [];
  for (const g of groups) out.push(...(await checkSplitGroup(g, options)));
  if (options.allDuplicates !== false) for (const f of files) if (!grouped.has(f) && tableFormat(f)) out.push(...(await checkDuplicates(f, options)));
  return out;
}
