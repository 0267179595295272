import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../../src/core/index/store';
import { indexWorkspace } from '../../src/core/index/indexer';
import { copyOf, corpus, indexInto, tempDir } from './corpus';

function runsOf(store: Store, format: string) {
  return store.queryRuns({ sql: 'r.format = ?', params: [format] }, { sql: 'r.name', params: [] });
}

/** Non-empty cells per column of a plain (unquoted) CSV, computed without the reader. */
function columnCounts(file: string, stepCol: string): Map<string, number> {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split(/\r*\n/);
  const cols = head.split(',');
  const counts = new Map<string, number>();
  for (const row of rows) {
    row.split(',').forEach((cell, i) => {
      if (cols[i] !== stepCol && cell !== '') counts.set(cols[i], (counts.get(cols[i]) ?? 0) + 1);
    });
  }
  return counts;
}

describe('PyTorch Lightning logs', () => {
  it('reads CSVLogger metrics.csv: every non-empty cell is one point at its row step', () => {
    const dir = corpus('lightning', 'DanyaSH759__MLOps_homework');
    const { store, dir: idx } = indexInto([dir]);
    const [run] = runsOf(store, 'lightning');
    const csv = path.join(dir, 'lightning_logs', 'version_0', 'metrics.csv');
    const got = new Map(store.seriesSummaries(run.rid).map((s) => [s.key, s.count]));
    assert.deepEqual(got, columnCounts(csv, 'step'));
    const [, firstRow] = fs.readFileSync(csv, 'utf8').split('\n');
    const cells = firstRow.split(',');
    assert.deepEqual(store.seriesPoints(run.rid, 'train_loss')[0].value, Number(cells[2]));
    assert.ok(Object.keys(store.params(run.rid)).length > 0, 'hparams.yaml read');
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('merges the event files of a version folder into its run instead of showing them twice', () => {
    const dir = corpus('lightning', 'Dodsaren__weather-predder');
    const versions = fs.readdirSync(path.join(dir, 'lightning_logs'));
    const { store, dir: idx } = indexInto([dir]);
    assert.equal(runsOf(store, 'lightning').length, versions.length);
    assert.equal(runsOf(store, 'tensorboard').length, 0);
    const withEvents = versions.filter((v) => fs.readdirSync(path.join(dir, 'lightning_logs', v)).some((f) => f.startsWith('events.out')));
    const runs = runsOf(store, 'lightning').filter((r) => withEvents.includes(r.name));
    assert.ok(runs.some((r) => store.seriesSummaries(r.rid).length > 0), 'scalars from the event files are in the runs');
    store.close();
    fs.rmSync(idx, { recursive: true });
  });
});

describe('Hugging Face Trainer output', () => {
  it('makes one run of the checkpoints of one training, with the latest log_history', () => {
    const dir = corpus('huggingface', 'AguLeon__LoRA_RoBERTa_AGNews');
    const { store, dir: idx } = indexInto([path.join(dir, 'results')]);
    const runs = runsOf(store, 'huggingface');
    assert.equal(runs.length, 1);
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'results', 'checkpoint-1200', 'trainer_state.json'), 'utf8'));
    const expected = new Map<string, number>();
    for (const e of state.log_history) for (const [k, v] of Object.entries(e)) if (k !== 'step' && typeof v === 'number') expected.set(k, (expected.get(k) ?? 0) + 1);
    assert.deepEqual(new Map(store.seriesSummaries(runs[0].rid).map((s) => [s.key, s.count])), expected);
    assert.equal(runs[0].status, 'FINISHED');
    assert.equal(store.params(runs[0].rid).max_steps, '1200');
    assert.ok(store.artifacts(runs[0].rid).some((a) => a.path === 'checkpoint-500/training_args.bin' && a.kind === 'pickle'));
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('tells apart trainings that reused one output folder', () => {
    const dir = corpus('huggingface', 'LaziestCactus__GPTLoRA', 'results');
    const { store, dir: idx } = indexInto([dir]);
    const runs = runsOf(store, 'huggingface');
    const byMax = new Map(runs.map((r) => [store.params(r.rid).max_steps, r]));
    assert.deepEqual([...byMax.keys()].sort(), ['1743', '7843', '872']);
    for (const [max, latest] of [['872', 'checkpoint-872'], ['1743', 'checkpoint-1500'], ['7843', 'checkpoint-7500']]) {
      const state = JSON.parse(fs.readFileSync(path.join(dir, latest, 'trainer_state.json'), 'utf8'));
      const losses = state.log_history.filter((e: Record<string, unknown>) => typeof e.loss === 'number').length;
      assert.equal(store.seriesSummaries(byMax.get(max)!.rid).find((s) => s.key === 'loss')?.count, losses, `loss points of the ${max}-step training`);
    }
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('reads Python JSON (NaN, Infinity) and reports trailing garbage with a line', () => {
    const src = corpus('huggingface', 'AguLeon__LoRA_RoBERTa_AGNews', 'results');
    const ws = copyOf(src);
    const f = path.join(ws, 'checkpoint-1200', 'trainer_state.json');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"loss": 0.2362', '"loss": NaN').replace('"grad_norm": 6.602963447570801', '"grad_norm": Infinity'));
    const g = path.join(ws, 'checkpoint-500', 'trainer_state.json');
    fs.appendFileSync(g, '\n}} garbage');
    const { store, dir: idx } = indexInto([ws]);
    const [run] = runsOf(store, 'huggingface');
    const loss = store.seriesPoints(run.rid, 'loss');
    assert.ok(Number.isNaN(loss.at(-1)!.value));
    assert.equal(store.seriesPoints(run.rid, 'grad_norm').at(-1)!.value, Infinity);
    const d = store.diagnostics().find((x) => x.file === g);
    assert.ok(d && d.severity === 'error' && typeof d.line === 'number' && /invalid JSON/.test(d.message), JSON.stringify(d));
    store.close();
    fs.rmSync(idx, { recursive: true });
  });
});

describe('Hugging Face Trainer results (save_metrics)', () => {
  /** As `Trainer.save_metrics(split, metrics)` writes them: `{split}_results.json` and their union in all_results.json. */
  function saveMetrics(outputDir: string, split: string, metrics: Record<string, number>): void {
    const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
    fs.writeFileSync(path.join(outputDir, `${split}_results.json`), JSON.stringify(sorted(metrics), null, 4));
    const all = path.join(outputDir, 'all_results.json');
    const prev = fs.existsSync(all) ? JSON.parse(fs.readFileSync(all, 'utf8')) : {};
    fs.writeFileSync(all, JSON.stringify(sorted({ ...prev, ...metrics }), null, 4));
  }
  const historyCounts = (stateFile: string) => {
    const counts = new Map<string, number>();
    for (const e of JSON.parse(fs.readFileSync(stateFile, 'utf8')).log_history) for (const [k, v] of Object.entries(e)) if (k !== 'step' && typeof v === 'number') counts.set(k, (counts.get(k) ?? 0) + 1);
    return counts;
  };

  it('reads train_results.json and eval_results.json as the final metrics, after the logged history', () => {
    const ws = copyOf(corpus('huggingface', 'lukhha__Pio-NER'));
    const out = path.join(ws, 'results');
    const first = indexInto([ws]);
    // checkpoint-2500 of a 2,700-step schedule, no train_runtime logged: not known to have finished.
    assert.equal(runsOf(first.store, 'huggingface')[0].status, 'UNKNOWN');
    first.store.close();
    fs.rmSync(first.dir, { recursive: true });
    saveMetrics(out, 'train', { epoch: 3.0, total_flos: 1.2e15, train_loss: 0.1432, train_runtime: 1500.25, train_samples: 14041, train_samples_per_second: 28.07, train_steps_per_second: 1.8 });
    saveMetrics(out, 'eval', { epoch: 3.0, eval_accuracy: 0.9634, eval_f1: 0.8412, eval_loss: 0.1187, eval_runtime: 36.5, eval_samples: 9590, eval_samples_per_second: 262.7, eval_steps_per_second: 8.2 });
    const { store, dir: idx } = indexInto([ws]);
    const [run] = runsOf(store, 'huggingface');
    assert.equal(run.status, 'FINISHED');
    const history = historyCounts(path.join(out, 'checkpoint-2500', 'trainer_state.json'));
    const all = JSON.parse(fs.readFileSync(path.join(out, 'all_results.json'), 'utf8')) as Record<string, number>;
    assert.equal(Object.keys(all).length, 14);
    for (const [k, v] of Object.entries(all)) {
      const pts = store.seriesPoints(run.rid, k);
      // One point more than the history logged (2500 is checkpoint-2500's global_step, its last logged step).
      assert.equal(pts.length, (history.get(k) ?? 0) + 1, k);
      assert.deepEqual([pts.at(-1)!.step, pts.at(-1)!.value], [2500, v], k);
    }
    // The logged eval_loss series is kept whole before it.
    assert.equal(store.seriesPoints(run.rid, 'eval_loss')[0].value, 0.13481919467449188);
    assert.equal(store.seriesSummaries(run.rid).find((s) => s.key === 'eval_loss')!.last, 0.1187);
    store.close();
    fs.rmSync(idx, { recursive: true });
    fs.rmSync(path.dirname(ws), { recursive: true });
  });

  it('adds no point for a final value the history already has at its last step', () => {
    const ws = copyOf(path.join(__dirname, '..', '..', '..', 'demo', 'workspace', 'tiny-bert'));
    const out = path.join(ws, 'results');
    const state = path.join(out, 'checkpoint-189', 'trainer_state.json');
    const last = JSON.parse(fs.readFileSync(state, 'utf8')).log_history.at(-1);
    assert.equal(last.step, 189);
    saveMetrics(out, 'eval', { epoch: last.epoch, eval_accuracy: last.eval_accuracy, eval_loss: last.eval_loss, eval_samples: 400 });
    const { store, dir: idx } = indexInto([out]);
    const [run] = runsOf(store, 'huggingface');
    const history = historyCounts(state);
    for (const k of ['epoch', 'eval_accuracy', 'eval_loss']) assert.equal(store.seriesPoints(run.rid, k).length, history.get(k), k);
    assert.deepEqual(store.seriesPoints(run.rid, 'eval_samples').map((p) => [p.step, p.value]), [[189, 400]]);
    store.close();
    fs.rmSync(idx, { recursive: true });
    fs.rmSync(path.dirname(ws), { recursive: true });
  });
});

describe('Keras CSVLogger', () => {
  it('reads every column of training_log.csv as one point per epoch', () => {
    const dir = corpus('keras', 'Deepender25__Handwritten-Digit-Recognition---CNN-with-99.65-Accuracy');
    const file = path.join(dir, 'training_log.csv');
    const { store, dir: idx } = indexInto([dir]);
    const [run] = runsOf(store, 'keras');
    assert.deepEqual(new Map(store.seriesSummaries(run.rid).map((s) => [s.key, s.count])), columnCounts(file, 'epoch'));
    const rows = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    assert.deepEqual(store.seriesPoints(run.rid, 'val_loss').map((p) => [p.step, p.value]), rows.map((r) => [r[0], r[5]]));
    store.close();
    fs.rmSync(idx, { recursive: true });
  });

  it('handles BOM, CRLF, quoted commas, a short row, a bad cell and a last line still being written', () => {
    const ws = tempDir();
    const file = path.join(ws, 'history.csv');
    fs.writeFileSync(file, '\ufeffepoch,loss,"val,loss"\r\n0,0.5,"0.75"\r\n1,oops,0.5\r\n2,0.25\r\n3,0.125,0.2');
    const { store, dir: idx } = indexInto([ws]);
    const [run] = runsOf(store, 'keras');
    assert.deepEqual(store.seriesPoints(run.rid, 'loss').map((p) => [p.step, p.value]), [[0, 0.5], [2, 0.25]]);
    assert.deepEqual(store.seriesPoints(run.rid, 'val,loss').map((p) => [p.step, p.value]), [[0, 0.75], [1, 0.5]]);
    const diags = store.diagnostics();
    assert.ok(diags.some((d) => d.line === 3 && /loss = "oops" is not a number/.test(d.message)));
    assert.ok(diags.some((d) => d.line === 5 && d.severity === 'info'));
    store.close();
    fs.rmSync(idx, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});

describe('Keras CSVLogger(append=True)', () => {
  const FILE = corpus('keras', 'AkshatSharma5__Brain_Tumor_Image_Classification_using_CNN', 'training_log.csv');
  /** The file's trainings, told apart by hand: a row whose epoch is not past the previous row's starts one. */
  function trainings(file: string): { cols: string[]; runs: number[][][] } {
    // (CRLF lines, as Python's csv module writes them.)
    const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\r\n');
    const runs: number[][][] = [];
    let prev = Infinity;
    for (const row of rows) {
      const cells = row.split(',').map(Number);
      if (!(cells[0] > prev)) runs.push([]);
      runs.at(-1)!.push(cells);
      prev = cells[0];
    }
    return { cols: head.split(','), runs };
  }
  function assertRuns(store: Store, file: string): string[] {
    const { cols, runs } = trainings(file);
    const got = runsOf(store, 'keras');
    assert.deepEqual(got.map((r) => r.name), runs.map((_, i) => (i === 0 ? 'training_log' : `training_log#${i + 1}`)));
    got.forEach((r, i) => {
      for (let c = 1; c < cols.length; c++) assert.deepEqual(store.seriesPoints(r.rid, cols[c]).map((p) => [p.step, p.value]), runs[i].map((row) => [row[0], row[c]]), `${r.name} ${cols[c]}`);
    });
    return got.map((r) => r.id);
  }

  it('makes one run per training of a file holding four', () => {
    assert.deepEqual(trainings(FILE).runs.map((r) => r.length), [5, 4, 10, 5]);
    const { store, dir } = indexInto([path.dirname(FILE)]);
    assertRuns(store, FILE);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('reads the file as it grows, a training at a time and mid-training, to the same runs as a whole read', () => {
    const ws = tempDir();
    const file = path.join(ws, 'training_log.csv');
    const lines = fs.readFileSync(FILE, 'utf8').split(/(?<=\n)/);
    // The header and the first training; then the second starting exactly at the append; then the rest
    // in two pieces, the first ending inside the third training, in the middle of a row.
    fs.writeFileSync(file, lines.slice(0, 6).join(''));
    const { store, dir } = indexInto([ws]);
    assertRuns(store, file);
    fs.appendFileSync(file, lines.slice(6, 10).join(''));
    indexWorkspace(store, { roots: [ws] });
    assertRuns(store, file);
    const rest = lines.slice(10).join('');
    const cut = rest.indexOf('\n', rest.indexOf('\n') * 4) + 7;
    fs.appendFileSync(file, rest.slice(0, cut));
    indexWorkspace(store, { roots: [ws] });
    fs.appendFileSync(file, rest.slice(cut));
    indexWorkspace(store, { roots: [ws] });
    const grown = assertRuns(store, file);
    assert.deepEqual(store.db.prepare("SELECT COUNT(*) FROM runs WHERE format = 'keras'").pluck().get(), 4);
    store.close();
    const whole = indexInto([ws]);
    assert.deepEqual(assertRuns(whole.store, file), grown);
    whole.store.close();
    fs.rmSync(whole.dir, { recursive: true });
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});

describe('Keras history JSON', () => {
  it('reads json.dump(history.history) as one point per epoch, NaN included', () => {
    const ws = tempDir();
    fs.writeFileSync(path.join(ws, 'training_history.json'), '{"loss": [0.9, 0.5, NaN], "val_accuracy": [0.6, 0.7, 0.71]}');
    fs.writeFileSync(path.join(ws, 'history_notes.json'), '{"note": "not a history"}');
    const { store, dir } = indexInto([ws]);
    const runs = runsOf(store, 'keras');
    assert.equal(runs.length, 1);
    assert.deepEqual(store.seriesPoints(runs[0].rid, 'val_accuracy').map((p) => [p.step, p.value]), [[0, 0.6], [1, 0.7], [2, 0.71]]);
    assert.ok(Number.isNaN(store.seriesPoints(runs[0].rid, 'loss')[2].value));
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});

describe('the whole corpus', () => {
  it('indexes every format without one problem and lists runs of each', () => {
    const { store, dir } = indexInto([corpus()]);
    const counts = store.counts();
    for (const f of ['mlflow', 'mlflow-db', 'tensorboard', 'lightning', 'huggingface', 'keras', 'wandb', 'dvc']) assert.ok((counts.byFormat[f] ?? 0) > 0, `no ${f} runs`);
    assert.deepEqual(store.diagnostics().filter((d) => d.severity === 'error'), []);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });
});
