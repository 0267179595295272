/**
 * The Runs view: experiment → run → Params / Metrics. Children are queried from the index on demand and
 * paged, so a 10,000-run experiment expands instantly.
 */
import * as vscode from 'vscode';
import type { ExperimentRow, RunRow } from '../../core/index/store';
import type { SeriesSummary } from '../../core/model';
import type { IndexService } from '../indexing';

export type RunsNode =
  | { kind: 'experiment'; experiment: ExperimentRow }
  | { kind: 'run'; run: RunRow }
  | { kind: 'more'; experimentId: string; offset: number }
  | { kind: 'group'; run: RunRow; group: 'params' | 'metrics' }
  | { kind: 'entry'; label: string; description: string };

const FORMAT_NAMES: Record<string, string> = { mlflow: 'MLflow file store', 'mlflow-db': 'MLflow database', tensorboard: 'TensorBoard logs' };

const STATUS_ICONS: Record<string, vscode.ThemeIcon> = {
  RUNNING: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  FINISHED: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  FAILED: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  KILLED: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconFailed')),
  SCHEDULED: new vscode.ThemeIcon('clock'),
  UNKNOWN: new vscode.ThemeIcon('circle-outline'),
};

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly index: IndexService,
    private readonly pageSize: () => number,
    private readonly keyMetric: () => string = () => '',
  ) {
    this.subscription = index.onDidChange(() => this.emitter.fire(undefined));
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'experiment': {
        const e = node.experiment;
        const item = new vscode.TreeItem(e.name, vscode.TreeItemCollapsibleState.Collapsed);
        // Several stores each have a "Default" experiment: the source folder tells them apart.
        const where = e.format === 'mlflow' || e.format === 'mlflow-db' ? ` · ${vscode.workspace.asRelativePath(e.source)}` : '';
        item.description = `${e.runCount} ${e.runCount === 1 ? 'run' : 'runs'}${where}${e.lifecycle === 'deleted' ? ' · deleted' : ''}`;
        item.iconPath = new vscode.ThemeIcon(e.lifecycle === 'deleted' ? 'trash' : 'beaker');
        item.contextValue = 'runlens.experiment';
        item.tooltip = `${e.name} — ${FORMAT_NAMES[e.format] ?? e.format}\n${e.source}`;
        item.id = `experiment:${e.id}`;
        return item;
      }
      case 'run': {
        const r = node.run;
        const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run:${r.id}`;
        item.iconPath = STATUS_ICONS[r.status] ?? STATUS_ICONS.UNKNOWN;
        item.contextValue = 'runlens.run';
        const key = this.keyMetric();
        const shown = key ? this.index.reader().seriesSummaries(r.rid).find((s) => s.key === key) : undefined;
        const when = r.startTime ? relativeTime(r.startTime) : '';
        item.description = [shown ? `${shown.key} ${formatValue(shown.last)}` : '', when, r.lifecycle === 'deleted' ? 'deleted' : ''].filter(Boolean).join(' · ');
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`Show ${this.pageSize()} more…`, vscode.TreeItemCollapsibleState.None);
        item.command = { command: 'runlens.showMore', title: 'Show more', arguments: [node] };
        return item;
      }
      case 'group':
        return new vscode.TreeItem(node.group === 'params' ? 'Params' : 'Metrics', vscode.TreeItemCollapsibleState.Collapsed);
      case 'entry': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.description;
        return item;
      }
    }
  }

  /** The run tooltip (params and every metric) is built only when VS Code is about to show it. */
  resolveTreeItem(item: vscode.TreeItem, node: RunsNode): vscode.TreeItem {
    if (node.kind === 'run' && item.tooltip === undefined) {
      const store = this.index.reader();
      item.tooltip = runTooltip(node.run, store.params(node.run.rid), store.seriesSummaries(node.run.rid));
    }
    return item;
  }

  private readonly shown = new Map<string, number>();

  getChildren(node?: RunsNode): RunsNode[] {
    let store;
    try {
      store = this.index.reader();
    } catch {
      return [];
    }
    if (!node) return store.listExperiments().filter((e) => e.runCount > 0).map((experiment) => ({ kind: 'experiment', experiment }));
    if (node.kind === 'experiment') {
      const limit = this.shown.get(node.experiment.id) ?? this.pageSize();
      const where = { sql: 'r.experiment_id = ?', params: [node.experiment.id] };
      const runs = store.queryRuns(where, { sql: '', params: [] }, limit, 0);
      const out: RunsNode[] = runs.map((run) => ({ kind: 'run', run }));
      if (node.experiment.runCount > runs.length) out.push({ kind: 'more', experimentId: node.experiment.id, offset: runs.length });
      return out;
    }
    if (node.kind === 'run') return [{ kind: 'group', run: node.run, group: 'params' }, { kind: 'group', run: node.run, group: 'metrics' }];
    if (node.kind === 'group') {
      if (node.group === 'params') return Object.entries(store.params(node.run.rid)).map(([k, v]) => ({ kind: 'entry', label: k, description: v }));
      return store.seriesSummaries(node.run.rid).map((s) => ({ kind: 'entry', label: s.key, description: `${formatValue(s.last)} (${s.count} points)` }));
    }
    return [];
  }

  showMore(node: { experimentId: string; offset: number }): void {
    this.shown.set(node.experimentId, node.offset + this.pageSize());
    this.emitter.fire(undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

/**
 * Text from users' files as literal text: markdown escaped by appendText, and `<` as an entity so no HTML
 * tag survives even where a renderer would allow some.
 */
function appendUserText(md: vscode.MarkdownString, text: string): void {
  md.appendText(text.replace(/&/g, '&amp;').replace(/</g, '&lt;'));
}

/** Params, latest metrics, commit and timing; every user-supplied string goes in as text, never markup. */
function runTooltip(r: RunRow, params: Record<string, string>, series: SeriesSummary[]): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, false);
  md.supportHtml = false;
  md.appendMarkdown('**');
  appendUserText(md, r.name);
  md.appendMarkdown('**  \n');
  appendUserText(md, `${FORMAT_NAMES[r.format] ?? r.format} · ${r.status.toLowerCase()} · ${r.experimentName}`);
  const facts: [string, string | null][] = [
    ['started', r.startTime ? new Date(r.startTime).toLocaleString() : null],
    ['duration', r.startTime && r.endTime ? duration(r.endTime - r.startTime) : null],
    ['commit', r.gitCommit ? r.gitCommit.slice(0, 12) : null],
    ['script', r.sourceScript],
    ['id', r.nativeId],
  ];
  for (const [k, v] of facts) {
    if (!v) continue;
    md.appendMarkdown(`  \n*${k}:* `);
    appendUserText(md, v);
  }
  const table = (title: string, rows: [string, string][]) => {
    if (rows.length === 0) return;
    md.appendMarkdown(`\n\n**${title}**`);
    for (const [k, v] of rows.slice(0, 12)) {
      md.appendMarkdown('  \n`');
      appendUserText(md, k.replace(/`/g, "'"));
      md.appendMarkdown('` ');
      appendUserText(md, v.length > 60 ? v.slice(0, 59) + '…' : v);
    }
    if (rows.length > 12) md.appendMarkdown(`  \n*… ${rows.length - 12} more*`);
  };
  table('Metrics (latest)', series.map((s) => [s.key, formatValue(s.last)]));
  table('Params', Object.entries(params));
  return md;
}

function relativeTime(ms: number): string {
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 60) return 'just now';
  const units: [number, string][] = [[31_536_000, 'y'], [2_592_000, 'mo'], [86_400, 'd'], [3600, 'h'], [60, 'min']];
  for (const [n, u] of units) if (s >= n) return `${Math.floor(s / n)}${u} ago`;
  return '';
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function formatValue(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
}
