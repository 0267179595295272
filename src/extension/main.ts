/** Activation: wires settings, the index service, views and commands. Reads like a table of contents. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from './api';
import { registerCommands } from './commands';
import { readConfig } from './config';
import type { Ctx } from './ctx';
import { IndexService } from './indexing';
import { publishProblems } from './problems';
import { RunsTreeProvider } from './trees/runs';

export function activate(extension: vscode.ExtensionContext): RunlensApi {
  const log = vscode.window.createOutputChannel('Runlens', { log: true });
  const storage = extension.storageUri ?? extension.globalStorageUri;
  const indexFile = path.join(storage.fsPath, 'index.sqlite');
  const roots = () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const index = new IndexService(indexFile, roots, readConfig, log, path.join(extension.extensionPath, 'dist', 'worker.js'));
  const runsTree = new RunsTreeProvider(index, () => readConfig().pageSize, () => readConfig().keyMetric);
  const ctx: Ctx = { extension, subscriptions: extension.subscriptions, log, index, runsTree, config: readConfig };
  extension.subscriptions.push(log, index, runsTree);
  extension.subscriptions.push(vscode.window.createTreeView('runlens.runs', { treeDataProvider: runsTree, showCollapseAll: true, canSelectMany: true }));
  registerCommands(ctx);
  extension.subscriptions.push(watchRunFiles(index), publishProblems(index));
  extension.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('runlens') && void index.refresh()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => log.info('workspace trusted: tasks enabled')),
  );
  log.info(`Runlens activated (index: ${indexFile}, trusted: ${vscode.workspace.isTrusted})`);
  const ready = readConfig().indexOnStartup && roots().length > 0 ? index.refresh() : Promise.resolve(undefined);
  return {
    ready,
    indexFile,
    runsChildren: (node) => runsTree.getChildren(node),
    runsTreeItem: (node) => runsTree.resolveTreeItem(runsTree.getTreeItem(node), node),
    counts: () => index.reader().counts(),
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
