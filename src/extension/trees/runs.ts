/**
 * The Runs view: (pinned runs) → experiment or another grouping → run → Params / Metrics / Tags /
 * Artifacts. Children are queried from the index on demand and paged, so a 10,000-run experiment expands
 * instantly; the filter (the index query language), grouping, sort order and pins are per workspace.
 */
import * as vscode from 'vscode';
import type { CompiledSql } from '../../core/index/query';
import { compileFilter, compileSort } from '../../core/index/query';
import type { ExperimentRow, RunRow, Store } from '../../core/index/store';
import { artifactPath } from '../../core/index/store';
import { TABLE_FILE } from '../../core/analysis/predictions';
import type { SeriesSummary } from '../../core/model';
import { effectiveStatus, LIVE_WINDOW_MS } from '../../core/analysis/status';
import { formatBytes } from '../../core/format';
import { isRanked, metricDirection, pickKeyMetric } from '../../core/analysis/compare';
import type { IndexService } from '../indexing';
import { appendUserCode, appendUserText, duration, formatValue, relativeTime } from '../format';

export type GroupBy = 'experiment' | 'status' | 'script' | 'date' | 'format' | `tag:${string}` | `param:${string}`;
export type SortBy = 'start' | 'name' | 'metric';

export interface RunsViewState {
  filter: string;
  groupBy: GroupBy;
  sortBy: SortBy;
  pinned: string[];
}

export type RunsNode =
  | { kind: 'pinned' }
  | { kind: 'source'; source: string; format: string; experiments: { experiment: ExperimentRow; count: number }[] }
  | { kind: 'experiment'; experiment: ExperimentRow; count: number; nested?: boolean }
  | { kind: 'bucket'; label: string; value: string | null; count: number }
  | { kind: 'run'; run: RunRow; pinned?: boolean }
  | { kind: 'more'; parent: string; offset: number }
  | { kind: 'group'; run: RunRow; group: 'params' | 'metrics' | 'tags' | 'artifacts'; count: number }
  | { kind: 'entry'; run: RunRow; label: string; description: string; metric?: string; file?: string }
  | { kind: 'message'; label: string };

const FORMAT_NAMES: Record<string, string> = {
  mlflow: 'MLflow file store',
  'mlflow-db': 'MLflow database',
  tensorboard: 'TensorBoard logs',
  lightning: 'PyTorch Lightning',
  huggingface: 'Hugging Face Trainer',
  keras: 'Keras CSV log',
  wandb: 'W&B offline run',
  dvc: 'DVC project',
};

/** Status icons; their colours are Runlens theme colours (package.json `colors`) a theme can override. */
const STATUS_ICONS: Record<string, vscode.ThemeIcon> = {
  RUNNING: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('runlens.runningIcon')),
  FINISHED: new vscode.ThemeIcon('pass', new vscode.ThemeColor('runlens.finishedIcon')),
  FAILED: new vscode.ThemeIcon('error', new vscode.ThemeColor('runlens.failedIcon')),
  KILLED: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('runlens.failedIcon')),
  SCHEDULED: new vscode.ThemeIcon('clock'),
  UNKNOWN: new vscode.ThemeIcon('circle-outline'),
};

const GROUP_LABELS: Record<string, string> = { params: 'Params', metrics: 'Metrics', tags: 'Tags', artifacts: 'Artifacts' };
const GROUP_ICONS: Record<string, string> = { params: 'symbol-parameter', metrics: 'graph-line', tags: 'tag', artifacts: 'file-binary' };

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly shown = new Map<string, number>();
  private liveTimer: NodeJS.Timeout | undefined;
  /** Whether the last render showed a run as RUNNING only because it wrote recently. */
  private inferredLive = false;

  constructor(
    private readonly index: IndexService,
    private readonly memento: vscode.Memento,
    private readonly pageSize: () => number,
    private readonly keyMetric: () => string = () => '',
    /** The exit code of the Runlens task that made a run, when that task failed. */
    private readonly exitCodeOf: (runId: string) => number | undefined = () => undefined,
  ) {
    this.subscriptions.push(index.onDidChange(() => this.refresh()));
    // Runs with no recorded status turn from RUNNING to idle when they stop writing: look again now and then.
    this.liveTimer = setInterval(() => this.inferredLive && this.refresh(), LIVE_WINDOW_MS / 4);
  }

  get state(): RunsViewState {
    const s = this.memento.get<Partial<RunsViewState>>('runlens.runsView', {});
    return { filter: s.filter ?? '', groupBy: s.groupBy ?? 'experiment', sortBy: s.sortBy ?? 'start', pinned: s.pinned ?? [] };
  }

  async update(patch: Partial<RunsViewState>): Promise<void> {
    if (patch.filter !== undefined) compileFilter(patch.filter); // throws QueryError: never store a bad filter
    await this.memento.update('runlens.runsView', { ...this.state, ...patch });
    this.shown.clear();
    this.refresh();
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  private get where(): CompiledSql {
    try {
      return compileFilter(this.state.filter);
    } catch {
      return { sql: '', params: [] };
    }
  }

  private get order(): CompiledSql {
    const { sortBy } = this.state;
    if (sortBy === 'name') return { sql: 'r.name COLLATE NOCASE, r.path, r.rid', params: [] };
    if (sortBy === 'metric') {
      const key = this.keyMetric();
      if (key) return compileSort(`metrics.${/^[A-Za-z_][\w.]*$/.test(key) ? key : JSON.stringify(key)} ${metricDirection(key) === 'max' ? 'desc' : 'asc'}`);
    }
    return { sql: '', params: [] };
  }

  /** A SQL expression over `runs r` for the current grouping (not used when grouping by experiment). */
  private groupExpr(): CompiledSql {
    const g = this.state.groupBy;
    if (g === 'status') return { sql: "CASE WHEN r.status = 'UNKNOWN' AND r.end_time >= ? THEN 'RUNNING' ELSE r.status END", params: [Date.now() - LIVE_WINDOW_MS] };
    if (g === 'script') return { sql: 'r.source_script', params: [] };
    if (g === 'date') return { sql: "date(r.start_time / 1000, 'unixepoch', 'localtime')", params: [] };
    if (g === 'format') return { sql: 'r.format', params: [] };
    if (g.startsWith('tag:')) return { sql: '(SELECT value FROM tags t WHERE t.rid = r.rid AND t.key = ?)', params: [g.slice(4)] };
    if (g.startsWith('param:')) return { sql: '(SELECT value FROM params p WHERE p.rid = r.rid AND p.key = ?)', params: [g.slice(6)] };
    return { sql: 'r.experiment_id', params: [] };
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'pinned': {
        const item = new vscode.TreeItem('Pinned', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'pinned';
        item.iconPath = new vscode.ThemeIcon('pinned');
        return item;
      }
      case 'source': {
        const item = new vscode.TreeItem(vscode.workspace.asRelativePath(node.source), vscode.TreeItemCollapsibleState.Expanded);
        const runs = node.experiments.reduce((n, e) => n + e.count, 0);
        item.description = `${FORMAT_NAMES[node.format] ?? node.format} · ${node.experiments.length} experiments · ${runs} ${runs === 1 ? 'run' : 'runs'}`;
        item.iconPath = new vscode.ThemeIcon('database');
        item.tooltip = node.source;
        item.id = `source:${node.source}`;
        return item;
      }
      case 'experiment': {
        const e = node.experiment;
        const item = new vscode.TreeItem(e.name, vscode.TreeItemCollapsibleState.Collapsed);
        const filtered = node.count !== e.runCount ? `${node.count} of ${e.runCount}` : `${e.runCount}`;
        // A store's only experiment is shown at the top: its folder tells several stores' "Default" apart.
        const where = !node.nested && (e.format === 'mlflow' || e.format === 'mlflow-db') ? ` · ${vscode.workspace.asRelativePath(e.source)}` : '';
        item.description = `${filtered} ${e.runCount === 1 ? 'run' : 'runs'}${where}${e.lifecycle === 'deleted' ? ' · deleted' : ''}`;
        item.iconPath = new vscode.ThemeIcon(e.lifecycle === 'deleted' ? 'trash' : 'beaker');
        item.contextValue = 'runlens.experiment';
        item.tooltip = `${e.name} — ${FORMAT_NAMES[e.format] ?? e.format}\n${e.source}`;
        item.id = `experiment:${e.id}`;
        return item;
      }
      case 'bucket': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${node.count} ${node.count === 1 ? 'run' : 'runs'}`;
        item.iconPath = new vscode.ThemeIcon(this.state.groupBy === 'status' ? 'pulse' : this.state.groupBy === 'date' ? 'calendar' : this.state.groupBy === 'script' ? 'file-code' : 'folder');
        item.id = `bucket:${this.state.groupBy}:${node.value ?? '\0'}`;
        return item;
      }
      case 'run':
        return this.runItem(node.run, !!node.pinned);
      case 'more': {
        const item = new vscode.TreeItem(`Show ${this.pageSize()} more…`, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = { command: 'runlens.showMore', title: 'Show more', arguments: [node] };
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(GROUP_LABELS[node.group], node.count ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.description = String(node.count);
        item.iconPath = new vscode.ThemeIcon(GROUP_ICONS[node.group]);
        return item;
      }
      case 'entry': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.description;
        if (node.metric !== undefined) {
          item.contextValue = 'runlens.metric';
          item.command = { command: 'runlens.showMetricChart', title: 'Show Metric Chart', arguments: [node] };
        } else if (node.file !== undefined) {
          item.contextValue = TABLE_FILE.test(node.file) ? 'runlens.artifact.table' : 'runlens.artifact';
          item.resourceUri = vscode.Uri.file(node.file);
          item.command = { command: 'runlens.openArtifact', title: 'Open', arguments: [node] };
        }
        return item;
      }
      case 'message':
        return new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    }
  }

  private runItem(r: RunRow, pinned: boolean): vscode.TreeItem {
    const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${pinned ? 'pinned/' : ''}run:${r.id}`;
    const status = effectiveStatus(r, Date.now(), this.exitCodeOf(r.id));
    if (status === 'RUNNING' && r.status === 'UNKNOWN') this.inferredLive = true;
    item.iconPath = STATUS_ICONS[status] ?? STATUS_ICONS.UNKNOWN;
    item.contextValue = this.state.pinned.includes(r.id) ? 'runlens.run.pinned' : 'runlens.run';
    const series = this.index.reader().seriesSummaries(r.rid);
    const configured = this.keyMetric();
    const shown = (configured && series.find((s) => s.key === configured)) || series.find((s) => s.key === pickKeyMetric(series.map((x) => x.key)));
    const when = status === 'RUNNING' ? 'running' : r.startTime ? relativeTime(r.startTime) : '';
    item.description = [shown ? `${shown.key} ${formatValue(shown.last)}` : '', when, r.lifecycle === 'deleted' ? 'deleted' : ''].filter(Boolean).join(' · ');
    return item;
  }

  /** The run tooltip (params and every metric) is built only when VS Code is about to show it. */
  resolveTreeItem(item: vscode.TreeItem, node: RunsNode): vscode.TreeItem {
    if (node.kind === 'run' && item.tooltip === undefined) {
      const store = this.index.reader();
      item.tooltip = runTooltip(node.run, store.params(node.run.rid), store.seriesSummaries(node.run.rid), this.exitCodeOf(node.run.id));
    }
    return item;
  }

  getChildren(node?: RunsNode): RunsNode[] {
    let store: Store;
    try {
      store = this.index.reader();
    } catch {
      return [];
    }
    if (!node) {
      this.inferredLive = false;
      return this.roots(store);
    }
    switch (node.kind) {
      case 'pinned':
        return this.state.pinned.flatMap((id) => {
          const run = store.getRun(id);
          return run ? [{ kind: 'run', run, pinned: true } as RunsNode] : [];
        });
      case 'source':
        return node.experiments.map(({ experiment, count }) => ({ kind: 'experiment', experiment, count, nested: true }));
      case 'experiment':
        return this.page(store, `experiment:${node.experiment.id}`, { sql: 'r.experiment_id = ?', params: [node.experiment.id] }, node.count);
      case 'bucket': {
        const expr = this.groupExpr();
        const cond = node.value === null ? { sql: `(${expr.sql}) IS NULL`, params: expr.params } : { sql: `(${expr.sql}) = ?`, params: [...expr.params, node.value] };
        return this.page(store, `bucket:${node.value ?? '\0'}`, cond, node.count);
      }
      case 'run': {
        const rid = node.run.rid;
        const counts = store.db
          .prepare('SELECT (SELECT COUNT(*) FROM params WHERE rid = ?) p, (SELECT COUNT(*) FROM series WHERE rid = ?) m, (SELECT COUNT(*) FROM tags WHERE rid = ?) t, (SELECT COUNT(*) FROM artifacts WHERE rid = ?) a')
          .get(rid, rid, rid, rid) as { p: number; m: number; t: number; a: number };
        const groups: RunsNode[] = [
          { kind: 'group', run: node.run, group: 'params', count: counts.p },
          { kind: 'group', run: node.run, group: 'metrics', count: counts.m },
          { kind: 'group', run: node.run, group: 'tags', count: counts.t },
          { kind: 'group', run: node.run, group: 'artifacts', count: counts.a },
        ];
        // Params and Metrics always (an empty one says so); Tags and Artifacts only when there are some.
        return groups.filter((g) => g.kind === 'group' && (g.count > 0 || g.group === 'params' || g.group === 'metrics'));
      }
      case 'group': {
        const run = node.run;
        if (node.group === 'params') return Object.entries(store.params(run.rid)).map(([k, v]) => ({ kind: 'entry', run, label: k, description: v }));
        if (node.group === 'tags') return Object.entries(store.tags(run.rid)).map(([k, v]) => ({ kind: 'entry', run, label: k, description: v }));
        if (node.group === 'artifacts') {
          return store.artifacts(run.rid).map((a) => ({ kind: 'entry', run, label: a.path, description: `${a.kind} · ${formatBytes(a.size)}`, file: artifactPath(run, a.path) }));
        }
        return store.seriesSummaries(run.rid).map((s) => ({ kind: 'entry', run, label: s.key, description: metricDescription(s), metric: s.key }));
      }
      default:
        return [];
    }
  }

  private roots(store: Store): RunsNode[] {
    const { pinned, groupBy, filter } = this.state;
    const out: RunsNode[] = [];
    if (pinned.length > 0) out.push({ kind: 'pinned' });
    const where = this.where;
    if (groupBy === 'experiment') {
      const counts = new Map(store.groupRuns(where, { sql: 'r.experiment_id', params: [] }).map((g) => [g.value, g.count]));
      // An MLflow store (mlruns/, mlflow.db) holding several experiments is a level of its own: source →
      // experiment → run. Other formats' experiments are folders of runs, shown at the top.
      const stores = new Map<string, { experiment: ExperimentRow; count: number }[]>();
      const top: { experiment: ExperimentRow; count: number }[] = [];
      for (const experiment of store.listExperiments()) {
        const count = counts.get(experiment.id) ?? 0;
        if (count === 0) continue;
        if (experiment.format === 'mlflow' || experiment.format === 'mlflow-db') {
          let list = stores.get(experiment.source);
          if (!list) stores.set(experiment.source, (list = []));
          list.push({ experiment, count });
        } else top.push({ experiment, count });
      }
      for (const [source, experiments] of stores) {
        if (experiments.length > 1) out.push({ kind: 'source', source, format: experiments[0].experiment.format, experiments });
        else top.push(experiments[0]);
      }
      top.sort((a, b) => a.experiment.name.localeCompare(b.experiment.name));
      for (const e of top) out.push({ kind: 'experiment', ...e });
    } else {
      const groups = store.groupRuns(where, this.groupExpr());
      if (groupBy === 'date') groups.sort((a, b) => (a.value === null ? 1 : b.value === null ? -1 : b.value.localeCompare(a.value)));
      for (const g of groups) out.push({ kind: 'bucket', label: bucketLabel(groupBy, g.value), value: g.value, count: g.count });
    }
    if (filter && out.length === (pinned.length > 0 ? 1 : 0)) out.push({ kind: 'message', label: `No runs match “${filter}”` });
    return out;
  }

  private page(store: Store, key: string, cond: CompiledSql, total: number): RunsNode[] {
    const limit = this.shown.get(key) ?? this.pageSize();
    const where = this.where;
    const both = where.sql ? { sql: `(${cond.sql}) AND (${where.sql})`, params: [...cond.params, ...where.params] } : cond;
    const runs = store.queryRuns(both, this.order, limit, 0);
    const out: RunsNode[] = runs.map((run) => ({ kind: 'run', run }));
    if (total > runs.length) out.push({ kind: 'more', parent: key, offset: runs.length });
    return out;
  }

  /** Parents of runs and experiments in the default grouping, so that a run can be revealed in the view. */
  getParent(node: RunsNode): RunsNode | undefined {
    if (this.state.groupBy !== 'experiment' || (node.kind !== 'run' && node.kind !== 'experiment') || (node.kind === 'run' && node.pinned)) return undefined;
    const roots = this.roots(this.index.reader());
    const experimentId = node.kind === 'run' ? node.run.experimentId : node.experiment.id;
    for (const r of roots) {
      if (r.kind === 'source') {
        const hit = r.experiments.find((e) => e.experiment.id === experimentId);
        if (hit) return node.kind === 'run' ? { kind: 'experiment', ...hit, nested: true } : r;
      } else if (r.kind === 'experiment' && r.experiment.id === experimentId) return node.kind === 'run' ? r : undefined;
    }
    return undefined;
  }

  showMore(node: { parent: string; offset: number }): void {
    this.shown.set(node.parent, node.offset + this.pageSize());
    this.refresh();
  }

  dispose(): void {
    if (this.liveTimer) clearInterval(this.liveTimer);
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
  }
}

function bucketLabel(groupBy: GroupBy, value: string | null): string {
  if (value !== null) return groupBy === 'status' ? value.charAt(0) + value.slice(1).toLowerCase() : value;
  if (groupBy === 'script') return '(no script recorded)';
  if (groupBy === 'date') return '(no start time)';
  return '(none)';
}

function metricDescription(s: SeriesSummary): string {
  const best = metricDirection(s.key) === 'max' ? s.max : s.min;
  return `${formatValue(s.last)}${s.count > 1 && isRanked(s.key) ? ` · best ${formatValue(best)}` : ''}${s.count > 1 ? ` · ${s.count} points` : ''}`;
}

/** Params, latest metrics, commit and timing; every user-supplied string goes in as text, never markup. */
function runTooltip(r: RunRow, params: Record<string, string>, series: SeriesSummary[], exitCode?: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, false);
  md.supportHtml = false;
  md.appendMarkdown('**');
  appendUserText(md, r.name);
  md.appendMarkdown('**  \n');
  const status = effectiveStatus(r, Date.now(), exitCode).toLowerCase() + (exitCode ? ` (its task exited with code ${exitCode})` : '');
  appendUserText(md, `${FORMAT_NAMES[r.format] ?? r.format} · ${status} · ${r.experimentName}`);
  const facts: [string, string | null][] = [
    // A time the run's files do not record is said to be unknown (a running run has no end yet).
    ['started', r.startTime !== null ? new Date(r.startTime).toLocaleString() : 'unknown'],
    ['duration', r.startTime !== null && r.endTime !== null ? duration(r.endTime - r.startTime) : status === 'running' ? null : 'unknown'],
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
      md.appendMarkdown('  \n');
      appendUserCode(md, k);
      md.appendMarkdown(' ');
      appendUserText(md, v.length > 60 ? v.slice(0, 59) + '…' : v);
    }
    if (rows.length > 12) md.appendMarkdown(`  \n*… ${rows.length - 12} more*`);
  };
  table('Metrics (latest · best)', series.map((s) => [s.key, metricDescription(s)]));
  table('Params', Object.entries(params));
  return md;
}
