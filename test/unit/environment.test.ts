import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDocument } from '../../src/core/analysis/runDocument';
import { eventFileHost, runEnvironment } from '../../src/core/environment';
import type { Store } from '../../src/core/index/store';
import { corpus, indexInto } from './corpus';

const fact = (env: ReturnType<typeof runEnvironment>, key: string) => env.facts.find((f) => f.key === key)?.value;
const envOf = (store: Store, nativeId: string) => {
  const [run] = store.resolveRun(nativeId);
  assert.ok(run, nativeId);
  return { run, env: runEnvironment(run, store.tags(run.rid), store.artifacts(run.rid)) };
};
/** Pinned requirements, counted the simple way: lines `name==version`. */
const pinned = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => /^[A-Za-z0-9][\w.-]*(\[.*\])?==/.test(l.trim()));

describe('run environment: python, host, command, packages, dirty tree — from what each format records', () => {
  it("W&B: wandb-metadata.json's python, host, OS and program, and requirements.txt's packages", () => {
    const root = corpus('wandb', 'Aameer__ANN');
    const { store } = indexInto([root]);
    try {
      for (const dir of fs.readdirSync(path.join(root, 'wandb')).filter((d) => d.startsWith('run-'))) {
        const meta = JSON.parse(fs.readFileSync(path.join(root, 'wandb', dir, 'wandb-metadata.json'), 'utf8'));
        const { env } = envOf(store, dir.split('-').pop()!);
        assert.equal(fact(env, 'python'), meta.python);
        assert.equal(fact(env, 'host'), meta.host);
        assert.equal(fact(env, 'os'), meta.os);
        assert.equal(fact(env, 'command'), [meta.program, ...meta.args].join(' '));
        assert.equal(fact(env, 'git.remote'), meta.git.remote);
        assert.equal(fact(env, 'git.dirty'), fs.existsSync(path.join(root, 'wandb', dir, 'diff.patch')) ? 'yes' : 'no');
        const req = path.join(root, 'wandb', dir, 'requirements.txt');
        if (fs.existsSync(req)) {
          assert.deepEqual(env.packages.filter((p) => p.version).map((p) => `${p.name}==${p.version}`), pinned(req).map((l) => l.trim().replace(/\[.*\]/, '')));
          assert.equal(env.packagesFrom, 'requirements.txt');
        }
      }
    } finally {
      store.close();
    }
  });

  it("MLflow: the logged model's python_env.yaml and requirements.txt, and the source tag", () => {
    const root = corpus('mlflow', '2025-1-productos-de-datos__PRE-12-mlflow-evaluacion-alvelezp');
    const { store } = indexInto([root]);
    try {
      const run = 'cafc15f1d7ba4737a08d936ef647b9c1';
      const { env } = envOf(store, run);
      const arts = path.join(root, 'mlruns', '0', run, 'artifacts');
      const python = /^python: (\S+)/m.exec(fs.readFileSync(path.join(arts, 'model', 'python_env.yaml'), 'utf8'))![1];
      assert.equal(fact(env, 'python'), python);
      assert.equal(env.packagesFrom, 'model/requirements.txt');
      assert.deepEqual(env.packages.map((p) => `${p.name}==${p.version}`), pinned(path.join(arts, 'model', 'requirements.txt')).map((l) => l.trim()));
      assert.equal(fact(env, 'command'), fs.readFileSync(path.join(root, 'mlruns', '0', run, 'tags', 'mlflow.source.name'), 'utf8').trim());
      // The run document (Diff Parameters) carries both, so two runs' environments diff line by line.
      const [row] = store.resolveRun(run);
      const doc = runDocument({ run: row, params: store.params(row.rid), tags: store.tags(row.rid), metrics: [], environment: env });
      assert.match(doc, new RegExp(`^environment:\\n(  .+\\n)*  python: ${python.replace(/\./g, '\\.')}\\n`, 'm'));
      assert.match(doc, /^packages {2}# model\/requirements\.txt:\n(  .+\n)*  numpy: \d/m);
    } finally {
      store.close();
    }
  });

  it('TensorBoard: the host in the event file names, as TensorFlow and PyTorch write them', () => {
    const names: [string, string | undefined][] = [
      ['events.out.tfevents.1594061603.DESKTOP-IJHBKKC.41228.18612.v2', 'DESKTOP-IJHBKKC'],
      ['events.out.tfevents.1612793791.amel-system.14690.0', 'amel-system'],
      ['events.out.tfevents.1672519486.U-C02ZQ5BKMD6R.32342.0', 'U-C02ZQ5BKMD6R'],
      ['events.out.tfevents.1594056838.DESKTOP-IJHBKKC.profile-empty', 'DESKTOP-IJHBKKC'],
      ['events.out.tfevents.1700000000.gpu-node-3.cluster.local.812.1', 'gpu-node-3.cluster.local'],
    ];
    for (const [name, host] of names) assert.equal(eventFileHost(name), host, name);
    // Every TensorBoard run of the corpus whose event files name a host gets it.
    const { store } = indexInto([corpus('tensorboard')]);
    try {
      const runs = store.queryRuns({ sql: "r.format = 'tensorboard'", params: [] }, { sql: '', params: [] });
      let named = 0;
      for (const r of runs) {
        const files = fs.readdirSync(r.path).filter((f) => /^events\.out\.tfevents\.\d+\.[^.]+\.\d+\.\d+(\.v2)?$/.test(f));
        if (!files.length) continue;
        named++;
        const env = runEnvironment(r, store.tags(r.rid), store.artifacts(r.rid));
        assert.equal(fact(env, 'host'), files[0].split('.')[4], r.path);
      }
      assert.ok(named >= 3, `${named} runs with host-named event files`);
    } finally {
      store.close();
    }
  });
});
