import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { literal, maskPython, scanPython } from '../../src/core/scripts/python';
import { bestRun, outputPlaces, runsOfScript, sourceNames } from '../../src/core/scripts/scriptRuns';
import { dvcSetArgs, overrideArgs } from '../../src/core/tasks/overrides';
import { commandLine, quoteArg, shellFamily } from '../../src/core/tasks/shell';
import Database from 'better-sqlite3';
import { copyOf, corpus, indexInto, tempDir } from './corpus';
import { walk } from '../fuzz/harness';

const REPO = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'scripts');
const DEMO = path.join(REPO, 'demo', 'workspace');
const scanFile = (file: string) => scanPython(fs.readFileSync(file, 'utf8'), path.basename(file));
const lineOf = (file: string, needle: string) => fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.trimStart().startsWith(needle));

describe('scanning Python files for training scripts', () => {
  it('blanks comments and string contents but keeps offsets, lines and the literals', () => {
    const src = `x = "a#b" # trainer.fit(m)\ny = r'\\'q' + b"""multi\nline""" + f'{z}'\n`;
    const { code, strings } = maskPython(src);
    assert.equal(code.length, src.length);
    assert.equal(code.split('\n').length, src.split('\n').length);
    assert.ok(!code.includes('fit') && !code.includes('multi') && code.startsWith('x = "   " '));
    assert.deepEqual(strings.map((s) => [s.value, s.formatted]), [['a#b', false], ["\\'q", false], ['multi\nline', false], ['{z}', true]]);
  });

  it('reads Python literals', () => {
    assert.equal(literal("'adam'"), 'adam');
    assert.equal(literal('1e-3'), 0.001);
    assert.equal(literal('10_000'), 10000);
    assert.equal(literal('True'), true);
    assert.equal(literal('None'), null);
    assert.equal(literal('os.getcwd()'), undefined);
  });

  it('finds the entry point, kind and argparse options of a Lightning script', () => {
    const file = path.join(FIXTURES, 'lightning_argparse.py');
    const s = scanFile(file);
    assert.equal(s.runnable, true);
    assert.equal(s.kind, 'train');
    assert.equal(s.entryLine, lineOf(file, 'if __name__'));
    assert.equal(s.style, 'argparse');
    assert.ok(s.frameworks.includes('lightning'));
    assert.deepEqual(
      s.options.map((o) => [o.dest, o.flags, o.default, o.action, o.choices]),
      [
        ['lr', ['--lr', '--learning-rate'], '1e-3', undefined, undefined],
        ['max_epochs', ['--max-epochs'], '10', undefined, undefined],
        ['optimizer', ['--optimizer'], '"adam"', undefined, ['adam', 'sgd']],
        ['fast_dev_run', ['--fast-dev-run'], undefined, 'store_true', undefined],
        ['data_dir', [], undefined, undefined, undefined],
      ],
    );
    assert.equal(s.options[0].help, 'learning rate (Adam)');
    assert.ok(s.literals.includes('tb_logs'));
    // The docstring's "trainer.fit()" is not a signal; the call in main() is.
    assert.deepEqual(s.signals.filter((x) => x.kind === 'train').map((x) => x.line), [lineOf(file, 'trainer.fit(Net')]);
  });

  it('tells each style of script apart', () => {
    const expect: Record<string, { kind: string | undefined; entry?: string; style?: string; runnable: boolean }> = {
      'hf_toplevel.py': { kind: 'train', entry: 'Trainer(', style: 'none', runnable: true },
      'keras_main_call.py': { kind: 'train', entry: 'run()', style: 'none', runnable: true },
      'mlflow_click.py': { kind: 'train', entry: 'if __name__', style: 'click', runnable: true },
      'wandb_hydra.py': { kind: 'train', entry: 'if __name__', style: 'hydra', runnable: true },
      'dvclive_loop.py': { kind: 'train', entry: 'with Live()', style: 'none', runnable: true },
      'evaluate.py': { kind: 'evaluate', entry: 'if __name__', style: 'argparse', runnable: true },
      'model_lib.py': { kind: undefined, runnable: false },
      'comments_only.py': { kind: undefined, runnable: false },
      'test_training.py': { kind: undefined, runnable: false },
    };
    for (const [name, e] of Object.entries(expect)) {
      const file = path.join(FIXTURES, name);
      const s = scanFile(file);
      assert.equal(s.runnable, e.runnable, `${name} runnable`);
      assert.equal(s.kind, e.kind, `${name} kind`);
      if (e.entry) assert.equal(s.entryLine, lineOf(file, e.entry), `${name} entry`);
      if (e.style) assert.equal(s.style, e.style, `${name} style`);
    }
    assert.deepEqual(scanFile(path.join(FIXTURES, 'mlflow_click.py')).options.map((o) => [o.dest, o.action ?? '']), [['n_estimators', ''], ['max_depth', ''], ['balanced', 'store_true']]);
    assert.ok(scanFile(path.join(FIXTURES, 'hf_toplevel.py')).literals.includes('results'));
  });

  it('reads the real scripts that made the demo runs', () => {
    const sweep = scanFile(path.join(DEMO, 'digits-sweep', 'sweep.py'));
    assert.equal(sweep.kind, 'train');
    assert.equal(sweep.entryLine, lineOf(path.join(DEMO, 'digits-sweep', 'sweep.py'), 'for v, (lr'));
    assert.deepEqual(sweep.frameworks.filter((f) => f === 'lightning' || f === 'sklearn'), ['lightning', 'sklearn']);
    const tiny = scanFile(path.join(DEMO, 'tiny-mlflow', 'train.py'));
    assert.equal(tiny.kind, 'train', 'a hand-written epoch loop trains');
    assert.deepEqual(tiny.options.map((o) => o.dest), ['lr', 'epochs', 'l2', 'seed', 'run_name', 'note', 'shuffle', 'crash_at_epoch']);
    assert.equal(scanFile(path.join(REPO, 'scripts', 'device', 'generate.py')).kind, 'train');
    // The oracle scripts compute metrics with scikit-learn and train nothing.
    assert.notEqual(scanFile(path.join(REPO, 'scripts', 'device', 'sk_oracle.py')).kind, 'train');
  });
});

describe('parameter overrides on the command line', () => {
  const scan = scanFile(path.join(FIXTURES, 'lightning_argparse.py'));

  it('maps recorded params to declared options, flags and negative values', () => {
    const { args, undeclared } = overrideArgs(scan, [
      { key: 'lr', value: '0.01' },
      { key: 'max-epochs', value: '3' },
      { key: 'fast_dev_run', value: 'True' },
      { key: 'optimizer', value: '-weird' },
      { key: 'data_dir', value: 'data dir' },
      { key: 'batch_size', value: '64' },
    ]);
    assert.deepEqual(args, ['--learning-rate', '0.01', '--max-epochs', '3', '--fast-dev-run', '--optimizer=-weird', 'data dir']);
    assert.deepEqual(undeclared, ['batch_size']);
    assert.deepEqual(overrideArgs(scan, [{ key: 'fast_dev_run', value: 'false' }]).args, []);
  });

  it('uses key=value for Hydra, --key value for scripts that declare nothing, -S for DVC', () => {
    assert.deepEqual(overrideArgs(scanFile(path.join(FIXTURES, 'wandb_hydra.py')), [{ key: 'model.lr', value: '0.1' }]).args, ['model.lr=0.1']);
    assert.deepEqual(overrideArgs(scanFile(path.join(FIXTURES, 'hf_toplevel.py')), [{ key: 'lr', value: '0.1' }]).args, ['--lr', '0.1']);
    assert.deepEqual(dvcSetArgs([{ key: 'train.seed', value: '7' }]), ['-S', 'train.seed=7']);
  });
});

describe('shell quoting, run by real shells', () => {
  const PAYLOADS = [
    'plain',
    'with space',
    "it's",
    'say "hi"',
    '$HOME',
    '${PATH}',
    '$(touch PWNED-subst)',
    '`touch PWNED-backtick`',
    '; touch PWNED-semicolon',
    '&& touch PWNED-and',
    '| touch PWNED-pipe',
    '> PWNED-redirect',
    'line1\nline2',
    'tab\there',
    'back\\slash',
    "\\'",
    '*',
    '~',
    '=echo',
    '#not a comment',
    '!',
    '{a,b}',
    '%PATH%',
    '^caret',
    'é ✓ 日本',
    '',
    '-n',
    "'; touch PWNED-quote; '",
    '${workspaceFolder}',
    'a${command:workbench.action.quit}b${x}',
  ];
  const SHELLS = ['bash', 'dash', 'sh', 'zsh', 'fish'].filter((s) => spawnSync('sh', ['-c', `command -v ${s}`]).status === 0);

  it('has the shells CI promises', function () {
    if (!process.env.CI) this.skip();
    assert.deepEqual(SHELLS, ['bash', 'dash', 'sh', 'zsh', 'fish']);
  });

  for (const shell of ['bash', 'dash', 'sh', 'zsh', 'fish']) {
    it(`passes every payload through ${shell} unchanged and runs none of them`, function () {
      if (!SHELLS.includes(shell)) this.skip();
      const dir = tempDir('runlens-quote-');
      // A program path with a space and a quote in it, as user paths are.
      const program = path.join(dir, "my 'tools' dir", 'argv.js');
      fs.mkdirSync(path.dirname(program), { recursive: true });
      fs.writeFileSync(program, 'process.stdout.write(JSON.stringify(process.argv.slice(2)))');
      const line = commandLine(shellFamily(`/usr/bin/${shell}`), [process.execPath, program, ...PAYLOADS]);
      // VS Code would substitute a literal ${…} in a task's line before the shell runs it.
      assert.ok(!line.includes('${'), line);
      const r = spawnSync(shell, ['-c', line], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), PAYLOADS);
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('PWNED')), []);
    });
  }

  it('knows each shell family by its executable', () => {
    assert.equal(shellFamily('/usr/bin/zsh'), 'posix');
    assert.equal(shellFamily('/opt/homebrew/bin/fish'), 'fish');
    assert.equal(shellFamily('C:\\Program Files\\PowerShell\\7\\pwsh.exe'), 'pwsh');
    assert.equal(shellFamily('C:\\Windows\\System32\\cmd.exe'), 'cmd');
    assert.equal(shellFamily('C:\\Program Files\\Git\\bin\\bash.exe'), 'posix');
  });

  it('quotes for PowerShell and cmd.exe as they parse (strings checked, no shell here)', () => {
    assert.equal(commandLine('pwsh', ['C:\\Program Files\\Python\\python.exe', 'train.py', "it's", '$env:PATH', '']), "& 'C:\\Program Files\\Python\\python.exe' train.py 'it''s' '$env:PATH' ''");
    assert.equal(quoteArg('pwsh', 'a\u2019b'), "'a\u2019\u2019b'");
    assert.equal(quoteArg('pwsh', 'a${x}b'), "('a$'+'{x}b')");
    assert.equal(quoteArg('cmd', '${x}'), '$^{x}');
    assert.equal(commandLine('cmd', ['C:\\Python 3\\python.exe', 'a b', 'say "hi"', '%PATH%', 'x&y']), '^"C:\\Python^ 3\\python.exe^" ^"a^ b^" ^"say^ \\^"hi\\^"^" ^%PATH^% x^&y');
  });
});

describe('runs of a script', () => {
  it('links the demo sweep script to the 16 Lightning runs it wrote next to it', () => {
    const root = path.join(DEMO, 'digits-sweep');
    const { store } = indexInto([root]);
    try {
      const script = path.join(root, 'sweep.py');
      const runs = runsOfScript(store, script, scanFile(script), [root]);
      const versions = fs.readdirSync(path.join(root, 'lightning_logs')).filter((d) => d.startsWith('version_'));
      assert.equal(runs.length, versions.length);
      const best = bestRun(store, runs);
      assert.equal(best?.key, 'val_acc');
      // The best val_acc is the largest last value among the CSV logs.
      const lastVal = versions.map((v) => {
        const rows = fs.readFileSync(path.join(root, 'lightning_logs', v, 'metrics.csv'), 'utf8').trim().split('\n');
        const col = rows[0].split(',').indexOf('val_acc');
        return Math.max(...rows.slice(1).map((r) => r.split(',')[col]).filter(Boolean).map(Number).slice(-1));
      });
      assert.equal(best?.value, Math.max(...lastVal));
    } finally {
      store.close();
    }
  });

  it('links MLflow runs by the source they recorded, even from another machine', () => {
    const project = copyOf(corpus('mlflow', '2024ab05143__heart-disease-mlops'));
    fs.mkdirSync(path.join(project, 'src'), { recursive: true });
    const script = path.join(project, 'src', 'train.py');
    fs.writeFileSync(script, 'import mlflow\n\nif __name__ == "__main__":\n    with mlflow.start_run():\n        pass\n');
    // Expected: the file store's runs (mlruns/<experiment>/<run>/tags, not models/) and the mlflow.db's.
    const inStore = [...walk(path.join(project, 'mlruns'))].filter((f) => /[\\/]mlruns[\\/]\d+[\\/][0-9a-f]{32}[\\/]tags[\\/]mlflow\.source\.name$/.test(f) && fs.readFileSync(f, 'utf8').trim().endsWith('src/train.py'));
    const db = new Database(path.join(project, 'mlflow.db'), { readonly: true });
    const inDb = db.prepare("SELECT COUNT(*) FROM tags t JOIN runs r ON r.run_uuid = t.run_uuid WHERE t.key = 'mlflow.source.name' AND t.value LIKE '%src/train.py' AND r.lifecycle_stage = 'active'").pluck().get() as number;
    db.close();
    const recorded = inStore.length + inDb;
    assert.ok(inStore.length > 0 && inDb > 0);
    const { store } = indexInto([project]);
    try {
      const runs = runsOfScript(store, script, scanFile(script), [project]);
      assert.equal(runs.length, recorded);
      assert.deepEqual(new Set(runs.map((r) => r.format)), new Set(['mlflow', 'mlflow-db']));
      assert.ok(runs.every((r) => r.sourceScript?.endsWith('src/train.py')));
    } finally {
      store.close();
    }
  });

  it('links a DVC project to the scripts its stages run', () => {
    const project = copyOf(path.join(DEMO, 'dvc-get-started'));
    fs.mkdirSync(path.join(project, 'src'), { recursive: true });
    for (const f of ['train.py', 'other.py']) fs.writeFileSync(path.join(project, 'src', f), 'import sys\n\nif __name__ == "__main__":\n    model.fit(sys.argv)\n');
    const { store } = indexInto([project]);
    try {
      const train = runsOfScript(store, path.join(project, 'src', 'train.py'), scanFile(path.join(project, 'src', 'train.py')), [project]);
      assert.deepEqual(train.map((r) => r.format), ['dvc']);
      assert.deepEqual(runsOfScript(store, path.join(project, 'src', 'other.py'), scanFile(path.join(project, 'src', 'other.py')), [project]), []);
    } finally {
      store.close();
    }
  });

  it('links the runs a real training script writes when run', function () {
    if (spawnSync('python3', ['--version']).status !== 0) this.skip();
    const project = copyOf(path.join(DEMO, 'tiny-mlflow'));
    const script = path.join(project, 'train.py');
    for (const lr of ['0.05', '0.2']) assert.equal(spawnSync('python3', [script, '--lr', lr, '--epochs', '4']).status, 0);
    assert.equal(spawnSync('python3', [script, '--crash-at-epoch', '1']).status, 3);
    const { store } = indexInto([project]);
    try {
      const runs = runsOfScript(store, script, scanFile(script), [project]);
      assert.equal(runs.length, 3);
      assert.deepEqual(runs.map((r) => r.status).sort(), ['FINISHED', 'FINISHED', 'RUNNING']);
      const best = bestRun(store, runs, 'val_acc')!;
      const finals = runs.map((r) => store.seriesSummaries(r.rid).find((s) => s.key === 'val_acc')?.last ?? -1);
      assert.equal(best.value, Math.max(...finals));
    } finally {
      store.close();
    }
  });

  it('matches recorded sources by trailing segments, and by name only near the script', () => {
    const root = tempDir();
    const script = path.join(root, 'proj', 'train.py');
    fs.mkdirSync(path.join(root, 'proj', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'proj', 'sub', 'train.py'), '');
    assert.equal(sourceNames('/home/other/machine/proj/train.py', script, root, '/elsewhere'), true);
    assert.equal(sourceNames('C:\\Users\\x\\proj\\train.py', script, root, '/elsewhere'), true);
    assert.equal(sourceNames('/content/train.py', script, root, path.join(root, 'proj', 'mlruns', '0', 'abc')), true);
    assert.equal(sourceNames('/content/train.py', script, root, path.join(root, 'other', 'mlruns')), false);
    // A run whose recorded parent folder holds a train.py of its own belongs to that one.
    assert.equal(sourceNames('/x/sub/train.py', script, root, path.join(root, 'proj', 'mlruns', '0', 'abc')), false);
    assert.equal(sourceNames('/x/evaluate.py', script, root, path.join(root, 'proj')), false);
  });

  it('never claims the script folder or the root as an output folder', () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'proj', 'results'), { recursive: true });
    const script = path.join(root, 'proj', 'train.py');
    const places = outputPlaces(script, { literals: ['.', './', '..', root, 'results', 'https://example.com', 'missing'], frameworks: [] }, [root]);
    assert.deepEqual(places, [path.join(root, 'proj', 'results')]);
  });
});
