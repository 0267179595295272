/**
 * Read-ahead thread of a cold index (see readAhead.ts): lists, reads and parses the MLflow runs it is sent,
 * and encodes their points as the index stores them, while the indexer's thread writes the runs before them
 * to SQLite. A run is listed as its unit lists it
 * (listMlflowRun) before any of its files is read, and the listing goes back with what was read, to stand
 * for the indexer's own.
 */
import * as path from 'node:path';
import { workerData, type MessagePort } from 'node:worker_threads';
import { readMlflowMetricColumns } from '../formats/mlflowMetrics';
import { readMlflowRunHeader } from '../formats/mlflow';
import { listMlflowRun } from './listing';
import { encodeSeries } from './chunks';
import type { ReadAheadFile, ReadAheadReply, ReadAheadRequest } from './readAhead';

const { port, replies, claims, maxPoints } = workerData as { port: MessagePort; replies: Int32Array; claims: Int32Array; maxPoints: number };

/** A metric file's points as they are read: steps, times and values, each `cap` long (grown as needed, reused). */
let cap = 1024;
let cols = new Float64Array(3 * cap);

function readRun(req: ReadAheadRequest): ReadAheadReply {
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

port.on('message', (req: ReadAheadRequest) => {
  let reply: ReadAheadReply;
  // A run is read by whoever claims it first: one the indexer took over is skipped.
  if (Atomics.compareExchange(claims, req.seq!, 0, 1) !== 0) reply = { dir: req.dir, skipped: true, files: [], transfer: [] };
  else {
    try {
      reply = readRun(req);
    } catch {
      reply = { dir: req.dir, files: [], transfer: [] };
    }
  }
  const { transfer, ...message } = reply;
  port.postMessage(message, transfer);
  Atomics.add(replies, 0, 1);
  Atomics.notify(replies, 0);
});
