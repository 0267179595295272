/**
 * Datasets in the editor: statistics of a version, the diff of a version with the previous one (schema,
 * rows, label shift, KS/PSI drift), data checks (leakage between splits, split balance, duplicates) in the
 * Problems panel, and the Lineage view. Every read of data runs in the dataset worker thread, with a
 * cancellable progress notification; results open as Markdown previews.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type DatasetRequest, type DatasetResult, startDatasetJob } from '../core/datasets/worker';
import { tableFiles } from '../core/datasets/files';
import { TABLE_EXTENSIONS } from '../core/datasets/table';
import { cacheFileFor } from '../core/cache';
import { classBalance, type TableStats } from '../core/datasets/stats';
import { type TableDiff, tableDiffView } from '../core/datasets/diff';
import { showDatasetDiff } from './panels/datasetDiff';
import type { Ctx } from './ctx';
import type { DatasetsNode } from './trees/datasets';
import type { LineageItem, LineageTreeProvider } from './trees/lineage';
import type { RunsNode } from './trees/runs';
import type { ModelsNode } from './trees/models';
import { pickRun } from './selection';
import { showDiagnostics } from './problems';
import { codeSpan, markdownText } from './markdown';

export const DATA_SCHEME = 'runlens-data';

export class DatasetService implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly docs = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  readonly checks = vscode.languages.createDiagnosticCollection('runlens-data');
  /** What the last checks found, for tests and the log. */
  lastChecks: { files: number; problems: number } | undefined;

  constructor(private readonly ctx: Ctx) {}

  private script(): string {
    return path.join(this.ctx.extension.extensionPath, 'dist', 'datasets.js');
  }

  /** The content cache beside the index: statistics by content hash, file hashes. */
  get cacheFile(): string {
    return cacheFileFor(this.ctx.index.indexFile);
  }

  /** SHA-256 of files in the worker (cached by path, size, mtime, inode); null for one that cannot be read. */
  async hashFiles(files: string[]): Promise<Record<string, string | null>> {
    const r = await this.run({ op: 'hash', files, cache: this.cacheFile });
    if (r.op === 'hash') return r.hashes;
    this.ctx.log.warn(`hashing model files: ${r.op === 'error' ? r.message : r.op}`);
    return {};
  }

  /** A request in the worker; with a title, under a cancellable progress notification. */
  run(req: DatasetRequest, title?: string): Promise<DatasetResult> {
    const job = startDatasetJob(this.script(), req);
    if (!title) return job.done;
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) => {
        token.onCancellationRequested(() => job.cancel());
        return job.done;
      }),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString()) ?? '';
  }

  async openMarkdown(name: string, text: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: DATA_SCHEME, path: `/${name.replace(/[\\/:*?"<>|]/g, '_')}.md` });
    this.docs.set(uri.toString(), text);
    this.changed.fire(uri);
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  }

  /** Runs the data checks over the workspace's table files and shows what they find in the Problems panel. */
  async checkWorkspace(progress: boolean): Promise<void> {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const files = tableFiles(roots, 5000);
    const r = await this.run({ op: 'check', files, allDuplicates: false }, progress ? `Runlens: checking ${files.length} data files` : undefined);
    if (r.op !== 'check') {
      if (r.op === 'error' && r.message !== 'cancelled') this.ctx.log.warn(`data checks: ${r.message}`);
      return;
    }
    showDiagnostics(this.checks, r.diagnostics, 'Runlens data');
    this.lastChecks = { files: files.length, problems: r.diagnostics.length };
    this.ctx.log.info(`data checks: ${files.length} table files, ${r.diagnostics.length} findings`);
  }

  dispose(): void {
    this.checks.dispose();
    this.changed.dispose();
  }
}

/** User text (a column name, a class, a file name) in these Markdown documents: shown, never markup. */
const cell = markdownText;
const num = (x: number | undefined) => (x === undefined ? '' : Number.isInteger(x) ? String(x) : x.toPrecision(6));
const bar = (share: number) => '█'.repeat(Math.round(share * 20)) || (share > 0 ? '▏' : '');

export function statsMarkdown(label: string, s: TableStats): string {
  const lines = [`# ${cell(label)}`, '', `${s.rows} rows × ${s.columns.length} columns · ${s.bytes} bytes · md5 \`${s.md5}\``, ''];
  lines.push('| column | type | missing | distinct | min | mean | max | most frequent |', '|---|---|---:|---:|---:|---:|---:|---|');
  for (const c of s.columns) {
    lines.push(`| ${cell(c.name)} | ${c.type} | ${c.missing} | ${c.distinct}${c.distinctCapped ? '+' : ''} | ${num(c.min)} | ${num(c.mean)} | ${num(c.max)} | ${cell(c.counts.slice(0, 3).map(([v, n]) => `${v.slice(0, 24)} (${n})`).join(', '))} |`);
  }
  const balance = classBalance(s);
  if (balance) {
    lines.push('', `## Class balance of ${codeSpan(s.label!)}`, '', '| class | rows | share | |', '|---|---:|---:|---|');
    for (const b of balance.slice(0, 50)) lines.push(`| ${cell(b.value)} | ${b.count} | ${(100 * b.share).toFixed(1)} % | ${bar(b.share)} |`);
  }
  lines.push('', `Duplicate rows: ${s.duplicates}${s.duplicateExamples[0] ? ` (line ${s.duplicateExamples[0].line} repeats line ${s.duplicateExamples[0].of})` : ''}`);
  for (const d of s.diagnostics.slice(0, 20)) lines.push('', `⚠ ${cell(d.file)}${d.line ? `:${d.line}` : ''}: ${cell(d.message)}`);
  return lines.join('\n') + '\n';
}

export function diffMarkdown(before: string, after: string, a: TableStats, b: TableStats, d: TableDiff): string {
  const delta = d.rows.after - d.rows.before;
  const lines = [`# Dataset diff`, '', `- before: ${cell(before)}`, `- after: ${cell(after)}`, '', `Rows ${d.rows.before} → ${d.rows.after} (${delta >= 0 ? '+' : ''}${delta}) · columns ${a.columns.length} → ${b.columns.length} · duplicate rows ${d.duplicates.before} → ${d.duplicates.after}`, ''];
  if (d.added.length || d.removed.length || d.retyped.length) {
    lines.push('## Schema', '');
    for (const c of d.added) lines.push(`- added ${codeSpan(c)}`);
    for (const c of d.removed) lines.push(`- removed ${codeSpan(c)}`);
    for (const r of d.retyped) lines.push(`- ${codeSpan(r.column)}: ${r.before} → ${r.after}`);
    lines.push('');
  }
  if (d.label) {
    const tb = d.label.classes.reduce((n, c) => n + c.before, 0) || 1;
    const ta = d.label.classes.reduce((n, c) => n + c.after, 0) || 1;
    lines.push(`## Label ${codeSpan(d.label.column)}: PSI ${d.label.psi.toFixed(4)} (${d.label.verdict})`, '', '| class | before | | after | |', '|---|---:|---|---:|---|');
    for (const c of d.label.classes.slice(0, 50)) lines.push(`| ${cell(c.value)} | ${c.before} | ${bar(c.before / tb)} | ${c.after} | ${bar(c.after / ta)} |`);
    lines.push('');
  }
  if (d.drift.length) {
    lines.push('## Drift per column', '', '| column | test | statistic | p-value | verdict |', '|---|---|---:|---:|---|');
    for (const x of d.drift) lines.push(`| ${cell(x.column)} | ${x.test === 'ks' ? `KS${x.sampled ? ' (sampled)' : ''}` : 'PSI'} | ${x.statistic.toFixed(4)} | ${x.pvalue === undefined ? '' : x.pvalue.toPrecision(3)} | ${x.verdict} |`);
    lines.push('', 'KS: two-sample Kolmogorov–Smirnov on numeric columns (asymptotic p-value). PSI: population stability index on categories (< 0.1 stable, 0.1–0.25 moderate, > 0.25 major).');
  }
  if (d.missing.length) {
    lines.push('', '## Missing values', '');
    for (const m of d.missing) lines.push(`- ${codeSpan(m.column)}: ${m.before} → ${m.after}`);
  }
  return lines.join('\n') + '\n';
}

type LineageArg = RunsNode | DatasetsNode | ModelsNode | LineageItem | string | vscode.Uri | undefined;

/** The reference lineage understands for whatever the command was invoked on. */
function lineageRef(ctx: Ctx, arg: LineageArg): string | undefined {
  if (!arg) return undefined;
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if ('node' in arg && 'trail' in arg) return arg.node.kind === 'run' ? arg.node.runId : arg.node.path && arg.node.version ? `${arg.node.path}@${arg.node.version}` : arg.node.path;
  switch (arg.kind) {
    case 'run':
      return 'run' in arg && typeof arg.run === 'object' ? arg.run.id : 'runId' in arg ? arg.runId : undefined;
    case 'version':
      return 'abs' in arg ? `${arg.abs}@${arg.version.version}` : 'ref' in arg ? arg.ref : undefined;
    case 'dataset':
      return 'abs' in arg ? arg.abs : undefined;
    case 'file':
      return arg.fsPath;
    default:
      return ctx.runsView.selection[0]?.kind === 'run' ? ctx.runsView.selection[0].run.id : undefined;
  }
}

/** A table file of the workspace, picked by name (or any file through the open dialog). */
async function pickTable(title: string, exclude?: string): Promise<string | undefined> {
  const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const items: (vscode.QuickPickItem & { file?: string })[] = tableFiles(roots, 2000, { runOutputs: true })
    .filter((f) => f !== exclude)
    .map((file) => ({ label: path.basename(file), description: vscode.workspace.asRelativePath(path.dirname(file)), file }));
  items.push({ label: '$(folder-opened) Choose a file…', alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, { title, matchOnDescription: true });
  if (!picked) return undefined;
  if (picked.file) return picked.file;
  const [uri] = (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Tables: ['csv', 'tsv', 'jsonl', 'ndjson', 'parquet'] }, title })) ?? [];
  return uri?.fsPath;
}

export function registerDatasetCommands(ctx: Ctx, service: DatasetService, lineage: LineageTreeProvider, lineageView: vscode.TreeView<LineageItem>): void {
  const reg = (id: string, fn: (...args: any[]) => unknown) => ctx.subscriptions.push(vscode.commands.registerCommand(id, fn));
  reg('runlens.showLineage', async (arg?: LineageArg) => {
    const ref = lineageRef(ctx, arg) ?? (await pickRun(ctx, 'Show the lineage of which run?'))?.id;
    if (!ref) return;
    if (!lineage.show(ref)) {
      void vscode.window.showInformationMessage(`Runlens: nothing in the index is or uses ${ref}.`);
      return;
    }
    lineageView.description = lineage.focus ? `${lineage.focus.kind} ${lineage.focus.label}` : undefined;
    await vscode.commands.executeCommand('runlens.lineage.focus');
  });
  reg('runlens.datasetStats', async (arg?: DatasetsNode | vscode.Uri) => {
    const ref = arg instanceof vscode.Uri ? arg.fsPath : arg?.kind === 'version' ? `${arg.abs}@${arg.version.version}` : vscode.window.activeTextEditor?.document.uri.fsPath;
    if (!ref) return;
    const r = await service.run({ op: 'stats', ref, cache: service.cacheFile }, `Runlens: statistics of ${path.basename(ref)}`);
    if (r.op === 'stats') await service.openMarkdown(`Statistics of ${path.basename(r.label.split(' ')[0])}`, statsMarkdown(r.label, r.stats));
    else if (r.op === 'error' && r.message !== 'cancelled') void vscode.window.showWarningMessage(`Runlens: ${r.message}`);
  });
  /** Diffs two tables (`PATH[@REF]`) in the worker and opens the diff panel; `label` rewrites the sides' labels there. */
  const compareTables = async (before: string, after: string, progress: string, title: string, label: (l: string) => string = (l) => l): Promise<void> => {
    const r = await service.run({ op: 'diff', before, after, cache: service.cacheFile }, progress);
    if (r.op === 'diff') {
      const side = (x: { label: string; stats: TableStats }) => ({ ...x, label: label(x.label) });
      showDatasetDiff(ctx, title, tableDiffView(side(r.before), side(r.after), r.diff), () => service.openMarkdown(title, diffMarkdown(r.before.label, r.after.label, r.before.stats, r.after.stats, r.diff)));
    } else if (r.op === 'error' && r.message !== 'cancelled') void vscode.window.showWarningMessage(`Runlens: ${r.message}`);
  };
  reg('runlens.diffDatasetVersion', async (arg?: DatasetsNode) => {
    if (arg?.kind !== 'version' || !arg.history?.previous) {
      void vscode.window.showInformationMessage('Runlens: choose a dataset version that has a previous version in the Datasets view.');
      return;
    }
    if (arg.version.version.endsWith('.dir')) {
      void vscode.window.showInformationMessage(`Runlens: ${arg.version.path} is a folder version (DVC .dir); diffs compare table files (CSV, TSV, JSON Lines, Parquet).`);
      return;
    }
    await compareTables(
      `${arg.abs}@${arg.history.previous}`,
      `${arg.abs}@${arg.version.version}`,
      `Runlens: comparing two versions of ${path.basename(arg.abs)}`,
      `Diff of ${path.basename(arg.abs)} ${arg.history.previous.slice(0, 8)}..${arg.version.version.slice(0, 8)}`,
    );
  });
  reg('runlens.compareTables', async (arg?: vscode.Uri, selected?: vscode.Uri[]) => {
    // From the Explorer with two tables selected: those two; otherwise the given or active table, then one to
    // compare it with.
    const tables = (selected ?? []).filter((u) => TABLE_EXTENSIONS.test(u.fsPath));
    let [before, after]: (string | undefined)[] = tables.length === 2 ? tables.map((u) => u.fsPath) : [];
    if (!before) {
      const active = vscode.window.activeTextEditor?.document.uri;
      before = arg?.fsPath ?? (active?.scheme === 'file' && TABLE_EXTENSIONS.test(active.fsPath) ? active.fsPath : await pickTable('Runlens: Compare Data Tables — the first (before) table'));
      if (!before) return;
      after = await pickTable(`Runlens: compare ${path.basename(before)} with…`, before);
    }
    if (!before || !after) return;
    await compareTables(before, after, `Runlens: comparing ${path.basename(before)} and ${path.basename(after)}`, `Diff of ${path.basename(before)} and ${path.basename(after)}`, (label) =>
      vscode.workspace.asRelativePath(label),
    );
  });
  reg('runlens.checkData', () => service.checkWorkspace(true));
}
