/**
 * Synthetic workspaces for the benchmarks: MLflow file-store runs and TensorBoard event files written in
 * the exact on-disk formats (TFRecord framing with masked CRC-32C, Event/Summary protos).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { maskedCrc32c } from '../src/core/formats/crc32c';
import { rng } from '../src/core/random';

/** Deterministic pseudo-random numbers, so every bench run writes the same bytes. */
export { rng };

export interface MlflowSpec {
  runs: number;
  params: number;
  metrics: number;
  steps: number;
  runsPerExperiment: number;
}


export function writeMlflowStore(root: string, spec: MlflowSpec): string[] {
  const rand = rng(42);
  const store = path.join(root, 'mlruns');
  const metricFiles: string[] = [];
  const t0 = 1_700_000_000_000;
  for (let r = 0; r < spec.runs; r++) {
    const exp = String(Math.floor(r / spec.runsPerExperiment) + 1);
    const expDir = path.join(store, exp);
    if (r % spec.runsPerExperiment === 0) {
      fs.mkdirSync(expDir, { recursive: true });
      fs.writeFileSync(path.join(expDir, 'meta.yaml'), `artifact_location: file://${expDir}\nexperiment_id: '${exp}'\nlifecycle_stage: active\nname: bench-${exp}\n`);
    }
    const runId = (r.toString(16).padStart(8, '0') + 'b'.repeat(24)).slice(0, 32);
    const runDir = path.join(expDir, runId);
    for (const sub of ['params', 'tags', 'metrics', 'artifacts']) fs.mkdirSync(path.join(runDir, sub), { recursive: true });
    const start = t0 + r * 60_000;
    fs.writeFileSync(
      path.join(runDir, 'meta.yaml'),
      `artifact_uri: file://${runDir}/artifacts\nend_time: ${start + spec.steps * 100}\nentry_point_name: ''\nexperiment_id: '${exp}'\nlifecycle_stage: active\nrun_id: ${runId}\nrun_name: run-${r}\nrun_uuid: ${runId}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: ${start}\nstatus: 3\ntags: []\nuser_id: bench\n`,
    );
    for (let p = 0; p < spec.params; p++) fs.writeFileSync(path.join(runDir, 'params', `p${String(p).padStart(2, '0')}`), p === 0 ? String(10 ** -(1 + (r % 4))) : String(Math.floor(rand() * 1000)));
    fs.writeFileSync(path.join(runDir, 'tags', 'mlflow.runName'), `run-${r}`);
    fs.writeFileSync(path.join(runDir, 'tags', 'mlflow.source.name'), 'train.py');
    fs.writeFileSync(path.join(runDir, 'tags', 'mlflow.user'), 'bench');
    for (let m = 0; m < spec.metrics; m++) {
      const lines: string[] = new Array(spec.steps);
      let v = rand();
      for (let s = 0; s < spec.steps; s++) {
        v += (rand() - 0.5) * 0.01;
        lines[s] = `${start + s * 100} ${v} ${s}`;
      }
      const file = path.join(runDir, 'metrics', `m${m}`);
      fs.writeFileSync(file, lines.join('\n') + '\n');
      metricFiles.push(file);
    }
  }
  return metricFiles;
}

function varint(n: number, out: number[]): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/** One Event{wall_time, step, summary{value{tag, simple_value}}} as bytes. */
export function encodeScalarEvent(tag: string, step: number, wallTimeSec: number, value: number): Buffer {
  const tagBytes = Buffer.from(tag, 'utf8');
  const val: number[] = [0x0a];
  varint(tagBytes.length, val);
  const valBuf = Buffer.concat([Buffer.from(val), tagBytes, Buffer.from([0x15]), f32(value)]);
  const summary: number[] = [0x0a];
  varint(valBuf.length, summary);
  const summaryBuf = Buffer.concat([Buffer.from(summary), valBuf]);
  const head: number[] = [];
  head.push(0x09);
  const wt = Buffer.alloc(8);
  wt.writeDoubleLE(wallTimeSec);
  const stepBytes: number[] = [0x10];
  varint(step, stepBytes);
  const sumKey: number[] = [0x2a];
  varint(summaryBuf.length, sumKey);
  return Buffer.concat([Buffer.from(head), wt, Buffer.from(stepBytes), Buffer.from(sumKey), summaryBuf]);
}

function f32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return b;
}

/** TFRecord framing of one payload. */
export function frameRecord(data: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32LE(data.length, 0);
  header.writeUInt32LE(0, 4);
  header.writeUInt32LE(maskedCrc32c(header, 0, 8), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

/** Writes an event file of `scalars` records over `tags` tags; returns its path. */
export function writeEventFile(dir: string, scalars: number, tags = 4, seed = 7): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `events.out.tfevents.1700000000.bench.${seed}`);
  const fd = fs.openSync(file, 'w');
  const rand = rng(seed);
  const batch: Buffer[] = [];
  let size = 0;
  for (let i = 0; i < scalars; i++) {
    const step = Math.floor(i / tags);
    const rec = frameRecord(encodeScalarEvent(`loss/${i % tags}`, step, 1_700_000_000 + step * 0.1, rand()));
    batch.push(rec);
    size += rec.length;
    if (size > 1 << 20) {
      fs.writeSync(fd, Buffer.concat(batch));
      batch.length = 0;
      size = 0;
    }
  }
  if (batch.length) fs.writeSync(fd, Buffer.concat(batch));
  fs.closeSync(fd);
  return file;
}

/** Writes an event file of about `mb` megabytes (for the single-large-file figure). */
export function writeEventFileOfSize(dir: string, mb: number): string {
  const perRecord = frameRecord(encodeScalarEvent('loss/0', 1, 1_700_000_000, 0.5)).length;
  return writeEventFile(dir, Math.ceil((mb * 1024 * 1024) / perRecord), 8, 99);
}

/** Per-format synthetic runs (same metric shape as the MLflow ones): Lightning, HF, Keras, W&B, DVCLive. */
export function writeFrameworkRuns(root: string, format: string, runs: number, steps: number, metrics: number): string[] {
  const rand = rng(11);
  const touched: string[] = [];
  const keys = Array.from({ length: metrics }, (_, m) => `m${m}`);
  const rows = (withStep: boolean) => {
    const out: string[] = [];
    for (let s = 0; s < steps; s++) out.push([...(withStep ? [String(Math.floor(s / 10)), String(s)] : [String(s)]), ...keys.map(() => String(rand()))].join(','));
    return out.join('\n') + '\n';
  };
  for (let r = 0; r < runs; r++) {
    if (format === 'lightning') {
      const dir = path.join(root, 'lightning_logs', `version_${r}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'hparams.yaml'), `lr: ${10 ** -(1 + (r % 4))}\nmodel:\n  layers: ${r % 7}\n  width: 128\n`);
      fs.writeFileSync(path.join(dir, 'metrics.csv'), `epoch,step,${keys.join(',')}\n` + rows(true));
      touched.push(path.join(dir, 'metrics.csv'));
    } else if (format === 'huggingface') {
      const dir = path.join(root, `out_${r}`, `checkpoint-${steps}`);
      fs.mkdirSync(dir, { recursive: true });
      const log_history = Array.from({ length: steps }, (_, s) => ({ epoch: s / steps, step: s + 1, ...Object.fromEntries(keys.map((k) => [k, rand()])) }));
      fs.writeFileSync(path.join(dir, 'trainer_state.json'), JSON.stringify({ global_step: steps, max_steps: steps, train_batch_size: 8, log_history }, null, 2));
      touched.push(path.join(dir, 'trainer_state.json'));
    } else if (format === 'keras') {
      const dir = path.join(root, `keras_${Math.floor(r / 100)}`);
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `training_log_${r}.csv`);
      fs.writeFileSync(file, `epoch,${keys.map((k) => `${k}_loss`).join(',')}\n` + rows(false));
      touched.push(file);
    } else if (format === 'wandb') {
      const dir = path.join(root, 'wandb', `offline-run-20240101_000000-r${r.toString(36)}`, 'files');
      fs.mkdirSync(dir, { recursive: true });
      const lines = Array.from({ length: steps }, (_, s) => JSON.stringify({ _step: s, _timestamp: 1_700_000_000 + s, ...Object.fromEntries(keys.map((k) => [k, rand()])) }));
      fs.writeFileSync(path.join(dir, 'wandb-history.jsonl'), lines.join('\n') + '\n');
      fs.writeFileSync(path.join(dir, 'config.yaml'), `wandb_version: 1\nlr:\n  desc: null\n  value: ${10 ** -(1 + (r % 4))}\n`);
      fs.writeFileSync(path.join(dir, 'wandb-metadata.json'), JSON.stringify({ program: 'train.py', state: 'finished', git: { commit: 'abc' } }));
      touched.push(path.join(dir, 'wandb-history.jsonl'));
    } else if (format === 'dvc') {
      const dir = path.join(root, `project_${r}`);
      fs.mkdirSync(path.join(dir, 'dvclive', 'plots', 'metrics'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'dvc.yaml'), 'stages:\n  train:\n    cmd: python train.py\n    metrics:\n    - dvclive/metrics.json\n');
      fs.writeFileSync(path.join(dir, 'params.yaml'), `train:\n  lr: ${10 ** -(1 + (r % 4))}\n`);
      fs.writeFileSync(path.join(dir, 'dvclive', 'metrics.json'), JSON.stringify(Object.fromEntries(keys.map((k) => [k, rand()]))));
      for (const k of keys) {
        const lines = Array.from({ length: steps }, (_, s) => `${s}\t${rand()}`);
        fs.writeFileSync(path.join(dir, 'dvclive', 'plots', 'metrics', `${k}.tsv`), `step\t${k}\n${lines.join('\n')}\n`);
      }
      touched.push(path.join(dir, 'dvclive', 'plots', 'metrics', `${keys[0]}.tsv`));
    }
  }
  return touched;
}

/**
 * A data table of about `mb` MiB: an id, 8 numeric features, a categorical column, a text column and a
 * label of 5 classes, with some missing cells and some repeated rows. Written in 8 MiB pieces.
 */
export function writeCsvOfSize(file: string, mb: number, seed = 11): number {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const r = rng(seed);
  const fd = fs.openSync(file, 'w');
  const cats = ['red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black', 'white', 'grey', 'orange'];
  let rows = 0;
  let bytes = 0;
  const header = 'id,f0,f1,f2,f3,f4,f5,f6,f7,colour,note,label\n';
  fs.writeSync(fd, header);
  bytes += header.length;
  let last = '';
  while (bytes < mb * 2 ** 20) {
    const parts: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      let line: string;
      if (last && r() < 0.001) line = last;
      else {
        const f = Array.from({ length: 8 }, (_, k) => (r() < 0.002 ? '' : ((r() - 0.5) * (k + 1) * 10).toFixed(5)));
        line = `${rows},${f.join(',')},${cats[Math.floor(r() * cats.length)]},${r() < 0.01 ? '"a, quoted note"' : 'note ' + Math.floor(r() * 1000)},${Math.floor(r() * r() * 5)}\n`;
      }
      last = line;
      parts.push(line);
      rows++;
    }
    const chunk = parts.join('');
    fs.writeSync(fd, chunk);
    bytes += chunk.length;
  }
  fs.closeSync(fd);
  return rows;
}
