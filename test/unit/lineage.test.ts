import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatLineage, lineageOf } from '../../src/core/lineage';
import { openDatabase } from '../../src/core/index/sqlite';
import { copyOf, corpus, indexInto, newRepo, tempDir } from './corpus';

const BIN = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
/** A real MLflow project: 7 runs that log the wine-quality dataset as an input and read it from a path param. */
const WINE = corpus('mlflow', '2025-1-productos-de-datos__PRE-12-mlflow-evaluacion-alvelezp');
/** The DVC example project as the demo workspace ships it (files from the corpus). */
const DVC_DEMO = path.join(__dirname, '..', '..', '..', 'demo', 'workspace', 'dvc-get-started');

describe('lineage: what data and code made which model', () => {
  it('links an MLflow run to its logged dataset input, its code and the models it logged', () => {
    const { store } = indexInto([WINE]);
    try {
      const runDirs = fs.readdirSync(path.join(WINE, 'mlruns', '0')).filter((d) => /^[0-9a-f]{32}$/.test(d));
      assert.equal(runDirs.length, 7);
      const datasetMeta = fs.readFileSync(fs.readdirSync(path.join(WINE, 'mlruns', '0', 'datasets')).map((d) => path.join(WINE, 'mlruns', '0', 'datasets', d, 'meta.yaml'))[0], 'utf8');
      const digest = /^digest: (\S+)/m.exec(datasetMeta)![1];
      const name = /^name: (\S+)/m.exec(datasetMeta)![1];
      for (const id of runDirs) {
        const dir = path.join(WINE, 'mlruns', '0', id);
        const g = lineageOf(store, id)!;
        const focus = g.nodes.find((n) => n.id === g.focus)!;
        assert.equal(focus.kind, 'run');
        const inputs = g.edges.filter((e) => e.to === g.focus && e.relation === 'read').map((e) => g.nodes.find((n) => n.id === e.from)!);
        const hasInput = fs.existsSync(path.join(dir, 'inputs'));
        assert.deepEqual(inputs.map((n) => [n.label, n.version]), hasInput ? [[name, digest]] : [], id);
        const commit = fs.readFileSync(path.join(dir, 'tags', 'mlflow.source.git.commit'), 'utf8').trim();
        assert.ok(g.nodes.some((n) => n.kind === 'code' && n.id === `code:commit:${commit}`));
        // Produced: every model file among the run's artifacts (MLmodel and pickles), found on disk.
        const models = g.edges.filter((e) => e.from === g.focus && e.relation === 'produced').map((e) => g.nodes.find((n) => n.id === e.to)!);
        const onDisk: string[] = [];
        const walk = (d: string, rel: string) => {
          for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
            if (e.isDirectory()) walk(path.join(d, e.name), rel + e.name + '/');
            else if (e.name === 'MLmodel' || /\.(pkl|onnx|pt)$/.test(e.name)) onDisk.push(rel + e.name);
          }
        };
        walk(path.join(dir, 'artifacts'), '');
        assert.deepEqual(models.map((m) => m.label).sort(), onDisk.sort(), id);
        // And back: the model file's lineage leads to this run and its input.
        for (const m of models) {
          const back = lineageOf(store, m.path!)!;
          assert.ok(back, m.path);
          assert.equal(back.focus, m.id);
          assert.ok(back.edges.some((e) => e.to === m.id && e.from === g.focus && e.relation === 'produced'));
          if (hasInput) assert.ok(back.nodes.some((n) => n.kind === 'dataset' && n.version === digest));
        }
      }
    } finally {
      store.close();
    }
  });

  it("reads dataset inputs from mlflow.db's inputs and datasets tables (MLflow's schema; model outputs are not inputs)", () => {
    // A real tracking database whose runs logged models (RUN_OUTPUT → MODEL_OUTPUT rows in `inputs`), and
    // the dataset the wine project logged, entered as MLflow's log_input writes it for two of its runs.
    const db = path.join(copyOf(corpus('mlflow', '2024ab05143__heart-disease-mlops')), 'mlflow.db');
    const meta = fs.readFileSync(fs.readdirSync(path.join(WINE, 'mlruns', '0', 'datasets')).map((d) => path.join(WINE, 'mlruns', '0', 'datasets', d, 'meta.yaml'))[0], 'utf8');
    const digest = /^digest: (\S+)/m.exec(meta)![1];
    const name = /^name: (\S+)/m.exec(meta)![1];
    const sqlite = openDatabase(db, {});
    const runs = sqlite.prepare('SELECT run_uuid, experiment_id FROM runs ORDER BY start_time').all() as { run_uuid: string; experiment_id: number }[];
    const modelOutputs = sqlite.prepare("SELECT COUNT(*) FROM inputs WHERE destination_type = 'MODEL_OUTPUT'").pluck().get() as number;
    assert.ok(modelOutputs > 0, 'the database has model-output rows that are not dataset inputs');
    sqlite.prepare("INSERT INTO datasets VALUES ('ds-1', ?, ?, ?, 'local', '{\"uri\": \"winequality-red.csv\"}', NULL, NULL)").run(runs[0].experiment_id, name, digest);
    for (const [i, r] of runs.slice(0, 2).entries()) sqlite.prepare("INSERT INTO inputs VALUES (?, 'DATASET', 'ds-1', 'RUN', ?, 0)").run(`in-${i}`, r.run_uuid);
    sqlite.close();
    const { store } = indexInto([path.dirname(db)]);
    try {
      for (const [i, r] of runs.entries()) {
        const g = lineageOf(store, r.run_uuid)!;
        const inputs = g.edges.filter((e) => e.to === g.focus && e.relation === 'read').map((e) => g.nodes.find((n) => n.id === e.from)!);
        assert.deepEqual(inputs.map((n) => [n.label, n.version]), i < 2 ? [[name, digest]] : [], r.run_uuid);
      }
    } finally {
      store.close();
    }
  });

  it('finds the data file a run names in its params, and every run that read it', () => {
    const project = copyOf(WINE);
    // The data the runs name (data/winequality-red.csv) was not committed with them; put a table there.
    fs.mkdirSync(path.join(project, 'data'));
    fs.copyFileSync(corpus('predictions', 'DanyaSH759__MLOps_homework', 'predict', 'predictions_20250103_205803.csv'), path.join(project, 'data', 'winequality-red.csv'));
    const { store } = indexInto([project]);
    try {
      const data = path.join(project, 'data', 'winequality-red.csv');
      const g = lineageOf(store, data)!;
      const focus = g.nodes.find((n) => n.id === g.focus)!;
      assert.equal(focus.kind, 'dataset');
      const readers = g.edges.filter((e) => e.from === g.focus && e.relation === 'read');
      const expected = fs.readdirSync(path.join(project, 'mlruns', '0')).filter((d) => fs.existsSync(path.join(project, 'mlruns', '0', d, 'params', 'file_path')));
      assert.equal(readers.length, expected.length);
      assert.ok(readers.every((e) => e.via === 'param file_path'));
      const text = formatLineage(g);
      assert.match(text, /^dataset winequality-red\.csv/);
      assert.match(text, /└─ read by +run /);
      assert.match(text, /produces +model model\/model\.pkl/);
    } finally {
      store.close();
    }
  });

  it('follows dvc.lock from raw data through the pipeline to the model (runlens lineage)', () => {
    const lock = fs.readFileSync(path.join(DVC_DEMO, 'dvc.lock'), 'utf8');
    const dataMd5 = /- path: data\/data\.xml\n(?:\s+hash: md5\n)?\s+md5: (\w+)/.exec(lock)![1];
    const modelMd5 = /outs:\n\s+- path: model\.pkl\n(?:\s+hash: md5\n)?\s+md5: (\w+)/.exec(lock)![1];
    const index = path.join(tempDir(), 'index.sqlite');
    const r = spawnSync(process.execPath, [BIN, 'lineage', 'model.pkl', '--dir', DVC_DEMO, '--index', index, '--json'], { cwd: DVC_DEMO, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const g = JSON.parse(r.stdout);
    const focus = g.nodes.find((n: any) => n.id === g.focus);
    assert.deepEqual([focus.kind, focus.version], ['model', modelMd5]);
    const run = g.edges.find((e: any) => e.to === g.focus && e.relation === 'produced').from;
    const inputs = g.edges.filter((e: any) => e.to === run && e.relation === 'read').map((e: any) => g.nodes.find((n: any) => n.id === e.from));
    // The raw data is the one input: prepared data and features are written and read inside the pipeline.
    assert.deepEqual(inputs.map((n: any) => [n.label, n.version]), [['data.xml', dataMd5]]);
    const stages = g.nodes.filter((n: any) => n.id.startsWith('code:stage:')).map((n: any) => n.label).sort();
    assert.deepEqual(stages, [...lock.matchAll(/^ {2}(\w+):\n {4}cmd:/gm)].map((m) => `stage ${m[1]}`).sort());
    const text = spawnSync(process.execPath, [BIN, 'lineage', 'data/data.xml', '--dir', DVC_DEMO, '--index', index, '--no-index'], { cwd: DVC_DEMO, encoding: 'utf8' });
    assert.match(text.stdout, /^dataset data\.xml {2}\(data\/data\.xml · md5 [0-9a-f]{12}\)\n└─ read by +run workspace/);
    assert.match(text.stdout, /produces +model model\.pkl/);
    const none = spawnSync(process.execPath, [BIN, 'lineage', 'no-such-thing', '--dir', DVC_DEMO, '--index', index, '--no-index'], { encoding: 'utf8' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /nothing in the index is or uses "no-such-thing"/);
  });

  it('lists every run whose dvc.lock used a version of a dataset (the DVC 1.0 lock file too), and only those', function () {
    this.timeout(60_000);
    // A workspace at the DVC 1.0 commit of the example, and two experiments of later commits: one whose lock
    // used the same data.xml, one that used another version.
    const { repo, git } = newRepo('runlens-lineage-');
    const snapshot = (sha: string, message: string) => {
      for (const f of fs.readdirSync(repo)) if (f !== '.git') fs.rmSync(path.join(repo, f), { recursive: true, force: true });
      fs.cpSync(corpus('dvc', `iterative__example-get-started@${sha}`), repo, { recursive: true });
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    };
    const baseline = snapshot('3df98ae', 'baseline');
    for (const [sha, name] of [['d4228b5', 'same-data'], ['021e6cf', 'other-data']]) {
      git('checkout', '-q', '--detach', baseline);
      git('update-ref', `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`, snapshot(sha, name));
    }
    git('checkout', '-q', 'main');
    const dataMd5 = (text: string) => /- path: data\/data\.xml\n\s+md5: (\w+)/.exec(text)![1];
    const v1 = dataMd5(fs.readFileSync(path.join(repo, 'dvc.lock'), 'utf8'));
    assert.doesNotMatch(fs.readFileSync(path.join(repo, 'dvc.lock'), 'utf8'), /^schema:/m);
    assert.equal(dataMd5(fs.readFileSync(corpus('dvc', 'iterative__example-get-started@d4228b5', 'dvc.lock'), 'utf8')), v1);
    const v2 = dataMd5(fs.readFileSync(corpus('dvc', 'iterative__example-get-started@021e6cf', 'dvc.lock'), 'utf8'));
    assert.notEqual(v1, v2);
    const { store } = indexInto([repo]);
    try {
      const readers = (ref: string) => {
        const g = lineageOf(store, ref, repo)!;
        const focus = g.nodes.find((n) => n.id === g.focus)!;
        assert.equal(focus.kind, 'dataset', ref);
        return [focus.version, g.edges.filter((e) => e.from === g.focus && e.relation === 'read').map((e) => g.nodes.find((n) => n.id === e.to)!.label).sort()];
      };
      assert.deepEqual(readers(`data/data.xml@${v1.slice(0, 8)}`), [v1, ['same-data', 'workspace']]);
      assert.deepEqual(readers(`data/data.xml@${v2.slice(0, 8)}`), [v2, ['other-data']]);
      assert.match(formatLineage(lineageOf(store, `data/data.xml@${v1.slice(0, 8)}`, repo)!), /├─ read by +run (same-data|workspace)[^]*└─ read by +run (same-data|workspace)/);
    } finally {
      store.close();
    }
  });

  it('names a data version as runlens dataset does: a commit prefix or ~N gives the runs whose dvc.lock used it', function () {
    this.timeout(60_000);
    // Two commits of the example on main (data.xml v1, then v2) and an experiment whose lock used v1.
    const { repo, git } = newRepo('runlens-lineage-ref-');
    const snapshot = (sha: string, message: string) => {
      for (const f of fs.readdirSync(repo)) if (f !== '.git') fs.rmSync(path.join(repo, f), { recursive: true, force: true });
      fs.cpSync(corpus('dvc', `iterative__example-get-started@${sha}`), repo, { recursive: true });
      git('add', '-A');
      git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    };
    const first = snapshot('3df98ae', 'v1');
    const head = snapshot('021e6cf', 'v2');
    git('checkout', '-q', '--detach', head);
    git('update-ref', `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/old-data`, snapshot('d4228b5', 'old-data'));
    git('checkout', '-q', 'main');
    // The versions as the corpus files record them: the .dvc file's out, and each lock's dep.
    const dvcMd5 = (sha: string) => /^outs:\n- md5: (\w+)/m.exec(fs.readFileSync(corpus('dvc', `iterative__example-get-started@${sha}`, 'data', 'data.xml.dvc'), 'utf8'))![1];
    const lockMd5 = (sha: string) => /- path: data\/data\.xml\n\s+md5: (\w+)/.exec(fs.readFileSync(corpus('dvc', `iterative__example-get-started@${sha}`, 'dvc.lock'), 'utf8'))![1];
    const [v1, v2] = [dvcMd5('3df98ae'), dvcMd5('021e6cf')];
    assert.notEqual(v1, v2);
    assert.deepEqual([lockMd5('3df98ae'), lockMd5('d4228b5'), lockMd5('021e6cf')], [v1, v1, v2]);
    const index = path.join(tempDir(), 'index.sqlite');
    const readers = (ref: string) => {
      const r = spawnSync(process.execPath, [BIN, 'lineage', `data/data.xml@${ref}`, '--dir', repo, '--index', index, '--json'], { cwd: repo, encoding: 'utf8' });
      assert.equal(r.status, 0, `${ref}: ${r.stderr}`);
      const g = JSON.parse(r.stdout);
      const focus = g.nodes.find((n: any) => n.id === g.focus);
      return [focus.version, g.edges.filter((e: any) => e.from === g.focus && e.relation === 'read').map((e: any) => g.nodes.find((n: any) => n.id === e.to).label).sort()];
    };
    assert.deepEqual(readers('~1'), [v1, ['old-data']]);
    assert.deepEqual(readers(first.slice(0, 7)), [v1, ['old-data']]);
    assert.deepEqual(readers('~0'), [v2, ['workspace']]);
    assert.deepEqual(readers(head.slice(0, 7)), [v2, ['workspace']]);
    assert.deepEqual(readers(v1.slice(0, 8)), [v1, ['old-data']]);
  });

  it("treats a DVC out as a model by the Models catalog's rule: not tokenizer or config JSON under models/", () => {
    const dir = copyOf(corpus('dvc', 'iterative__example-get-started@d4228b5'));
    const lock = path.join(dir, 'dvc.lock');
    const out = (p: string, md5: string) => `    - path: ${p}\n      md5: ${md5}\n`;
    const extra = [
      out('models/tokenizer.json', 'a'.repeat(32)),
      out('models/config.json', 'b'.repeat(32)),
      out('models/optimizer.pt', 'c'.repeat(32)),
      out('models/model.safetensors', 'd'.repeat(32)),
      out('models/saved', `${'e'.repeat(32)}.dir`),
      out('models/vocab', `${'f'.repeat(32)}.dir`),
    ].join('');
    const text = fs.readFileSync(lock, 'utf8');
    const trainOuts = /( {2}train:\n[^]*?\n {4}outs:\n(?: {4}- path: .*\n(?: {6}.*\n)*)+)/.exec(text)!;
    fs.writeFileSync(lock, text.replace(trainOuts[1], trainOuts[1] + extra));
    // A SavedModel folder is a model; a folder of text files is not.
    fs.mkdirSync(path.join(dir, 'models', 'saved'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'models', 'saved', 'saved_model.pb'), '');
    fs.mkdirSync(path.join(dir, 'models', 'vocab'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'models', 'vocab', 'vocab.txt'), 'a\n');
    const { store } = indexInto([dir]);
    try {
      const run = store.resolveRun('workspace');
      assert.equal(run.length, 1);
      const g = lineageOf(store, run[0].id, dir)!;
      const byRelation = (relation: string) => g.edges.filter((e) => e.from === g.focus && e.relation === relation && e.via === 'dvc.lock').map((e) => g.nodes.find((n) => n.id === e.to)!).map((n) => `${n.kind} ${n.label}`).sort();
      assert.deepEqual(byRelation('produced'), ['model model.pkl', 'model models/model.safetensors', 'model models/saved']);
      const written = g.edges.filter((e) => e.from === g.focus && e.relation === 'wrote').map((e) => g.nodes.find((n) => n.id === e.to)!);
      const underModels = written.filter((n) => n.path!.startsWith(path.join(dir, 'models'))).map((n) => `${n.kind} ${path.relative(dir, n.path!)}`).sort();
      assert.deepEqual(underModels, ['dataset models/config.json', 'dataset models/optimizer.pt', 'dataset models/tokenizer.json', 'dataset models/vocab']);
    } finally {
      store.close();
    }
  });

  it('shows every version of a registered model, each with the run it was registered from (the registry tables as oracle)', () => {
    const taxi = corpus('mlflow', 'Peco602__mlops-zoomcamp', '02-experiment-tracking');
    const db = openDatabase(path.join(taxi, 'mlflow.db'), { readonly: true, fileMustExist: true });
    const expected = db.prepare("SELECT version, current_stage AS stage, run_id AS run FROM model_versions WHERE name = 'nyc-taxi-regressor' ORDER BY version DESC").all() as { version: number; stage: string; run: string }[];
    db.close();
    assert.equal(expected.length, 4);
    const { store } = indexInto([taxi]);
    try {
      const g = lineageOf(store, 'nyc-taxi-regressor')!;
      const node = (id: string) => g.nodes.find((n) => n.id === id)!;
      assert.equal(node(g.focus).kind, 'model');
      const versions = g.edges.filter((e) => e.to === g.focus).map((e) => node(e.from));
      assert.deepEqual(versions.map((v) => v.version), expected.map((v) => String(v.version)));
      for (const v of versions) {
        const made = g.edges.filter((e) => e.to === v.id && e.relation === 'produced').map((e) => node(e.from));
        assert.deepEqual(made.map((r) => store.getRun(r.runId!)!.nativeId), [expected.find((x) => String(x.version) === v.version)!.run], v.label);
      }
      const text = formatLineage(g);
      assert.match(text, /^model nyc-taxi-regressor {2}\(registered model · 4 versions\)\n├─ made by +model nyc-taxi-regressor v4/);
      for (const v of expected) assert.match(text, new RegExp(`made by +model nyc-taxi-regressor v${v.version} `));
    } finally {
      store.close();
    }
  });
});
