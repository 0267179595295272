/**
 * The one message protocol between the extension host and the webview panels; both sides import these
 * types, so a change to a message breaks the build on both sides at once.
 */
import type { Evaluation } from './core/analysis/evaluation';
import type { ColumnMapping } from './core/analysis/predictions';

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

/** State a chart panel keeps across hide/show and restores after a window reload. */
export interface ChartState {
  metric: string;
  runIds: string[];
  xAxis: XAxis;
  logY: boolean;
  smoothing: number;
}

export type HostMessage =
  | { type: 'series'; state: ChartState; runs: ChartRun[]; metrics: string[]; missing: string[] };

export type WebviewMessage =
  | { type: 'ready'; state?: ChartState }
  | { type: 'state'; state: ChartState };

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
}

export type EvaluationHostMessage = { type: 'evaluation'; view: EvaluationView } | { type: 'busy'; file: string };

export type EvaluationWebviewMessage =
  | { type: 'ready'; file?: string; mapping?: ColumnMapping }
  | { type: 'remap'; mapping: ColumnMapping }
  | { type: 'openRow'; line: number }
  | { type: 'exportCsv'; name: string; csv: string };
