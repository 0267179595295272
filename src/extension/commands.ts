/** Command handlers, each a small function over the extension context. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRow } from '../core/index/store';
import { compileFilter, compileSort, QueryError } from '../core/index/query';
import { metricDirection, pickKeyMetric } from '../core/analysis/compare';
import type { GroupBy, RunsNode, SortBy } from './trees/runs';
import type { Ctx } from './ctx';
import { pickRun, selection } from './selection';
import { runDocumentUri } from './documents';
import { compareSelected, showMetricChart } from './panels/compare';
import { pickPredictionTable, showEvaluation } from './panels/evaluation';
import { predictionTablesOfRun, TABLE_FILE } from '../core/analysis/predictions';

export function registerCommands(ctx: Ctx): void {
  const reg = (id: string, fn: (...args: any[]) => unknown) => ctx.subscriptions.push(vscode.commands.registerCommand(id, fn));
  reg('runlens.refresh', () => ctx.index.refresh({ progress: true }));
  reg('runlens.rebuildIndex', () => ctx.index.refresh({ rebuild: true, progress: true }));
  reg('runlens.showLog', () => ctx.log.show());
  reg('runlens.showMore', (node: { parent: string; offset: number }) => ctx.runsTree.showMore(node));
  reg('runlens.addSource', () => addSource());
  // The README that ships with the extension, rendered: works offline, matches the installed version.
  reg('runlens.openDocs', () => vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(ctx.extension.extensionUri, 'README.md')));
  reg('runlens.filterRuns', (query?: string) => filterRuns(ctx, query));
  reg('runlens.clearFilter', () => ctx.runsTree.update({ filter: '' }));
  reg('runlens.groupBy', (groupBy?: GroupBy) => groupRuns(ctx, groupBy));
  reg('runlens.sortBy', (sortBy?: SortBy) => sortRuns(ctx, sortBy));
  reg('runlens.pinRun', (node?: RunsNode, nodes?: RunsNode[]) => pin(ctx, selection(ctx, node, nodes).runs, true));
  reg('runlens.unpinRun', (node?: RunsNode, nodes?: RunsNode[]) => pin(ctx, selection(ctx, node, nodes).runs, false));
  reg('runlens.copyRunId', (node?: RunsNode) => withRun(ctx, node, (r) => vscode.env.clipboard.writeText(r.nativeId)));
  reg('runlens.copyRunPath', (node?: RunsNode) => withRun(ctx, node, (r) => vscode.env.clipboard.writeText(r.path)));
  reg('runlens.openRunFolder', (node?: RunsNode) => withRun(ctx, node, (r) => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(r.path))));
  reg('runlens.revealRunScript', (node?: RunsNode) => withRun(ctx, node, (r) => revealScript(r)));
  reg('runlens.openRunDocument', (arg?: RunsNode | string) => openRunDocument(ctx, arg));
  reg('runlens.diffParams', (node?: RunsNode, nodes?: RunsNode[]) => diffParams(ctx, node, nodes));
  reg('runlens.diffWithParent', (node?: RunsNode) => withRun(ctx, node, (r) => diffWithParent(ctx, r)));
  reg('runlens.diffWithBest', (node?: RunsNode) => withRun(ctx, node, (r) => diffWithBest(ctx, r)));
  reg('runlens.compareSelected', (node?: RunsNode, nodes?: RunsNode[]) => compareSelected(ctx, node, nodes));
  reg('runlens.openArtifact', (node?: RunsNode) => node?.kind === 'entry' && node.file && openArtifact(node.file));
  reg('runlens.evaluatePredictions', (arg?: RunsNode | vscode.Uri) => {
    // From the explorer or an artifact: that file; from the palette: the table open in the editor, if any.
    const active = vscode.window.activeTextEditor?.document.uri;
    const activeTable = active?.scheme === 'file' && TABLE_FILE.test(active.fsPath) ? active.fsPath : undefined;
    return showEvaluation(ctx, arg instanceof vscode.Uri ? arg.fsPath : arg?.kind === 'entry' ? arg.file : activeTable);
  });
  reg('runlens.compareEvaluations', (arg?: RunsNode | vscode.Uri, args?: (RunsNode | vscode.Uri)[]) => compareEvaluations(ctx, arg, args));
  reg('runlens.showMetricChart', (node?: RunsNode, nodes?: RunsNode[]) => showMetricChart(ctx, node, nodes));
}

async function withRun<T>(ctx: Ctx, node: RunsNode | undefined, fn: (run: RunRow) => T): Promise<T | undefined> {
  const run = selection(ctx, node).runs[0] ?? (await pickRun(ctx, 'Choose a run'));
  return run ? fn(run) : undefined;
}

/** Adds a folder (often outside the workspace: a shared mlruns, a scratch disk) to `runlens.sources`. */
async function addSource(): Promise<void> {
  const [folder] = (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Index This Folder', title: 'Runlens: Add Source Folder' })) ?? [];
  if (!folder) return;
  const formats = ['auto', 'mlflow', 'mlflow-db', 'tensorboard', 'lightning', 'huggingface', 'keras', 'wandb', 'dvc'];
  const format = await vscode.window.showQuickPick(
    formats.map((f) => ({ label: f, description: f === 'auto' ? 'find runs of every format (recommended)' : `read the folder as ${f}` })),
    { title: 'Which format does the folder hold?' },
  );
  if (!format) return;
  const config = vscode.workspace.getConfiguration('runlens');
  const sources = config.get<{ path: string; format?: string }[]>('sources', []);
  if (sources.some((s) => s.path === folder.fsPath)) return;
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update('sources', [...sources, { path: folder.fsPath, format: format.label }], target);
}

// ---- Filter, group, sort, pin ----

const HISTORY_KEY = 'runlens.filterHistory';

/**
 * The filter quick input: the index query language, validated as the user types (the error names the
 * column), with the number of matching runs and the last 20 filters to pick from.
 */
async function filterRuns(ctx: Ctx, query?: string): Promise<void> {
  const memento = ctx.extension.workspaceState;
  const history = memento.get<string[]>(HISTORY_KEY, []);
  const apply = async (q: string) => {
    await ctx.runsTree.update({ filter: q.trim() });
    if (q.trim()) await memento.update(HISTORY_KEY, [q.trim(), ...history.filter((h) => h !== q.trim())].slice(0, 20));
  };
  if (query !== undefined) return apply(query);
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { query?: string }>();
  qp.title = 'Runlens: Filter Runs';
  qp.placeholder = 'params.lr < 0.01 and metrics.val_acc > 0.9 and status = "FINISHED"';
  qp.value = ctx.runsTree.state.filter;
  qp.matchOnDescription = false;
  const historyItems = history.map((h) => ({ label: h, description: 'recent', query: h, iconPath: new vscode.ThemeIcon('history') }));
  const refresh = () => {
    const q = qp.value.trim();
    if (!q) {
      qp.items = historyItems;
      return;
    }
    try {
      const where = compileFilter(q);
      const n = ctx.index.reader().countRuns(where);
      // alwaysShow keeps the typed query visible whatever the fuzzy match of the history entries.
      qp.items = [{ label: `$(filter) ${q}`, description: `${n} ${n === 1 ? 'run matches' : 'runs match'}`, query: q, alwaysShow: true }, ...historyItems];
    } catch (e) {
      const message = e instanceof QueryError ? `${e.message} (column ${e.column + 1})` : String(e);
      qp.items = [{ label: `$(error) ${message}`, description: '', alwaysShow: true }];
    }
  };
  refresh();
  qp.onDidChangeValue(refresh);
  await new Promise<void>((resolve) => {
    qp.onDidAccept(async () => {
      const picked = qp.selectedItems[0];
      if (picked?.query === undefined) return; // an error line: keep the input open
      qp.hide();
      await apply(picked.query);
      resolve();
    });
    qp.onDidHide(() => resolve());
    qp.show();
  });
  qp.dispose();
}

async function groupRuns(ctx: Ctx, groupBy?: GroupBy): Promise<void> {
  if (!groupBy) {
    const tagKeys = ctx.index.reader().db.prepare("SELECT DISTINCT key FROM tags WHERE key NOT LIKE 'mlflow.%' ORDER BY key LIMIT 200").pluck().all() as string[];
    const items: (vscode.QuickPickItem & { value: GroupBy })[] = [
      { label: 'Experiment', value: 'experiment' },
      { label: 'Status', value: 'status' },
      { label: 'Script', value: 'script' },
      { label: 'Start Date', value: 'date' },
      { label: 'Format', value: 'format' },
      ...tagKeys.map((k) => ({ label: `Tag: ${k}`, value: `tag:${k}` as GroupBy })),
    ];
    const current = ctx.runsTree.state.groupBy;
    for (const i of items) if (i.value === current) i.description = 'current';
    groupBy = (await vscode.window.showQuickPick(items, { title: 'Runlens: Group Runs By' }))?.value;
  }
  if (groupBy) await ctx.runsTree.update({ groupBy });
}

async function sortRuns(ctx: Ctx, sortBy?: SortBy): Promise<void> {
  if (!sortBy) {
    const key = ctx.config().keyMetric;
    const items: (vscode.QuickPickItem & { value: SortBy })[] = [
      { label: 'Start Time (newest first)', value: 'start' },
      { label: 'Name', value: 'name' },
      { label: 'Key Metric (best first)', description: key ? key : 'set runlens.keyMetric', value: 'metric' },
    ];
    sortBy = (await vscode.window.showQuickPick(items, { title: 'Runlens: Sort Runs By' }))?.value;
  }
  if (sortBy) await ctx.runsTree.update({ sortBy });
}

async function pin(ctx: Ctx, runs: RunRow[], on: boolean): Promise<void> {
  const pinned = ctx.runsTree.state.pinned.filter((id) => !runs.some((r) => r.id === id));
  await ctx.runsTree.update({ pinned: on ? [...pinned, ...runs.map((r) => r.id)] : pinned });
}

// ---- Documents, diff, compare ----

async function openRunDocument(ctx: Ctx, arg?: RunsNode | string): Promise<void> {
  const run = typeof arg === 'string' ? ctx.index.reader().getRun(arg) : (selection(ctx, arg).runs[0] ?? (await pickRun(ctx, 'Open which run?')));
  if (!run) return;
  const doc = await vscode.workspace.openTextDocument(runDocumentUri(run));
  await vscode.window.showTextDocument(doc, { preview: true });
}

async function diff(left: RunRow, right: RunRow): Promise<void> {
  await vscode.commands.executeCommand('vscode.diff', runDocumentUri(left), runDocumentUri(right), `${left.name} ↔ ${right.name} (params, tags, metrics)`, { preview: true });
}

async function diffParams(ctx: Ctx, node?: RunsNode, nodes?: RunsNode[]): Promise<void> {
  const runs = selection(ctx, node, nodes).runs;
  if (runs.length >= 2) return diff(runs[0], runs[1]);
  const base = runs[0] ?? (await pickRun(ctx, 'Diff parameters: first run'));
  if (!base) return;
  const store = ctx.index.reader();
  const others = store.queryRuns({ sql: 'r.experiment_id = ? AND r.id <> ?', params: [base.experimentId, base.id] }, { sql: '', params: [] }, 500, 0);
  type Item = vscode.QuickPickItem & { run?: RunRow; action?: () => Promise<void> };
  const special: Item[] = [];
  const parent = parentOf(ctx, base);
  if (parent) special.push({ label: '$(arrow-up) Parent run', description: parent.name, run: parent });
  special.push({ label: '$(star) Best run of the experiment', description: 'by the key metric', action: () => diffWithBest(ctx, base) });
  special.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  const picked = await vscode.window.showQuickPick<Item>([...special, ...others.map((r) => ({ label: r.name, description: r.startTime ? new Date(r.startTime).toLocaleString() : '', detail: r.nativeId, run: r }))], {
    title: `Diff parameters of ${base.name} with…`,
    matchOnDetail: true,
  });
  if (picked?.action) return picked.action();
  if (picked?.run) return diff(picked.run, base);
}

function parentOf(ctx: Ctx, run: RunRow): RunRow | undefined {
  if (!run.parentRunId) return undefined;
  const found = ctx.index.reader().resolveRun(run.parentRunId);
  return found.find((r) => r.format === run.format) ?? found[0];
}

async function diffWithParent(ctx: Ctx, run: RunRow): Promise<void> {
  const parent = parentOf(ctx, run);
  if (!parent) {
    void vscode.window.showInformationMessage(`${run.name} has no parent run in the index.`);
    return;
  }
  return diff(parent, run);
}

/** The run of the same experiment with the best value of the key metric (the setting, else guessed). */
export function bestRunOf(ctx: Ctx, run: RunRow): { best?: RunRow; key?: string } {
  const store = ctx.index.reader();
  const key = ctx.config().keyMetric || pickKeyMetric(store.seriesSummaries(run.rid).map((s) => s.key));
  if (!key) return {};
  const order = compileSort(`metrics.${JSON.stringify(key)} ${metricDirection(key) === 'max' ? 'desc' : 'asc'}`);
  const [best] = store.queryRuns({ sql: `r.experiment_id = ? AND r.rid IN (SELECT rid FROM series WHERE key = ?)`, params: [run.experimentId, key] }, order, 1, 0);
  return { best, key };
}

async function diffWithBest(ctx: Ctx, run: RunRow): Promise<void> {
  const { best, key } = bestRunOf(ctx, run);
  if (!best || !key) {
    void vscode.window.showInformationMessage(`No key metric to rank ${run.experimentName}'s runs by. Set runlens.keyMetric.`);
    return;
  }
  if (best.id === run.id) {
    void vscode.window.showInformationMessage(`${run.name} is the best run of ${run.experimentName} by ${key}.`);
    return;
  }
  return diff(best, run);
}

/**
 * Two evaluations side by side: two selected runs (each run's prediction table), two files selected in the
 * explorer, or picked. The first is the baseline; the panel shows the second, both matrices and the change.
 */
async function compareEvaluations(ctx: Ctx, arg?: RunsNode | vscode.Uri, args?: (RunsNode | vscode.Uri)[]): Promise<void> {
  const picked = [...(args && args.length ? args : arg ? [arg] : ctx.runsView.selection)];
  // Runs: the one that started first is the baseline.
  const started = (a: RunsNode | vscode.Uri) => (!(a instanceof vscode.Uri) && a.kind === 'run' ? (a.run.startTime ?? 0) : 0);
  picked.sort((x, y) => started(x) - started(y));
  const files: string[] = [];
  for (const a of picked) {
    if (a instanceof vscode.Uri) files.push(a.fsPath);
    else if (a.kind === 'entry' && a.file) files.push(a.file);
    else if (a.kind === 'run') {
      const [table] = predictionTablesOfRun(ctx.index.reader(), a.run).tables;
      if (table) files.push(table);
      else void vscode.window.showWarningMessage(`${a.run.name} has no prediction table among its artifacts.`);
    }
  }
  while (files.length < 2) {
    const f = await pickPredictionTable(ctx, files.length === 0 ? 'Compare evaluations: the baseline' : 'Compare evaluations: compared with…', files[0]);
    if (!f) return;
    files.push(f);
  }
  await showEvaluation(ctx, files[1], files[0]);
}

// ---- Files ----

/**
 * The script a run recorded (MLflow `mlflow.source.name`, W&B `program`, …). Recorded paths are often
 * absolute paths of another machine: fall back to the same relative path under a workspace folder, then
 * to a file of that name in the workspace.
 */
async function revealScript(run: RunRow): Promise<void> {
  const script = run.sourceScript;
  if (!script) {
    void vscode.window.showInformationMessage(`${run.name} recorded no source script.`);
    return;
  }
  const candidates: string[] = [];
  if (path.isAbsolute(script)) candidates.push(script);
  const parts = script.split(/[\\/]/).filter(Boolean);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (let i = 0; i < parts.length; i++) candidates.push(path.join(folder.uri.fsPath, ...parts.slice(i)));
  }
  for (let dir = run.path; path.dirname(dir) !== dir; dir = path.dirname(dir)) candidates.push(path.join(dir, parts[parts.length - 1] ?? script));
  let found = candidates.find((c) => fs.statSync(c, { throwIfNoEntry: false })?.isFile());
  if (!found) {
    const [hit] = await vscode.workspace.findFiles(`**/${parts[parts.length - 1]}`, '**/node_modules/**', 1);
    found = hit?.fsPath;
  }
  if (!found) {
    void vscode.window.showWarningMessage(`The script ${run.name} recorded (${script}) is not in this workspace.`);
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(found), { preview: true });
}

/** Text artifacts open in the editor; binary ones (models, checkpoints, pickles) are only revealed. */
async function openArtifact(file: string): Promise<void> {
  const uri = vscode.Uri.file(file);
  if (/\.(txt|md|json|ya?ml|log|csv|tsv|jsonl|py|cfg|ini|toml|html|svg|png|jpe?g|gif)$/i.test(file) || path.basename(file) === 'MLmodel') {
    await vscode.commands.executeCommand('vscode.open', uri);
  } else {
    await vscode.commands.executeCommand('revealInExplorer', uri);
  }
}
