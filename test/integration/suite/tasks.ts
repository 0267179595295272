// Tasks, CodeLens and the end-of-task flow in the "data" scenario: real Python runs the demo's training
// script in the integrated terminal; the new runs must reach the index, the tree and the lenses.
// Registered last (called at the end of data.test.ts): these tests add runs to the workspace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runlens, waitFor } from './helpers';
import type { RunsNode } from '../../../src/extension/trees/runs';

type Outcome = { label: string; exitCode: number | undefined; run?: { id: string; name: string; path: string }; previous?: { id: string }; table?: string };

export function describeTasks(): void {
  describe('tasks, CodeLens and the end of a training run', function () {
    this.timeout(90_000);
    const api = () => runlens().exports;
    const folder = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
    const tiny = () => vscode.Uri.file(path.join(folder(), 'tiny-mlflow', 'train.py'));
    const titles = async (uri: vscode.Uri) => {
      await vscode.window.showTextDocument(uri);
      return api().codeLenses(uri).map((l) => l.command?.title ?? '');
    };
    // Every experiment node, at the top or under its store (two folders here hold an experiment "tiny").
    const experiments = () => api().runsChildren().flatMap((n) => (n.kind === 'source' ? api().runsChildren(n) : [n])).filter((n) => n.kind === 'experiment');
    const runNode = (id: string): RunsNode | undefined => {
      for (const exp of experiments()) {
        const hit = api().runsChildren(exp).find((n) => n.kind === 'run' && n.run.id === id);
        if (hit) return hit;
      }
      return undefined;
    };
    let first: Outcome;

    before(async () => {
      await waitFor(() => runlens().isActive, 30_000, 'Runlens to activate');
      await api().ready;
    });

    it('puts lenses on training scripts with their runs and best value, and none on other Python files', async () => {
      assert.deepEqual(await titles(tiny()), ['$(play) Train', 'Run with Parameters…', 'No runs yet']);
      const sweep = await titles(vscode.Uri.file(path.join(folder(), 'digits-sweep', 'sweep.py')));
      const best = Math.max(
        ...fs.readdirSync(path.join(folder(), 'digits-sweep', 'lightning_logs')).map((v) => {
          const rows = fs.readFileSync(path.join(folder(), 'digits-sweep', 'lightning_logs', v, 'metrics.csv'), 'utf8').trim().split('\n');
          const col = rows[0].split(',').indexOf('val_acc');
          return Number(rows.slice(1).map((r) => r.split(',')[col]).filter(Boolean).pop());
        }),
      );
      assert.deepEqual(sweep.slice(0, 2), ['$(play) Train', 'Run with Parameters…']);
      assert.match(sweep[2], /^\$\(history\) Runs of this script \(16\) — best val_acc /);
      assert.ok(Math.abs(Number(sweep[2].split(' ').pop()) - best) < 1e-5, `${sweep[2]} vs ${best}`);
      assert.equal(sweep[3], '$(diff) Compare Last Two');
      // A file that only talks about training, and a library that trains inside methods: no lenses.
      const decoy = path.join(folder(), 'tiny-mlflow', 'notes.py');
      fs.writeFileSync(decoy, '"""Call trainer.fit(model) then wandb.init()."""\n# model.fit(x)\nif __name__ == "__main__":\n    print("trainer.fit(model)")\n');
      assert.deepEqual(await titles(vscode.Uri.file(decoy)), []);
      fs.rmSync(decoy);
    });

    it('offers auto-detected tasks for training scripts and DVC stages', async () => {
      const tasks = await vscode.tasks.fetchTasks({ type: 'runlens' });
      const names = tasks.map((t) => t.name);
      assert.ok(names.includes('train: tiny-mlflow/train.py'), names.join(', '));
      assert.ok(names.includes('train: digits-sweep/sweep.py'), names.join(', '));
      const dvcYaml = fs.readFileSync(path.join(folder(), 'dvc-get-started', 'dvc.yaml'), 'utf8');
      // The keys under the top-level `stages:` mapping.
      const block = dvcYaml.split(/^stages:\s*$/m)[1].split(/^\S/m)[0];
      const stages = [...block.matchAll(/^ {2}([\w-]+):\s*$/gm)].map((m) => m[1]);
      assert.ok(stages.length > 0);
      for (const s of stages) {
        assert.ok(names.includes(`dvc repro ${s} (dvc-get-started/dvc.yaml)`), `dvc repro ${s}`);
        assert.ok(names.includes(`dvc exp run ${s} (dvc-get-started/dvc.yaml)`), `dvc exp run ${s}`);
      }
    });

    it('trains in the terminal, then shows the new run in the tree, selected, with the lens updated', async () => {
      first = (await vscode.commands.executeCommand<Outcome>('runlens.trainScript', tiny(), { args: ['--epochs', '4'] }))!;
      assert.equal(first.exitCode, 0, JSON.stringify(first));
      assert.ok(first.run, 'the new run was found');
      assert.equal(first.run.name, 'lr=0.1 epochs=4');
      assert.ok(runNode(first.run.id), 'the run is in the Runs tree');
      await waitFor(() => api().selectedRunIds().includes(first.run!.id), 10_000, 'the new run to be selected');
      await waitFor(() => api().codeLenses(tiny()).some((l) => /^\$\(history\) Runs of this script \(1\) — best val_acc /.test(l.command?.title ?? '')), 10_000, 'the lens to count the run');
    });

    it('runs with parameters passed on the command line, every character intact and nothing executed', async () => {
      const note = `it's "quoted" $HOME \`touch PWNED1\` $(touch PWNED2) ; touch PWNED3 \${workspaceFolder} 100%`;
      const outcome = (await vscode.commands.executeCommand<Outcome>('runlens.runWithParameters', tiny(), { lr: '0.3', epochs: '3', note, shuffle: 'True', run_name: 'edited run' }))!;
      assert.equal(outcome.exitCode, 0, JSON.stringify(outcome));
      assert.equal(outcome.run?.name, 'edited run');
      assert.equal(outcome.previous?.id, first.run!.id, 'the previous run of the script is offered for comparison');
      const params = path.join(outcome.run.path, 'params');
      assert.equal(fs.readFileSync(path.join(params, 'note'), 'utf8'), note);
      assert.equal(fs.readFileSync(path.join(params, 'lr'), 'utf8'), '0.3');
      assert.equal(fs.readFileSync(path.join(params, 'shuffle'), 'utf8'), 'True');
      for (const dir of [folder(), path.join(folder(), 'tiny-mlflow')]) assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('PWNED')), []);
    });

    it('runs a script whose folder and name hold spaces, quotes and a dollar sign', async () => {
      const dir = path.join(folder(), `odd 'dir' $x`);
      fs.mkdirSync(dir, { recursive: true });
      const script = path.join(dir, 'train me.py');
      fs.copyFileSync(tiny().fsPath, script);
      const outcome = (await vscode.commands.executeCommand<Outcome>('runlens.trainScript', vscode.Uri.file(script), { args: ['--epochs', '2'] }))!;
      assert.equal(outcome.exitCode, 0, JSON.stringify(outcome));
      assert.ok(outcome.run?.path.startsWith(dir), outcome.run?.path);
    });

    it('runs a task defined in tasks.json, its params passed as options, and reveals its run', async () => {
      const vscodeDir = path.join(folder(), '.vscode');
      fs.mkdirSync(vscodeDir, { recursive: true });
      const def = { type: 'runlens', label: 'tiny from tasks.json', script: 'tiny-mlflow/train.py', params: { epochs: 2, run_name: 'from tasks.json', lr: 0.05 }, args: ['--seed', '7'] };
      fs.writeFileSync(path.join(vscodeDir, 'tasks.json'), JSON.stringify({ version: '2.0.0', tasks: [def] }, null, 2));
      let task: vscode.Task | undefined;
      for (let i = 0; i < 40 && !task; i++) {
        task = (await vscode.tasks.fetchTasks({ type: 'runlens' })).find((t) => t.name === 'tiny from tasks.json');
        if (!task) await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(task, 'the tasks.json task is listed');
      await vscode.tasks.executeTask(task);
      let node: RunsNode | undefined;
      await waitFor(() => {
        const ids = api().selectedRunIds();
        node = ids.length === 1 ? runNode(ids[0]) : undefined;
        return node?.kind === 'run' && node.run.name === 'from tasks.json';
      }, 30_000, 'the tasks.json run to be revealed');
      const run = (node as Extract<RunsNode, { kind: 'run' }>).run;
      const read = (k: string) => fs.readFileSync(path.join(run.path, 'params', k), 'utf8');
      assert.deepEqual([read('epochs'), read('lr'), read('seed')], ['2', '0.05', '7']);
      fs.rmSync(vscodeDir, { recursive: true });
    });

    it('marks the run of a failed task failed and reports the exit code', async () => {
      const outcome = (await vscode.commands.executeCommand<Outcome>('runlens.trainScript', tiny(), { args: ['--crash-at-epoch', '1'] }))!;
      assert.equal(outcome.exitCode, 3);
      assert.ok(outcome.run);
      const item = api().runsTreeItem(runNode(outcome.run.id)!);
      assert.equal((item.iconPath as vscode.ThemeIcon).id, 'error');
      // The tooltip's markdown, read as the user sees it (escapes and non-breaking spaces removed).
      const shown = (item.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ').replace(/\\/g, '');
      assert.match(shown, /MLflow file store · failed \(its task exited with code 3\) · tiny/);
    });

    it('evaluates a run with the headless analysis as a task, and the panel agrees with its report', async () => {
      const outcome = (await vscode.commands.executeCommand<Outcome & { report?: string }>('runlens.evaluateRun', first.run!.id))!;
      assert.equal(outcome.exitCode, 0, JSON.stringify(outcome));
      assert.ok(outcome.report && fs.existsSync(outcome.report), 'the JSON report was written');
      assert.ok(!outcome.report.startsWith(folder()), 'the report is kept outside the workspace');
      const report = JSON.parse(fs.readFileSync(outcome.report, 'utf8'));
      const table = fs.readFileSync(path.join(first.run!.path, 'artifacts', 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const accuracy = table.filter((r) => r[1] === r[2]).length / table.length;
      assert.equal(report.report.accuracy, accuracy);
      await waitFor(() => api().evaluationViews().some((v) => v?.file === outcome.table && v!.evaluation !== undefined), 20_000, 'the evaluation panel');
      const view = api().evaluationViews().find((v) => v?.file === outcome.table)!;
      assert.equal(view.evaluation!.report!.accuracy, accuracy);
    });
  });
}
