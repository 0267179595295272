/** The extension's state for one activation: everything disposable hangs off it. */
import type * as vscode from 'vscode';
import type { RunlensConfig } from './config';
import type { IndexService } from './indexing';
import type { RunsNode, RunsTreeProvider } from './trees/runs';

export interface Ctx {
  readonly extension: vscode.ExtensionContext;
  readonly subscriptions: vscode.Disposable[];
  readonly log: vscode.LogOutputChannel;
  readonly index: IndexService;
  readonly runsTree: RunsTreeProvider;
  readonly runsView: vscode.TreeView<RunsNode>;
  config(): RunlensConfig;
}
