// Scenario "empty": a trusted workspace with no run data at all.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { runlens, waitFor } from './helpers';

describe('Runlens in a workspace without run data', () => {
  it('does not activate on its own', async () => {
    // The test runner itself activates onStartupFinished, after workspaceContains activations settled.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(runlens().isActive, false);
  });

  it('activates when one of its commands runs, and finds no runs', async () => {
    await vscode.commands.executeCommand('runlens.refresh');
    await waitFor(() => runlens().isActive, 10_000, 'activation by command');
    const api = runlens().exports;
    await api.ready;
    assert.equal(api.counts().runs, 0);
    assert.deepEqual(api.runsChildren(), []);
  });
});
