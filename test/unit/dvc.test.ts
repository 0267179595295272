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

  it('passes over an unchanged project on its probes, and reads it again after each kind of change', function () {
    this.timeout(60_000);
    const { repo, git } = newRepo('runlens-dvcprobes-');
    const baseline = commitSnapshot(repo, git, '021e6cf', 'baseline');
    const key = `dvc-project:${repo}`;
    const { store, dir } = indexInto([repo]);
    const tsv = path.join(repo, 'evaluation', 'plots', 'metrics', 'avg_prec.tsv');
    const edit = (file: string, from: RegExp, to: string) => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(from, to));
    const changes: [string, () => void][] = [
      // First, while the work tree is clean (the helper commits all of it on the experiment's branch).
      ['an experiment (a ref under refs/exps)', () => experiment(repo, git, baseline, 'd4228b5', 'tiled-mule')],
      ['a DVCLive step appended', () => fs.appendFileSync(tsv, '99\t0.5\n')],
      ['the metrics file dvc.yaml names, rewritten', () => edit(path.join(repo, 'evaluation', 'metrics.json'), /\d\.\d+/, '0.123')],
      ['params.yaml', () => edit(path.join(repo, 'params.yaml'), /seed: \d+/, 'seed: 4242')],
      ['dvc.yaml names one more metrics file', () => {
        fs.writeFileSync(path.join(repo, 'extra.json'), JSON.stringify({ extra: 1 }));
        edit(path.join(repo, 'dvc.yaml'), /    - evaluation\/metrics.json:/, '    - extra.json:\n        cache: false\n    - evaluation/metrics.json:');
      }],
      // Found through dvc.yaml by the last read: in the probes of the pass after it.
      ['that file, rewritten', () => fs.writeFileSync(path.join(repo, 'extra.json'), JSON.stringify({ extra: 2 }))],
      ['a second DVCLive folder', () => {
        fs.mkdirSync(path.join(repo, 'live2', 'plots', 'metrics'), { recursive: true });
        fs.writeFileSync(path.join(repo, 'live2', 'plots', 'metrics', 'loss.tsv'), 'step\tloss\n0\t1.5\n1\t0.5\n');
      }],
      // The run's commit: git writes the branch's loose ref, HEAD or packed-refs, and no project file.
      ['a commit that changes no project file', () => git('commit', '-q', '--allow-empty', '-m', 'empty')],
      ['the refs packed (the loose ref gone)', () => git('pack-refs', '--all')],
      ['a commit on the packed branch', () => git('commit', '-q', '--allow-empty', '-m', 'empty 2')],
      ['a checkout of another commit (detached HEAD)', () => git('checkout', '-q', '--detach', baseline)],
    ];
    try {
      for (const [what, change] of changes) {
        // The pass after a read lists the project in full and keeps its probes; the next one checks them.
        assert.equal(indexWorkspace(store, { roots: [repo] }).read, 0, `${what}: before`);
        assert.ok(store.unitProbes(key), `${what}: probes kept`);
        assert.equal(indexWorkspace(store, { roots: [repo] }).read, 0, `${what}: on the probes`);
        change();
        assert.equal(indexWorkspace(store, { roots: [repo] }).read, 1, what);
        assert.equal(store.unitProbes(key), undefined, `${what}: a read keeps no probes`);
        const scratch = indexInto([repo]);
        const runs = (s: typeof store) => s.queryRuns({ sql: "r.format = 'dvc'", params: [] }, { sql: '', params: [] }).map((r) => [r.name, r.gitCommit, s.params(r.rid), s.seriesSummaries(r.rid).map((x) => [x.key, x.count, x.last])]).sort();
        assert.deepEqual(runs(store), runs(scratch.store), what);
        assert.equal(runs(store).find((r) => r[0] === 'workspace')?.[1], git('rev-parse', 'HEAD').trim(), `${what}: the commit checked out`);
        scratch.store.close();
        fs.rmSync(scratch.dir, { recursive: true });
      }
      indexWorkspace(store, { roots: [repo] });
      const paths = store.unitProbes(key)![0].toString();
      assert.ok(paths.split('\n').includes(`E${path.join(repo, '.git')}`), 'the .git found is probed');
      assert.ok(paths.split('\n').includes(`F${path.join(repo, 'extra.json')}`), 'so is a file dvc.yaml names');
      assert.ok(paths.split('\n').includes(`D${path.join(repo, 'live2', 'plots', 'metrics')}`), 'and a DVCLive folder');
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
    }
  });
});
