/**
 * PyTorch Lightning logger folders (`lightning_logs/version_N/`): CSVLogger `metrics.csv` (sparse columns,
 * train and val rows interleaved), `hparams.yaml` (nested → `a.b.c` params), checkpoints
 * (`checkpoints/epoch=E-step=S.ckpt`, listed, never loaded). Event files beside them belong to the same run;
 * the unit reads them with the TensorBoard reader.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, MetricPoint } from '../model';
import { parseCsv } from './csv';
import { readTextFile } from './files';
import { parseNumberText } from './lines';
import { flattenParams, parseYaml } from './yaml';

export const LIGHTNING_VERSION_RE = /^version_\d+$/;
const MAX_PARAMS = 1000;

export interface LightningVersion {
  params: Record<string, string>;
  series: Map<string, MetricPoint[]>;
  diagnostics: Diagnostic[];
}

/** True for a folder a Lightning logger wrote (a version folder with its CSV or hparams). */
export function isLightningVersionDir(dir: string, names: Set<string>): boolean {
  return LIGHTNING_VERSION_RE.test(path.basename(dir)) && (names.has('metrics.csv') || names.has('hparams.yaml'));
}

export function readLightningVersion(dir: string): LightningVersion {
  const diagnostics: Diagnostic[] = [];
  const params: Record<string, string> = {};
  const hparamsFile = path.join(dir, 'hparams.yaml');
  if (fs.existsSync(hparamsFile)) {
    const text = readTextFile(hparamsFile, diagnostics);
    if (text !== undefined) {
      const parsed = parseYaml(text, hparamsFile);
      diagnostics.push(...parsed.diagnostics);
      const flat = flattenParams(parsed.value ?? {});
      const keys = Object.keys(flat);
      for (const k of keys.slice(0, MAX_PARAMS)) params[k] = flat[k];
      if (keys.length > MAX_PARAMS) diagnostics.push({ file: hparamsFile, severity: 'info', message: `${keys.length} hyperparameters; the first ${MAX_PARAMS} are kept` });
    }
  }
  const series = new Map<string, MetricPoint[]>();
  const csvFile = path.join(dir, 'metrics.csv');
  if (fs.existsSync(csvFile)) {
    const text = readTextFile(csvFile, diagnostics);
    if (text !== undefined) readMetricsCsv(text, csvFile, 'step', series, diagnostics);
  }
  return { params, series, diagnostics };
}

/**
 * Sparse metric CSV → series: every non-empty cell of a column other than the step column is one point
 * at that row's step (the row index when there is no step column). Cells that are not numbers are reported.
 */
export function readMetricsCsv(text: string, file: string, stepColumn: string, series: Map<string, MetricPoint[]>, diagnostics: Diagnostic[]): void {
  const table = parseCsv(text, file);
  diagnostics.push(...table.diagnostics);
  const stepIdx = table.header.indexOf(stepColumn);
  const columns = table.header.map((name, i) => ({ name, i })).filter((c) => c.i !== stepIdx && c.name !== '');
  let bad = 0;
  table.rows.forEach((row, index) => {
    if (row.cells.length > table.header.length) {
      if (bad++ < 50) diagnostics.push({ file, line: row.line, severity: 'warning', message: `row has ${row.cells.length} cells but the header has ${table.header.length}; extra cells ignored` });
    }
    const stepText = stepIdx >= 0 ? row.cells[stepIdx] ?? '' : '';
    const step = stepIdx >= 0 ? num(stepText) : index;
    if (step === undefined) {
      if (bad++ < 50) diagnostics.push({ file, line: row.line, severity: 'error', message: `step ${JSON.stringify(stepText)} is not a number; row skipped` });
      return;
    }
    for (const c of columns) {
      const cell = row.cells[c.i];
      if (cell === undefined || cell === '') continue;
      const value = num(cell);
      if (value === undefined) {
        if (bad++ < 50) diagnostics.push({ file, line: row.line, severity: 'error', message: `${c.name} = ${JSON.stringify(cell.slice(0, 40))} is not a number` });
        continue;
      }
      let pts = series.get(c.name);
      if (!pts) series.set(c.name, (pts = []));
      pts.push({ step, time: NaN, value });
    }
  });
}

function num(text: string): number | undefined {
  return parseNumberText(text.trim());
}
