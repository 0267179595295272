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

  it('welcomes the user with buttons that work: every command the welcome view links to exists, the guide opens', async () => {
    const welcome = (runlens().packageJSON.contributes.viewsWelcome as { view: string; contents: string }[]).find((w) => w.view === 'runlens.runs')!;
    const linked = [...welcome.contents.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
    assert.deepEqual(linked, ['runlens.addSource', 'runlens.refresh', 'runlens.openDocs']);
    const all = new Set(await vscode.commands.getCommands(true));
    for (const c of linked) assert.ok(all.has(c), c);
    await vscode.commands.executeCommand('runlens.openDocs');
    const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
    await waitFor(() => tabs().some((l) => l.includes('README')), 15_000, `the guide to open (tabs: ${tabs().join(', ')})`);
  });
});

