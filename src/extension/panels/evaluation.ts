/**
 * The evaluation panel: a prediction table's confusion matrix, per-class metrics, binary curves, segments,
 * rare classes and worst errors. The table is read and evaluated in a worker thread; the panel follows the
 * file as it changes (an evaluation script rewriting it), lets the user re-map columns, and comes back
 * after a window reload.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { evaluateInWorker } from '../../core/analysis/evaluator';
import { openPredictionTable, TABLE_FILE } from '../../core/analysis/predictions';
import type { ColumnMapping } from '../../core/analysis/predictions';
import type { EvaluationHostMessage, EvaluationView, EvaluationWebviewMessage } from '../../protocol';
import type { Ctx } from '../ctx';
import { panelHtml } from './html';
import { artifactPath } from '../../core/index/store';
import type { RunRow } from '../../core/index/store';
import { insideFolders } from '../../core/artifacts/confine';

const VIEW_TYPE = 'runlens.evaluation';
const panels = new Set<EvaluationPanel>();

export function evaluationPanels(): ReadonlySet<EvaluationPanel> {
  return panels;
}

/** Opens (or reveals) the evaluation of a prediction table; asks for a file when none is given. */
export async function showEvaluation(ctx: Ctx, file?: string, baseline?: string): Promise<EvaluationPanel | undefined> {
  if (!file) {
    const [picked] =
      (await vscode.window.showOpenDialog({
        canSelectMany: false,
        openLabel: 'Evaluate',
        title: 'Runlens: Evaluate Predictions — a CSV, TSV or JSON Lines file with true and predicted labels',
        filters: { 'Prediction tables': ['csv', 'tsv', 'jsonl', 'json'] },
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      })) ?? [];
    file = picked?.fsPath;
  }
  if (!file) return undefined;
  const existing = [...panels].find((p) => p.file === file);
  if (existing) {
    existing.panel.reveal();
    if (baseline) existing.setBaseline(baseline);
    return existing;
  }
  // A run's table is often just predictions.csv: its folder tells panels apart.
  const name = `${path.basename(path.dirname(file))}/${path.basename(file)}`;
  const panel = vscode.window.createWebviewPanel(VIEW_TYPE, `Evaluation: ${name}`, vscode.ViewColumn.Active, options(ctx));
  return new EvaluationPanel(ctx, panel, file, {}, baseline);
}

/** Asks for a prediction table: one of the runs' table artifacts, or any file. */
export async function pickPredictionTable(ctx: Ctx, title: string, exclude?: string): Promise<string | undefined> {
  const store = ctx.index.reader();
  const rows = store.db
    .prepare("SELECT r.id, r.name, r.format, r.path, r.artifact_dir AS artifactDir, a.path AS rel FROM artifacts a JOIN runs r ON r.rid = a.rid WHERE a.kind = 'table' ORDER BY r.start_time DESC LIMIT 2000")
    .all() as { id: string; name: string; format: RunRow['format']; path: string; artifactDir: string | null; rel: string }[];
  const items: (vscode.QuickPickItem & { file?: string })[] = rows
    .map((r) => ({ label: r.name, description: r.rel, file: artifactPath(r, r.rel) }))
    .filter((i) => i.file !== exclude && TABLE_FILE.test(i.file));
  items.push({ label: '$(folder-opened) Choose a file…', alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, { title, matchOnDescription: true });
  if (!picked) return undefined;
  if (picked.file) return picked.file;
  const [uri] = (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Prediction tables': ['csv', 'tsv', 'jsonl'] }, title })) ?? [];
  return uri?.fsPath;
}

export function registerEvaluationSerializer(ctx: Ctx): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: { file?: string; mapping?: ColumnMapping } | undefined) {
      panel.webview.options = options(ctx);
      if (state?.file && fs.existsSync(state.file)) new EvaluationPanel(ctx, panel, state.file, state.mapping ?? {});
      else panel.dispose();
    },
  });
}

function options(ctx: Ctx): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  const roots = [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist'), ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri)];
  return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: roots };
}

export class EvaluationPanel {
  private readonly disposables: vscode.Disposable[] = [];
  lastView: EvaluationView | undefined;
  private version = 0;

  constructor(
    private readonly ctx: Ctx,
    readonly panel: vscode.WebviewPanel,
    readonly file: string,
    private mapping: ColumnMapping,
    private baseline?: string,
  ) {
    panels.add(this);
    panel.iconPath = vscode.Uri.joinPath(ctx.extension.extensionUri, 'media', 'chart.svg');
    panel.webview.html = panelHtml(panel.webview, vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'evaluation.js'), 'Runlens evaluation', '<div id="app"><p class="note">Evaluating…</p></div>', EVALUATION_CSS);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
    let timer: NodeJS.Timeout | undefined;
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void this.update(), 500);
    };
    this.disposables.push(
      watcher,
      watcher.onDidChange(changed),
      watcher.onDidCreate(changed),
      panel.webview.onDidReceiveMessage((m: EvaluationWebviewMessage) => this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      { dispose: () => clearTimeout(timer) },
    );
  }

  private receive(m: EvaluationWebviewMessage): void {
    if (m.type === 'ready') {
      if (m.mapping) this.mapping = m.mapping;
      void this.update();
    } else if (m.type === 'remap') {
      this.mapping = m.mapping;
      void this.update();
    } else if (m.type === 'openRow') {
      const line = Math.max(0, m.line - 1);
      void vscode.window.showTextDocument(vscode.Uri.file(this.file), { selection: new vscode.Range(line, 0, line, 0), viewColumn: vscode.ViewColumn.Beside, preview: true });
    } else if (m.type === 'exportCsv') {
      void this.exportCsv(m.name, m.csv);
    } else if (m.type === 'compareWith') {
      void pickPredictionTable(this.ctx, `Compare ${path.basename(this.file)} with…`, this.file).then((f) => f && this.setBaseline(f));
    } else if (m.type === 'clearBaseline') {
      this.setBaseline(undefined);
    } else if (m.type === 'joinDataset') {
      void this.joinDataset();
    }
  }

  /** Asks for a dataset table and the key to join it on; its columns become segment choices. */
  private async joinDataset(): Promise<void> {
    const [uri] = (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Data tables': ['csv', 'tsv', 'jsonl'] }, title: 'Runlens: a dataset table to join to the predictions', defaultUri: vscode.Uri.file(path.dirname(this.file)) })) ?? [];
    if (!uri) return;
    const columns = openPredictionTable(uri.fsPath).columns;
    const on = this.lastView?.mapping.id;
    const key = await vscode.window.showQuickPick(on && columns.includes(on) ? [on, ...columns.filter((c) => c !== on)] : columns, {
      title: `Which column of ${path.basename(uri.fsPath)} matches the predictions' ${on ? `'${on}'` : 'id'} column?`,
    });
    if (!key) return;
    this.mapping = { ...this.mapping, join: { file: uri.fsPath, key, on } };
    void this.update();
  }

  setBaseline(file: string | undefined): void {
    this.baseline = file;
    void this.update();
  }

  async update(): Promise<void> {
    const version = ++this.version;
    void this.panel.webview.postMessage({ type: 'busy', file: this.file } satisfies EvaluationHostMessage);
    const started = performance.now();
    let result;
    try {
      result = await evaluateInWorker(path.join(this.ctx.extension.extensionPath, 'dist', 'evaluator.js'), { file: this.file, mapping: this.mapping, baseline: this.baseline });
    } catch (e) {
      result = { columns: [], mapping: this.mapping, diagnostics: [], error: (e as Error).message };
    }
    if (version !== this.version) return; // a newer evaluation is on its way
    for (const d of result.diagnostics) this.ctx.log.warn(`${d.file}:${d.line ?? 0}: ${d.message}`);
    this.ctx.log.info(`evaluated ${this.file} in ${(performance.now() - started).toFixed(0)} ms`);
    const images: Record<number, string> = {};
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    for (const e of result.evaluation?.worstErrors ?? []) {
      if (!e.image) continue;
      const abs = path.resolve(path.dirname(this.file), e.image);
      // Only files inside the workspace on their real paths: never a `..` or a symbolic link out of it.
      if (/\.(png|jpe?g|gif|webp|bmp)$/i.test(abs) && insideFolders(abs, roots)) {
        images[e.row] = this.panel.webview.asWebviewUri(vscode.Uri.file(abs)).toString();
      }
    }
    this.lastView = {
      file: this.file,
      label: vscode.workspace.asRelativePath(this.file),
      columns: result.columns,
      mapping: result.mapping,
      skipped: result.diagnostics.filter((d) => d.severity !== 'info').length,
      evaluation: result.evaluation,
      error: result.error,
      images,
      baseline: result.baseline && { ...result.baseline, label: vscode.workspace.asRelativePath(result.baseline.file) },
      delta: result.delta,
    };
    void this.panel.webview.postMessage({ type: 'evaluation', view: this.lastView } satisfies EvaluationHostMessage);
  }

  private async exportCsv(name: string, csv: string): Promise<void> {
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(path.dirname(this.file), name)),
      filters: { CSV: ['csv'] },
      title: 'Runlens: Export Table as CSV',
    });
    if (!target) return;
    // The user chose where to write: never one of their run files unasked.
    await vscode.workspace.fs.writeFile(target, Buffer.from(csv, 'utf8'));
  }

  dispose(): void {
    panels.delete(this);
    for (const d of this.disposables) d.dispose();
  }
}

const EVALUATION_CSS = `
  h2 { font-size: 1.15em; margin: 18px 0 6px; font-weight: 600; }
  .cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0; }
  .card { border: 1px solid var(--vscode-editorWidget-border, rgba(128,128,128,0.3)); border-radius: 4px; padding: 6px 12px; min-width: 110px; }
  .card .v { font-size: 1.4em; font-weight: 600; }
  .card .k { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
  .cm td { text-align: center; min-width: 34px; cursor: pointer; }
  .cm td.diag { font-weight: 600; }
  .cm th.rot { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; max-height: 120px; overflow: hidden; }
  .cm td.sel { outline: 2px solid var(--vscode-focusBorder); }
  .best { font-weight: 700; }
  .low { color: var(--vscode-errorForeground); }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 16px; }
  .grid > * { min-width: 0; }
  .cm.small td, .cm.small th { padding: 1px 3px; min-width: 22px; font-size: 0.9em; }
  .chart { position: relative; height: 280px; }
  .thumb { max-height: 48px; max-width: 64px; }
  .muted { color: var(--vscode-descriptionForeground); }
`;
