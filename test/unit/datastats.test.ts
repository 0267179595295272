import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tableStats } from '../../src/core/datasets/stats';
import { ks2, psi, sharedHistogram } from '../../src/core/datasets/drift';
import { diffTables, tableDiffView } from '../../src/core/datasets/diff';
import { gitTrackedTables } from '../../src/core/datasets/git';
import { checkTables, splitGroups } from '../../src/core/datasets/checks';
import { datasetHistory } from '../../src/core/datasets/history';
import { statsOf } from '../../src/core/datasets/versions';
import { corpus, newRepo, tempDir } from './corpus';

/** Real tables from the corpus: a CSV of AG News labels, a TSV of Fashion-MNIST classes, quoted CSV, JSON Lines. */
const AGNEWS = corpus('predictions', 'AguLeon__LoRA_RoBERTa_AGNews', 'results', 'inference_output.csv');
const FASHION = corpus('tensorboard', 'Nivesara__project_fashion_mnist', 'logs', 'metadata.tsv');
const QUOTED = corpus('predictions', '01rahulsingh86__mlflow-groq-eval', 'runs', 'ci', 'predictions.csv');
const JUDGED = corpus('predictions', '01rahulsingh86__mlflow-groq-eval', 'runs', 'with-judge-2', 'judgments.jsonl');
const REGRESSION = corpus('predictions', 'DanyaSH759__MLOps_homework', 'predict');
const BIN = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');

function python(code: string, ...args: string[]): any {
  const r = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The oracle: Python's csv and statistics modules, NA strings as pandas reads them. */
const PY_STATS = `
import csv, json, statistics, sys
NA = {'', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null'}
path, delim = sys.argv[1], sys.argv[2]
with open(path, newline='', encoding='utf-8-sig') as f:
    rows = [r for r in csv.reader(f, delimiter=delim) if r]
header, body = rows[0], rows[1:]
out = {'rows': len(body), 'columns': []}
for i, name in enumerate(header):
    cells = [r[i] if i < len(r) else '' for r in body]
    present = [c for c in cells if c not in NA]
    col = {'name': name, 'missing': len(cells) - len(present), 'distinct': len(set(present))}
    try:
        xs = [float(c) for c in present]
        col.update(min=min(xs), max=max(xs), mean=statistics.fmean(xs), std=statistics.stdev(xs) if len(xs) > 1 else None)
    except ValueError:
        pass
    counts = {}
    for c in present: counts[c] = counts.get(c, 0) + 1
    col['counts'] = counts
    out['columns'].append(col)
seen, dup = set(), 0
for r in body:
    t = tuple(r)
    dup += t in seen
    seen.add(t)
out['duplicates'] = dup
print(json.dumps(out))
`;

describe('dataset statistics (streamed, checked against Python)', () => {
  for (const [file, delim] of [
    [AGNEWS, ','],
    [FASHION, '\t'],
    [QUOTED, ','],
    [path.join(REGRESSION, 'predictions_20250103_205803.csv'), ','],
  ] as const) {
    it(`agrees with Python's csv and statistics on ${path.basename(path.dirname(file))}/${path.basename(file)}`, async () => {
      const ours = await tableStats({ file }, delim === '\t' ? 'tsv' : 'csv', file);
      const oracle = python(PY_STATS, file, delim);
      assert.equal(ours.rows, oracle.rows);
      assert.deepEqual(
        ours.columns.map((c) => c.name),
        oracle.columns.map((c: any) => c.name),
      );
      for (const [i, want] of oracle.columns.entries()) {
        const got = ours.columns[i];
        assert.equal(got.missing, want.missing, got.name);
        assert.equal(got.distinct, want.distinct, got.name);
        if (got.countsComplete) assert.deepEqual(Object.fromEntries(got.counts), want.counts, got.name);
        else for (const [v, n] of got.counts) assert.equal(n, want.counts[v], `${got.name} ${v}`);
        if (want.mean !== undefined) {
          assert.ok(got.type === 'integer' || got.type === 'float', `${got.name} is numeric`);
          assert.equal(got.min, want.min);
          assert.equal(got.max, want.max);
          assert.ok(Math.abs(got.mean! - want.mean) <= 1e-9 * Math.max(1, Math.abs(want.mean)), `${got.name} mean ${got.mean} vs ${want.mean}`);
          if (want.std !== null) assert.ok(Math.abs(got.std! - want.std) <= 1e-9 * Math.max(1, want.std), `${got.name} std`);
          assert.equal(got.values!.length, ours.rows - got.missing);
        } else assert.equal(got.type, 'string', got.name);
      }
      assert.equal(ours.duplicates, oracle.duplicates);
      assert.equal(ours.md5, execFileSync('md5sum', [file], { encoding: 'utf8' }).split(' ')[0]);
    });
  }

  it('finds the label column and its class balance (Fashion-MNIST: 10 classes, 1,600 rows)', async () => {
    const s = await tableStats({ file: FASHION }, 'tsv', FASHION);
    assert.equal(s.label, 'Label');
    const label = s.columns.find((c) => c.name === 'Label')!;
    assert.equal(label.counts.length, 10);
    assert.equal(label.counts.reduce((n, [, k]) => n + k, 0), 1600);
  });

  it('gives the same statistics whatever the chunk boundaries (quoted fields, CRLF, a BOM, UTF-8 split mid-character)', async () => {
    const body = fs.readFileSync(QUOTED, 'utf8');
    const crlf = Buffer.from('\uFEFF' + body.replace(/\n/g, '\r\n') + 'é,"multi\r\nline ""q""",ü\r\n', 'utf8');
    const dir = tempDir();
    const file = path.join(dir, 'quoted.csv');
    fs.writeFileSync(file, crlf);
    const whole = await tableStats({ file }, 'csv', file);
    assert.equal(whole.rows, python(PY_STATS, file, ',').rows);
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < crlf.length; i += size) chunks.push(crlf.subarray(i, i + size));
      const streamed = await tableStats({ chunks }, 'csv', file);
      assert.deepEqual(streamed, whole, `chunks of ${size} bytes`);
    }
    const last = whole.columns[1].counts.find(([v]) => v.startsWith('multi'));
    assert.deepEqual(last, ['multi\nline "q"', 1]);
  });

  it('reads JSON Lines with keys as columns', async () => {
    const s = await tableStats({ file: JUDGED }, 'jsonl', JUDGED);
    const lines = fs.readFileSync(JUDGED, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(s.rows, lines.length);
    assert.deepEqual(s.columns.map((c) => c.name), Object.keys(lines[0]));
    assert.equal(s.columns.find((c) => c.name === 'prediction')!.distinct, new Set(lines.map((l) => l.prediction)).size);
  });

  it('reports damaged tables with located diagnostics and still counts the good rows', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'damaged.csv');
    const good = fs.readFileSync(AGNEWS, 'utf8').split('\n').slice(0, 101).join('\n');
    fs.writeFileSync(file, Buffer.concat([Buffer.from(good + '\n5,1,extra\n6\n'), Buffer.from([0xff, 0xfe, 0x2c, 0x31, 0x0a]), Buffer.from('7,"open quote\n')]));
    const s = await tableStats({ file }, 'csv', file);
    const where = s.diagnostics.map((d) => `${d.line ?? ''}:${d.message}`);
    assert.ok(where.some((w) => w.startsWith('102:row has 3 cells')), where.join('\n'));
    assert.ok(where.some((w) => w.startsWith('103:row has 1 cells')), where.join('\n'));
    assert.ok(where.some((w) => /not UTF-8/.test(w)), where.join('\n'));
    assert.ok(where.some((w) => w.startsWith('105:unterminated quoted field')), where.join('\n'));
    assert.equal(s.rows, 103);
  });
});

describe('drift between versions (KS and PSI)', () => {
  it('computes the two-sample KS statistic and PSI as their definitions do, on real columns', async () => {
    const a = await tableStats({ file: path.join(REGRESSION, 'predictions_20250103_205803.csv') }, 'csv', 'a');
    const b = await tableStats({ file: path.join(REGRESSION, 'predictions_20250104_143552.csv') }, 'csv', 'b');
    const ag = await tableStats({ file: AGNEWS }, 'csv', 'ag');
    // Oracle: the empirical CDFs compared at every observed value; PSI with the same 1e-4 floor.
    const oracle = python(
      `
import json, math, sys
a, b, c, d = (json.loads(x) for x in sys.argv[1:5])
def ks(x, y):
    pts = sorted(set(x) | set(y))
    return max(abs(sum(v <= p for v in x) / len(x) - sum(v <= p for v in y) / len(y)) for p in pts)
def psi(p, q):
    pn, qn = sum(p.values()), sum(q.values())
    s = 0
    for k in set(p) | set(q):
        ps, qs = max(p.get(k, 0) / pn, 1e-4), max(q.get(k, 0) / qn, 1e-4)
        s += (qs - ps) * math.log(qs / ps)
    return s
print(json.dumps({'ks': ks(a, b), 'ks2': ks(c, d[:1000]), 'psi': psi({'0': 10, '1': 30, '2': 60}, {'0': 20, '1': 30, '3': 50})}))
`,
      JSON.stringify(a.columns[1].values),
      JSON.stringify(a.columns[0].values),
      JSON.stringify(ag.columns[1].values!.slice(0, 3000)),
      JSON.stringify(ag.columns[1].values!.slice(3000)),
    );
    assert.equal(ks2(a.columns[1].values!, a.columns[0].values!).statistic, oracle.ks);
    const agv = ag.columns[1].values!;
    assert.ok(Math.abs(ks2(agv.slice(0, 3000), agv.slice(3000, 4000)).statistic - oracle.ks2) < 1e-12);
    assert.ok(Math.abs(psi([['0', 10], ['1', 30], ['2', 60]], [['0', 20], ['1', 30], ['3', 50]]) - oracle.psi) < 1e-12);
    // Two versions of the same model's predictions: the targets did not change, the predictions did.
    const d = diffTables(a, b);
    const actual = d.drift.find((x) => x.column === 'Actual' && x.test === 'ks')!;
    const predicted = d.drift.find((x) => x.column === 'Predicted' && x.test === 'ks')!;
    assert.equal(actual.statistic, 0);
    assert.equal(predicted.statistic, 1);
    assert.ok(predicted.pvalue! < 1e-6);
  });

  it('reports schema changes, row counts and label shift between two tables', async () => {
    const dir = tempDir();
    const lines = fs.readFileSync(AGNEWS, 'utf8').trim().split('\n');
    const v1 = path.join(dir, 'v1.csv');
    const v2 = path.join(dir, 'v2.csv');
    fs.writeFileSync(v1, lines.slice(0, 4001).join('\n') + '\n');
    // The second version: the later rows, and a column added.
    fs.writeFileSync(v2, ['ID,Label,source', ...lines.slice(4001).map((l) => { const [id, y] = l.split(','); return `${id},${y},agnews`; })].join('\n') + '\n');
    const d = diffTables((await statsOf(v1)).stats, (await statsOf(v2)).stats);
    assert.deepEqual(d.rows, { before: 4000, after: 4000 });
    assert.deepEqual(d.added, ['source']);
    assert.equal(d.label!.column, 'Label');
    const count = (from: string[], y: string) => from.filter((l) => l.split(',')[1] === y).length;
    for (const c of d.label!.classes) {
      assert.equal(c.before, count(lines.slice(1, 4001), c.value));
      assert.equal(c.after, count(lines.slice(4001), c.value));
    }
  });
});

describe('the dataset diff panel’s histograms', () => {
  it('bins both versions of a numeric column on shared edges as numpy.histogram does, most drifted column first', async function () {
    const a = await tableStats({ file: path.join(REGRESSION, 'predictions_20250103_205803.csv') }, 'csv', 'a');
    const b = await tableStats({ file: path.join(REGRESSION, 'predictions_20250104_143552.csv') }, 'csv', 'b');
    const view = tableDiffView({ label: 'a', stats: a }, { label: 'b', stats: b }, diffTables(a, b));
    assert.deepEqual(view.histograms.map((h) => h.column), ['Predicted', 'Actual'], 'KS 1 before KS 0');
    const oracle = python(
      `
import json, sys
import numpy as np
x, y = (np.array(json.loads(v)) for v in sys.argv[1:3])
lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
hx, edges = np.histogram(x, bins=30, range=(lo, hi))
hy, _ = np.histogram(y, bins=30, range=(lo, hi))
print(json.dumps({'edges': edges.tolist(), 'before': (hx / len(x)).tolist(), 'after': (hy / len(y)).tolist()}))
`,
      JSON.stringify(a.columns.find((c) => c.name === 'Predicted')!.values),
      JSON.stringify(b.columns.find((c) => c.name === 'Predicted')!.values),
    );
    if (!oracle) this.skip();
    const h = view.histograms[0];
    const close = (x: number[], y: number[]) => x.length === y.length && x.every((v, i) => Math.abs(v - y[i]) < 1e-9 * Math.max(1, Math.abs(y[i])));
    assert.ok(close(h.edges, oracle.edges), `${h.edges} vs ${oracle.edges}`);
    assert.deepEqual(h.before, oracle.before);
    assert.deepEqual(h.after, oracle.after);
    assert.equal(view.before.rows, a.rows);
    // An integer column over a short range (the digits' class ids): a bin per value.
    const p = await tableStats({ file: corpus('predictions', 'AguLeon__LoRA_RoBERTa_AGNews', 'results', 'inference_output.csv') }, 'csv', 'p');
    const labels = p.columns.find((c) => c.name === 'Label')!.values!;
    const perValue = sharedHistogram(labels.slice(0, 4000), labels.slice(4000), 30, true)!;
    assert.deepEqual(perValue.edges, [-0.5, 0.5, 1.5, 2.5, 3.5]);
    for (let k = 0; k < 4; k++) assert.equal(perValue.before[k], labels.slice(0, 4000).filter((x) => x === k).length / 4000);
    assert.equal(view.after.md5, b.md5);
  });
});

describe('data checks: leakage, split balance, duplicates', () => {
  it('finds rows shared between train and test, with their lines, and no leakage in clean splits', async () => {
    const dir = tempDir();
    const lines = fs.readFileSync(AGNEWS, 'utf8').trim().split('\n');
    const [header, ...rows] = lines;
    // Real rows: train 0..5999, test 5990..7999 (10 rows shared), val 6000..6999 (none shared with train).
    fs.writeFileSync(path.join(dir, 'train.csv'), [header, ...rows.slice(0, 6000)].join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'test.csv'), [header, ...rows.slice(5990, 8000)].join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'val.csv'), [header, ...rows.slice(6000, 7000)].join('\n') + '\n');
    const files = ['train.csv', 'test.csv', 'val.csv'].map((f) => path.join(dir, f));
    assert.deepEqual(splitGroups(files).map((g) => g.splits.map((s) => s.split)), [['train', 'validation', 'test']]);
    const found = await checkTables(files);
    const leaks = found.filter((d) => d.message.startsWith('leakage'));
    const vsTrain = leaks.find((d) => d.file.endsWith('test.csv') && d.message.includes('train.csv'))!;
    assert.match(vsTrain.message, /^leakage: 10 of 2010 rows \(0\.5 %\) also appear in train\.csv \(this line is its line 5992\)/);
    assert.equal(vsTrain.line, 2);
    // val rows 6000..6999 are test rows too (test holds 5990..7999).
    const vsVal = leaks.find((d) => d.file.endsWith('test.csv') && d.message.includes('val.csv'))!;
    assert.match(vsVal.message, /^leakage: 1000 of 2010 rows/);
    assert.ok(!leaks.some((d) => d.file.endsWith('val.csv')), 'val shares nothing with train');
  });

  it('flags a test split whose class balance differs from train, and duplicate rows', async () => {
    const dir = tempDir();
    const [header, ...rows] = fs.readFileSync(AGNEWS, 'utf8').trim().split('\n');
    fs.mkdirSync(path.join(dir, 'train'));
    fs.mkdirSync(path.join(dir, 'test'));
    fs.writeFileSync(path.join(dir, 'train', 'data.csv'), [header, ...rows.slice(0, 4000)].join('\n') + '\n');
    // Test: only Sci/Tech (3) rows, one of them twice.
    const only3 = rows.slice(4000).filter((r) => r.endsWith(',3'));
    fs.writeFileSync(path.join(dir, 'test', 'data.csv'), [header, ...only3, only3[5]].join('\n') + '\n');
    const found = await checkTables([path.join(dir, 'train', 'data.csv'), path.join(dir, 'test', 'data.csv')]);
    const balance = found.find((d) => /distribution differs/.test(d.message))!;
    assert.ok(balance.file.endsWith(path.join('test', 'data.csv')));
    assert.match(balance.message, /Label distribution differs from data\.csv \(PSI \d+\.\d+, major shift\)/);
    assert.ok(found.some((d) => /3 Label classes of data\.csv absent here/.test(d.message)));
    const dup = found.find((d) => /duplicate/.test(d.message))!;
    assert.equal(dup.message, `1 duplicate row: line ${only3.length + 2} repeats line 7`);
  });

  it('runlens dataset check exits 1 with located problems, and 0 on the clean corpus tables', () => {
    const dir = tempDir();
    const [header, ...rows] = fs.readFileSync(AGNEWS, 'utf8').trim().split('\n');
    fs.writeFileSync(path.join(dir, 'X_train.csv'), [header, ...rows.slice(0, 100)].join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'X_test.csv'), [header, ...rows.slice(99, 150)].join('\n') + '\n');
    const r = spawnSync(process.execPath, [BIN, 'dataset', 'check', dir], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /X_test\.csv:2: warning: leakage: 1 of 51 rows/);
    const clean = spawnSync(process.execPath, [BIN, 'dataset', 'check', corpus('predictions', 'AguLeon__LoRA_RoBERTa_AGNews')], { encoding: 'utf8' });
    assert.equal(clean.status, 0, clean.stdout);
  });
});

describe('versions of data files from git and DVC', () => {
  it('follows a dvc.lock out through the six snapshots of the DVC example project', async function () {
    this.timeout(60_000);
    const root = corpus('dvc');
    // The snapshots oldest to newest: the dates at which the history log shows each one's data.xml.dvc
    // (ca2c488 and 3df98ae share 2019's; ca2c488 predates dvc.lock, 3df98ae has a schema 1.0 lock).
    const snapshots = ['ca2c488', '3df98ae', 'd4228b5', '021e6cf', 'a00dcb4'].map((s) => `iterative__example-get-started@${s}`).filter((s) => fs.existsSync(path.join(root, s)));
    const { repo, git } = newRepo('runlens-dvc-');
    const expected: string[] = [];
    for (const snap of snapshots) {
      const lock = path.join(root, snap, 'dvc.lock');
      if (!fs.existsSync(lock)) continue;
      fs.copyFileSync(lock, path.join(repo, 'dvc.lock'));
      git('add', 'dvc.lock');
      git('commit', '-q', '--allow-empty', '-m', snap);
      const m = /- path: data\/prepared\n(?:\s+hash: md5\n)?\s+md5: (\S+)/.exec(fs.readFileSync(lock, 'utf8'));
      if (m && expected[0] !== m[1]) expected.unshift(m[1]);
    }
    assert.ok(expected.length >= 1);
    const h = await datasetHistory(path.join(repo, 'data', 'prepared'));
    assert.equal(h.tracker, 'dvc-lock');
    // Consecutive commits with one md5 are one version: compare with the distinct runs of the lock's value.
    const runs: string[] = [];
    for (const snap of [...snapshots].reverse()) {
      const lock = path.join(root, snap, 'dvc.lock');
      if (!fs.existsSync(lock)) continue;
      const m = /- path: data\/prepared\n(?:\s+hash: md5\n)?\s+md5: (\S+)/.exec(fs.readFileSync(lock, 'utf8'));
      if (m && runs[runs.length - 1] !== m[1]) runs.push(m[1]);
    }
    assert.deepEqual(h.versions.map((v) => v.md5), runs);
    assert.ok(h.versions.every((v) => (v.nfiles === undefined || v.nfiles === 2) && v.md5!.endsWith('.dir')));
    assert.equal(h.versions.length, 4);
  });

  it("names the DVC remote that holds the versions: .dvc/config's core.remote and its url, config.local overriding, an out's own remote", async function () {
    this.timeout(60_000);
    const snap = corpus('dvc', 'iterative__example-get-started@a00dcb4');
    const { repo, git } = newRepo('runlens-dvcremote-');
    fs.cpSync(snap, repo, { recursive: true });
    git('add', '-A');
    git('commit', '-q', '-m', 'a00dcb4');
    const config = fs.readFileSync(path.join(snap, '.dvc', 'config'), 'utf8');
    const name = /remote = (\S+)/.exec(config)![1];
    const url = new RegExp(`remote "${name}"'\\]\\s*url = (\\S+)`).exec(config)![1];
    const h = await datasetHistory(path.join(repo, 'data', 'data.xml'));
    assert.deepEqual(h.remote, { name, url });
    // A local override, as `dvc remote default --local` writes it.
    fs.writeFileSync(path.join(repo, '.dvc', 'config.local'), "[core]\n    remote = nas\n['remote \"nas\"']\n    url = /mnt/nas/dvc\n");
    assert.deepEqual((await datasetHistory(path.join(repo, 'data', 'data.xml'))).remote, { name: 'nas', url: '/mnt/nas/dvc' });
    // An out that names its own remote.
    const dvcFile = path.join(repo, 'data', 'data.xml.dvc');
    fs.writeFileSync(dvcFile, fs.readFileSync(dvcFile, 'utf8').replace(/(\n\s+path: data\.xml)/, '$1\n  remote: archive'));
    git('commit', '-q', '-am', 'data.xml goes to the archive remote');
    assert.equal((await datasetHistory(path.join(repo, 'data', 'data.xml'))).versions[0].remote, 'archive');
  });

  it('lists versions of a CSV committed to git and diffs the newest against the previous one', async function () {
    this.timeout(60_000);
    const { repo, git } = newRepo('runlens-gitcsv-');
    const target = path.join(repo, 'predictions.csv');
    const blobs: string[] = [];
    for (const f of ['predictions_20250103_205803.csv', 'predictions_20250104_143552.csv']) {
      fs.copyFileSync(path.join(REGRESSION, f), target);
      git('add', 'predictions.csv');
      git('commit', '-q', '-m', f);
      blobs.unshift(git('hash-object', 'predictions.csv').trim());
    }
    const h = await datasetHistory(target);
    assert.equal(h.tracker, 'git');
    assert.deepEqual(h.versions.map((v) => v.blob), blobs);
    // The Datasets view finds it among the repository's committed tables (an untracked one is not listed).
    fs.writeFileSync(path.join(repo, 'scratch.csv'), 'a,b\n1,2\n');
    assert.deepEqual(await gitTrackedTables(repo), [target]);
    assert.deepEqual(await gitTrackedTables(tempDir()), [], 'no repository: no tables');
    fs.rmSync(path.join(repo, 'scratch.csv'));
    const viaGit = (await statsOf(`${target}@~1`)).stats;
    const direct = await tableStats({ file: path.join(REGRESSION, 'predictions_20250103_205803.csv') }, 'csv', 'x');
    assert.deepEqual({ ...viaGit, diagnostics: [] }, { ...direct, diagnostics: [] });
    const r = spawnSync(process.execPath, [BIN, 'dataset', 'diff', target, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.equal(d.drift.find((x: any) => x.column === 'Predicted' && x.test === 'ks').statistic, 1);
    assert.equal(git('status', '--porcelain'), '');
  });

  it('reads a DVC-tracked version from the DVC cache, and refuses a workspace copy that is another version', async function () {
    this.timeout(60_000);
    const { repo, git } = newRepo('runlens-dvccache-');
    const md5s: string[] = [];
    for (const f of ['predictions_20250103_205803.csv', 'predictions_20250104_143552.csv']) {
      const bytes = fs.readFileSync(path.join(REGRESSION, f));
      const md5 = execFileSync('md5sum', [path.join(REGRESSION, f)], { encoding: 'utf8' }).split(' ')[0];
      md5s.unshift(md5);
      fs.mkdirSync(path.join(repo, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2)), { recursive: true });
      fs.writeFileSync(path.join(repo, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2)), bytes);
      fs.writeFileSync(path.join(repo, 'data.csv.dvc'), `outs:\n- md5: ${md5}\n  size: ${bytes.length}\n  hash: md5\n  path: data.csv\n`);
      git('add', 'data.csv.dvc');
      git('commit', '-q', '-m', f);
    }
    const older = await statsOf(path.join(repo, 'data.csv@~1'));
    assert.equal(older.stats.md5, md5s[1]);
    assert.match(older.label, /DVC cache/);
    // Only the newest version in the workspace, but with other bytes of the same size: refused.
    fs.rmSync(path.join(repo, '.dvc', 'cache'), { recursive: true });
    const newest = fs.readFileSync(path.join(REGRESSION, 'predictions_20250104_143552.csv'), 'utf8');
    fs.writeFileSync(path.join(repo, 'data.csv'), newest.replace('25.219999313354492', '25.219999313354493'));
    await assert.rejects(statsOf(path.join(repo, 'data.csv@~0')), /workspace copy is not version/);
    fs.writeFileSync(path.join(repo, 'data.csv'), newest);
    assert.equal((await statsOf(path.join(repo, 'data.csv@~0'))).stats.md5, md5s[0]);
    await assert.rejects(statsOf(path.join(repo, 'data.csv@~1')), /in neither git, the DVC cache nor the workspace/);
  });
});
