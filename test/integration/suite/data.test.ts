// Scenario "data": a trusted workspace holding the demo runs (real corpus files).
import './sidebar';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findExperiment, runlens, waitFor } from './helpers';
import { describeTasks } from './tasks';

describe('Runlens in a workspace with run data', () => {
  it('activates on its own because the workspace contains runs', async () => {
    await waitFor(() => runlens().isActive, 30_000, 'Runlens to activate');
  });

  it('registers every command it contributes', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const contributed = (runlens().packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.length >= 6);
    for (const id of contributed) assert.ok(all.has(id), `${id} is not registered`);
  });

  it('indexes the workspace in its worker and keeps the index outside the workspace', async () => {
    const api = runlens().exports;
    const summary = await api.ready;
    assert.ok(summary, 'first indexing pass returned no summary');
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.ok(!api.indexFile.startsWith(folder), `index ${api.indexFile} is inside the workspace`);
    const counts = api.counts();
    // demo/workspace: 21 MLflow file-store runs, 3 + 125 in two mlflow.db, 4 TensorBoard log directories, 19 Lightning
    // versions (3 + a 16-run sweep), 2 Hugging Face trainings, a Keras log and a DVC project.
    assert.deepEqual(counts.byFormat, { mlflow: 21, 'mlflow-db': 128, tensorboard: 4, lightning: 19, huggingface: 2, keras: 1, dvc: 1 });
    assert.equal(counts.runs, 176);
    // The extension's worker, in VS Code's own Node, lists folders and checks probes with the module npm install built.
    assert.equal(summary.fsCalls, 'native');
  });

  it('shows experiments and runs in the Runs tree, read back through the API', async () => {
    const api = runlens().exports;
    await api.ready;
    const top = api.runsChildren();
    const names = top.map((n) => (n.kind === 'experiment' ? n.experiment.name : '?')).sort();
    assert.ok(names.includes('mushrooms-yolov5/runs/train'), `experiments: ${names.join(', ')}`);
    const yolo = top.find((n) => n.kind === 'experiment' && n.experiment.name === 'mushrooms-yolov5/runs/train')!;
    const runs = api.runsChildren(yolo).map((n) => (n.kind === 'run' ? n.run.name : '?')).sort();
    assert.deepEqual(runs, ['exp', 'exp2']);
    const exp2 = api.runsChildren(yolo).find((n) => n.kind === 'run' && n.run.name === 'exp2')!;
    const [, metricsGroup] = api.runsChildren(exp2);
    const metrics = api.runsChildren(metricsGroup).map((n) => (n.kind === 'entry' ? n.label : '?'));
    assert.ok(metrics.includes('metrics/mAP_0.5'), `metrics: ${metrics.join(', ')}`);
  });

  it('updates a run live when its metric file grows, through the file watcher', async () => {
    const api = runlens().exports;
    await api.ready;
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const metric = path.join(folder, 'hyperparameter-tuning', 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3', 'metrics', 'foo');
    const before = fs.readFileSync(metric, 'utf8').trim().split('\n').length;
    const pointsShown = () => {
      const exp = findExperiment(api, 'example1');
      const run = exp && api.runsChildren(exp).find((n) => n.kind === 'run' && n.run.nativeId === 'a3112407148b4966b929bc9f8784a3d3');
      const metrics = run && api.runsChildren(run)[1];
      const foo = metrics && api.runsChildren(metrics).find((n) => n.kind === 'entry' && n.label === 'foo');
      return foo && foo.kind === 'entry' ? foo.description : '';
    };
    assert.match(pointsShown(), new RegExp(` ${before} points$`));
    fs.appendFileSync(metric, `${Date.now()} 42.5 ${before + 1}\n`);
    await waitFor(() => pointsShown().startsWith('42.5 ') && pointsShown().endsWith(` ${before + 1} points`), 15_000, `the tree to show ${before + 1} points (shows "${pointsShown()}")`);
  });

  it('puts a damaged line in the Problems panel at its file and line', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const metric = path.join(folder, 'hyperparameter-tuning', 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3', 'metrics', 'foo');
    const lines = fs.readFileSync(metric, 'utf8').trim().split('\n').length;
    fs.appendFileSync(metric, 'this is not a metric line\n');
    const problem = () => vscode.languages.getDiagnostics(vscode.Uri.file(metric)).find((d) => d.source === 'Runlens');
    await waitFor(() => problem() !== undefined, 15_000, 'a Runlens problem on the metric file');
    assert.equal(problem()!.range.start.line, lines); // 0-based: the line after the last good one
    assert.match(problem()!.message, /malformed metric line/);
    assert.equal(problem()!.severity, vscode.DiagnosticSeverity.Error);
  });

  it('shows a run created while VS Code is open, with markup in its name rendered as text', async () => {
    const api = runlens().exports;
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const runDir = path.join(folder, 'hyperparameter-tuning', 'mlruns', '6', 'c0ffee00c0ffee00c0ffee00c0ffee00');
    const name = '<img src=x onerror=alert(1)> **bold** [link](command:runlens.refresh)';
    fs.mkdirSync(path.join(runDir, 'tags'), { recursive: true });
    fs.mkdirSync(path.join(runDir, 'metrics'), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'tags', 'mlflow.runName'), name);
    fs.writeFileSync(path.join(runDir, 'meta.yaml'), `run_id: c0ffee00c0ffee00c0ffee00c0ffee00\nexperiment_id: '6'\nstatus: 1\nstart_time: ${Date.now()}\nlifecycle_stage: active\n`);
    fs.writeFileSync(path.join(runDir, 'metrics', 'loss'), `${Date.now()} 0.5 0\n`);
    const find = () => {
      const exp = findExperiment(api, 'example1');
      return exp && api.runsChildren(exp).find((n) => n.kind === 'run' && n.run.nativeId === 'c0ffee00c0ffee00c0ffee00c0ffee00');
    };
    await waitFor(() => find() !== undefined, 20_000, 'the new run in the tree');
    const item = api.runsTreeItem(find()!);
    assert.equal(item.label, name);
    const tip = item.tooltip as vscode.MarkdownString;
    assert.equal(tip.supportHtml, false);
    assert.ok(!tip.isTrusted, 'command links stay disabled');
    assert.ok(!tip.value.includes('<img'), tip.value);
    assert.ok(!tip.value.includes('**bold**'), 'markdown in the name is escaped');
    assert.ok(!tip.value.includes('](command:'), 'no command link can be smuggled in');
  });

  it('refreshes through its command without re-reading unchanged files', async () => {
    const summary = await vscode.commands.executeCommand<{ read: number; units: number }>('runlens.refresh');
    assert.ok(summary);
    assert.equal(summary.read, 0);
    assert.ok(summary.units > 0);
  });
});

// Last: these tests start training tasks that add runs to the workspace.
describeTasks();
