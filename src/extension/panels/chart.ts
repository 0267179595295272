/**
 * The metric chart panel: one metric of one or more runs, overlaid, downsampled in the host (LTTB) so a
 * million-point series costs the webview a few thousand points. It follows the index live, keeps its state
 * across hide/show, and comes back after a window reload (a webview panel serializer).
 */
import * as vscode from 'vscode';
import type { RunRow } from '../../core/index/store';
import { lttb, runColor } from '../../core/analysis/downsample';
import { pickKeyMetric } from '../../core/analysis/compare';
import type { ChartRun, ChartState, HostMessage, WebviewMessage } from '../../protocol';
import type { Ctx } from '../ctx';
import type { RunsNode } from '../trees/runs';
import { panelHtml } from './html';

const VIEW_TYPE = 'runlens.chart';
/** Points per run sent to the webview: about two per horizontal pixel of a wide panel. */
const MAX_POINTS = 2000;

const panels = new Set<ChartPanel>();

export async function showMetricChart(ctx: Ctx, node?: RunsNode, nodes?: RunsNode[]): Promise<ChartPanel | undefined> {
  const store = ctx.index.reader();
  const picked = nodes && nodes.length ? nodes : node ? [node] : ctx.runsView.selection;
  const runs: RunRow[] = [];
  let metric: string | undefined;
  for (const n of picked) {
    if (n.kind === 'run' && !runs.some((r) => r.id === n.run.id)) runs.push(n.run);
    if (n.kind === 'entry' && n.metric !== undefined) {
      metric ??= n.metric;
      if (!runs.some((r) => r.id === n.run.id)) runs.push(n.run);
    }
  }
  if (runs.length === 0) {
    void vscode.window.showInformationMessage('Select one or more runs (or a metric of a run) in the Runs view to chart.');
    return undefined;
  }
  if (!metric) {
    const keys = [...new Set(runs.flatMap((r) => store.seriesSummaries(r.rid).map((s) => s.key)))].sort();
    if (keys.length === 0) {
      void vscode.window.showInformationMessage('These runs have no metrics.');
      return undefined;
    }
    const guess = ctx.config().keyMetric || pickKeyMetric(keys);
    metric = keys.length === 1 ? keys[0] : await vscode.window.showQuickPick(guess ? [guess, ...keys.filter((k) => k !== guess)] : keys, { title: 'Runlens: Show Metric Chart — which metric?' });
    if (!metric) return undefined;
  }
  const state: ChartState = { metric, runIds: runs.map((r) => r.id), xAxis: 'step', logY: false, smoothing: 0 };
  const panel = vscode.window.createWebviewPanel(VIEW_TYPE, title(state, runs), vscode.ViewColumn.Active, webviewOptions(ctx));
  return new ChartPanel(ctx, panel, state);
}

export function registerChartSerializer(ctx: Ctx): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: ChartState | undefined) {
      panel.webview.options = webviewOptions(ctx);
      new ChartPanel(ctx, panel, state ?? { metric: '', runIds: [], xAxis: 'step', logY: false, smoothing: 0 });
    },
  });
}

/** Open chart panels, for tests and for commands that act on the active chart. */
export function chartPanels(): ReadonlySet<ChartPanel> {
  return panels;
}

function webviewOptions(ctx: Ctx): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist')] };
}

function title(state: ChartState, runs: RunRow[]): string {
  return `${state.metric} — ${runs.length === 1 ? runs[0].name : `${runs.length} runs`}`;
}

export class ChartPanel {
  private readonly disposables: vscode.Disposable[] = [];
  /** The last message sent, for tests. */
  lastMessage: HostMessage | undefined;

  constructor(
    private readonly ctx: Ctx,
    readonly panel: vscode.WebviewPanel,
    public state: ChartState,
  ) {
    panels.add(this);
    panel.iconPath = vscode.Uri.joinPath(ctx.extension.extensionUri, 'media', 'chart.svg');
    panel.webview.html = panelHtml(panel.webview, vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview.js'), 'Runlens chart', CHART_BODY, CHART_CSS);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: WebviewMessage) => this.receive(m)),
      ctx.index.onDidChange(() => this.send()),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private receive(m: WebviewMessage): void {
    if (m.type === 'ready') {
      // After a reload the webview's saved state wins: it holds the user's last choices.
      if (m.state && m.state.runIds.length) this.state = m.state;
      this.send();
    } else if (m.type === 'state') {
      const refetch = m.state.metric !== this.state.metric || m.state.xAxis !== this.state.xAxis || m.state.runIds.join() !== this.state.runIds.join();
      this.state = m.state;
      if (refetch) this.send();
    }
  }

  send(): void {
    const store = this.ctx.index.reader();
    const runs = this.state.runIds.flatMap((id) => store.getRun(id) ?? []);
    const missing = this.state.runIds.filter((id) => !runs.some((r) => r.id === id));
    const metrics = [...new Set(runs.flatMap((r) => store.seriesSummaries(r.rid).map((s) => s.key)))].sort();
    const out: ChartRun[] = runs.map((r) => {
      const pts = store.seriesPoints(r.rid, this.state.metric);
      const t0 = pts.length ? Math.min(...pts.slice(0, 1000).map((p) => p.time)) : 0;
      const xs = new Float64Array(pts.length);
      const ys = new Float64Array(pts.length);
      pts.forEach((p, i) => {
        xs[i] = this.state.xAxis === 'step' ? p.step : this.state.xAxis === 'time' ? p.time : p.time - t0;
        ys[i] = p.value;
      });
      const keep = lttb(xs, ys, MAX_POINTS);
      const flat: number[] = [];
      for (const i of keep) flat.push(xs[i], ys[i]);
      return { id: r.id, name: r.name, color: runColor(r.id), points: flat, total: pts.length };
    });
    this.panel.title = title(this.state, runs);
    this.lastMessage = { type: 'series', state: this.state, runs: out, metrics, missing };
    void this.panel.webview.postMessage(this.lastMessage);
  }

  dispose(): void {
    panels.delete(this);
    for (const d of this.disposables) d.dispose();
  }
}

const CHART_BODY = `<div class="bar">
  <label>Metric <select id="metric"></select></label>
  <label>X axis <select id="xaxis"><option value="step">Step</option><option value="relative">Relative time</option><option value="time">Wall time</option></select></label>
  <label><input type="checkbox" id="logy"> Log scale</label>
  <label>Smoothing <input type="range" id="smoothing" min="0" max="0.99" step="0.01"> <span id="smoothingValue"></span></label>
  <span class="note" id="note"></span>
</div>
<div class="wrap"><canvas id="chart" role="img" aria-label="metric chart"></canvas></div>`;

const CHART_CSS = '.wrap { position: relative; height: calc(100vh - 90px); min-height: 240px; }';
