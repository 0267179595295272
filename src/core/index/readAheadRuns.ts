/**
 * What the read-ahead of a cold index reads of a run (see readAhead.ts), in a thread or, for a run the
 * indexer took over before any thread started it, in the indexer's own: an MLflow run folder or a
 * TensorBoard log directory, listed as its unit lists it before any of its files is read, its points
 * encoded as the index stores them, within a budget of points. An MLflow run read whole also comes with its
 * unit's state and probes, made here (PackedRun).
 */
import * as path from 'node:path';
import { readMlflowMetricBytes, readMlflowMetricColumns, type PointColumns } from '../formats/mlflowMetrics';
import { readListedMlflowRunHeader, readMlflowRunHeader } from '../formats/mlflow';
import { readEventFile } from '../formats/tensorboard';
import { sortMlflowOrder } from '../formats/mlflowOrder';
import { PackedMlflowListing, listMlflowRun, probesForIndex, tailAt, type Listing } from './listing';
import { Columns } from '../formats/columns';
import { SeriesArena, type ArenaBuffers } from './chunks';
import { listTensorboardRun, newTensorboardExtra, tensorboardArtifacts, tensorboardSink } from './tensorboardRun';
import type { PackedRun, ReadAheadFile, ReadAheadReply, ReadAheadRequest, TensorboardAhead } from './readAhead';

/** A metric file's points as they are read (one file at a time, the columns reused). */
const metricColumns = new Columns();

/**
 * Columns a TensorBoard run's tags used, kept for the next run's: columns grown to a series' size are
 * allocated once, not once a run (a new typed array of a few MB is zeroed and faulted in page by page —
 * 10 % of a cold pass's CPU when each run grew its own). Columns of more than SPARE_MAX_POINTS are not kept.
 */
const spareColumns: Columns[] = [];
const SPARE_MAX_POINTS = 1 << 18;
const SPARE_MAX_COLUMNS = 64;

function takeColumns(): Columns {
  const c = spareColumns.pop() ?? new Columns();
  c.clear();
  return c;
}

function giveBack(c: Columns): void {
  if (c.cap <= SPARE_MAX_POINTS && spareColumns.length < SPARE_MAX_COLUMNS) spareColumns.push(c);
}

function readMlflowRun(req: Extract<ReadAheadRequest, { kind: 'mlflow' }>, maxPoints: number): ReadAheadReply {
  const { dir } = req;
  // Packed straight from the native walk; else the unit's own listing.
  const packedListing = PackedMlflowListing.of(dir);
  const listing = packedListing ? undefined : listMlflowRun(dir, undefined, req.within);
  const header = packedListing ? readListedMlflowRunHeader(req.run, packedListing) : readMlflowRunHeader(req.run, listing!.files);
  const metricsDir = path.join(dir, 'metrics') + path.sep;
  const metricFiles: (readonly [file: string, size: number, bytes?: Buffer])[] = packedListing
    ? packedListing.metricFiles()
    : Object.keys(listing!.files)
        .filter((f) => f.startsWith(metricsDir))
        .map((f) => [f, listing!.files[f].size]);
  const files: ReadAheadFile[] = [];
  let budget = maxPoints;
  for (const [file, size, bytes] of metricFiles) {
    // Points as they come; a run past the budget leaves its other files to the indexer, with its listing.
    if (budget <= 0) return { dir, listing: listing ?? packedListing!.listing(), header, files };
    metricColumns.clear();
    const onColumns: PointColumns = (steps, times, values, from, to) => metricColumns.pushRange(steps, times, values, from, to);
    const read = bytes ? readMlflowMetricBytes(file, bytes, onColumns) : readMlflowMetricColumns(file, 0, 1, onColumns, size);
    // In MLflow's order (as the indexer's writer keeps it), encoded here, so that the indexer only inserts the rows.
    sortMlflowOrder(metricColumns.cols, metricColumns.cap, metricColumns.n);
    const series = arena.encode(metricColumns.cols, metricColumns.cap, metricColumns.n);
    files.push({ file, series, endOffset: read.endOffset, nextLine: read.nextLine, tail: read.tail ?? tailAt(file, read.endOffset), diagnostics: read.diagnostics });
    budget -= metricColumns.n;
  }
  return { dir, packed: packedListing ? packRun(packedListing, files) : packListing(listing!, files), header, files };
}

/**
 * The state and probes of a run read whole, as the indexer would write them from its listing after reading
 * `files` (indexUnit: the listing's files, each metric file completed with where its read stopped, then its
 * folders' mtimes).
 */
function packRun(listing: PackedMlflowListing, files: ReadAheadFile[]): PackedRun {
  const state = listing.state(new Map(files.map((f) => [f.file, { offset: f.endOffset, line: f.nextLine, tail: f.tail }])));
  return packedRun(state, listing.probesForIndex(), files);
}

/** packRun from the unit's own listing. */
function packListing(listing: Listing, files: ReadAheadFile[]): PackedRun {
  for (const f of files) {
    const st = listing.files[f.file];
    [st.offset, st.line, st.tail] = [f.endOffset, f.nextLine, f.tail];
  }
  return packedRun(JSON.stringify({ files: listing.files, dirs: listing.dirs }), probesForIndex(listing.probes!), files);
}

function packedRun(state: string, [probePaths, seen]: [string, Buffer], files: ReadAheadFile[]): PackedRun {
  return { state, probePaths, probeSeen: seen.buffer as ArrayBuffer, metricFiles: files.map((f) => f.file) };
}

/** A TensorBoard log directory, read as its unit reads a run never indexed; past the budget, left to the indexer. */
function readTensorboardRun(req: Extract<ReadAheadRequest, { kind: 'tensorboard' }>, maxPoints: number): ReadAheadReply {
  const { dir } = req;
  const listing = listTensorboardRun(dir);
  const extra = newTensorboardExtra();
  // Columns per tag, in the order the tags first appear.
  const tags = new Map<string, Columns>();
  const sink = tensorboardSink(extra, (tag, step, time, value) => sink.target!(tag).push(step, time, value));
  // The points go straight to their tag's columns.
  sink.target = (tag) => tags.get(tag) ?? tags.set(tag, takeColumns()).get(tag)!;
  const files: TensorboardAhead['files'] = [];
  const eventFiles = Object.keys(listing.files).sort();
  // A scalar takes some 40 bytes of an event file: a run that cannot fit the budget is not begun.
  if (eventFiles.reduce((n, f) => n + listing.files[f].size, 0) > 64 * maxPoints) return { dir, listing, files: [] };
  // Asked after each batch of records.
  const over = () => {
    let points = 0;
    for (const c of tags.values()) points += c.n;
    return points > maxPoints;
  };
  try {
    for (const file of eventFiles) {
      const res = readEventFile(file, 0, extra.kinds, sink, over);
      if (over()) return { dir, listing, files: [] };
      files.push({ file, endOffset: res.endOffset, diagnostics: res.diagnostics });
    }
    const series = [...tags].map(([tag, c]) => ({ tag, series: arena.encode(c.cols, c.cap, c.n) }));
    return { dir, listing, files: [], tensorboard: { extra, artifacts: tensorboardArtifacts(dir), files, series } };
  } finally {
    // The series are encoded into the arena: the columns can serve the next run.
    for (const c of tags.values()) giveBack(c);
  }
}

/** Where this thread encodes the series it reads, a run at a time. */
const arena = new SeriesArena();

/**
 * Reads run `req` ahead of the indexer, holding at most `maxPoints` points; a failure gives nothing read.
 * Its series are views of `buffers`, to be given back (giveBackBuffers) once they are written.
 */
export function readAheadRun(req: ReadAheadRequest, maxPoints: number): ReadAheadReply {
  let reply: ReadAheadReply;
  try {
    reply = req.kind === 'tensorboard' ? readTensorboardRun(req, maxPoints) : readMlflowRun(req, maxPoints);
  } catch {
    reply = { dir: req.dir, files: [] };
  }
  reply.buffers = arena.handOver();
  return reply;
}

/** The buffers of a run read here (ReadAheadReply.buffers) whose series are written: for other runs' series. */
export function giveBackBuffers(buffers: ArenaBuffers): void {
  arena.giveBack(buffers);
}
