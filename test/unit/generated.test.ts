/**
 * Logs written by real training code (PyTorch Lightning 2.6 with its TensorBoard and CSV loggers, the
 * Hugging Face Trainer 5.17 with its TensorBoard integration) on the project's GPU machine by
 * scripts/device/generate.py, kept in test/fixtures/generated. Expected values come from the files.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEventFile } from '../../src/core/formats/tensorboard';
import { copyOf, indexInto } from './corpus';
import { indexChanged, indexWorkspace } from '../../src/core/index/indexer';
import { encodeScalarEvent, frameRecord } from '../../bench/generate';

const GENERATED = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'generated');

describe('real Lightning logs (TensorBoard + CSV loggers in one version folder)', () => {
  const { store } = indexInto([path.join(GENERATED, 'lightning')]);
  after(() => store.close());
  const runs = store.queryRuns({ sql: '', params: [] }, { sql: 'r.name', params: [] });

  it('makes one run per version folder, not one per logger', () => {
    assert.deepEqual(runs.map((r) => [r.name, r.format]), [['version_0', 'lightning'], ['version_1', 'lightning']]);
  });

  it('flattens hparams.yaml into dotted params, without the plugin copy Lightning also writes with slashes', () => {
    const params = store.params(runs[1].rid);
    assert.deepEqual(Object.keys(params).sort(), ['data.seed', 'data.test_size', 'hidden', 'optimizer.betas', 'optimizer.lr', 'optimizer.name']);
    assert.equal(params['optimizer.lr'], '0.003');
    assert.equal(params.hidden, '128');
  });

  it('has every metrics.csv cell as a point, and the scalars only the event file holds', () => {
    for (const run of runs) {
      const csv = fs.readFileSync(path.join(run.path, 'metrics.csv'), 'utf8').trim().split(/\r?\n/);
      const head = csv[0].split(',');
      const step = head.indexOf('step');
      for (const [col, key] of head.entries()) {
        if (key === 'step') continue;
        const expected = csv.slice(1).map((l) => l.split(',')).filter((c) => c[col] !== '').map((c) => [Number(c[step]), Number(c[col])]);
        const got = store.seriesPoints(run.rid, key).map((p) => [p.step, p.value]);
        assert.deepEqual(got, expected, `${run.name} ${key}`);
      }
      const event = fs.readdirSync(run.path).find((f) => f.startsWith('events.out.tfevents'))!;
      const hp: number[] = [];
      readEventFile(path.join(run.path, event), 0, {}, { scalar: (tag, _s, _t, v) => tag === 'hp_metric' && hp.push(v), param() {}, status() {}, wallTime() {} });
      assert.ok(hp.length > 0);
      assert.deepEqual(store.seriesPoints(run.rid, 'hp_metric').map((p) => p.value), hp);
    }
  });

  it('lists the checkpoints as artifacts', () => {
    const ckpts = store.artifacts(runs[0].rid).filter((a) => a.kind === 'checkpoint').map((a) => a.path);
    assert.deepEqual(ckpts, ['checkpoints/epoch=4-step=100.ckpt', 'checkpoints/epoch=5-step=120.ckpt']);
    assert.equal(store.modelFiles().filter((f) => f.runId === runs[0].id).length, 2);
  });
});

describe('real Hugging Face Trainer output with its TensorBoard logs', () => {
  const { store } = indexInto([path.join(GENERATED, 'hf')]);
  after(() => store.close());
  const [trainer] = store.queryRuns({ sql: "r.format = 'huggingface'", params: [] }, { sql: '', params: [] });
  const [tb] = store.queryRuns({ sql: "r.format = 'tensorboard'", params: [] }, { sql: '', params: [] });

  it('groups the checkpoints of the training into one run with the best checkpoint recorded', () => {
    assert.equal(store.countRuns({ sql: "r.format = 'huggingface'", params: [] }), 1);
    const state = JSON.parse(fs.readFileSync(path.join(trainer.path, 'checkpoint-189', 'trainer_state.json'), 'utf8'));
    const evalAcc = state.log_history.filter((e: Record<string, number>) => 'eval_accuracy' in e).map((e: Record<string, number>) => e.eval_accuracy);
    assert.deepEqual(store.seriesPoints(trainer.rid, 'eval_accuracy').map((p) => p.value), evalAcc);
  });

  it('links the runs/ TensorBoard log to the training: parent run, and the start time the state file lacks', () => {
    assert.equal(tb.parentRunId, trainer.nativeId);
    const file = fs.readdirSync(tb.path).find((f) => f.startsWith('events.out.tfevents'))!;
    let first = Infinity;
    readEventFile(path.join(tb.path, file), 0, {}, { scalar() {}, param() {}, status() {}, wallTime: (t) => void (first = Math.min(first, t)) });
    assert.equal(trainer.startTime, Math.round(first)); // run times are whole milliseconds
  });

  it('keeps the link when the training writes more and the live path re-reads the log', () => {
    const copy = copyOf(path.join(GENERATED, 'hf'));
    const { store: live } = indexInto([copy]);
    try {
      const [t] = live.queryRuns({ sql: "r.format = 'tensorboard'", params: [] }, { sql: '', params: [] });
      const file = path.join(t.path, fs.readdirSync(t.path).find((f) => f.startsWith('events.out.tfevents'))!);
      const bytes = fs.readFileSync(file);
      fs.appendFileSync(file, bytes.subarray(0, 0));
      fs.utimesSync(file, new Date(), new Date());
      const res = indexChanged(live, [file]);
      assert.equal(res.read, 1);
      assert.equal(live.getRun(t.id)!.parentRunId, trainer.nativeId);
    } finally {
      live.close();
    }
  });

  it('starts the training with the earliest of its logs, whichever is indexed first, and follows a log that goes', () => {
    const earliest = (s: typeof store) => s.queryRuns({ sql: "r.format = 'huggingface'", params: [] }, { sql: '', params: [] })[0].startTime;
    // A second log beside the real one (a resumed training writes one), an hour before or after it.
    for (const shift of [-3600, 3600]) {
      const copy = copyOf(path.join(GENERATED, 'hf'));
      const resumed = path.join(copy, 'results', 'runs', 'resumed');
      fs.mkdirSync(resumed);
      const wall = trainer.startTime! / 1000 + shift;
      fs.writeFileSync(path.join(resumed, `events.out.tfevents.${Math.round(wall)}.vm.1.0`), frameRecord(encodeScalarEvent('train/loss', 1, wall, 0.5)));
      const { store: s } = indexInto([copy]);
      try {
        assert.equal(s.countRuns({ sql: "r.format = 'tensorboard'", params: [] }), 2);
        assert.equal(earliest(s), Math.min(trainer.startTime!, Math.round(wall * 1000)), `a log ${shift} s off`);
        fs.rmSync(resumed, { recursive: true });
        indexWorkspace(s, { roots: [copy] });
        assert.equal(earliest(s), trainer.startTime, `the log ${shift} s off removed`);
      } finally {
        s.close();
      }
    }
  });

  it('lists the model weights, never the pickled training arguments, as models', () => {
    const files = store.modelFiles().map((f) => f.path);
    assert.ok(files.includes('checkpoint-189/model.safetensors'));
    assert.ok(!files.some((f) => f.endsWith('training_args.bin')));
    assert.equal(store.artifacts(trainer.rid).find((a) => a.path === 'checkpoint-189/training_args.bin')?.kind, 'pickle');
  });
});
