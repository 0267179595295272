/**
 * Read-ahead thread of a cold index (see readAhead.ts): lists, reads and parses the MLflow runs it is sent,
 * while the indexer's thread writes the runs before them to SQLite. A run is listed as its unit lists it
 * (listMlflowRun) before any of its files is read, and the listing goes back with what was read, to stand
 * for the indexer's own.
 */
import * as path from 'node:path';
import { workerData, type MessagePort } from 'node:worker_threads';
import { readMlflowMetricPoints } from '../formats/mlflowMetrics';
import { readMlflowRunHeader } from '../formats/mlflow';
import { listMlflowRun } from './listing';
import type { ReadAheadFile, ReadAheadReply, ReadAheadRequest } from './readAhead';

const { port, replies, claims, maxPoints } = workerData as { port: MessagePort; replies: Int32Array; claims: Int32Array; maxPoints: number };

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
    // Points as they come, in growing columns; a run past the budget leaves its other files to the indexer.
    let cap = 1024;
    let cols = new Float64Array(3 * cap);
    let n = 0;
    const read = readMlflowMetricPoints(file, 0, 1, (step, time, value) => {
      if (n === cap) {
        const grown = new Float64Array(6 * cap);
        grown.set(cols.subarray(0, cap), 0);
        grown.set(cols.subarray(cap, 2 * cap), 2 * cap);
        grown.set(cols.subarray(2 * cap, 3 * cap), 4 * cap);
        cols = grown;
        cap *= 2;
      }
      cols[n] = step;
      cols[cap + n] = time;
      cols[2 * cap + n] = value;
      n++;
    });
    files.push({ file, columns: cols, cap, n, endOffset: read.endOffset, nextLine: read.nextLine, tail: read.tail, diagnostics: read.diagnostics });
    transfer.push(cols.buffer as ArrayBuffer);
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
