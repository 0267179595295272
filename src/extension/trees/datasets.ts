/**
 * The Datasets view: data files whose versions the index knows (DVC-tracked deps and outs with their md5)
 * and table files committed to git (CSV, TSV, JSON Lines, Parquet), each with its versions from git history (every commit that changed its `.dvc` file or `dvc.lock` entry,
 * newest first) and, under each version, the runs that read or wrote it. Clicking a run opens its run
 * document; a version's context menu has statistics, the diff with the previous version, and lineage.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isCodeFile, projectDir } from '../../core/lineage';
import { artifactKind, isModelArtifact } from '../../core/model';
import { type DatasetHistory, datasetHistory } from '../../core/datasets/history';
import { gitTrackedTables } from '../../core/datasets/git';
import { formatBytes } from '../../core/format';
import type { IndexService } from '../indexing';
import { IndexTreeProvider } from './indexTree';

interface Version {
  path: string;
  version: string;
  role: 'dep' | 'out';
  runIds: string[];
}

export interface HistoryVersion {
  id: string;
  date?: string;
  subject?: string;
  commits: number;
  size?: number;
  nfiles?: number;
  /** The next older version's id, for diffs. */
  previous?: string;
  /** A git blob id (a table committed to git) rather than a DVC md5. */
  blob?: boolean;
  /** The DVC remote that holds it: the out's own, else the project's default (name and URL). */
  remote?: string;
}

export type DatasetsNode =
  | { kind: 'dataset'; path: string; abs: string; versions: Version[] }
  | { kind: 'version'; version: Version; abs: string; history?: HistoryVersion; runs: { runId: string; role: 'dep' | 'out' }[] }
  | { kind: 'run'; runId: string; name: string; role: 'dep' | 'out' };

export class DatasetsTreeProvider extends IndexTreeProvider<DatasetsNode> {
  /**
   * Git history per data path, read once per index change. Read here, not in the dataset worker: it is two
   * git processes and a few small YAML files, all asynchronous.
   */
  private readonly histories = new Map<string, Promise<DatasetHistory | undefined>>();
  private readonly cleared: vscode.Disposable;

  constructor(index: IndexService) {
    super(index);
    this.cleared = index.onDidChange(() => this.histories.clear());
  }

  override dispose(): void {
    this.cleared.dispose();
    super.dispose();
  }

  getTreeItem(node: DatasetsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'dataset': {
        const item = new vscode.TreeItem(node.path, vscode.TreeItemCollapsibleState.Collapsed);
        const n = new Set(node.versions.map((v) => v.version)).size;
        item.description = n ? `${n} ${n === 1 ? 'version' : 'versions'} in runs` : 'in git';
        item.tooltip = node.abs;
        item.iconPath = new vscode.ThemeIcon('database');
        item.id = `dataset:${node.abs}`;
        item.contextValue = 'runlens.dataset';
        return item;
      }
      case 'version': {
        const v = node.version;
        const h = node.history;
        const item = new vscode.TreeItem(v.version.slice(0, 12), node.runs.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        const reads = node.runs.filter((r) => r.role === 'dep').length;
        const writes = node.runs.length - reads;
        const used = [reads ? `read by ${reads} ${reads === 1 ? 'run' : 'runs'}` : '', writes ? `written by ${writes} ${writes === 1 ? 'run' : 'runs'}` : ''].filter(Boolean).join(', ');
        item.description = [h?.date?.slice(0, 10), h?.subject?.slice(0, 50), used || (h ? 'no run in the index' : '')].filter(Boolean).join(' · ');
        item.tooltip = [
          `${v.path}`,
          `${v.version.endsWith('.dir') ? 'folder ' : ''}${h?.blob ? 'git blob' : 'md5'} ${v.version}`,
          h?.size !== undefined ? `${formatBytes(h.size)}${h.nfiles !== undefined ? ` in ${h.nfiles} files` : ''}` : undefined,
          h ? `${h.commits} ${h.commits === 1 ? 'commit' : 'commits'}, newest ${h.date ?? ''}: ${h.subject ?? ''}` : 'not in git history',
          h?.remote ? `DVC remote: ${h.remote}` : undefined,
        ]
          .filter(Boolean)
          .join('\n');
        item.iconPath = new vscode.ThemeIcon(h ? 'git-commit' : 'versions');
        item.id = `dataset-version:${node.abs}@${v.version}`;
        item.contextValue = h?.previous ? 'runlens.datasetVersion.diffable' : 'runlens.datasetVersion';
        return item;
      }
      case 'run': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
        item.description = node.role === 'dep' ? 'input' : 'output';
        item.iconPath = new vscode.ThemeIcon(node.role === 'dep' ? 'arrow-right' : 'arrow-left');
        item.command = { command: 'runlens.openRunDocument', title: 'Open Run', arguments: [node.runId] };
        item.contextValue = 'runlens.datasetRun';
        return item;
      }
    }
  }

  private historyOf(abs: string): Promise<DatasetHistory | undefined> {
    let h = this.histories.get(abs);
    if (!h) this.histories.set(abs, (h = datasetHistory(abs).catch(() => undefined)));
    return h;
  }

  async getChildren(node?: DatasetsNode): Promise<DatasetsNode[]> {
    const store = this.store();
    if (!store) return [];
    if (!node) {
      const byPath = new Map<string, { path: string; abs: string; versions: Version[] }>();
      for (const v of store.datasets()) {
        // Code a stage depends on and models it writes have views of their own (Lineage, Models).
        if (isCodeFile(v.path) || isModelArtifact({ kind: artifactKind(v.path), path: v.path })) continue;
        const run = store.getRun(v.runIds[0]);
        const abs = run ? path.resolve(projectDir(run), v.path) : v.path;
        let entry = byPath.get(abs);
        if (!entry) byPath.set(abs, (entry = { path: v.path, abs, versions: [] }));
        entry.versions.push(v);
      }
      const tracked = await Promise.all((vscode.workspace.workspaceFolders ?? []).map((f) => gitTrackedTables(f.uri.fsPath)));
      const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      // Plain tables committed to git: their versions are their commits (after the DVC-tracked ones).
      for (const abs of tracked.flat()) {
        if (byPath.has(abs)) continue;
        const root = roots.find((r) => !path.relative(r, abs).startsWith('..')) ?? path.dirname(abs);
        byPath.set(abs, { path: path.relative(root, abs).split(path.sep).join('/'), abs, versions: [] });
      }
      return [...byPath.values()].map((d) => ({ kind: 'dataset', ...d }));
    }
    if (node.kind === 'dataset') {
      const runsOf = (id: string) => node.versions.filter((v) => v.version === id).flatMap((v) => v.runIds.map((runId) => ({ runId, role: v.role })));
      const history = await this.historyOf(node.abs);
      const out: DatasetsNode[] = [];
      const seen = new Set<string>();
      history?.versions.forEach((hv, i) => {
        seen.add(hv.id);
        const version = node.versions.find((v) => v.version === hv.id) ?? { path: node.path, version: hv.id, role: 'dep' as const, runIds: [] };
        const c = hv.commits[0];
        out.push({ kind: 'version', abs: node.abs, version, runs: runsOf(hv.id), history: { id: hv.id, date: c?.date, subject: c?.subject, commits: hv.commits.length, size: hv.size, nfiles: hv.nfiles, previous: history.versions[i + 1]?.id, blob: hv.blob !== undefined, remote: hv.remote ?? (history.remote ? `${history.remote.name}${history.remote.url ? ` (${history.remote.url})` : ''}` : undefined) } });
      });
      // Versions runs used that git does not show (no repository, or an uncommitted lock file).
      for (const v of node.versions) {
        if (seen.has(v.version)) continue;
        seen.add(v.version);
        out.push({ kind: 'version', abs: node.abs, version: v, runs: runsOf(v.version) });
      }
      return out;
    }
    if (node.kind === 'version') return node.runs.map(({ runId, role }) => ({ kind: 'run', runId, name: store.getRun(runId)?.name ?? runId, role }));
    return [];
  }
}
