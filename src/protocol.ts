/**
 * The one message protocol between the extension host and the webview panels; both sides import these
 * types, so a change to a message breaks the build on both sides at once.
 */
import type { Evaluation, EvaluationDelta } from './core/analysis/evaluation';
import type { ColumnMapping } from './core/analysis/predictions';
import type { Comparison } from './core/analysis/compare';
import type { TableDiffView } from './core/datasets/diff';

export type XAxis = 'step' | 'time' | 'relative';

export interface ChartRun {
  id: string;
  name: string;
  color: string;
  /** Flat pairs x0, y0, x1, y1, … after downsampling, x per the requested axis (ms for time axes). */
  points: number[];
  /** Points in the full series, before downsampling. */
  total: number;
}

/** State the compare panel keeps across hide/show and restores after a window reload. */
export interface CompareState {
  runIds: string[];
  /** The metrics charted, in order; each gets a chart. */
  metrics: string[];
  xAxis: XAxis;
  logY: boolean;
  smoothing: number;
  /** The parameter-vs-metric scatter's axes. */
  scatter?: { param: string; metric: string };
}

export interface CompareRunInfo {
  id: string;
  name: string;
  color: string;
  experiment: string;
  format: string;
  status: string;
  params: Record<string, string>;
}

export type CompareHostMessage =
  | {
      type: 'compare';
      state: CompareState;
      runs: CompareRunInfo[];
      /** Every metric any of the runs has, for the metric picker. */
      allMetrics: string[];
      table: Comparison;
      /** Per charted metric, each run's downsampled series. */
      series: Record<string, ChartRun[]>;
      missing: string[];
    }
  | { type: 'detail'; metric: string; min: number; max: number; runs: ChartRun[] };

export type CompareWebviewMessage =
  | { type: 'ready'; state?: CompareState }
  | { type: 'state'; state: CompareState }
  /** Zoomed to an x range: the host re-sends that metric's points in the range at full detail. */
  | { type: 'zoom'; metric: string; min: number; max: number }
  | { type: 'addRuns' }
  | { type: 'export'; name: string; data: string; encoding: 'utf8' | 'base64' };

// ---- Evaluation panel ----


export interface EvaluationView {
  file: string;
  /** The file as the user knows it: relative to the workspace. */
  label: string;
  columns: string[];
  mapping: ColumnMapping;
  /** Rows skipped as malformed (located in the Runlens log and Problems). */
  skipped: number;
  evaluation?: Evaluation;
  error?: string;
  /** Webview URIs of image paths of error rows that lie inside the workspace, by row index. */
  images: Record<number, string>;
  /** The table this one is compared with, and how the two differ. */
  baseline?: { file: string; label: string; error?: string };
  delta?: EvaluationDelta;
}

export type EvaluationHostMessage = { type: 'evaluation'; view: EvaluationView } | { type: 'busy'; file: string };

export type EvaluationWebviewMessage =
  | { type: 'ready'; file?: string; mapping?: ColumnMapping }
  | { type: 'remap'; mapping: ColumnMapping }
  | { type: 'openRow'; line: number }
  | { type: 'exportCsv'; name: string; csv: string }
  | { type: 'compareWith' }
  | { type: 'clearBaseline' }
  /** Join a dataset table on a key, to segment by its columns. */
  | { type: 'joinDataset' };

// ---- Dataset diff panel ----

export type DatasetDiffHostMessage = { type: 'diff'; view: TableDiffView };

export type DatasetDiffWebviewMessage = { type: 'ready' } | { type: 'openMarkdown' };
