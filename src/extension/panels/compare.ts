/**
 * The compare panel: runs side by side — one chart per metric overlaying every run (downsampled in the
 * host with LTTB; zooming asks for the visible range at full detail), a table of the params that differ
 * and each metric's last / best value, a parameter-vs-metric scatter and parallel coordinates for sweeps.
 * "Show Metric Chart" opens it on one metric. It follows the index live, keeps its state across hide/show
 * and comes back after a window reload.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRow, Store } from '../../core/index/store';
import { compareRuns, isRanked, pickKeyMetric } from '../../core/analysis/compare';
import { runColors } from '../../core/analysis/downsample';
import { chartSeries } from '../../core/analysis/chartSeries';
import { effectiveStatus } from '../../core/analysis/status';
import type { ChartRun, CompareHostMessage, CompareState, CompareWebviewMessage } from '../../protocol';
import type { Ctx } from '../ctx';
import type { RunsNode } from '../trees/runs';
import { panelHtml } from './html';
import { pickRuns, selection } from '../selection';

const VIEW_TYPE = 'runlens.compare';
/** Points per run and chart: about two per horizontal pixel of a chart in the grid. */
const MAX_POINTS = 1500;
/** Metrics charted when the user has not chosen. */
const DEFAULT_METRICS = 6;

const panels = new Set<ComparePanel>();

export function comparePanels(): ReadonlySet<ComparePanel> {
  return panels;
}

/** Compare Selected Runs: at least two runs, from the selection or a picker. */
export async function compareSelected(ctx: Ctx, node?: RunsNode, nodes?: RunsNode[]): Promise<ComparePanel | undefined> {
  let { runs } = selection(ctx, node, nodes, true);
  if (runs.length < 2) runs = (await pickRuns(ctx, 'Runlens: Compare Runs — choose two or more', runs.map((r) => r.id))) ?? [];
  if (runs.length === 0) return undefined;
  return open(ctx, runs, undefined);
}

/** Show Metric Chart: the chosen runs on one metric (the clicked metric, or one picked). */
export async function showMetricChart(ctx: Ctx, node?: RunsNode, nodes?: RunsNode[]): Promise<ComparePanel | undefined> {
  const { runs, metric: clicked } = selection(ctx, node, nodes, true);
  if (runs.length === 0) {
    void vscode.window.showInformationMessage('Select one or more runs (or a metric of a run) in the Runs view to chart.');
    return undefined;
  }
  let metric = clicked;
  if (!metric) {
    const store = ctx.index.reader();
    const keys = [...new Set(runs.flatMap((r) => store.seriesSummaries(r.rid).map((s) => s.key)))].sort();
    if (keys.length === 0) {
      void vscode.window.showInformationMessage('These runs have no metrics.');
      return undefined;
    }
    const guess = ctx.config().keyMetric || pickKeyMetric(keys);
    metric = keys.length === 1 ? keys[0] : await vscode.window.showQuickPick(guess ? [guess, ...keys.filter((k) => k !== guess)] : keys, { title: 'Runlens: Show Metric Chart — which metric?' });
    if (!metric) return undefined;
  }
  return open(ctx, runs, [metric]);
}

function open(ctx: Ctx, runs: RunRow[], metrics: string[] | undefined): ComparePanel {
  const state: CompareState = { runIds: runs.map((r) => r.id), metrics: metrics ?? defaultMetrics(ctx, ctx.index.reader(), runs), xAxis: 'step', logY: false, smoothing: 0 };
  const panel = vscode.window.createWebviewPanel(VIEW_TYPE, title(state, runs), vscode.ViewColumn.Active, options(ctx));
  return new ComparePanel(ctx, panel, state);
}

/** The key metric first, then the metrics most runs share (scores before losses before the rest). */
function defaultMetrics(ctx: Ctx, store: Store, runs: RunRow[]): string[] {
  const count = new Map<string, number>();
  const varies = new Set<string>();
  for (const r of runs) {
    for (const s of store.seriesSummaries(r.rid)) {
      count.set(s.key, (count.get(s.key) ?? 0) + 1);
      if (s.min !== s.max) varies.add(s.key);
    }
  }
  // A series that never changed (Lightning's hp_metric placeholder, a constant) makes a flat, empty chart.
  const keys = [...count.keys()].filter((k) => isRanked(k) && varies.has(k));
  const key = ctx.config().keyMetric || pickKeyMetric(keys);
  const rank = (k: string) => (k === key ? 0 : /acc|f1|auc|map|precision|recall/i.test(k) ? 1 : /loss/i.test(k) ? 2 : 3);
  return keys.sort((a, b) => count.get(b)! - count.get(a)! || rank(a) - rank(b) || (a < b ? -1 : 1)).sort((a, b) => (a === key ? -1 : b === key ? 1 : 0)).slice(0, DEFAULT_METRICS);
}

export function registerCompareSerializer(ctx: Ctx): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: CompareState | undefined) {
      panel.webview.options = options(ctx);
      new ComparePanel(ctx, panel, state ?? { runIds: [], metrics: [], xAxis: 'step', logY: false, smoothing: 0 });
    },
  });
}

function options(ctx: Ctx): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist')] };
}

function title(state: CompareState, runs: RunRow[]): string {
  const who = runs.length === 1 ? runs[0].name : `${runs.length} runs`;
  return state.metrics.length === 1 ? `${state.metrics[0]} — ${who}` : `Compare ${who}`;
}

export class ComparePanel {
  private readonly disposables: vscode.Disposable[] = [];
  /** The last full message sent, for tests. */
  lastMessage: Extract<CompareHostMessage, { type: 'compare' }> | undefined;

  constructor(
    private readonly ctx: Ctx,
    readonly panel: vscode.WebviewPanel,
    public state: CompareState,
  ) {
    panels.add(this);
    panel.iconPath = vscode.Uri.joinPath(ctx.extension.extensionUri, 'media', 'chart.svg');
    panel.webview.html = panelHtml(panel.webview, vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'compare.js'), 'Runlens compare', '<div id="app"><p class="note">Loading…</p></div>', COMPARE_CSS);
    let timer: NodeJS.Timeout | undefined;
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: CompareWebviewMessage) => void this.receive(m)),
      // A training run writes often: redraw at most twice a second.
      ctx.index.onDidChange(() => {
        if (timer) return;
        timer = setTimeout(() => ((timer = undefined), this.send()), 500);
      }),
      panel.onDidDispose(() => this.dispose()),
      { dispose: () => clearTimeout(timer) },
    );
  }

  private async receive(m: CompareWebviewMessage): Promise<void> {
    if (m.type === 'ready') {
      // After a reload the webview's saved state wins: it holds the user's last choices.
      if (m.state && m.state.runIds.length) this.state = m.state;
      this.send();
    } else if (m.type === 'state') {
      const refetch = m.state.xAxis !== this.state.xAxis || m.state.runIds.join() !== this.state.runIds.join() || m.state.metrics.join() !== this.state.metrics.join();
      this.state = m.state;
      if (refetch) this.send();
    } else if (m.type === 'zoom') {
      const store = this.ctx.index.reader();
      const runs = this.state.runIds.flatMap((id) => store.getRun(id) ?? []);
      const colors = runColors(runs.map((r) => r.id));
      const withMetric = runs.filter((r) => store.seriesSummaries(r.rid).some((s) => s.key === m.metric));
      const msg: CompareHostMessage = { type: 'detail', metric: m.metric, min: m.min, max: m.max, runs: withMetric.map((r) => chartSeries(store, r, m.metric, this.state.xAxis, colors.get(r.id)!, MAX_POINTS, [m.min, m.max])) };
      void this.panel.webview.postMessage(msg);
    } else if (m.type === 'addRuns') {
      const runs = await pickRuns(this.ctx, 'Runlens: runs to compare', this.state.runIds);
      if (runs) {
        this.state = { ...this.state, runIds: runs.map((r) => r.id) };
        this.send();
      }
    } else if (m.type === 'export') {
      const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', m.name)), title: 'Runlens: Export' });
      if (target) await vscode.workspace.fs.writeFile(target, Buffer.from(m.data, m.encoding));
    }
  }

  send(): void {
    const store = this.ctx.index.reader();
    const runs = this.state.runIds.flatMap((id) => store.getRun(id) ?? []);
    const missing = this.state.runIds.filter((id) => !runs.some((r) => r.id === id));
    const summaries = runs.map((r) => store.seriesSummaries(r.rid));
    const params = runs.map((r) => store.params(r.rid));
    const allMetrics = [...new Set(summaries.flat().map((s) => s.key))].sort();
    const table = compareRuns(runs.map((r, i) => ({ id: r.id, name: r.name, params: params[i], metrics: summaries[i] })));
    const colors = runColors(runs.map((r) => r.id));
    const out: Record<string, ChartRun[]> = {};
    for (const metric of this.state.metrics) out[metric] = runs.filter((_, i) => summaries[i].some((s) => s.key === metric)).map((r) => chartSeries(store, r, metric, this.state.xAxis, colors.get(r.id)!, MAX_POINTS));
    this.panel.title = title(this.state, runs);
    this.lastMessage = {
      type: 'compare',
      state: this.state,
      runs: runs.map((r, i) => ({ id: r.id, name: r.name, color: colors.get(r.id)!, experiment: r.experimentName, format: r.format, status: effectiveStatus(r), params: params[i] })),
      allMetrics,
      table,
      series: out,
      missing,
    };
    void this.panel.webview.postMessage(this.lastMessage);
  }

  dispose(): void {
    panels.delete(this);
    for (const d of this.disposables) d.dispose();
  }
}

const COMPARE_CSS = `
  h2 { font-size: 1.15em; margin: 18px 0 6px; font-weight: 600; }
  body { overflow-x: hidden; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 14px; }
  .grid.one { grid-template-columns: 1fr; }
  .chart { position: relative; height: 300px; border: 1px solid var(--vscode-editorWidget-border, rgba(128,128,128,0.25)); border-radius: 4px; padding: 6px; }
  .grid.one .chart { height: calc(100vh - 140px); min-height: 260px; }
  .chart .head { display: flex; justify-content: space-between; align-items: center; font-weight: 600; }
  .chart .head .tools { display: flex; gap: 4px; }
  .chart canvas { height: calc(100% - 28px) !important; }
  .runs { display: flex; flex-wrap: wrap; gap: 6px; }
  .chip { display: inline-flex; align-items: center; gap: 6px; padding: 2px 8px; border-radius: 10px; border: 1px solid var(--vscode-editorWidget-border, rgba(128,128,128,0.3)); }
  .swatch { width: 10px; height: 10px; border-radius: 2px; display: inline-block; }
  .chip button { padding: 0 4px; background: transparent; color: var(--vscode-foreground); }
  .best { font-weight: 700; color: var(--vscode-charts-green); }
  th.sortable { cursor: pointer; }
  .metrics { display: flex; flex-wrap: wrap; gap: 4px 12px; max-height: 96px; overflow: auto; }
  svg text { fill: var(--vscode-foreground); font-size: 11px; }
  svg .axis { stroke: var(--vscode-descriptionForeground); }
`;
