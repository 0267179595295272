/**
 * One benchmark phase, run in a child process of its own so its peak RSS is its own:
 *   node out/bench/phase.js <phase> <args…>   → one JSON line on stdout
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEventFile } from '../src/core/formats/tensorboard';
import { DrainedColumns } from '../src/core/formats/columns';
import { readTfRecords } from '../src/core/formats/tfrecord';
import { indexChanged, indexWorkspace } from '../src/core/index/indexer';
import { IndexWorker } from '../src/core/index/client';
import { native, withoutNative } from '../src/core/native/native';
import { compileFilter, compileSort } from '../src/core/index/query';
import { Store, stableId } from '../src/core/index/store';
import { encodeScalarEvent, frameRecord, rng } from './generate';
import { chartSeries } from '../src/core/analysis/chartSeries';
import { lttb } from '../src/core/analysis/downsample';
import { tableStats } from '../src/core/datasets/stats';
import { RunsTable } from '../src/core/table/runsTable';
import { writeTableIndex } from './tableIndex';

type Result = Record<string, unknown>;

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, out);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** The floor: read every byte and split it into lines / records, with no parsing and no SQLite. */
function raw(ws: string): Result {
  const t0 = performance.now();
  let bytes = 0;
  let units = 0;
  const buf = Buffer.allocUnsafe(4 << 20);
  for (const file of walk(ws)) {
    const isEvents = path.basename(file).startsWith('events.out.tfevents.');
    const fd = fs.openSync(file, 'r');
    let offset = 0;
    let carry = 0; // bytes of the current record still to skip
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, offset);
      if (n === 0) break;
      bytes += n;
      if (isEvents) {
        let i = carry;
        while (i + 12 <= n) {
          const len = buf.readUInt32LE(i);
          i += 16 + len;
          units++;
        }
        carry = Math.max(0, i - n);
        offset += n;
        if (i < n) offset -= n - i;
      } else {
        let i = buf.indexOf(10);
        while (i >= 0 && i < n) {
          units++;
          i = buf.indexOf(10, i + 1);
        }
        offset += n;
      }
    }
    fs.closeSync(fd);
  }
  return { ms: performance.now() - t0, bytes, units };
}

function index(ws: string, db: string): Result {
  const store = Store.open(db);
  const summary = indexWorkspace(store, { roots: [ws] });
  const counts = store.counts();
  store.close();
  return { ms: summary.ms, summary, counts, native: native() !== undefined };
}

function changed(db: string, files: string[]): Result {
  const store = Store.open(db);
  const r = indexChanged(store, files);
  store.close();
  return { ms: r.ms, read: r.read, points: r.points, unmatched: r.unmatched.length };
}

/**
 * Live updates as the extension makes them: the indexer process (index/client.ts) first makes a warm pass
 * over the workspace, as when VS Code opens it, then serves `n` updates, each after one metric line and
 * one event record were appended, timed from the request to the answer.
 */
async function live(ws: string, db: string, metricFile: string, eventFile: string, n: number, step: number): Promise<Result> {
  const worker = new IndexWorker(path.join(__dirname, '..', 'src', 'core', 'index', 'worker.js'), 60_000);
  const times: number[] = [];
  const inside: number[] = [];
  try {
    await worker.run({ indexFile: db, roots: [ws] }).done;
    for (let i = 0; i < n; i++) {
      fs.appendFileSync(metricFile, `${Date.now()} 0.5 ${step + i}\n`);
      fs.appendFileSync(eventFile, frameRecord(encodeScalarEvent('loss/0', step + i, Date.now() / 1000, 0.25)));
      const t = performance.now();
      const s = await worker.run({ indexFile: db, roots: [ws], changed: [metricFile, eventFile] }).done;
      times.push(performance.now() - t);
      inside.push(s.ms);
      if (s.read !== 2) throw new Error(`a live update read ${s.read} units, not 2`);
    }
  } finally {
    await worker.stop();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  return { ms: median(times), min: Math.min(...times), max: Math.max(...times), insideMs: median(inside), updates: n };
}

function bigfile(file: string): Result {
  const bytes = fs.statSync(file).size;
  // Once untimed: the first pass over the file pays for its pages and the scanner's compilation.
  readTfRecords(file, 0, () => undefined, { checkCrc: false });
  const t0 = performance.now();
  const framing = readTfRecords(file, 0, () => undefined, { checkCrc: false });
  const t1 = performance.now();
  const checked = readTfRecords(file, 0, () => undefined, { checkCrc: true });
  const t2 = performance.now();
  // CRCs checked by the WebAssembly module's tables alone (what runs where the native module cannot load).
  const tables = withoutNative(() => {
    const t = performance.now();
    readTfRecords(file, 0, () => undefined, { checkCrc: true });
    return performance.now() - t;
  });
  // Decoded as the index reads it: each tag's points into columns of their own (EventSink.target), handed on
  // whenever they fill (as units.ts hands them to the series' writer), by the native module where it is
  // built; then without it (WebAssembly), and with one call per scalar.
  const intoColumns = () => {
    let n = 0;
    const columns = new Map<string, DrainedColumns>();
    const target = (tag: string) => columns.get(tag) ?? columns.set(tag, new DrainedColumns((c) => void (n += c.n))).get(tag)!;
    readEventFile(file, 0, {}, { scalar: (tag, step, time, value) => target(tag).push(step, time, value), target });
    for (const c of columns.values()) c.flush();
    return n;
  };
  const t2b = performance.now();
  const scalars = intoColumns();
  const t3 = performance.now();
  const decodeTablesMs = withoutNative(() => {
    const t = performance.now();
    intoColumns();
    return performance.now() - t;
  });
  const t3b = performance.now();
  readEventFile(file, 0, {}, { scalar: () => undefined });
  const decodeCallsMs = performance.now() - t3b;
  // The same file through protobufjs (a well-kept generic decoder) with the upstream field numbers.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protobuf = require('protobufjs') as typeof import('protobufjs');
  const Event = protobuf.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'event.proto'), 'utf8'), { keepCase: true }).root.lookupType('Event');
  let pbScalars = 0;
  const t4 = performance.now();
  readTfRecords(file, 0, (buf, s, e) => {
    const ev = Event.decode(buf.subarray(s, e)) as unknown as { summary?: { value?: { simple_value?: number }[] } };
    for (const v of ev.summary?.value ?? []) if (v.simple_value !== undefined) pbScalars++;
  });
  const protobufjsMs = performance.now() - t4;
  return { bytes, records: framing.records, framingMs: t1 - t0, crcMs: t2 - t1, crcTablesMs: tables, decodeMs: t3 - t2b, decodeTablesMs, decodeCallsMs, scalars, protobufjsMs, pbScalars, crcErrors: checked.diagnostics.length, ms: t3 - t2b, native: native()?.crc32c?.(Buffer.alloc(0)) !== undefined };
}

/** An index of `runs` runs × `metrics` metric summaries built directly, then a filtered, sorted query. */
function query(db: string, runs: number, metrics: number): Result {
  const store = Store.open(db);
  const rand = rng(3);
  const tBuild = performance.now();
  store.transaction(() => {
    store.upsertExperiment('bench', { id: 'bench-exp', source: 'bench', format: 'mlflow', nativeId: '1', name: 'bench', lifecycle: 'active' });
    for (let r = 0; r < runs; r++) {
      const rid = store.putRun('bench', {
        id: stableId('bench', String(r)), experimentId: 'bench-exp', format: 'mlflow', nativeId: String(r), name: `run-${r}`,
        status: 'FINISHED', lifecycle: 'active', startTime: r, path: '/bench', params: { lr: String(10 ** -(1 + (r % 4))), layers: String(r % 7) }, tags: {}, artifacts: [],
      });
      for (let m = 0; m < metrics; m++) {
        const w = store.seriesWriter(rid, `m${m}`, true);
        w.push(0, 0, rand());
        w.close();
      }
    }
  });
  const buildMs = performance.now() - tBuild;
  const where = compileFilter('metrics.m7 > 0.5 and params.lr < 0.01');
  const order = compileSort('metrics.m3 desc');
  const times: number[] = [];
  let rows = 0;
  let total = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    rows = store.queryRuns(where, order, 100, 0).length;
    total = store.countRuns(where);
    times.push(performance.now() - t);
  }
  // What the Runs view does to show the top level and expand the experiment: counts per experiment, the
  // first page of runs, and each shown run's series summaries (for its key metric and tooltip).
  const treeTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    store.groupRuns({ sql: '', params: [] }, { sql: 'r.experiment_id', params: [] });
    store.listExperiments();
    const page = store.queryRuns({ sql: 'r.experiment_id = ?', params: ['bench-exp'] }, { sql: '', params: [] }, 100, 0);
    for (const r of page) store.seriesSummaries(r.rid);
    treeTimes.push(performance.now() - t);
  }
  store.close();
  return { buildMs, ms: Math.min(...times), rows, total, treeMs: Math.min(...treeTimes) };
}

/**
 * The Runs table at `runs` runs × `params` + `metrics` columns (index rows written by SQL, tableIndex.ts):
 * opening it (catalogue, counts, the first 100 rows by a metric, descending, with 30 columns) in a new
 * process's first connection, and a page at random offsets.
 */
function table(db: string, runs: number, params: number, metrics: number): Result {
  const t0 = performance.now();
  const built = fs.existsSync(db) ? { rows: -1 } : writeTableIndex(db, runs, params, metrics);
  const buildMs = performance.now() - t0;
  const columns = [
    ...['name', 'status', 'experiment', 'format', 'start', 'duration', 'commit'].map((id) => ({ id })),
    ...Array.from({ length: 10 }, (_, k) => ({ id: `params.${k % 2 ? 'optim' : 'model'}/p${String(k).padStart(3, '0')}` })),
    ...Array.from({ length: 13 }, (_, k) => ({ id: `metrics.${k % 2 ? 'val' : 'train'}/m${String(k).padStart(3, '0')}` })),
  ];
  const sort = [{ column: { id: 'metrics.val/m001' }, desc: true }];
  const t1 = performance.now();
  const store = Store.open(db, { readonly: true });
  const view = new RunsTable(store);
  const catalogue = view.catalogue();
  const counts = view.counts();
  const first = view.page({ columns, sort, offset: 0, limit: 100 });
  const openMs = performance.now() - t1;
  const rand = rng(11);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const offset = Math.floor(rand() * (counts.shown - 100));
    const t = performance.now();
    view.page({ columns, sort, offset, limit: 100 });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  // The same with a filter, and sorted by a param (numbers, then text).
  const filtered = new RunsTable(store, { filter: 'metrics.val/m003 > 0.5 and status = "FINISHED"' });
  const t2 = performance.now();
  const fc = filtered.counts();
  filtered.page({ columns, sort: [{ column: { id: 'params.model/p000' } }, { column: { id: 'metrics.train/m000' }, desc: true }], offset: Math.floor(fc.shown / 2), limit: 100 });
  const filteredMs = performance.now() - t2;
  store.close();
  return { buildMs, rows: built.rows, columns: catalogue.columns.length, total: counts.total, firstRows: first.length, ms: openMs, pageMedianMs: times[10], pageMaxMs: times[19], filteredMs, filteredShown: fc.shown };
}

/**
 * The compare panel's data for `runs` runs of one `points`-point metric: built from the chunk overviews
 * (what the panel does) and, for a tenth of the runs, by reading every point (what it would cost without).
 */
function chart(db: string, runs: number, points: number): Result {
  const store = Store.open(db);
  const rand = rng(5);
  const tBuild = performance.now();
  store.transaction(() => {
    store.upsertExperiment('bench', { id: 'chart-exp', source: 'bench', format: 'tensorboard', nativeId: 'c', name: 'chart', lifecycle: 'active' });
    for (let r = 0; r < runs; r++) {
      const rid = store.putRun('bench', { id: `chart-${r}`, experimentId: 'chart-exp', format: 'tensorboard', nativeId: `c${r}`, name: `run-${r}`, status: 'FINISHED', lifecycle: 'active', path: '/bench', params: {}, tags: {}, artifacts: [] });
      const w = store.seriesWriter(rid, 'loss', true);
      let v = 2;
      for (let i = 0; i < points; i++) w.push(i, 1.7e12 + i * 50, (v = v * 0.99999 + (rand() - 0.5) * 0.01));
      w.close();
    }
  });
  const buildMs = performance.now() - tBuild;
  const all = store.queryRuns({ sql: "r.experiment_id = 'chart-exp'", params: [] }, { sql: '', params: [] });
  const t0 = performance.now();
  let drawn = 0;
  for (const run of all) drawn += chartSeries(store, run, 'loss', 'step', '#000', 1500).points.length / 2;
  const ms = performance.now() - t0;
  const tenth = all.slice(0, Math.max(1, Math.round(runs / 10)));
  const t1 = performance.now();
  for (const run of tenth) {
    const pts = store.seriesPoints(run.rid, 'loss');
    lttb(pts.map((p) => p.step), pts.map((p) => p.value), 1500);
  }
  const wholeMs = ((performance.now() - t1) * all.length) / tenth.length;
  const t2 = performance.now();
  for (const run of all) chartSeries(store, run, 'loss', 'step', '#000', 1500, [points * 0.4, points * 0.41]);
  const zoomMs = performance.now() - t2;
  store.close();
  return { buildMs, ms, drawn, wholeMs, zoomMs };
}

/** Statistics of one large CSV (streamed), against reading and splitting its lines with nothing else. */
async function csvstats(file: string): Promise<Result> {
  let t0 = performance.now();
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 * 2 ** 20);
  let lines = 0;
  let bytes = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n <= 0) break;
    bytes += n;
    for (let i = buf.indexOf(10, 0); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) lines++;
  }
  fs.closeSync(fd);
  const rawMs = performance.now() - t0;
  t0 = performance.now();
  const s = await tableStats({ file }, 'csv', file);
  const ms = performance.now() - t0;
  return { bytes, lines, rawMs, ms, rows: s.rows, duplicates: s.duplicates, columns: s.columns.length, missing: s.columns.reduce((n, c) => n + c.missing, 0) };
}

async function main(): Promise<void> {
const [phase, ...args] = process.argv.slice(2);
let result: Result;
switch (phase) {
  case 'raw':
    result = raw(args[0]);
    break;
  case 'index':
    result = index(args[0], args[1]);
    break;
  case 'changed':
    result = changed(args[0], args.slice(1));
    break;
  case 'bigfile':
    result = bigfile(args[0]);
    break;
  case 'live':
    result = await live(args[0], args[1], args[2], args[3], Number(args[4]), Number(args[5]));
    break;
  case 'query':
    result = query(args[0], Number(args[1]), Number(args[2]));
    break;
  case 'table':
    result = table(args[0], Number(args[1]), Number(args[2]), Number(args[3]));
    break;
  case 'chart':
    result = chart(args[0], Number(args[1]), Number(args[2]));
    break;
  case 'csvstats':
    result = await csvstats(args[0]);
    break;
  default:
    throw new Error(`unknown phase ${phase}`);
}
process.stdout.write(JSON.stringify({ ...result, rssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

void main();
