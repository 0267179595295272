/**
 * The one message protocol between the extension host and the webview panels; both sides import these
 * types, so a change to a message breaks the build on both sides at once.
 */

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
