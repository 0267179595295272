/** Command handlers, each a small factory over the extension context. */
import * as vscode from 'vscode';
import type { RunsNode } from './trees/runs';
import type { Ctx } from './ctx';

export function registerCommands(ctx: Ctx): void {
  const reg = (id: string, fn: (...args: any[]) => unknown) => ctx.subscriptions.push(vscode.commands.registerCommand(id, fn));
  reg('runlens.refresh', () => ctx.index.refresh({ progress: true }));
  reg('runlens.rebuildIndex', () => ctx.index.refresh({ rebuild: true, progress: true }));
  reg('runlens.showLog', () => ctx.log.show());
  reg('runlens.showMore', (node: { experimentId: string; offset: number }) => ctx.runsTree.showMore(node));
  reg('runlens.copyRunId', async (node?: RunsNode) => {
    if (node?.kind !== 'run') return;
    await vscode.env.clipboard.writeText(node.run.nativeId);
  });
  reg('runlens.openRunFolder', async (node?: RunsNode) => {
    if (node?.kind !== 'run') return;
    await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(node.run.path));
  });
  reg('runlens.runScript', (uri?: vscode.Uri) => runScript(ctx, uri));
}

/**
 * Runs a Python training script in the integrated terminal. Refused in untrusted workspaces: running a
 * workspace's code is exactly what Workspace Trust guards.
 */
async function runScript(ctx: Ctx, uri?: vscode.Uri): Promise<{ refused: boolean; reason?: string }> {
  if (!vscode.workspace.isTrusted) {
    const reason = 'Runlens does not run scripts in an untrusted workspace. Trust the workspace to start training runs.';
    void vscode.window.showWarningMessage(reason, 'Manage Workspace Trust').then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
    return { refused: true, reason };
  }
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target || !target.fsPath.endsWith('.py')) {
    void vscode.window.showInformationMessage('Open a Python training script to run it.');
    return { refused: true, reason: 'no Python script' };
  }
  const folder = vscode.workspace.getWorkspaceFolder(target);
  const task = new vscode.Task(
    { type: 'runlens', script: target.fsPath },
    folder ?? vscode.TaskScope.Workspace,
    `Train ${vscode.workspace.asRelativePath(target)}`,
    'runlens',
    // ShellExecution with separate arguments: VS Code quotes each for the user's shell.
    new vscode.ShellExecution(ctx.config().python, [{ value: target.fsPath, quoting: vscode.ShellQuoting.Strong }], { cwd: folder?.uri.fsPath }),
  );
  await vscode.tasks.executeTask(task);
  return { refused: false };
}
