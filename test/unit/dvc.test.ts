import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { corpus, indexInto } from './corpus';

const at = (sha: string) => corpus('dvc', `iterative__example-get-started@${sha}`);

function dvcRun(dir: string) {
  const { store, dir: idx } = indexInto([dir]);
  const [run] = store.queryRuns({ sql: "r.format = 'dvc'", params: [] }, { sql: '', params: [] });
  return { store, idx, run };
}

describe('DVC projects', () => {
  it('takes the param values dvc.lock recorded, metrics from the pipeline metrics file, and dep/out md5s', () => {
    const dir = at('d4228b5');
    const { store, idx, run } = dvcRun(dir);
    const lock = parse(fs.readFileSync(path.join(dir, 'dvc.lock'), 'utf8'));
    const params = store.params(run.rid);
    for (const stage of Object.values<any>(lock.stages)) {
      for (const values of Object.values<any>(stage.params ?? {})) for (const [k, v] of Object.entries(values)) assert.equal(params[k], String(v), k);
      for (const dep of stage.deps ?? []) assert.equal(store.tags(run.rid)[`dvc.dep.${dep.path}`], dep.md5);
    }
    const scores = JSON.parse(fs.readFileSync(path.join(dir, 'scores.json'), 'utf8'));
    const metrics = Object.fromEntries(store.seriesSummaries(run.rid).map((s) => [s.key, s.last]));
    assert.deepEqual(metrics, scores);
    assert.equal(store.tags(run.rid)['dvc.stage.train.cmd'], 'python src/train.py data/features model.pkl');
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('reads DVCLive step series from plots/metrics/*.tsv', () => {
    const dir = at('021e6cf');
    const { store, idx, run } = dvcRun(dir);
    const tsv = fs.readFileSync(path.join(dir, 'evaluation', 'plots', 'metrics', 'avg_prec.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t').map(Number));
    assert.deepEqual(store.seriesPoints(run.rid, 'avg_prec').map((p) => [p.step, p.value]), tsv);
    const final = JSON.parse(fs.readFileSync(path.join(dir, 'evaluation', 'metrics.json'), 'utf8'));
    for (const s of store.seriesSummaries(run.rid)) assert.equal(s.last, final[s.key], `${s.key}: the last logged step equals the final metrics file`);
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('notes a metrics file the pipeline names but the workspace lacks', () => {
    const dir = corpus('dvc', 'iterative__example-get-started');
    const { store, idx } = dvcRun(dir);
    assert.ok(store.diagnostics().some((d) => d.file === path.join(dir, 'eval', 'metrics.json') && d.severity === 'info'));
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('reads DVC 0.x stage files and their plain-number metric outputs', () => {
    const dir = at('ca2c488');
    const { store, idx, run } = dvcRun(dir);
    assert.equal(store.seriesSummaries(run.rid).find((s) => s.key === 'auc')?.last, Number(fs.readFileSync(path.join(dir, 'auc.metric'), 'utf8')));
    assert.match(store.tags(run.rid)['dvc.stage.evaluate.cmd'], /src\/evaluate\.py/);
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('compares runs of different formats side by side through one model', () => {
    const { store, dir } = indexInto([corpus('dvc'), corpus('keras'), corpus('wandb')]);
    const formats = new Set(store.queryRuns({ sql: '', params: [] }, { sql: '', params: [] }).map((r) => r.format));
    assert.deepEqual([...formats].sort(), ['dvc', 'keras', 'wandb']);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });
});
