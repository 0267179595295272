/**
 * The Models view: model → versions → the run that made each version.
 *
 * - registered models (MLflow's registry): versions with their stage and aliases;
 * - logged models (MLflow 3), by name;
 * - model files among runs' artifacts, by experiment and path (an MLflow model folder as one): a version
 *   per distinct content, hashed in the dataset worker when the model is expanded (cached by path, size,
 *   mtime and inode), so the view never reads a checkpoint on the extension host.
 *
 * Files show their header, decoded on hover; nothing is loaded or unpickled.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type CatalogFile, type CatalogModel, type CatalogRun, type CatalogVersion, type DvcModel, type FileModel, dvcModels, dvcModelVersions, fileModels, fileVersions, indexedModels } from '../../core/artifacts/catalog';
import { datasetHistory } from '../../core/datasets/history';
import { describeModel } from '../../core/artifacts/models';
import { type WorkspaceModel, workspaceModels, workspaceModelVersions } from '../../core/artifacts/workspaceModels';
import { formatBytes } from '../../core/format';
import type { IndexService } from '../indexing';
import { IndexTreeProvider } from './indexTree';
import { appendUserText, formatValue } from '../format';

export type ModelsNode =
  | { kind: 'model'; model: CatalogModel }
  | { kind: 'fileModel'; model: FileModel }
  | { kind: 'dvcModel'; model: DvcModel }
  | { kind: 'workspaceModel'; model: WorkspaceModel }
  | { kind: 'version'; model: CatalogModel; version: CatalogVersion; ref?: string }
  | { kind: 'run'; run: CatalogRun; runId: string }
  | { kind: 'file'; file: CatalogFile; fsPath: string };

/** SHA-256 of files, off the extension host; null for a file that cannot be read. */
export type Hasher = (files: string[]) => Promise<Record<string, string | null>>;

const KIND_LABEL = { registered: 'registered model', logged: 'logged model', file: 'model files', dvc: 'DVC-tracked', workspace: 'in the workspace' } as const;
const STAGE_ICON: Record<string, string> = { Production: 'rocket', Archived: 'archive' };

export class ModelsTreeProvider extends IndexTreeProvider<ModelsNode> {
  /** File models' versions, per model key, until the index changes. */
  private readonly versions = new Map<string, Promise<CatalogModel>>();
  private readonly cleared: vscode.Disposable;

  constructor(
    index: IndexService,
    private readonly hasher: Hasher,
  ) {
    super(index);
    this.cleared = index.onDidChange(() => this.versions.clear());
  }

  /** A model file's header, decoded when its tooltip is about to show (never loaded, never hashed here). */
  resolveTreeItem(item: vscode.TreeItem, node: ModelsNode): vscode.TreeItem {
    if (node.kind !== 'file') return item;
    try {
      const d = describeModel(node.fsPath, { hash: false, maxOnnxBytes: 64 * 2 ** 20 });
      const md = new vscode.MarkdownString(undefined, true);
      md.appendMarkdown('**');
      appendUserText(md, d.summary);
      md.appendMarkdown('**  \n');
      appendFacts(md, d.facts.map(([k, v]) => [k, v.length > 400 ? v.slice(0, 400) + '…' : v]));
      for (const w of d.warnings.slice(0, 10)) {
        md.appendMarkdown('$(warning) ');
        appendUserText(md, w);
        md.appendMarkdown('  \n');
      }
      item.tooltip = md;
    } catch (e) {
      item.tooltip = `${node.fsPath}\n${(e as Error).message}`;
    }
    return item;
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'model': {
        const m = node.model;
        const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
        // Where it is kept (the store's name; its path in the tooltip): two stores of one project, an mlruns
        // folder and an mlflow.db beside it, may each have a model of the same name.
        item.description = [KIND_LABEL[m.kind], m.store && path.basename(m.store), `${m.versions.length} version${m.versions.length === 1 ? '' : 's'}`].filter(Boolean).join(' · ');
        if (m.store) item.tooltip = `${m.name}: ${KIND_LABEL[m.kind]} kept in ${vscode.workspace.asRelativePath(m.store)}`;
        item.iconPath = new vscode.ThemeIcon(m.kind === 'registered' ? 'library' : 'package');
        item.id = `models:${m.key}`;
        item.contextValue = `runlens.model.${m.kind}`;
        return item;
      }
      case 'fileModel': {
        const m = node.model;
        const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
        const runs = new Set(m.copies.map((c) => c.run.id)).size;
        item.description = `${KIND_LABEL.file} · ${m.experimentName} · ${runs} run${runs === 1 ? '' : 's'}`;
        item.tooltip = `${m.name} in the runs of ${m.experimentName}: one version per distinct content (SHA-256), computed when expanded.`;
        item.iconPath = new vscode.ThemeIcon('file-binary');
        item.id = `models:${m.key}`;
        item.contextValue = 'runlens.model.file';
        return item;
      }
      case 'dvcModel': {
        const m = node.model;
        const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${KIND_LABEL.dvc} · versions from git history`;
        item.tooltip = `${m.abs}\nA dvc.lock out: a version per md5 it had in git history, with the runs that wrote it.`;
        item.iconPath = new vscode.ThemeIcon('package');
        item.resourceUri = vscode.Uri.file(m.abs);
        item.id = `models:${m.key}`;
        item.contextValue = 'runlens.model.dvc';
        return item;
      }
      case 'workspaceModel': {
        const m = node.model;
        const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${KIND_LABEL.workspace} · ${m.notPulled ? 'DVC-tracked, not pulled' : 'no run logged it'}`;
        item.tooltip = `${m.abs}\nA model in the workspace that no indexed run logged.`;
        item.iconPath = new vscode.ThemeIcon('file-binary');
        item.resourceUri = vscode.Uri.file(m.abs);
        item.id = `models:${m.key}`;
        item.contextValue = 'runlens.model.workspace';
        return item;
      }
      case 'version': {
        const v = node.version;
        const item = new vscode.TreeItem(v.label, vscode.TreeItemCollapsibleState.Collapsed);
        const metrics = Object.entries(v.metrics ?? {}).slice(0, 2).map(([k, x]) => `${k} ${formatValue(x)}`);
        item.description = [
          node.model.name.includes('*') ? v.where?.join(', ') : undefined,
          v.stage,
          node.model.kind === 'dvc' ? v.description : undefined,
          v.aliases?.length ? v.aliases.map((a) => `@${a}`).join(' ') : undefined,
          v.size !== undefined ? formatBytes(v.size) : undefined,
          v.createdAt ? new Date(v.createdAt).toISOString().slice(0, 16).replace('T', ' ') : undefined,
          ...metrics,
          v.runs.length > 1 ? `${v.runs.length} runs` : v.runs[0] ? `← ${v.runs[0].name}` : node.model.kind === 'workspace' ? 'no run logged it' : 'run not indexed',
        ]
          .filter(Boolean)
          .join(' · ');
        const md = new vscode.MarkdownString();
        md.appendMarkdown('**');
        appendUserText(md, `${node.model.name} ${v.label}`);
        md.appendMarkdown('**  \n');
        appendFacts(md, [
          ['status', v.status],
          ['stage', v.stage],
          ['content', v.hash ? `SHA-256 ${v.hash}` : undefined],
          ['source', v.source],
          ['description', v.description],
        ]);
        item.tooltip = md;
        item.iconPath = new vscode.ThemeIcon(STAGE_ICON[v.stage ?? ''] ?? (node.model.kind === 'file' ? 'versions' : 'tag'));
        item.id = `models:${node.model.key}:${v.id}`;
        item.contextValue = 'runlens.modelVersion';
        return item;
      }
      case 'run': {
        const r = node.run;
        const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.None);
        item.description = `made by · ${r.experimentName} · ${r.nativeId.slice(0, 8)}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = 'runlens.modelRun';
        item.command = { command: 'runlens.openRunDocument', title: 'Open Run', arguments: [r.id] };
        return item;
      }
      case 'file': {
        const f = node.file;
        const item = new vscode.TreeItem(f.path, vscode.TreeItemCollapsibleState.None);
        const pickle = f.kind === 'pickle';
        item.description = `${f.kind} · ${formatBytes(f.size)}${pickle ? ' · never loaded' : ''}`;
        item.resourceUri = vscode.Uri.file(node.fsPath);
        item.iconPath = new vscode.ThemeIcon(f.kind === 'checkpoint' ? 'save' : pickle ? 'lock' : 'file');
        item.contextValue = 'runlens.modelFile';
        // The tooltip (the file's header, decoded) is built on hover: resolveTreeItem. A pickle's says it
        // is never loaded — unpickling runs code the file chooses.
        item.command = { command: 'revealInExplorer', title: 'Reveal', arguments: [vscode.Uri.file(node.fsPath)] };
        return item;
      }
    }
  }

  private fileVersions(model: FileModel): Promise<CatalogModel> {
    let p = this.versions.get(model.key);
    if (!p) {
      const files = model.copies.flatMap((c) => c.files.map((f) => f.fsPath));
      p = this.hasher(files).then((hashes) => fileVersions(model, (f) => hashes[f] ?? undefined));
      this.versions.set(model.key, p);
    }
    return p;
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    const store = this.store();
    if (!store) return [];
    if (!node) {
      const kindOrder = { registered: 0, logged: 1, dvc: 2, file: 3, workspace: 4 };
      const dvc = dvcModels(store);
      // Model files no run logged (a committed models/model.onnx), found by name in the workspace folders.
      const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
      const loose = workspaceModels(roots, store, new Set(dvc.map((d) => d.abs)));
      return [
        ...indexedModels(store).sort((a, b) => kindOrder[a.kind] - kindOrder[b.kind]).map((model): ModelsNode => ({ kind: 'model', model })),
        ...dvc.map((model): ModelsNode => ({ kind: 'dvcModel', model })),
        ...fileModels(store).map((model): ModelsNode => ({ kind: 'fileModel', model })),
        ...loose.map((model): ModelsNode => ({ kind: 'workspaceModel', model })),
      ];
    }
    switch (node.kind) {
      case 'model':
        return node.model.versions.map((version) => ({ kind: 'version', model: node.model, version, ref: node.model.kind === 'logged' ? version.id : version.runs[0]?.id }));
      case 'fileModel': {
        const model = await this.fileVersions(node.model);
        return model.versions.map((version) => ({ kind: 'version', model, version, ref: version.files[0]?.fsPath }));
      }
      case 'workspaceModel': {
        // Hashed in the dataset worker, as the runs' model files are.
        const hashes = await this.hasher(node.model.files.map((f) => f.fsPath));
        const model = workspaceModelVersions(node.model, (f) => hashes[f] ?? undefined);
        return model.versions.map((version) => ({ kind: 'version', model, version, ref: version.files[0]?.fsPath }));
      }
      case 'dvcModel': {
        const model = dvcModelVersions(store, node.model, await datasetHistory(node.model.abs).catch(() => undefined));
        return model.versions.map((version) => ({ kind: 'version', model, version, ref: `${node.model.abs}@${version.id}` }));
      }
      case 'version': {
        const runs: ModelsNode[] = node.version.runs.map((run) => ({ kind: 'run', run, runId: run.id }));
        // A file version's files, once: the copy of its first run (the others hold the same bytes).
        const files = node.version.files.filter((f, i, all) => all.findIndex((g) => g.path === f.path) === i);
        return [...runs, ...files.map((file): ModelsNode => ({ kind: 'file', file, fsPath: file.fsPath }))];
      }
      default:
        return [];
    }
  }

  override dispose(): void {
    this.cleared.dispose();
    super.dispose();
  }
}

/** `*name:* value` lines, one per fact with a value; both sides escaped (they come from files). */
function appendFacts(md: vscode.MarkdownString, facts: [string, string | undefined][]): void {
  for (const [k, v] of facts) {
    if (!v) continue;
    md.appendMarkdown('*');
    appendUserText(md, k);
    md.appendMarkdown(':* ');
    appendUserText(md, v);
    md.appendMarkdown('  \n');
  }
}
