/**
 * PyTorch Lightning logger folders (`lightning_logs/version_N/`): CSVLogger `metrics.csv` (sparse columns,
 * train and val rows interleaved), `hparams.yaml` (nested → `a.b.c` params), checkpoints
 * (`checkpoints/epoch=E-step=S.ckpt`, listed, never loaded). Event files beside them belong to the same run;
 * the unit reads them with the TensorBoard reader.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, MetricPoint } from '../model';
import { forEachCsvRecord } from './csv';
import { readFrom, readTextFile } from './files';
import { parseNumberText } from './lines';
import { flattenParams, parseYaml } from './yaml';

export const LIGHTNING_VERSION_RE = /^version_\d+$/;
const MAX_PARAMS = 1000;

/** True for a folder a Lightning logger wrote (a version folder with its CSV or hparams). */
export function isLightningVersionDir(dir: string, names: Set<string>): boolean {
  return LIGHTNING_VERSION_RE.test(path.basename(dir)) && (names.has('metrics.csv') || names.has('hparams.yaml'));
}

/** `hparams.yaml`, nested keys flattened to `a.b.c` (the first MAX_PARAMS). */
export function readLightningParams(dir: string, diagnostics: Diagnostic[]): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  const hparamsFile = path.join(dir, 'hparams.yaml');
  if (!fs.existsSync(hparamsFile)) return params;
  const text = readTextFile(hparamsFile, diagnostics);
  if (text === undefined) return params;
  const parsed = parseYaml(text, hparamsFile);
  diagnostics.push(...parsed.diagnostics);
  const flat = flattenParams(parsed.value ?? {});
  const keys = Object.keys(flat);
  for (const k of keys.slice(0, MAX_PARAMS)) params[k] = flat[k];
  if (keys.length > MAX_PARAMS) diagnostics.push({ file: hparamsFile, severity: 'info', message: `${keys.length} hyperparameters; the first ${MAX_PARAMS} are kept` });
  return params;
}

/** Where an appended metric CSV was read to: the byte offset after the last complete row, and its header. */
export interface MetricsCsvPosition {
  offset: number;
  header: string[];
  /** The line number at `offset`, and rows read so far (the step of rows without a step column). */
  line: number;
  rows: number;
  /** Diagnostics of bad cells given so far (they stop at 50 a file). */
  bad: number;
  /** Where trainings are told apart (see readMetricsCsvFrom): the last row's training (from 0) and step. */
  training?: number;
  lastStep?: number;
}

/** The series of one training of a file (trainings numbered from 0). */
export type SeriesOfTraining = (training: number) => Map<string, MetricPoint[]>;

/**
 * Sparse metric CSVs (Lightning's CSVLogger, Keras's CSVLogger) → series: every non-empty cell of a column
 * other than the step column is one point at that row's step (the row index when there is no step column);
 * cells that are not numbers are reported. Reads the rows the file gained since `from` (the whole file
 * when there is no `from`): complete lines only — a row still being written is left for the next read. The file's header is the one read at its
 * start; a logger that adds a column rewrites the file, which the indexer sees as a changed file.
 * With `series` a function, a row whose step is not past the previous row's begins another training
 * (Keras's `CSVLogger(append=True)` appends each `fit` to one file, its epochs counted from 0 again).
 */
export function readMetricsCsvFrom(
  file: string,
  from: MetricsCsvPosition | undefined,
  stepColumn: string,
  series: Map<string, MetricPoint[]> | SeriesOfTraining,
  diagnostics: Diagnostic[],
): MetricsCsvPosition {
  const start = from?.offset ?? 0;
  let bytes: Buffer;
  try {
    bytes = readFrom(file, start);
  } catch (e) {
    diagnostics.push({ file, severity: 'error', message: `cannot read: ${(e as Error).message}` });
    return from ?? { offset: 0, header: [], line: 1, rows: 0, bad: 0 };
  }
  const complete = bytes.lastIndexOf(10) + 1;
  if (complete < bytes.length) diagnostics.push({ file, line: (from?.line ?? 1) + countLines(bytes.subarray(0, complete)), severity: 'info', message: 'last row has no newline yet (still being written?); it is read once complete' });
  const pos: MetricsCsvPosition = from ? { ...from } : { offset: 0, header: [], line: 1, rows: 0, bad: 0 };
  let text = bytes.subarray(0, complete).toString('utf8');
  if (!from && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let row: ((cells: string[], line: number, index: number) => void) | undefined = from ? metricsRowReader(pos.header, file, stepColumn, series, diagnostics, pos) : undefined;
  const lineBase = pos.line - 1;
  diagnostics.push(
    ...forEachCsvRecord(text, file, ',', (cells, line) => {
      if (!row) {
        pos.header = cells;
        row = metricsRowReader(pos.header, file, stepColumn, series, diagnostics, pos);
        return;
      }
      row(cells, lineBase + line, pos.rows++);
    }),
  );
  pos.offset = start + complete;
  pos.line += countLines(bytes.subarray(0, complete));
  return pos;
}

function countLines(b: Uint8Array): number {
  let n = 0;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/** The per-row work of a metric CSV: a point per non-empty numeric cell, at the row's step. */
function metricsRowReader(
  header: string[],
  file: string,
  stepColumn: string,
  seriesOf: Map<string, MetricPoint[]> | SeriesOfTraining,
  diagnostics: Diagnostic[],
  counter: Pick<MetricsCsvPosition, 'bad' | 'training' | 'lastStep'> = { bad: 0 },
): (cells: string[], line: number, index: number) => void {
  const stepIdx = header.indexOf(stepColumn);
  const columns = header.map((name, i) => ({ name, i })).filter((c) => c.i !== stepIdx && c.name !== '');
  return (cells, line, index) => {
    if (cells.length > header.length) {
      if (counter.bad++ < 50) diagnostics.push({ file, line, severity: 'warning', message: `row has ${cells.length} cells but the header has ${header.length}; extra cells ignored` });
    }
    const stepText = stepIdx >= 0 ? cells[stepIdx] ?? '' : '';
    const step = stepIdx >= 0 ? num(stepText) : index;
    if (step === undefined) {
      if (counter.bad++ < 50) diagnostics.push({ file, line, severity: 'error', message: `step ${JSON.stringify(stepText)} is not a number; row skipped` });
      return;
    }
    let series: Map<string, MetricPoint[]>;
    if (typeof seriesOf === 'function') {
      if (counter.training === undefined) counter.training = 0;
      else if (counter.lastStep !== undefined && !(step > counter.lastStep)) counter.training++;
      counter.lastStep = step;
      series = seriesOf(counter.training);
    } else series = seriesOf;
    for (const c of columns) {
      const cell = cells[c.i];
      if (cell === undefined || cell === '') continue;
      const value = num(cell);
      if (value === undefined) {
        if (counter.bad++ < 50) diagnostics.push({ file, line, severity: 'error', message: `${c.name} = ${JSON.stringify(cell.slice(0, 40))} is not a number` });
        continue;
      }
      let pts = series.get(c.name);
      if (!pts) series.set(c.name, (pts = []));
      pts.push({ step, time: NaN, value });
    }
  };
}

function num(text: string): number | undefined {
  return parseNumberText(text.trim());
}
