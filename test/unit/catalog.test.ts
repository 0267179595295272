import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dvcModels, dvcModelVersions, indexedModels, modelCatalog } from '../../src/core/artifacts/catalog';
import { datasetHistory } from '../../src/core/datasets/history';
import type { CatalogModel } from '../../src/core/artifacts/catalog';
import { ContentCache } from '../../src/core/cache';
import { statsOf } from '../../src/core/datasets/versions';
import { indexWorkspace } from '../../src/core/index/indexer';
import { openDatabase } from '../../src/core/index/sqlite';
import { copyOf, corpus, indexInto, newRepo, tempDir } from './corpus';

const BIN = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
/** 7 MLflow runs that log a `model/` and an `explainer/` MLflow model folder each. */
const WINE = corpus('mlflow', '2025-1-productos-de-datos__PRE-12-mlflow-evaluacion-alvelezp');
/** An MLflow database with a model registry: 2 registered models, 5 versions, stages. */
const TAXI = corpus('mlflow', 'Peco602__mlops-zoomcamp', '02-experiment-tracking');

const md5 = (file: string) => createHash('md5').update(fs.readFileSync(file)).digest('hex');

/**
 * The oracle for file versions: runs grouped by the md5 of every file of their copy, MLmodel included (it
 * names the run and the model's uuid: each run's MLflow model is its own model, as MLflow lists them).
 */
function runsBySameContent(folder: string, expDir = path.join(WINE, 'mlruns', '0')): string[][] {
  const groups = new Map<string, string[]>();
  for (const run of fs.readdirSync(expDir).filter((d) => /^[0-9a-f]{32}$/.test(d))) {
    const dir = path.join(expDir, run, 'artifacts', folder);
    if (!fs.existsSync(dir)) continue;
    const files = fs.readdirSync(dir).sort();
    const key = files.map((f) => `${f}:${md5(path.join(dir, f))}`).join(',');
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((g) => g.sort()).sort();
}

const runGroups = (m: CatalogModel) => m.versions.map((v) => v.runs.map((r) => r.nativeId).sort()).sort();

describe('models and their versions, each with the run that made it', () => {
  it('model files: one version per distinct content of an MLflow model folder (its MLmodel in: each run\'s model is a version), made by the runs that saved it', () => {
    const { store, dir } = indexInto([WINE]);
    const cache = ContentCache.open(path.join(dir, 'content-cache.db'));
    try {
      const hashed: string[] = [];
      const catalog = modelCatalog(store, (f) => {
        hashed.push(f);
        return cache.fileHash(f);
      });
      const files = catalog.filter((m) => m.kind === 'file');
      assert.deepEqual(files.map((m) => m.name).sort(), ['explainer/', 'model/']);
      for (const m of files) {
        assert.deepEqual(runGroups(m), runsBySameContent(m.name.slice(0, -1)), m.name);
        assert.equal(m.experimentName, 'Default');
        for (const v of m.versions) assert.equal(v.createdAt, Math.min(...v.runs.map((r) => r.startTime!)), 'a version dates from the first run that wrote it');
      }
      assert.ok(hashed.some((f) => path.basename(f) === 'MLmodel'), 'MLmodel (run id, model uuid) is part of the content');
      // Different runs' MLflow models are different versions, even where the weights are the same bytes.
      for (const m of files) for (const v of m.versions) assert.equal(v.runs.length, 1, `${m.name} ${v.label}: ${v.runs.map((r) => r.nativeId).join(', ')}`);
      // Hashes come from the cache the second time: an unchanged file is not read again.
      const again = modelCatalog(store, (f) => cache.fileHash(f));
      assert.deepEqual(again, catalog);
    } finally {
      cache.close();
      store.close();
    }
  });

  it("training checkpoints: one model, a version per checkpoint (the step left out of the name); optimizer, scheduler and RNG states are not models", () => {
    const demo = path.join(__dirname, '..', '..', '..', 'demo', 'workspace');
    const { store } = indexInto([path.join(demo, 'digits-lightning'), path.join(demo, 'tiny-bert')]);
    try {
      const catalog = modelCatalog(store, (f) => md5(f));
      const ckpt = catalog.find((m) => m.name === 'checkpoints/epoch=*-step=*.ckpt')!;
      const onDisk: string[] = [];
      const logs = path.join(demo, 'digits-lightning', 'lightning_logs');
      for (const v of fs.readdirSync(logs)) for (const f of fs.existsSync(path.join(logs, v, 'checkpoints')) ? fs.readdirSync(path.join(logs, v, 'checkpoints')) : []) onDisk.push(md5(path.join(logs, v, 'checkpoints', f)));
      assert.deepEqual(ckpt.versions.map((v) => v.hash).sort(), [...new Set(onDisk)].sort());
      assert.ok(ckpt.versions.every((v) => v.runs.length === 1 && /^checkpoints\/epoch=\d+-step=\d+\.ckpt$/.test(v.where![0])));
      const bert = catalog.find((m) => m.name === 'checkpoint-*/model.safetensors')!;
      const results = path.join(demo, 'tiny-bert', 'results');
      const checkpoints = fs.readdirSync(results).filter((d) => /^checkpoint-\d+$/.test(d));
      assert.deepEqual(bert.versions.map((v) => v.where![0]).sort(), checkpoints.map((c) => `${c}/model.safetensors`).sort());
      assert.deepEqual(bert.versions.map((v) => v.where![0]), [...bert.versions.map((v) => v.where![0])].sort((a, b) => b.localeCompare(a, undefined, { numeric: true })), 'the latest checkpoint first');
      assert.ok(!catalog.some((m) => /optimizer|scheduler|rng_state/.test(m.name)), catalog.map((m) => m.name).join(', '));
    } finally {
      store.close();
    }
  });

  it('registered models from mlflow.db: every version with its stage and the run that made it (the registry tables as oracle)', () => {
    const db = openDatabase(path.join(TAXI, 'mlflow.db'), { readonly: true, fileMustExist: true });
    const expected = db.prepare('SELECT name, version, current_stage AS stage, run_id AS run, source FROM model_versions ORDER BY name, version DESC').all() as { name: string; version: number; stage: string; run: string; source: string }[];
    db.close();
    assert.equal(expected.length, 5);
    const { store } = indexInto([TAXI]);
    try {
      const registered = modelCatalog(store, () => undefined).filter((m) => m.kind === 'registered');
      const got = registered
        .flatMap((m) => m.versions.map((v) => ({ name: m.name, version: Number(v.id), stage: v.stage ?? 'None', run: v.runs.map((r) => r.nativeId).join(), source: v.source })))
        .sort((a, b) => a.name.localeCompare(b.name) || b.version - a.version);
      assert.deepEqual(got, expected);
      const regressor = registered.find((m) => m.name === 'nyc-taxi-regressor')!;
      assert.deepEqual(regressor.versions.map((v) => v.label), ['v4', 'v3', 'v2', 'v1'], 'newest first');
      assert.ok(regressor.versions.every((v) => v.runs.length === 1 && store.resolveRun(v.runs[0].id).length === 1), 'each version links to an indexed run');
    } finally {
      store.close();
    }
  });

  it("registered models from a file store's mlruns/models: versions, stages, aliases, tags; a new version and a removed registry are picked up by the next index", () => {
    const root = copyOf(WINE);
    const runs = fs.readdirSync(path.join(root, 'mlruns', '0')).filter((d) => /^[0-9a-f]{32}$/.test(d)).sort();
    const reg = path.join(root, 'mlruns', 'models', 'wine-quality');
    const version = (n: number, run: string, stage: string) => {
      fs.mkdirSync(path.join(reg, `version-${n}`, 'tags'), { recursive: true });
      fs.writeFileSync(
        path.join(reg, `version-${n}`, 'meta.yaml'),
        `creation_timestamp: ${1748695000000 + n}\ncurrent_stage: ${stage}\ndescription: ''\nlast_updated_timestamp: ${1748695000000 + n}\nname: wine-quality\nrun_id: ${run}\nrun_link: ''\nsource: file://${root}/mlruns/0/${run}/artifacts/model\nstatus: READY\nstatus_message: null\nuser_id: null\nversion: ${n}\n`,
      );
    };
    fs.mkdirSync(path.join(reg, 'aliases'), { recursive: true });
    fs.writeFileSync(path.join(reg, 'meta.yaml'), 'creation_timestamp: 1748695000000\ndescription: red wine quality\nlast_updated_timestamp: 1748695000000\nname: wine-quality\n');
    version(1, runs[0], 'Archived');
    version(2, runs[1], 'Production');
    fs.writeFileSync(path.join(reg, 'version-2', 'tags', 'validated'), 'true');
    fs.writeFileSync(path.join(reg, 'aliases', 'champion'), '2');
    const dir = tempDir();
    const { store } = indexInto([root], dir);
    try {
      const wine = () => modelCatalog(store, () => undefined).find((m) => m.kind === 'registered' && m.name === 'wine-quality');
      const first = wine()!;
      assert.deepEqual(first.versions.map((v) => [v.label, v.stage, v.aliases, v.runs.map((r) => r.nativeId)]), [
        ['v2', 'Production', ['champion'], [runs[1]]],
        ['v1', 'Archived', [], [runs[0]]],
      ]);
      assert.deepEqual(store.models().find((m) => m.nativeId === 'wine-quality/2')!.params, { validated: 'true' });
      version(3, runs[2], 'None');
      indexWorkspace(store, { roots: [root] });
      assert.deepEqual(wine()!.versions.map((v) => [v.label, v.stage]), [['v3', undefined], ['v2', 'Production'], ['v1', 'Archived']]);
      fs.rmSync(path.join(root, 'mlruns', 'models'), { recursive: true });
      indexWorkspace(store, { roots: [root] });
      assert.equal(wine(), undefined);
    } finally {
      store.close();
    }
  });

  it('DVC-tracked models: a version per md5 the dvc.lock out had in git history (the six DVC snapshots committed in order), the newest written by the workspace run', async function () {
    this.timeout(60_000);
    const root = corpus('dvc');
    const snapshots = ['ca2c488', '3df98ae', 'd4228b5', '021e6cf', 'a00dcb4'].map((s) => path.join(root, `iterative__example-get-started@${s}`)).filter((s) => fs.existsSync(path.join(s, 'dvc.lock')));
    const { repo, git } = newRepo('runlens-dvcmodel-');
    const md5s: string[] = [];
    for (const snap of snapshots) {
      for (const f of ['dvc.yaml', 'dvc.lock', 'params.yaml']) if (fs.existsSync(path.join(snap, f))) fs.copyFileSync(path.join(snap, f), path.join(repo, f));
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', path.basename(snap));
      const m = /- path: model\.pkl\n(?:\s+hash: md5\n)?\s+md5: (\S+)/.exec(fs.readFileSync(path.join(snap, 'dvc.lock'), 'utf8'));
      if (m && md5s[0] !== m[1]) md5s.unshift(m[1]);
    }
    assert.ok(md5s.length >= 2, `${md5s.length} model versions in the snapshots`);
    const { store } = indexInto([repo]);
    try {
      const [model] = dvcModels(store);
      assert.equal(model?.name, 'model.pkl');
      const catalog = dvcModelVersions(store, model, await datasetHistory(model.abs));
      assert.deepEqual(catalog.versions.map((v) => v.hash), md5s, 'newest first');
      assert.deepEqual(catalog.versions[0].runs.map((r) => r.name), [store.resolveRun(catalog.versions[0].runs[0].id)[0].name]);
      assert.equal(catalog.versions[0].runs.length, 1, 'the workspace run wrote the newest');
      assert.ok(catalog.versions.slice(1).every((v) => v.runs.length === 0 && /^[0-9a-f]{8} iterative__example-get-started@/.test(v.description!)));
    } finally {
      store.close();
    }
  });

  it('runlens models --json prints the catalog; the human form a line per version', () => {
    const index = path.join(tempDir(), 'index.sqlite');
    const json = spawnSync(process.execPath, [BIN, 'models', TAXI, '--index', index, '--json'], { encoding: 'utf8' });
    assert.equal(json.status, 0, json.stderr);
    const catalog = JSON.parse(json.stdout) as CatalogModel[];
    // The registered models, then the MLflow model folders among the database runs' artifacts (./mlruns/…).
    // Each MLflow model folder: one version per distinct content, MLmodel included (here: one per run).
    const folders = fs.readdirSync(path.join(TAXI, 'mlruns')).filter((e) => /^\d+$/.test(e)).flatMap((exp) => ['model', 'models_mlflow'].map((f) => [`${f}/`, runsBySameContent(f, path.join(TAXI, 'mlruns', exp)).length] as [string, number])).filter(([, n]) => n > 0);
    assert.deepEqual(catalog.slice(0, 2).map((m) => [m.name, m.versions.length]), [['nyc-taxi-randomforest', 1], ['nyc-taxi-regressor', 4]]);
    assert.deepEqual(catalog.slice(2).map((m) => [m.name, m.versions.length]).sort(), folders.sort());
    assert.ok(catalog.every((m) => m.kind !== 'workspace'), 'the runs\' model folders are not listed again as workspace files');
    const human = spawnSync(process.execPath, [BIN, 'models', TAXI, '--index', index, '--no-index'], { encoding: 'utf8' });
    assert.equal(catalog.find((m) => m.name === 'nyc-taxi-regressor')!.store, path.join(TAXI, 'mlflow.db'));
    assert.match(human.stdout, /^nyc-taxi-regressor {2}\(registered model, mlflow\.db; 4 versions\)\n {2}v4 · .*\n {2}v3 · Staging · /m);
  });

  it('tells two logged models of one name apart by the store that keeps them (mlflow.db beside mlruns/)', () => {
    const root = corpus('mlflow', '2024ab05143__heart-disease-mlops');
    const { store, dir } = indexInto([root]);
    try {
      const logged = indexedModels(store).filter((m) => m.kind === 'logged' && m.name === 'model');
      assert.deepEqual(logged.map((m) => [m.store, m.versions.length]).sort(), [[path.join(root, 'mlflow.db'), 3], [path.join(root, 'mlruns'), 2]]);
      // Each version's source is where its files are, in both stores: the artifacts folder holding MLmodel
      // here, and for the database's (logged on a Windows machine, not copied) the location it recorded.
      const sources = (where: string) => logged.find((m) => m.store === path.join(root, where))!.versions.map((v) => v.source!);
      for (const source of sources('mlruns')) assert.ok(fs.existsSync(path.join(source, 'MLmodel')), source);
      for (const source of sources('mlflow.db')) assert.match(source, /^file:C:\/MLOPS\/heart-disease-mlops\/mlruns\/0\/models\/m-[0-9a-f]{32}\/artifacts$/);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe('statistics kept by content hash', () => {
  it('a table read once is served from the cache; a changed file is read again', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'inference_output.csv');
    fs.copyFileSync(corpus('predictions', 'AguLeon__LoRA_RoBERTa_AGNews', 'results', 'inference_output.csv'), file);
    const cache = ContentCache.open(path.join(dir, 'content-cache.db'));
    try {
      const fresh = await statsOf(file);
      const first = await statsOf(file, { cache });
      assert.deepEqual(first.stats, fresh.stats);
      const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      const kept = cache.get<typeof fresh.stats>(`sha256:${sha}`, `stats:1::${file}`);
      assert.deepEqual(kept, fresh.stats, 'kept under the SHA-256 of the content');
      // Served from the cache: a planted value under the same key comes back (the file is not read).
      cache.put(`sha256:${sha}`, `stats:1::${file}`, { ...fresh.stats, rows: -1 });
      assert.equal((await statsOf(file, { cache })).stats.rows, -1);
      // Different content under the same path: a new hash, statistics of the new content.
      fs.appendFileSync(file, '8000,2\n');
      const changed = await statsOf(file, { cache });
      assert.equal(changed.stats.rows, fresh.stats.rows + 1);
    } finally {
      cache.close();
    }
  });

  it('model files in the workspace that no run logged are listed, each with its content hash; tokenizer and config JSON, optimizer states are not models', () => {
    const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    // The corpus' models folder: no run at all, every model file and model folder listed (ls by hand).
    const MODELS = corpus('models');
    const index = path.join(tempDir(), 'index.sqlite');
    const r = spawnSync(process.execPath, [BIN, 'models', MODELS, '--index', index, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const catalog = JSON.parse(r.stdout) as CatalogModel[];
    const digits = 'Deepender25__Handwritten-Digit-Recognition---CNN-with-99.65-Accuracy';
    assert.deepEqual(catalog.map((m) => m.name).sort(), [
      `${digits}/mnist_digit_classifier.keras`,
      `${digits}/mnist_digit_classifier_savedmodel/`,
      'LaziestCactus__GPTLoRA/results/checkpoint-1000/adapter_model.safetensors',
      'akokubo__sklearn_onnx/logistic_davis.onnx',
      'akokubo__sklearn_onnx/logreg_iris.onnx',
      'akokubo__sklearn_onnx/model.onnx',
      'akokubo__sklearn_onnx/model.pkl',
    ]);
    for (const m of catalog) {
      assert.equal(m.kind, 'workspace');
      assert.equal(m.versions.length, 1);
      assert.deepEqual(m.versions[0].runs, []);
      assert.equal(m.versions[0].createdAt, undefined, 'no time the files do not record');
      if (!m.name.endsWith('/')) assert.equal(m.versions[0].hash, sha(path.join(MODELS, m.name)), m.name);
    }
    const human = spawnSync(process.execPath, [BIN, 'models', MODELS, '--index', index, '--no-index'], { encoding: 'utf8' });
    assert.match(human.stdout, /^akokubo__sklearn_onnx\/model\.onnx {2}\(model in the workspace; 1 version\)\n {2}[0-9a-f]{12} · 557 B {2}← no run logged it$/m);

    // A project with a committed model, a DVC-tracked one not pulled, and files that are not models.
    const dir = tempDir('runlens-wsmodels-');
    fs.mkdirSync(path.join(dir, 'models'));
    fs.copyFileSync(path.join(MODELS, 'akokubo__sklearn_onnx', 'model.onnx'), path.join(dir, 'models', 'model.onnx'));
    for (const f of ['tokenizer.json', 'config.json', 'tokenizer_config.json', 'vocab.txt']) fs.writeFileSync(path.join(dir, 'models', f), '{}');
    fs.writeFileSync(path.join(dir, 'models', 'optimizer.pt'), 'x');
    fs.writeFileSync(path.join(dir, 'models', 'big.safetensors.dvc'), 'outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 1000\n  path: big.safetensors\n');
    const ws = JSON.parse(spawnSync(process.execPath, [BIN, 'models', dir, '--index', path.join(tempDir(), 'i.sqlite'), '--json'], { encoding: 'utf8' }).stdout) as CatalogModel[];
    assert.deepEqual(ws.map((m) => m.name).sort(), ['models/big.safetensors', 'models/model.onnx']);
    const big = ws.find((m) => m.name === 'models/big.safetensors')!;
    assert.equal(big.versions[0].hash, '0123456789abcdef0123456789abcdef');
    assert.equal(big.versions[0].description, 'DVC-tracked, not pulled');
    assert.equal(ws.find((m) => m.name === 'models/model.onnx')!.versions[0].hash, sha(path.join(dir, 'models', 'model.onnx')));
  });
});
