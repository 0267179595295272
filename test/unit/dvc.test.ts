import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { indexWorkspace } from '../../src/core/index/indexer';
import { copyOf, corpus, indexInto, newRepo, tempDir } from './corpus';

const at = (sha: string) => corpus('dvc', `iterative__example-get-started@${sha}`);
/** A project whose dvc.yaml names two DVCLive params files, with a summary that has values its plots lack. */
const PPE = corpus('media', 'dvclive', 'AlexanderExp__PPE-Detection');
/** DVCLive in six folders: `dvclive/` and `dvclive/fold_0` … `fold_4`. */
const EMILY = corpus('dvc', 'Emily-RoseSteyn__measuring-quality-of-life-gauteng');

/** A flat YAML file of `key: value` lines, each value as written (an empty one is YAML's null). */
function flatYaml(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^\s#:][^:]*):(?: (.*))?$/.exec(line);
    if (m) out[m[1]] = m[2] === undefined || m[2] === '' ? 'null' : m[2];
  }
  return out;
}

/** DVCLive's summary (metrics.json): its numbers by their `log_metric` names, nested keys joined with '/'. */
function summaryOf(json: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    if (typeof v === 'number') out[prefix + k] = v;
    else if (v && typeof v === 'object') summaryOf(v, `${prefix}${k}/`, out);
  }
  return out;
}

/** The `step<TAB>value` rows of each .tsv below `root`, by its path there without `.tsv`. */
function tsvFiles(root: string, rel = '', out = new Map<string, number[][]>()): Map<string, number[][]> {
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) tsvFiles(root, r, out);
    else if (e.name.endsWith('.tsv')) {
      const [header, ...rows] = fs.readFileSync(path.join(root, r), 'utf8').trim().split('\n');
      assert.deepEqual(header.split('\t'), ['step', e.name.slice(0, -4)]);
      out.set(r.slice(0, -4), rows.map((l) => l.split('\t').map(Number)));
    }
  }
  return out;
}

function dvcRun(dir: string) {
  const { store, dir: idx } = indexInto([dir]);
  const [run] = store.queryRuns({ sql: "r.format = 'dvc'", params: [] }, { sql: '', params: [] });
  return { store, idx, run };
}

describe('DVC projects', () => {
  it('takes each param from the file that declares it, as the file writes it, metrics from the pipeline metrics file, and dep/out md5s', () => {
    const dir = at('d4228b5');
    const { store, idx, run } = dvcRun(dir);
    // params.yaml is two levels of `key: value` lines: read by hand, each value as written (`split: 0.20`).
    const expected: Record<string, string> = {};
    let section = '';
    for (const line of fs.readFileSync(path.join(dir, 'params.yaml'), 'utf8').split('\n')) {
      const top = /^(\w+):$/.exec(line);
      const kv = /^ {2}(\w+): (.+)$/.exec(line);
      if (top) section = top[1];
      else if (kv) expected[`${section}.${kv[1]}`] = kv[2];
    }
    assert.equal(expected['prepare.split'], '0.20', 'the file writes 0.20 (dvc.lock: 0.2)');
    assert.deepEqual(store.params(run.rid), expected);
    const lock = parse(fs.readFileSync(path.join(dir, 'dvc.lock'), 'utf8'));
    for (const stage of Object.values<any>(lock.stages)) for (const dep of stage.deps ?? []) assert.equal(store.tags(run.rid)[`dvc.dep.${dep.path}`], dep.md5);
    // The file and the lock agree on every value (0.20 = 0.2): nothing to say.
    assert.deepEqual(store.diagnostics().filter((d) => /dvc\.lock/.test(d.message)), []);
    const scores = JSON.parse(fs.readFileSync(path.join(dir, 'scores.json'), 'utf8'));
    const metrics = Object.fromEntries(store.seriesSummaries(run.rid).map((s) => [s.key, s.last]));
    assert.deepEqual(metrics, scores);
    assert.equal(store.tags(run.rid)['dvc.stage.train.cmd'], 'python src/train.py data/features model.pkl');
    // DVC records no time for the workspace: unknown, not the mtime of a file.
    assert.deepEqual([run.startTime ?? null, run.endTime ?? null], [null, null]);
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('a params file that says otherwise than dvc.lock is noted; one not in the workspace gives the values dvc.lock recorded', () => {
    const dir = copyOf(at('d4228b5'));
    fs.chmodSync(dir, 0o755);
    const file = path.join(dir, 'params.yaml');
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('n_est: 100', 'n_est: 1.50e+2'));
    let { store, idx, run } = dvcRun(dir);
    assert.equal(store.params(run.rid)['train.n_est'], '1.50e+2');
    // 1.50e+2 is 150, not the 100 the train stage ran with.
    const notes = store.diagnostics().filter((d) => d.file === file && d.severity === 'info');
    assert.equal(notes.length, 1);
    assert.match(notes[0].message, /train\.n_est is 1\.50e\+2 here but 100 in dvc\.lock: changed since stage train last ran/);
    store.close();
    fs.rmSync(idx, { recursive: true });
    fs.rmSync(file);
    ({ store, idx, run } = dvcRun(dir));
    // dvc.lock's own text for each value it recorded (`prepare.split: 0.2`), read by hand.
    const lock = fs.readFileSync(path.join(dir, 'dvc.lock'), 'utf8');
    const recorded = Object.fromEntries([...lock.matchAll(/^ {8}([\w.]+): (.+)$/gm)].map((m) => [m[1], m[2]]));
    assert.equal(recorded['prepare.split'], '0.2');
    assert.deepEqual(store.params(run.rid), recorded);
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

  it('names a param that several params files declare by its file (dvc exp show), each value as the file writes it', () => {
    const { store, idx, run } = dvcRun(PPE);
    // dvc.yaml's top-level params: dvclive/params.yaml and dvclive-optuna/params.yaml, flat `key: value` files.
    const files = ['dvclive/params.yaml', 'dvclive-optuna/params.yaml'].map((f) => [f, flatYaml(fs.readFileSync(path.join(PPE, f), 'utf8'))] as const);
    const expected: Record<string, string> = {};
    for (const [f, values] of files) {
      for (const [k, v] of Object.entries(values)) expected[files.filter(([, o]) => k in o).length > 1 ? `${f}:${k}` : k] = v;
    }
    // The prune stage's params file is not in the workspace: dvc.lock recorded its list, as a block.
    assert.match(fs.readFileSync(path.join(PPE, 'dvc.lock'), 'utf8'), /pruning\.sparsity_levels:\n {8}- 0\.3\n {8}- 0\.9\n/);
    expected['pruning.sparsity_levels'] = '[0.3, 0.9]';
    const params = store.params(run.rid);
    assert.deepEqual(params, expected);
    assert.deepEqual(['dvclive/params.yaml:batch', 'dvclive-optuna/params.yaml:batch', 'dropout', 'warmup_epochs', 'lr', 'time'].map((k) => params[k]), ['16', '16', '0.0', '3.0', '6.584929939688958e-05', 'null']);
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('a key in params.yaml and in a DVCLive params file is two params, neither one winning', () => {
    const dir = copyOf(PPE);
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, 'params.yaml'), 'epochs: 100\nlr0: 3.16e-05\nseed: 0x2A\nonly_here: 0.0\n');
    const { store, idx, run } = dvcRun(dir);
    const params = store.params(run.rid);
    const live = flatYaml(fs.readFileSync(path.join(PPE, 'dvclive', 'params.yaml'), 'utf8'));
    assert.deepEqual(
      ['params.yaml:epochs', 'dvclive/params.yaml:epochs', 'params.yaml:lr0', 'dvclive/params.yaml:lr0', 'params.yaml:seed', 'dvclive/params.yaml:seed', 'only_here'].map((k) => params[k]),
      ['100', live.epochs, '3.16e-05', live.lr0, '0x2A', live.seed, '0.0'],
    );
    assert.ok(!('epochs' in params) && !('lr0' in params));
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it("makes a DVCLive metric one series: the plot's history, the summary's value as its latest", () => {
    const { store, idx, run } = dvcRun(PPE);
    const live = path.join(PPE, 'dvclive');
    const summary = summaryOf(JSON.parse(fs.readFileSync(path.join(live, 'metrics.json'), 'utf8')));
    const plots = tsvFiles(path.join(live, 'plots', 'metrics'));
    const got = new Map(store.seriesSummaries(run.rid).map((s) => [s.key, s]));
    for (const [key, rows] of plots) {
      const points = store.seriesPoints(run.rid, key).map((p) => [p.step, p.value]);
      const last = rows[rows.length - 1];
      // Ultralytics' final validation writes the summary after the last plotted epoch: one point more.
      const extra = summary[key] !== undefined && summary[key] !== last[1] ? [[Math.max(last[0], summary.step), summary[key]]] : [];
      assert.deepEqual(points, [...rows, ...extra], key);
      assert.equal(got.get(key)!.last, summary[key] ?? last[1], key);
    }
    assert.ok(plots.get('metrics/mAP50(B)')!.at(-1)![1] !== summary['metrics/mAP50(B)'], 'the corpus has a summary value the plot lacks');
    // The summary's values with no plot are one point each; nothing is there twice under a dotted name.
    const keys = [...got.keys()].sort();
    assert.deepEqual(keys, [...new Set([...plots.keys(), ...Object.keys(summary), 'mAP50'])].sort());
    assert.ok(!keys.some((k) => k.includes('.')));
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('keeps the series of each DVCLive folder (Live(dir=…)) apart, named by the folder', () => {
    const { store, idx, run } = dvcRun(EMILY);
    const folders = ['dvclive', ...[0, 1, 2, 3, 4].map((i) => `dvclive/fold_${i}`)];
    const expected = new Map<string, number[][]>();
    for (const f of folders) {
      const summary = summaryOf(JSON.parse(fs.readFileSync(path.join(EMILY, f, 'metrics.json'), 'utf8')));
      const plots = tsvFiles(path.join(EMILY, f, 'plots', 'metrics'));
      for (const [k, rows] of plots) {
        assert.equal(rows[rows.length - 1][1], summary[k], `${f} ${k}: the summary is the last plotted value`);
        expected.set(`${f}:${k}`, rows);
      }
      expected.set(`${f}:step`, [[summary.step, summary.step]]);
    }
    // The pipeline's own metrics file, whose keys no other has.
    for (const [k, v] of Object.entries(JSON.parse(fs.readFileSync(path.join(EMILY, 'outputs', 'eval', 'metrics.json'), 'utf8')))) expected.set(k, [[0, v as number]]);
    const got = new Map(store.seriesSummaries(run.rid).map((s) => [s.key, store.seriesPoints(run.rid, s.key).map((p) => [p.step, p.value])]));
    assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
    for (const [k, rows] of expected) assert.deepEqual(got.get(k), rows, k);
    assert.deepEqual(new Set([...expected.keys()].filter((k) => k.endsWith(':train/loss')).map((k) => got.get(k)!.length)).size > 1, true, 'the folds trained for different numbers of epochs');
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('reads a params file of lists of aliases (a billion values expanded) in bounded time, with a diagnostic', () => {
    const dir = tempDir('runlens-dvcbomb-');
    fs.writeFileSync(path.join(dir, 'dvc.yaml'), 'stages:\n  train:\n    cmd: python train.py\n');
    const levels = 'abcdefghi'.split('');
    const lines = levels.map((l, i) => `${l}: &${l} [${Array(10).fill(i === 0 ? 'x' : `*${levels[i - 1]}`).join(', ')}]`);
    fs.writeFileSync(path.join(dir, 'params.yaml'), [...lines, 'lr: 3.16e-05', ''].join('\n'));
    const started = Date.now();
    const { store, idx, run } = dvcRun(dir);
    assert.ok(Date.now() - started < 15_000, `${Date.now() - started} ms`);
    assert.ok(store.diagnostics().some((d) => d.file === path.join(dir, 'params.yaml') && d.severity === 'error' && /more than 200000 values/.test(d.message)));
    assert.equal(store.params(run.rid).a, '[x, x, x, x, x, x, x, x, x, x]');
    assert.ok(Object.values(store.params(run.rid)).every((v) => v.length < 2_000_000));
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('reads a DVC 1.0 project: the lock file without a schema, metrics_no_cache outputs', () => {
    const dir = at('3df98ae');
    const { store, idx, run } = dvcRun(dir);
    const lock = fs.readFileSync(path.join(dir, 'dvc.lock'), 'utf8');
    assert.doesNotMatch(lock, /^schema:/m);
    const tags = store.tags(run.rid);
    // Every `- path: … md5: …` of each stage's deps and outs, read by hand.
    let kind = '';
    let count = 0;
    for (const line of lock.split('\n')) {
      const k = /^ {2}(deps|outs):$/.exec(line);
      if (k) kind = k[1] === 'deps' ? 'dep' : 'out';
      const m = /^ {2}- path: (.+)$/.exec(line);
      if (m) {
        const md5 = /^ {4}md5: (\S+)/m.exec(lock.slice(lock.indexOf(line) + line.length))![1];
        assert.equal(tags[`dvc.${kind}.${m[1]}`], md5, m[1]);
        count++;
      }
    }
    assert.equal(count, 13);
    assert.match(fs.readFileSync(path.join(dir, 'dvc.yaml'), 'utf8'), /metrics_no_cache:\n {4}- auc\.metric/);
    assert.deepEqual(store.seriesSummaries(run.rid).map((s) => [s.key, s.last]), [['auc', Number(fs.readFileSync(path.join(dir, 'auc.metric'), 'utf8'))]]);
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
        // When `dvc exp run` committed it (dvc exp show's Created); its start is not recorded.
        assert.deepEqual([run.startTime ?? null, run.endTime], [null, Number(git('log', '-1', '--format=%ct', sha).trim()) * 1000]);
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
