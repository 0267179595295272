/**
 * Read-ahead thread of a cold index (see readAhead.ts): reads and parses the metric files of the MLflow
 * runs it is sent, while the indexer's thread writes the runs before them to SQLite. Each file goes back
 * with the fingerprint it had while it was read (unchanged before and after), so the indexer only takes
 * points of the very file state it fingerprinted itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { workerData, type MessagePort } from 'node:worker_threads';
import { readMlflowMetricPoints } from '../formats/mlflowMetrics';
import { readMlflowRunHeader } from '../formats/mlflow';
import { headerFiles, type ReadAheadFile, type ReadAheadHeader, type ReadAheadReply, type ReadAheadRequest } from './readAhead';

const { port, shared, slot, maxPoints } = workerData as { port: MessagePort; shared: Int32Array; slot: number; maxPoints: number };

/**
 * Files below `dir` (at most 12 levels, symlinks not followed: the paths listMlflowRun lists). Not
 * listTree itself: this thread is the cold index's bottleneck on two cores, and listing each run through
 * the fingerprint bookkeeping (probes, folder mtimes) made the cold index ~10 % slower in an A/B.
 */
function filesBelow(dir: string, out: string[] = [], depth = 0): string[] {
  if (depth > 12) return out;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) filesBelow(full, out, depth + 1);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

function same(a: fs.Stats | undefined, b: fs.Stats | undefined): boolean {
  return !!a && !!b && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** Fingerprints of the files a run's header comes from. */
function headerFingerprints(dir: string): ReadAheadHeader['files'] {
  const listed = [path.join(dir, 'meta.yaml'), ...['params', 'tags', 'artifacts'].flatMap((f) => filesBelow(path.join(dir, f)))];
  const out: ReadAheadHeader['files'] = [];
  for (const f of headerFiles(dir, listed)) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (st?.isFile()) out.push([f, st.size, st.mtimeMs, st.ino]);
  }
  return out;
}

/** The header, when none of its files changed while it was read. */
function readHeader(req: ReadAheadRequest): ReadAheadHeader | undefined {
  const before = headerFingerprints(req.dir);
  const header = readMlflowRunHeader(req.run);
  const after = headerFingerprints(req.dir);
  return JSON.stringify(before) === JSON.stringify(after) ? { header, files: before } : undefined;
}

function readRun(req: ReadAheadRequest): ReadAheadReply {
  const { dir } = req;
  const header = readHeader(req);
  const files: ReadAheadFile[] = [];
  const transfer: ArrayBuffer[] = [];
  let budget = maxPoints;
  for (const file of filesBelow(path.join(dir, 'metrics'))) {
    const before = fs.statSync(file, { throwIfNoEntry: false });
    if (!before?.isFile()) continue;
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
    if (!same(before, fs.statSync(file, { throwIfNoEntry: false }))) continue;
    files.push({ file, size: before.size, mtime: before.mtimeMs, ino: before.ino, columns: cols, cap, n, endOffset: read.endOffset, nextLine: read.nextLine, diagnostics: read.diagnostics });
    transfer.push(cols.buffer as ArrayBuffer);
    budget -= n;
    if (budget <= 0) break;
  }
  return { dir, header, files, transfer };
}

port.on('message', (req: ReadAheadRequest) => {
  let reply: ReadAheadReply;
  // A run the indexer is already past (it read it itself) is skipped; the one started is announced, so
  // the indexer waits for it rather than reading it too.
  if (req.seq! < Atomics.load(shared, 1)) reply = { dir: req.dir, skipped: true, files: [], transfer: [] };
  else {
    Atomics.store(shared, slot, req.seq!);
    try {
      reply = readRun(req);
    } catch {
      reply = { dir: req.dir, files: [], transfer: [] };
    }
  }
  const { transfer, ...message } = reply;
  port.postMessage(message, transfer);
  Atomics.add(shared, 0, 1);
  Atomics.notify(shared, 0);
});
