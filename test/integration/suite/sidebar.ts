// The sidebar in the "data" scenario: views, filter/group/pin, params diff documents, comparison, chart.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { findExperiment, runlens, waitFor } from './helpers';
import type { RunsNode } from '../../../src/extension/trees/runs';

type Run = Extract<RunsNode, { kind: 'run' }>;

describe('the Runlens sidebar', () => {
  const api = () => runlens().exports;
  before(async () => {
    await waitFor(() => runlens().isActive, 30_000, 'Runlens to activate');
    await api().ready;
    if (process.env.RUNLENS_IT_RESULTS) fs.writeFileSync(process.env.RUNLENS_IT_RESULTS + '.measures.json', JSON.stringify({ 'activation (ms, in the extension host)': api().activationMs.toFixed(1) }));
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('runlens.clearFilter');
    await vscode.commands.executeCommand('runlens.groupBy', 'experiment');
  });

  const experiment = (name: string) => findExperiment(api(), name);
  const runsOf = (name: string) => api().runsChildren(experiment(name)!).filter((n): n is Run => n.kind === 'run');

  it('filters the Runs view with the query language, and refuses a bad query without losing the filter', async () => {
    await vscode.commands.executeCommand('runlens.filterRuns', 'params.hidden = 128 and metrics.val_acc > 0.9 and params.dropout is null');
    const top = api().runsChildren();
    assert.deepEqual(top.map((n) => (n.kind === 'experiment' ? `${n.experiment.name}:${n.count}` : n.kind)), ['digits-lightning/lightning_logs:1']);
    assert.deepEqual(runsOf('digits-lightning/lightning_logs').map((r) => r.run.name), ['version_1']);
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('runlens.filterRuns', 'params.hidden = ')), /expected a value/);
    assert.equal(api().runsViewState().filter, 'params.hidden = 128 and metrics.val_acc > 0.9 and params.dropout is null');
    await vscode.commands.executeCommand('runlens.clearFilter');
    assert.ok(api().runsChildren().length > 10);
  });

  it('groups runs by status and by format, every run in exactly one group', async () => {
    await vscode.commands.executeCommand('runlens.groupBy', 'format');
    const groups = api().runsChildren().filter((n) => n.kind === 'bucket');
    const counts = Object.fromEntries(groups.map((g) => [g.kind === 'bucket' ? g.label : '', g.kind === 'bucket' ? g.count : 0]));
    assert.deepEqual(counts, api().counts().byFormat);
    await vscode.commands.executeCommand('runlens.groupBy', 'status');
    const statuses = api().runsChildren().flatMap((n) => (n.kind === 'bucket' ? [n] : []));
    assert.equal(statuses.reduce((s, g) => s + g.count, 0), api().counts().runs);
    const finished = statuses.find((g) => g.label === 'Finished')!;
    const shown = api().runsChildren(finished).filter((n) => n.kind === 'run');
    assert.equal(shown.length, Math.min(finished.count, 100));
  });

  it('pins a run above the groups and unpins it', async () => {
    const [run] = runsOf('digits-lightning/lightning_logs');
    await vscode.commands.executeCommand('runlens.pinRun', run);
    const [first] = api().runsChildren();
    assert.equal(first.kind, 'pinned');
    assert.deepEqual(api().runsChildren(first).map((n) => (n.kind === 'run' ? n.run.id : '')), [run.run.id]);
    assert.equal(api().runsTreeItem(api().runsChildren(first)[0]).contextValue, 'runlens.run.pinned');
    await vscode.commands.executeCommand('runlens.unpinRun', run);
    assert.notEqual(api().runsChildren()[0].kind, 'pinned');
  });

  it('diffs two runs’ parameters in VS Code’s diff editor, from read-only runlens: documents', async () => {
    const [v1, v0] = runsOf('digits-lightning/lightning_logs').sort((a, b) => b.run.name.localeCompare(a.run.name));
    await vscode.commands.executeCommand('runlens.diffParams', v0, [v0, v1]);
    await waitFor(() => vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputTextDiff, 10_000, 'a diff editor');
    const input = vscode.window.tabGroups.activeTabGroup.activeTab!.input as vscode.TabInputTextDiff;
    assert.equal(input.original.scheme, 'runlens');
    const left = (await vscode.workspace.openTextDocument(input.original)).getText();
    const right = (await vscode.workspace.openTextDocument(input.modified)).getText();
    assert.match(left, /^ {2}hidden: 32$/m);
    assert.match(right, /^ {2}hidden: 128$/m);
    assert.match(right, /^ {2}optimizer\.lr: 0\.003$/m);
    assert.match(right, /^ {2}val_acc: \{last: 0\.94/m);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('diffs a Hugging Face run’s TensorBoard log with the training it belongs to (its parent)', async () => {
    const [tb] = runsOf('tiny-bert/results/runs');
    assert.ok(tb.run.parentRunId, 'the log is linked to its training');
    await vscode.commands.executeCommand('runlens.diffWithParent', tb);
    await waitFor(() => vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputTextDiff, 10_000, 'a diff editor');
    const input = vscode.window.tabGroups.activeTabGroup.activeTab!.input as vscode.TabInputTextDiff;
    const parent = (await vscode.workspace.openTextDocument(input.original)).getText();
    assert.match(parent, /^ {2}format: huggingface$/m);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('compares selected runs in a panel: charts per metric, differing params, the best run marked', async () => {
    const runs = runsOf('digits-lightning/lightning_logs');
    await vscode.commands.executeCommand('runlens.compareSelected', runs[0], runs);
    await waitFor(() => api().compareMessages().some((m) => m !== undefined), 20_000, 'the compare webview to ask for its data');
    const msg = api().compareMessages().find((m) => m !== undefined)!;
    assert.deepEqual(msg.runs.map((r) => r.name).sort(), ['version_0', 'version_1']);
    assert.deepEqual(msg.table.params.filter((p) => p.differs).map((p) => p.key), ['hidden', 'optimizer.lr']);
    const valAcc = msg.table.metrics.find((m) => m.key === 'val_acc')!;
    assert.equal(msg.runs[valAcc.best].name, 'version_1');
    assert.equal(msg.state.metrics[0], 'val_acc', 'the key metric is charted first');
    for (const metric of msg.state.metrics) assert.equal(msg.series[metric].length, 2, metric);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor(() => api().compareMessages().length === 0, 10_000, 'the panel to close');
  });

  it('charts a metric in a webview panel, point for point with the index', async () => {
    const [run] = runsOf('digits-lightning/lightning_logs');
    const metrics = api().runsChildren(api().runsChildren(run)[1]);
    const valAcc = metrics.find((n) => n.kind === 'entry' && n.label === 'val_acc')!;
    await vscode.commands.executeCommand('runlens.showMetricChart', valAcc);
    await waitFor(() => api().compareMessages().some((m) => m !== undefined), 20_000, 'the chart webview to ask for its data');
    const msg = api().compareMessages().find((m) => m !== undefined)!;
    assert.deepEqual(msg.state.metrics, ['val_acc']);
    assert.equal(msg.runs.length, 1);
    const csv = fs.readFileSync(`${run.run.path}/metrics.csv`, 'utf8').trim().split(/\r?\n/);
    const head = csv[0].split(',');
    const expected = csv.slice(1).map((l) => l.split(',')).filter((c) => c[head.indexOf('val_acc')] !== '').flatMap((c) => [Number(c[head.indexOf('step')]), Number(c[head.indexOf('val_acc')])]);
    assert.deepEqual(msg.series.val_acc[0].points, expected);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('puts an MLflow store with several experiments above them (source → experiment → run)', () => {
    const store = api().runsChildren().find((n) => n.kind === 'source' && n.source.endsWith('hyperparameter-tuning/mlruns'));
    assert.ok(store, 'the hyperparameter-tuning store is a source node');
    const names = api().runsChildren(store).map((n) => (n.kind === 'experiment' ? n.experiment.name : '?')).sort();
    assert.deepEqual(names, ['Default', 'example', 'example1', 'test1', 'test2', 'test3']);
    const top = api().runsChildren().filter((n) => n.kind === 'experiment').map((n) => (n.kind === 'experiment' ? n.experiment.name : ''));
    assert.ok(top.includes('mushrooms-yolov5/runs/train') && !top.includes('example1'));
  });

  it('evaluates a prediction table in a panel: the numbers of the file, worst errors, segments', async () => {
    const file = `${vscode.workspace.workspaceFolders![0].uri.fsPath}/digits-lightning/eval/digits_predictions.csv`;
    await vscode.commands.executeCommand('runlens.evaluatePredictions', vscode.Uri.file(file));
    await waitFor(() => api().evaluationViews().some((v) => v?.evaluation), 30_000, 'the evaluation panel to be evaluated');
    const view = api().evaluationViews().find((v) => v?.evaluation)!;
    const rows = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const right = rows.filter((r) => r[2] === r[3]).length;
    assert.equal(view.evaluation!.report!.n, rows.length);
    assert.equal(view.evaluation!.report!.accuracy, right / rows.length);
    assert.deepEqual(Object.keys(view.evaluation!.segments), ['ink']);
    const worst = view.evaluation!.worstErrors[0];
    assert.notEqual(worst.truth, worst.predicted);
    assert.equal(rows[worst.line - 2][0], worst.id, 'the error row is located at its line');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('compares the evaluations of two runs: both matrices, the change, classes ranked by it', async () => {
    const sweep = runsOf('digits-sweep/lightning_logs');
    const a = sweep.find((r) => r.run.name === 'version_0')!;
    const b = sweep.find((r) => r.run.name === 'version_15')!;
    await vscode.commands.executeCommand('runlens.compareEvaluations', a, [a, b]);
    await waitFor(() => api().evaluationViews().some((v) => v?.delta), 30_000, 'the evaluation panel with a comparison');
    const view = api().evaluationViews().find((v) => v?.delta)!;
    assert.ok(view.file.endsWith('version_15/predictions.csv'));
    assert.ok(view.baseline!.file.endsWith('version_0/predictions.csv'));
    const accuracy = (file: string) => {
      const rows = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      return rows.filter((r) => r[2] === r[3]).length / rows.length;
    };
    assert.equal(view.delta!.accuracy.a, accuracy(view.baseline!.file));
    assert.equal(view.delta!.accuracy.b, accuracy(view.file));
    assert.equal(view.delta!.delta.flat().reduce((x, y) => x + y, 0), 0);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('lists dataset versions, models and problems in their views', async () => {
    const lock = fs.readFileSync(`${vscode.workspace.workspaceFolders![0].uri.fsPath}/dvc-get-started/dvc.lock`, 'utf8');
    const md5 = /- path: data\/data\.xml\n\s+hash: md5\n\s+md5: (\w+)/.exec(lock)![1];
    const data = (await api().datasetsChildren()).find((n) => n.kind === 'dataset' && n.path === 'data/data.xml')!;
    assert.ok(data, 'data/data.xml is a dataset');
    assert.ok((await api().datasetsChildren(data)).some((v) => v.kind === 'version' && v.version.version === md5));
    const models = await api().modelsChildren();
    assert.ok(models.some((m) => m.kind === 'model' && m.model.kind === 'logged'), 'MLflow logged models of heart-disease');
    // Model → versions (hashed in the worker) → the run that made it, and the version's files.
    const bert = models.find((m) => m.kind === 'fileModel' && m.model.name === 'checkpoint-*/model.safetensors')!;
    assert.ok(bert, 'the Trainer checkpoints’ weights, one model');
    const versions = await api().modelsChildren(bert);
    assert.deepEqual(versions.map((v) => v.kind === 'version' && v.version.where![0]), ['checkpoint-189/model.safetensors', 'checkpoint-126/model.safetensors']);
    const madeBy = await api().modelsChildren(versions[0]);
    assert.deepEqual(madeBy.map((n) => (n.kind === 'run' ? `run ${n.run.name}` : n.kind === 'file' ? `file ${n.file.path}` : n.kind)), ['run results', 'file checkpoint-189/model.safetensors']);
    const files = api().problemsChildren();
    assert.ok(files.some((f) => f.kind === 'file' && f.file.endsWith('metrics.json')), 'the DVC metrics file not produced yet');
  });

  it('lists an mlflow.db run’s artifacts from its artifact_uri (./mlruns beside the database), each opening its file', () => {
    const runs = runsOf('02-experiment-tracking-homework');
    assert.equal(runs.length, 3);
    for (const run of runs) {
      const group = api().runsChildren(run).find((g) => g.kind === 'group' && g.group === 'artifacts');
      assert.ok(group, run.run.nativeId);
      const mlmodel = api().runsChildren(group).find((e) => e.kind === 'entry' && e.label === 'model/MLmodel');
      assert.ok(mlmodel?.kind === 'entry' && fs.readFileSync(mlmodel.file!, 'utf8').includes(`run_id: ${run.run.nativeId}`), run.run.nativeId);
    }
  });

  it('lists registered model versions with their stage and the run that made each, and DVC-tracked models by md5', async () => {
    const models = await api().modelsChildren();
    const regressor = models.find((m) => m.kind === 'model' && m.model.kind === 'registered' && m.model.name === 'nyc-taxi-regressor')!;
    assert.ok(regressor, 'the registry of nyc-taxi/mlflow.db');
    const versions = await api().modelsChildren(regressor);
    assert.deepEqual(versions.map((v) => (v.kind === 'version' ? [v.version.label, v.version.stage ?? ''] : [])), [['v4', ''], ['v3', 'Staging'], ['v2', 'Production'], ['v1', 'Staging']]);
    const [made] = await api().modelsChildren(versions[2]);
    assert.ok(made.kind === 'run' && made.run.nativeId === 'f539394805074f4296c1ed6b0a1d905d', 'v2 was made by run f5393948…');
    const pkl = models.find((m) => m.kind === 'dvcModel' && m.model.name === 'model.pkl')!;
    assert.ok(pkl, 'model.pkl, a dvc.lock out');
    const lock = fs.readFileSync(`${vscode.workspace.workspaceFolders![0].uri.fsPath}/dvc-get-started/dvc.lock`, 'utf8');
    const md5 = /- path: model\.pkl\n\s+hash: md5\n\s+md5: (\w+)/.exec(lock)![1];
    const pklVersions = await api().modelsChildren(pkl);
    const current = pklVersions.find((v) => v.kind === 'version' && v.version.id === md5)!;
    assert.ok(current, 'the md5 in dvc.lock is a version');
    assert.deepEqual((await api().modelsChildren(current)).map((n) => n.kind === 'run' && n.run.name), ['workspace']);
  });

  it('compares two tables in the dataset diff panel (Compare Data Tables with two files selected)', async () => {
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const [a, b] = ['version_0', 'version_1'].map((v) => vscode.Uri.file(`${root}/digits-sweep/lightning_logs/${v}/predictions.csv`));
    await vscode.commands.executeCommand('runlens.compareTables', a, [a, b]);
    const view = api().datasetDiffViews().at(-1)!;
    assert.ok(view, 'a panel is open');
    const rows = (u: vscode.Uri) => fs.readFileSync(u.fsPath, 'utf8').trim().split('\n').length - 1;
    assert.deepEqual(view.diff.rows, { before: rows(a), after: rows(b) });
    assert.equal(view.before.label, 'digits-sweep/lightning_logs/version_0/predictions.csv');
    assert.equal(view.diff.label?.column, 'label');
    assert.equal(view.diff.label?.psi, 0, 'the same held-out labels');
    assert.ok(view.histograms.some((h) => h.column === 'prediction'), 'the predicted classes, before and after');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows the lineage of a dataset: the run that read it and the model that run produced', async () => {
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const lock = fs.readFileSync(`${root}/dvc-get-started/dvc.lock`, 'utf8');
    const md5 = /- path: data\/data\.xml\n\s+hash: md5\n\s+md5: (\w+)/.exec(lock)![1];
    await vscode.commands.executeCommand('runlens.showLineage', `${root}/dvc-get-started/data/data.xml`);
    const [top] = api().lineageChildren();
    assert.deepEqual([top.node.kind, top.node.label, top.node.version], ['dataset', 'data.xml', md5]);
    const readers = api().lineageChildren(top);
    const run = readers.find((c) => c.node.kind === 'run' && c.link?.relation === 'read')!;
    assert.ok(run, 'read by the DVC workspace run');
    const outputs = api().lineageChildren(run);
    assert.ok(outputs.some((c) => c.node.kind === 'model' && c.node.label === 'model.pkl' && c.link?.relation === 'produced'), 'produces model.pkl');
  });

  it('reports rows shared between train and test splits in the Problems panel', async () => {
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    // Real rows: the predictions a digits run wrote, split with 3 rows in both halves.
    const [header, ...rows] = fs.readFileSync(`${root}/digits-sweep/lightning_logs/version_4/predictions.csv`, 'utf8').trim().split('\n');
    fs.mkdirSync(`${root}/splits`, { recursive: true });
    fs.writeFileSync(`${root}/splits/train.csv`, [header, ...rows.slice(0, 200)].join('\n') + '\n');
    fs.writeFileSync(`${root}/splits/test.csv`, [header, ...rows.slice(197, 300)].join('\n') + '\n');
    const distinct = new Set(rows.slice(0, 200));
    const shared = rows.slice(197, 300).filter((r) => distinct.has(r)).length;
    await vscode.commands.executeCommand('runlens.checkData');
    const found = vscode.languages.getDiagnostics(vscode.Uri.file(`${root}/splits/test.csv`));
    const leak = found.find((d) => d.message.startsWith('leakage'));
    assert.ok(leak, found.map((d) => d.message).join('\n'));
    assert.match(leak.message, new RegExp(`^leakage: ${shared} of ${rows.slice(197, 300).length} rows`));
    assert.equal(leak.range.start.line, 1);
    assert.equal(leak.source, 'Runlens data');
  });
});
