import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { indexWorkspace } from '../../src/core/index/indexer';
import { corpus, indexInto, newRepo, tempDir } from './corpus';

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

describe('DVC experiments in git (refs/exps)', () => {
  const SNAPSHOTS = corpus('dvc');
  /** Commits a snapshot's files (as they are in the corpus) on top of HEAD, optionally on a side branch. */
  const commitSnapshot = (repo: string, git: (...a: string[]) => string, snap: string, message: string) => {
    for (const f of fs.readdirSync(repo)) if (f !== '.git') fs.rmSync(path.join(repo, f), { recursive: true, force: true });
    fs.cpSync(path.join(SNAPSHOTS, `iterative__example-get-started@${snap}`), repo, { recursive: true });
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD').trim();
  };
  /** What `dvc exp run` leaves: a commit on top of the baseline, reachable only from refs/exps/<b[:2]>/<b[2:]>/<name>. */
  const experiment = (repo: string, git: (...a: string[]) => string, baseline: string, snap: string, name: string) => {
    git('checkout', '-q', '--detach', baseline);
    const sha = commitSnapshot(repo, git, snap, `dvc: commit experiment ${name}`);
    git('update-ref', `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`, sha);
    git('checkout', '-q', 'main');
    return sha;
  };
  /** The oracle: the same snapshot read from disk as a workspace. */
  const onDisk = (snap: string) => {
    const { store } = indexInto([path.join(SNAPSHOTS, `iterative__example-get-started@${snap}`)]);
    try {
      const [run] = store.queryRuns({ sql: "r.format = 'dvc'", params: [] }, { sql: '', params: [] });
      return { params: store.params(run.rid), metrics: Object.fromEntries(store.seriesSummaries(run.rid).map((s) => [s.key, [s.count, s.last]])) };
    } finally {
      store.close();
    }
  };

  it('reads each experiment from its commit as the workspace reader reads the same files from disk, and follows refs as they come and go', function () {
    this.timeout(60_000);
    const { repo, git } = newRepo('runlens-dvcexp-');
    const baseline = commitSnapshot(repo, git, 'a00dcb4', 'baseline');
    const shaA = experiment(repo, git, baseline, '021e6cf', 'sober-oxen');
    const shaB = experiment(repo, git, baseline, 'd4228b5', 'tiled-mule');
    assert.equal(git('status', '--porcelain'), '');
    const dir = tempDir();
    const { store } = indexInto([repo], dir);
    try {
      const runs = () => store.queryRuns({ sql: "r.format = 'dvc'", params: [] }, { sql: '', params: [] });
      assert.deepEqual(runs().map((r) => r.name).sort(), ['sober-oxen', 'tiled-mule', 'workspace']);
      for (const [name, snap, sha] of [['sober-oxen', '021e6cf', shaA], ['tiled-mule', 'd4228b5', shaB]] as const) {
        const run = runs().find((r) => r.name === name)!;
        assert.equal(run.gitCommit, sha);
        const tags = store.tags(run.rid);
        assert.equal(tags['dvc.exp.baseline'], baseline);
        const expected = onDisk(snap);
        assert.deepEqual(store.params(run.rid), expected.params, `${name}: params`);
        assert.deepEqual(Object.fromEntries(store.seriesSummaries(run.rid).map((s) => [s.key, [s.count, s.last]])), expected.metrics, `${name}: metrics`);
      }
      // DVCLive step series come through git too (021e6cf has evaluation/plots/metrics/*.tsv).
      assert.ok(store.seriesSummaries(runs().find((r) => r.name === 'sober-oxen')!.rid).some((s) => s.count > 1 || /avg_prec|roc_auc/.test(s.key)));
      // A new experiment, then a removed one: the next index follows the refs.
      experiment(repo, git, baseline, 'a00dcb4', 'third-exp');
      indexWorkspace(store, { roots: [repo] });
      assert.deepEqual(runs().map((r) => r.name).sort(), ['sober-oxen', 'third-exp', 'tiled-mule', 'workspace']);
      git('update-ref', '-d', `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/tiled-mule`);
      indexWorkspace(store, { roots: [repo] });
      assert.deepEqual(runs().map((r) => r.name).sort(), ['sober-oxen', 'third-exp', 'workspace']);
      assert.equal(git('status', '--porcelain'), '', 'nothing in the work tree was touched');
    } finally {
      store.close();
    }
  });
});
