/**
 * Read-ahead thread of a cold index (see readAhead.ts): lists, reads and parses the runs it is sent (MLflow
 * run folders, TensorBoard log directories), and encodes their points as the index stores them, while the
 * indexer's thread writes the runs before them to SQLite. A run is listed as its unit lists it before any
 * of its files is read, and the listing goes back with what was read, to stand for the indexer's own.
 */
import * as path from 'node:path';
import { workerData, type MessagePort } from 'node:worker_threads';
import { readMlflowMetricColumns } from '../formats/mlflowMetrics';
import { readMlflowRunHeader } from '../formats/mlflow';
import { readEventFile } from '../formats/tensorboard';
import { listMlflowRun } from './listing';
import { encodeSeries } from './chunks';
import { listTensorboardRun, newTensorboardExtra, tensorboardArtifacts, tensorboardSink } from './tensorboardRun';
import type { ReadAheadFile, ReadAheadReply, ReadAheadRequest, TensorboardAhead } from './readAhead';

const { port, replies, claims, maxPoints } = workerData as { port: MessagePort; replies: Int32Array; claims: Int32Array; maxPoints: number };

/** A metric file's points as they are read: steps, times and values, each `cap` long (grown as needed, reused). */
let cap = 1024;
let cols = new Float64Array(3 * cap);

function readMlflowRun(req: Extract<ReadAheadRequest, { kind: 'mlflow' }>): ReadAheadReply {
  const { dir } = req;
  const listing = listMlflowRun(dir, undefined);
  const header = readMlflowRunHeader(req.run, listing.files);
  const files: ReadAheadFile[] = [];
  const transfer: ArrayBuffer[] = [];
  const metricsDir = path.join(dir, 'metrics') + path.sep;
  let budget = maxPoints;
  for (const file of Object.keys(listing.files)) {
    if (!file.startsWith(metricsDir)) continue;
    // Points as they come, in the growing columns; a run past the budget leaves its other files to the indexer.
    let n = 0;
    const read = readMlflowMetricColumns(file, 0, 1, (steps, times, values, from, to) => {
      const k = to - from;
      if (n + k > cap) {
        let grownCap = 2 * cap;
        while (n + k > grownCap) grownCap *= 2;
        const grown = new Float64Array(3 * grownCap);
        grown.set(cols.subarray(0, n), 0);
        grown.set(cols.subarray(cap, cap + n), grownCap);
        grown.set(cols.subarray(2 * cap, 2 * cap + n), 2 * grownCap);
        cols = grown;
        cap = grownCap;
      }
      cols.set(steps.subarray(from, to), n);
      cols.set(times.subarray(from, to), cap + n);
      cols.set(values.subarray(from, to), 2 * cap + n);
      n += k;
    });
    // Encoded here, so that the indexer only inserts the rows.
    const series = encodeSeries(cols, cap, n);
    files.push({ file, series, endOffset: read.endOffset, nextLine: read.nextLine, tail: read.tail, diagnostics: read.diagnostics });
    transfer.push(series.bytes.buffer as ArrayBuffer, series.ends.buffer as ArrayBuffer, series.overviews.buffer as ArrayBuffer, series.overviewEnds.buffer as ArrayBuffer);
    budget -= n;
    if (budget <= 0) break;
  }
  return { dir, listing, header, files, transfer };
}

/** Growable columns per tag, in the order the tags first appear. */
class TagColumns {
  cap = 1024;
  n = 0;
  cols = new Float64Array(3 * this.cap);

  push(step: number, time: number, value: number): void {
    if (this.n === this.cap) {
      const grown = new Float64Array(6 * this.cap);
      grown.set(this.cols.subarray(0, this.n), 0);
      grown.set(this.cols.subarray(this.cap, this.cap + this.n), 2 * this.cap);
      grown.set(this.cols.subarray(2 * this.cap, 2 * this.cap + this.n), 4 * this.cap);
      this.cols = grown;
      this.cap *= 2;
    }
    this.cols[this.n] = step;
    this.cols[this.cap + this.n] = time;
    this.cols[2 * this.cap + this.n] = value;
    this.n++;
  }
}

/** A TensorBoard log directory, read as its unit reads a run never indexed; past the budget, left to the indexer. */
function readTensorboardRun(req: Extract<ReadAheadRequest, { kind: 'tensorboard' }>): ReadAheadReply {
  const { dir } = req;
  const listing = listTensorboardRun(dir);
  const extra = newTensorboardExtra();
  const tags = new Map<string, TagColumns>();
  let points = 0;
  const sink = tensorboardSink(extra, (tag, step, time, value) => {
    let c = tags.get(tag);
    if (!c) tags.set(tag, (c = new TagColumns()));
    c.push(step, time, value);
    points++;
  });
  const files: TensorboardAhead['files'] = [];
  const eventFiles = Object.keys(listing.files).sort();
  // A scalar takes some 40 bytes of an event file: a run that cannot fit the budget is not begun.
  if (eventFiles.reduce((n, f) => n + listing.files[f].size, 0) > 64 * maxPoints) return { dir, listing, files: [], transfer: [] };
  const over = () => points > maxPoints;
  for (const file of eventFiles) {
    const res = readEventFile(file, 0, extra.kinds, sink, over);
    if (over()) return { dir, listing, files: [], transfer: [] };
    files.push({ file, endOffset: res.endOffset, diagnostics: res.diagnostics });
  }
  const series = [...tags].map(([tag, c]) => ({ tag, series: encodeSeries(c.cols, c.cap, c.n) }));
  const transfer = series.flatMap(({ series: e }) => [e.bytes.buffer, e.ends.buffer, e.overviews.buffer, e.overviewEnds.buffer] as ArrayBuffer[]);
  return { dir, listing, files: [], tensorboard: { extra, artifacts: tensorboardArtifacts(dir), files, series }, transfer };
}

port.on('message', (req: ReadAheadRequest) => {
  let reply: ReadAheadReply;
  // A run is read by whoever claims it first: one the indexer took over is skipped.
  if (Atomics.compareExchange(claims, req.seq!, 0, 1) !== 0) reply = { dir: req.dir, skipped: true, files: [], transfer: [] };
  else {
    try {
      reply = req.kind === 'tensorboard' ? readTensorboardRun(req) : readMlflowRun(req);
    } catch {
      reply = { dir: req.dir, files: [], transfer: [] };
    }
  }
  const { transfer, ...message } = reply;
  port.postMessage(message, transfer);
  Atomics.add(replies, 0, 1);
  Atomics.notify(replies, 0);
});
