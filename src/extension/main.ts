/** Activation: wires settings, the index service, views and commands. Reads like a table of contents. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from './api';
import { registerCommands } from './commands';
import { readConfig } from './config';
import type { Ctx } from './ctx';
import { IndexService } from './indexing';
import { publishProblems } from './problems';
import type { RunsNode } from './trees/runs';
import { RunsTreeProvider } from './trees/runs';
import { ProblemsTreeProvider } from './trees/problems';
import { DatasetsTreeProvider } from './trees/datasets';
import { ModelsTreeProvider } from './trees/models';
import { datasetDiffViews } from './panels/datasetDiff';
import { RunDocuments, SCHEME } from './documents';
import { comparePanels, registerCompareSerializer } from './panels/compare';
import { evaluationPanels, registerEvaluationSerializer } from './panels/evaluation';
import { ScriptScanner, registerScriptCommands } from './scripts';
import { TaskService, taskShell } from './tasks';
import { ScriptCodeLensProvider } from './codelens';
import { DATA_SCHEME, DatasetService, registerDatasetCommands } from './datasets';
import { LineageTreeProvider } from './trees/lineage';
import type { LineageItem } from './trees/lineage';

export function activate(extension: vscode.ExtensionContext): RunlensApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Runlens', { log: true });
  const storage = extension.storageUri ?? extension.globalStorageUri;
  const indexFile = path.join(storage.fsPath, 'index.sqlite');
  const roots = () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const index = new IndexService(indexFile, roots, readConfig, log, path.join(extension.extensionPath, 'dist', 'worker.js'));
  let tasks: TaskService | undefined;
  const runsTree = new RunsTreeProvider(index, extension.workspaceState, () => readConfig().pageSize, () => readConfig().keyMetric, (id) => tasks?.exitCodeOf(id));
  const runsView = vscode.window.createTreeView<RunsNode>('runlens.runs', { treeDataProvider: runsTree, showCollapseAll: true, canSelectMany: true });
  const ctx: Ctx = { extension, subscriptions: extension.subscriptions, log, index, runsTree, runsView, config: readConfig };
  const problemsTree = new ProblemsTreeProvider(index);
  const datasetService = new DatasetService(ctx);
  const datasetsTree = new DatasetsTreeProvider(index);
  const lineageTree = new LineageTreeProvider(index);
  const lineageView = vscode.window.createTreeView<LineageItem>('runlens.lineage', { treeDataProvider: lineageTree, showCollapseAll: true });
  const modelsTree = new ModelsTreeProvider(index, (files) => datasetService.hashFiles(files));
  const documents = new RunDocuments(index);
  extension.subscriptions.push(
    log,
    index,
    runsTree,
    runsView,
    problemsTree,
    datasetsTree,
    modelsTree,
    documents,
    datasetService,
    lineageTree,
    lineageView,
    vscode.workspace.registerTextDocumentContentProvider(DATA_SCHEME, datasetService),
    vscode.window.createTreeView('runlens.problems', { treeDataProvider: problemsTree, showCollapseAll: true }),
    vscode.window.createTreeView('runlens.datasets', { treeDataProvider: datasetsTree, showCollapseAll: true }),
    vscode.window.createTreeView('runlens.models', { treeDataProvider: modelsTree, showCollapseAll: true }),
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, documents),
    registerCompareSerializer(ctx),
    registerEvaluationSerializer(ctx),
  );
  registerCommands(ctx);
  registerDatasetCommands(ctx, datasetService, lineageTree, lineageView);
  const scanner = new ScriptScanner();
  tasks = new TaskService(ctx, scanner);
  const lenses = new ScriptCodeLensProvider(ctx, scanner);
  registerScriptCommands(ctx, scanner, tasks);
  extension.subscriptions.push(
    tasks,
    lenses,
    tasks.onDidChangeExitCodes(() => runsTree.refresh()),
    vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, lenses),
  );
  const syncViewState = () => {
    const { filter, groupBy } = runsTree.state;
    runsView.description = [filter ? `filter: ${filter}` : '', groupBy !== 'experiment' ? `by ${groupBy.replace(/^(tag|param):/, '$1 ')}` : ''].filter(Boolean).join(' · ') || undefined;
    void vscode.commands.executeCommand('setContext', 'runlens.filtered', !!filter);
  };
  syncViewState();
  extension.subscriptions.push(
    runsTree.onDidChangeTreeData(syncViewState),
    watchRunFiles(index),
    publishProblems(index),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('runlens') && void index.refresh()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => log.info('workspace trusted: tasks enabled')),
  );
  const ready = readConfig().indexOnStartup && roots().length > 0 ? index.refresh() : Promise.resolve(undefined);
  // Data checks once the first pass is in, off the host (the dataset worker); again on request.
  const dataChecked = ready.then(() => (readConfig().dataChecks ? datasetService.checkWorkspace(false) : undefined)).catch((e) => log.warn(`data checks: ${(e as Error).message}`));
  const activationMs = performance.now() - started;
  log.info(`Runlens activated in ${activationMs.toFixed(1)} ms (index: ${indexFile}, trusted: ${vscode.workspace.isTrusted})`);
  return {
    ready,
    indexFile,
    activationMs,
    runsChildren: (node) => runsTree.getChildren(node),
    runsTreeItem: (node) => runsTree.resolveTreeItem(runsTree.getTreeItem(node), node),
    runsViewState: () => runsTree.state,
    problemsChildren: (node) => problemsTree.getChildren(node),
    datasetsChildren: (node) => datasetsTree.getChildren(node),
    lineageChildren: (node) => lineageTree.getChildren(node),
    dataChecks: async () => {
      await dataChecked;
      return datasetService.lastChecks;
    },
    modelsChildren: (node) => modelsTree.getChildren(node),
    compareMessages: () => [...comparePanels()].map((p) => p.lastMessage),
    evaluationViews: () => [...evaluationPanels()].map((p) => p.lastView),
    datasetDiffViews,
    counts: () => index.reader().counts(),
    codeLenses: (uri) => lenses.provideCodeLenses(vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())!),
    taskShell: () => taskShell(),
    selectedRunIds: () => runsView.selection.flatMap((n) => (n.kind === 'run' ? [n.run.id] : [])),
  };
}

export function deactivate(): void {}

/**
 * Files the formats write while a run trains, and the folders new runs appear in; their changes go to the
 * index's live path. Folders count because file events inside a folder created a moment earlier can be
 * missed by the OS watcher: the folder's own event still leads to a pass that reads what it holds.
 */
const RUN_FILES =
  '**/{mlruns/**,lightning_logs/**,wandb/**,checkpoint-*/**,meta.yaml,metrics/**,params/**,tags/**,events.out.tfevents.*,metrics.csv,hparams.yaml,trainer_state.json,wandb-*.json,wandb-history.jsonl,*.wandb,dvc.yaml,dvc.lock,params.yaml,*.tsv,*.db,*.db-wal,*history*.json,*.csv}';

function watchRunFiles(index: IndexService): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher(RUN_FILES);
  const changed = (uri: vscode.Uri) => uri.scheme === 'file' && index.changedPaths([uri.fsPath]);
  return vscode.Disposable.from(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed));
}
