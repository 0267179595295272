// Scenario "untrusted": Workspace Trust on, the demo workspace opened in Restricted Mode.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runlens, waitFor } from './helpers';

describe('Runlens in an untrusted workspace (Restricted Mode)', () => {
  it('runs in Restricted Mode and still reads runs', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await waitFor(() => runlens().isActive, 30_000, 'Runlens to activate in Restricted Mode');
    const api = runlens().exports;
    await api.ready;
    assert.equal(api.counts().runs, 176);
  });

  it('refuses every command that would run code', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const script = vscode.Uri.file(path.join(folder, 'tiny-mlflow', 'train.py'));
    const run = runlens().exports.counts().runs > 0 ? findRunWithTable() : undefined;
    const attempts: [string, unknown[]][] = [
      ['runlens.trainScript', [script]],
      ['runlens.evaluateScript', [script]],
      ['runlens.runWithParameters', [script, { lr: '0.5' }]],
      ['runlens.evaluateRun', [run]],
      ['runlens.analyzeErrors', [run]],
    ];
    for (const [command, args] of attempts) {
      const result = await vscode.commands.executeCommand<{ refused: boolean; reason?: string }>(command, ...args);
      assert.ok(result, `${command} returned nothing`);
      assert.equal(result.refused, true, command);
      assert.match(result.reason ?? '', /untrusted/, command);
    }
    assert.equal(vscode.tasks.taskExecutions.length, 0);
    assert.ok(!fs.readdirSync(path.join(folder, 'tiny-mlflow')).includes('mlruns'), 'the script never ran');
  });

  it('says on the lenses why nothing runs, and still shows the runs of a script', async () => {
    const sweep = vscode.Uri.file(path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'digits-sweep', 'sweep.py'));
    await vscode.window.showTextDocument(sweep);
    const titles = runlens().exports.codeLenses(sweep).map((l) => l.command?.title ?? '');
    assert.equal(titles[0], '$(shield) Restricted Mode: trust this workspace to run it');
    assert.ok(!titles.some((t) => /Train|Run with/.test(t)), titles.join(' | '));
    assert.match(titles[1], /^\$\(history\) Runs of this script \(16\)/);
  });
});

describe('Restricted Mode: every Runlens command', function () {
  this.timeout(180_000);
  it('runs no code whichever command is invoked, with or without arguments', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const terminals = vscode.window.terminals.length;
    const script = vscode.Uri.file(path.join(folder, 'tiny-mlflow', 'train.py'));
    const commands = (runlens().packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(commands.length > 30);
    for (const command of commands) {
      for (const args of [[], [script]]) {
        // Commands that ask (a quick pick, a dialog) are answered with Escape after a moment.
        const done = Promise.resolve(vscode.commands.executeCommand(command, ...args)).then(
          () => true,
          () => true,
        );
        const finished = await Promise.race([done, new Promise((r) => setTimeout(() => r(false), 1500))]);
        if (!finished) await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(vscode.tasks.taskExecutions.length, 0, 'a task started');
    assert.equal(vscode.window.terminals.length, terminals, 'a terminal opened');
    assert.ok(!fs.readdirSync(path.join(folder, 'tiny-mlflow')).includes('mlruns'), 'the training script ran');
  });
});

/** The id of a run with a prediction table (the digits sweep's), for the evaluation commands. */
function findRunWithTable(): string | undefined {
  const api = runlens().exports;
  for (const n of api.runsChildren()) {
    if (n.kind !== 'experiment' || n.experiment.name !== 'digits-sweep/lightning_logs') continue;
    const run = api.runsChildren(n).find((r) => r.kind === 'run');
    return run && run.kind === 'run' ? run.run.id : undefined;
  }
  return undefined;
}
