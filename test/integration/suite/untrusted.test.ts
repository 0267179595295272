// Scenario "untrusted": Workspace Trust on, the demo workspace opened in Restricted Mode.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runlens, waitFor } from './helpers';

describe('Runlens in an untrusted workspace (Restricted Mode)', () => {
  it('runs in Restricted Mode and still reads runs', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await waitFor(() => runlens().isActive, 30_000, 'Runlens to activate in Restricted Mode');
    const api = runlens().exports;
    await api.ready;
    assert.equal(api.counts().runs, 51);
  });

  it('refuses to run a training script', async () => {
    const script = vscode.Uri.file(path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'train.py'));
    const result = await vscode.commands.executeCommand<{ refused: boolean; reason?: string }>('runlens.runScript', script);
    assert.ok(result);
    assert.equal(result.refused, true);
    assert.match(result.reason ?? '', /untrusted/);
    assert.equal(vscode.tasks.taskExecutions.length, 0);
  });
});
