/**
 * `npm run bench`: builds synthetic workspaces (sizes are flags), runs each phase in its own process, and
 * prints figures and ratios against the targets. Defaults fit a 2-core machine in a few minutes; the issue's
 * full sizes are `--runs 10000 --steps 1000 --tb-files 1000 --tb-scalars 100000`.
 *
 *   --runs N --params N --metrics N --steps N    MLflow runs (default 2000 × 20 params × 10 metrics × 500 steps)
 *   --tb-files N --tb-scalars N                  TensorBoard event files (default 20 × 100,000 scalars)
 *   --big-mb N                                   one large event file (default 150)
 *   --query-runs N --query-metrics N             query benchmark index (default 30,000 × 100)
 *   --format-runs N --format-steps N             per-format workspaces (default 1,000 runs × 10 metrics × 100 steps)
 *   --csv-mb N                                   one data table for dataset statistics (default 1024)
 *   --table-runs N --table-columns N             Runs table index, rows written by SQL (default 100,000 × 1,000)
 *   --cli-runs N                                 `runlens runs --query` as a whole process (default 50,000 runs; 0: skip)
 *   --keep DIR                                   generate into DIR and keep it
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { indexFiles } from '../src/core/index/store';
import { benchCliQuery } from './cliQuery';
import { encodeScalarEvent, frameRecord, writeCsvOfSize, writeEventFile, writeEventFileOfSize, writeFrameworkRuns, writeMlflowStore } from './generate';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const spec = {
  runs: flag('runs', 2000),
  params: flag('params', 20),
  metrics: flag('metrics', 10),
  steps: flag('steps', 500),
  tbFiles: flag('tb-files', 20),
  tbScalars: flag('tb-scalars', 100_000),
  bigMb: flag('big-mb', 150),
  queryRuns: flag('query-runs', 30_000),
  queryMetrics: flag('query-metrics', 100),
  formatRuns: flag('format-runs', 1000),
  formatSteps: flag('format-steps', 100),
  chartRuns: flag('chart-runs', 100),
  chartPoints: flag('chart-points', 200_000),
  csvMb: flag('csv-mb', 1024),
  tableRuns: flag('table-runs', 100_000),
  tableColumns: flag('table-columns', 1000),
  cliRuns: flag('cli-runs', 50_000),
};
const keep = process.argv.includes('--keep') ? process.argv[process.argv.indexOf('--keep') + 1] : undefined;
const root = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-'));
const ws = path.join(root, 'workspace');
const dbDir = path.join(root, 'index');
fs.mkdirSync(dbDir, { recursive: true });

function phase(name: string, ...args: string[]): Record<string, any> {
  return phaseWith({}, name, ...args);
}

function phaseWith(env: Record<string, string>, name: string, ...args: string[]): Record<string, any> {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'phase.js'), name, ...args], { maxBuffer: 1 << 24, env: { ...process.env, ...env } }).toString();
  return JSON.parse(out.trim().split('\n').pop()!);
}

/**
 * The run of three with the median time: the machine this is measured on varies by ±10–20 % from one run
 * to the next, and the three headline figures (raw, cold, warm) are compared with each other.
 */
function median3(run: () => Record<string, any>): Record<string, any> {
  const runs = [run(), run(), run()].sort((a, b) => a.ms - b.ms);
  // The peak RSS is the largest of the three.
  return { ...runs[1], spread: `${fmt(runs[0].ms)}–${fmt(runs[2].ms)}`, rssMb: Math.max(...runs.map((r) => r.rssMb)) };
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const rows: [string, string, string, string][] = [];
const row = (what: string, figure: string, ratio = '', target = '') => {
  rows.push([what, figure, ratio, target]);
  process.stderr.write(`  ${what}: ${figure} ${ratio}\n`);
};

console.error(`runlens bench — ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.cpus()[0]?.model ?? ''}`);
console.error(`generating in ${root} …`);
let t = performance.now();
let metricFiles: string[] = [];
let eventFiles: string[] = [];
if (!fs.existsSync(ws)) {
  metricFiles = writeMlflowStore(ws, { runs: spec.runs, params: spec.params, metrics: spec.metrics, steps: spec.steps, runsPerExperiment: 1000 });
  for (let i = 0; i < spec.tbFiles; i++) eventFiles.push(writeEventFile(path.join(ws, 'tb', `run_${i}`), spec.tbScalars, 4, i + 1));
} else {
  metricFiles = [path.join(ws, 'mlruns', '1', fs.readdirSync(path.join(ws, 'mlruns', '1')).find((d) => d.length === 32)!, 'metrics', 'm0')];
  eventFiles = [fs.readdirSync(path.join(ws, 'tb', 'run_0')).map((f) => path.join(ws, 'tb', 'run_0', f))[0]];
}
console.error(`  generated in ${fmt(performance.now() - t)}`);

const points = spec.runs * spec.metrics * spec.steps + spec.tbFiles * spec.tbScalars;
// Raw, cold and warm: the median of three runs each (cold on a new index each time), the spread beside it.
const rawRes = median3(() => phase('raw', ws));
row('raw baseline (read + split lines/records)', fmt(rawRes.ms), `${(rawRes.bytes / 2 ** 20).toFixed(0)} MiB; of 3: ${rawRes.spread}`);
const db = path.join(dbDir, 'index.sqlite');
const dropIndex = () => {
  for (const f of indexFiles(db)) fs.rmSync(f, { force: true });
};
const cold = median3(() => {
  dropIndex();
  return phase('index', ws, db);
});
row(`cold index (${cold.counts.runs} runs, ${cold.counts.points.toLocaleString('en')} points)`, fmt(cold.ms), `${(cold.ms / rawRes.ms).toFixed(2)}× raw; of 3: ${cold.spread}`, '≤ 2× raw');
row('  peak RSS, cold', `${cold.rssMb.toFixed(0)} MB`, '', '< 300 MB');
if (cold.native) {
  // (The index it leaves is the warm passes' below: the same rows and probes as the native one's, a unit
  // test holds them to it.)
  const js = median3(() => {
    dropIndex();
    return phaseWith({ RUNLENS_NATIVE: '0' }, 'index', ws, db);
  });
  row('  cold, without the native module (folders listed with readdirSync and statSync)', fmt(js.ms), `${(js.ms / rawRes.ms).toFixed(2)}× raw; of 3: ${js.spread}`);
}
const warm = median3(() => phase('index', ws, db));
row(
  'warm re-index (nothing changed)',
  fmt(warm.ms),
  `${((100 * warm.ms) / cold.ms).toFixed(1)} % of cold; of 3: ${warm.spread}; probes checked ${warm.native ? 'natively' : 'in JavaScript (the native module is not built)'}`,
  '≤ 5 % of cold',
);
if (warm.native) {
  const js = median3(() => phaseWith({ RUNLENS_NATIVE: '0' }, 'index', ws, db));
  row('  warm, without the native module (probes checked with statSync)', fmt(js.ms), `${((100 * js.ms) / cold.ms).toFixed(1)} % of cold; of 3: ${js.spread}`);
}
fs.appendFileSync(metricFiles[0], `${Date.now()} 0.5 ${spec.steps}\n`);
fs.appendFileSync(eventFiles[0], frameRecord(encodeScalarEvent('loss/0', spec.tbScalars, Date.now() / 1000, 0.25)));
const inc = phase('changed', db, metricFiles[0], eventFiles[0]);
// As the extension updates a run that is writing: its indexer process stays up between passes.
const live = phase('live', ws, db, metricFiles[0], eventFiles[0], '9', String(spec.steps + 2));
row(
  'incremental (1 metric line + 1 event record, live path)',
  fmt(live.ms),
  `2 units, 2 points; the indexer process running (as in the extension): median of ${live.updates}, ${fmt(live.min)}–${fmt(live.max)}, ${fmt(live.insideMs)} of it indexing`,
  '< 50 ms',
);
row('  the same in a new process (its first update)', fmt(inc.ms), `${inc.read} units, ${inc.points} points`);
fs.appendFileSync(metricFiles[0], `${Date.now()} 0.5 ${spec.steps + 1}\n`);
const incScan = phase('index', ws, db);
row('incremental (1 metric line, full rescan)', fmt(incScan.ms), `${incScan.summary.read} units read`);

const bigDir = path.join(root, 'big');
const big = fs.existsSync(bigDir) ? path.join(bigDir, fs.readdirSync(bigDir)[0]) : writeEventFileOfSize(bigDir, spec.bigMb);
const b = phase('bigfile', big);
row(`one ${(b.bytes / 2 ** 20).toFixed(0)} MB event file: framing only`, fmt(b.framingMs));
const mibPerS = (ms: number) => `${((b.bytes / 2 ** 20) / (ms / 1000)).toFixed(0)} MiB/s`;
row('  framing + CRC-32C of every length and payload', fmt(b.crcMs), `${mibPerS(b.crcMs)}; ${b.native ? "the processor's CRC instruction" : 'tables, no native module'}`);
row('    CRCs with tables in WebAssembly (no native module)', fmt(b.crcTablesMs), mibPerS(b.crcTablesMs));
row(`  full decode (${b.scalars.toLocaleString('en')} scalars, CRC checked), as the index reads it`, fmt(b.decodeMs), b.native ? 'the native decoder' : 'WebAssembly, no native module', '< 1 s');
row('    without the native module (WebAssembly, CRCs with tables)', fmt(b.decodeTablesMs));
row('    one call per scalar', fmt(b.decodeCallsMs), b.native ? "WebAssembly, the processor's CRC instruction" : '');
row('  same file decoded with protobufjs (CRC checked)', fmt(b.protobufjsMs), `${(b.protobufjsMs / b.decodeMs).toFixed(2)}× ours`);
row('  peak RSS', `${b.rssMb.toFixed(0)} MB`);

const q = phase('query', path.join(dbDir, 'query.sqlite'), String(spec.queryRuns), String(spec.queryMetrics));
row(`query ${spec.queryRuns.toLocaleString('en')} runs × ${spec.queryMetrics} metrics: filter + sort by metric + count`, fmt(q.ms), `${q.total} match`, '< 200 ms');
row(`Runs view: top level + first page of a ${spec.queryRuns.toLocaleString('en')}-run experiment`, fmt(q.treeMs), '100 runs with their metric summaries');

if (spec.cliRuns > 0) {
  const c = benchCliQuery(root, spec.cliRuns);
  row(
    `runlens runs --query, whole process, ${spec.cliRuns.toLocaleString('en')} MLflow runs, nothing changed`,
    fmt(c.unchanged.ms),
    `median of 3, ${fmt(c.unchanged.spread[0])}–${fmt(c.unchanged.spread[1])}; ${c.cli}; no pass: the probes say a pass would change nothing`,
    '< 0.5 s',
  );
  row('  the same, one metric file appended to before each', fmt(c.oneChanged.ms), `median of 3, ${fmt(c.oneChanged.spread[0])}–${fmt(c.oneChanged.spread[1])}; the check, then a warm pass that re-reads that run`);
  row('  the same with --refresh (a warm pass first)', fmt(c.refresh.ms), `median of 3, ${fmt(c.refresh.spread[0])}–${fmt(c.refresh.spread[1])}; cold index: ${fmt(c.coldMs)}`);
}

// The Runs table: its index written by SQL (bench/tableIndex.ts), a tenth of the keys params; each measure
// in a new process, as a table opened on a workspace indexed before.
const tdb = path.join(dbDir, 'table.sqlite');
for (const f of indexFiles(tdb)) fs.rmSync(f, { force: true });
const tparams = Math.round(spec.tableColumns / 10);
const tBuilt = phase('table', tdb, String(spec.tableRuns), String(tparams), String(spec.tableColumns - tparams));
const tb = phase('table', tdb, String(spec.tableRuns), String(tparams), String(spec.tableColumns - tparams));
row(
  `Runs table, ${tb.total.toLocaleString('en')} runs × ${tb.columns.toLocaleString('en')} columns: open (catalogue, N of M, first 100 rows × 30 columns by a metric, desc)`,
  fmt(tb.ms),
  `${(tBuilt.rows / 1e6).toFixed(1)} M param and metric rows, written by SQL in ${fmt(tBuilt.buildMs)}`,
  '< 500 ms',
);
row('  a page of 100 rows at a random offset, by the same sort', fmt(tb.pageMedianMs), `median of 20; slowest ${fmt(tb.pageMaxMs)}`, '< 50 ms');
row('  filtered, sorted by a param then a metric: N of M + a page mid-way', fmt(tb.filteredMs), `${tb.filteredShown.toLocaleString('en')} shown`);

const ch = phase('chart', path.join(dbDir, 'chart.sqlite'), String(spec.chartRuns), String(spec.chartPoints));
row(`compare panel: ${spec.chartRuns} runs × ${spec.chartPoints.toLocaleString('en')} points, chart data`, fmt(ch.ms), `${ch.drawn.toLocaleString('en')} points drawn; reading every point: ${fmt(ch.wholeMs)}`, '< 1 s');
row('  zoom to 1 % of the steps, full detail, all runs', fmt(ch.zoomMs));

// One synthetic workspace per framework format: cold, warm, and the live path after one file changed.
for (const format of ['lightning', 'huggingface', 'keras', 'wandb', 'dvc']) {
  const fws = path.join(root, `format-${format}`);
  const touched = fs.existsSync(fws) ? [] : writeFrameworkRuns(fws, format, spec.formatRuns, spec.formatSteps, 10);
  const fdb = path.join(dbDir, `${format}.sqlite`);
  const fraw = phase('raw', fws);
  // A new index for the cold pass (with --keep, the last run's is there).
  for (const f of indexFiles(fdb)) fs.rmSync(f, { force: true });
  const fcold = phase('index', fws, fdb);
  // The pass after a cold one, then the one after that: the same for units whose probes a read keeps; a DVC
  // project's read keeps none, so its first pass after a read lists it in full (Unit.listsFromState).
  const ffirst = phase('index', fws, fdb);
  const fwarm = phase('index', fws, fdb);
  let live = '';
  if (touched[0]) {
    fs.appendFileSync(touched[0], format === 'huggingface' ? ' ' : format === 'dvc' ? `${spec.formatSteps}\t0.5\n` : format === 'wandb' ? `{"_step": ${spec.formatSteps}, "m0": 0.5}\n` : `${spec.formatSteps},${Array(format === 'lightning' ? 11 : 10).fill('0.5').join(',')}\n`);
    const c = phase('changed', fdb, touched[0]);
    live = `, one file changed: ${fmt(c.ms)}`;
  }
  row(`${format}: ${fcold.counts.runs} runs, ${fcold.counts.points.toLocaleString('en')} points — cold`, fmt(fcold.ms), `${(fcold.ms / fraw.ms).toFixed(2)}× raw (${fmt(fraw.ms)})`);
  row(`${format}: warm`, fmt(fwarm.ms), `${((100 * fwarm.ms) / fcold.ms).toFixed(1)} % of cold; the first pass after the cold one: ${fmt(ffirst.ms)}${live}`);
}

// Dataset statistics of one large table, streamed: time, throughput and peak RSS against the raw read.
if (spec.csvMb > 0) {
  const csv = path.join(root, 'data', 'table.csv');
  if (!fs.existsSync(csv)) writeCsvOfSize(csv, spec.csvMb);
  const s = phase('csvstats', csv);
  row(`dataset statistics of a ${(s.bytes / 2 ** 20).toFixed(0)} MiB CSV (${s.rows.toLocaleString('en')} rows × ${s.columns} columns)`, fmt(s.ms), `${((s.bytes / 2 ** 20) / (s.ms / 1000)).toFixed(0)} MiB/s; ${(s.ms / s.rawMs).toFixed(1)}× raw (${fmt(s.rawMs)})`);
  row('  peak RSS', `${s.rssMb.toFixed(0)} MB`, `${s.duplicates.toLocaleString('en')} duplicate rows, ${s.missing.toLocaleString('en')} missing cells found`, 'flat');
  if (!keep) fs.rmSync(csv);
}

const corpus = path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
if (fs.existsSync(corpus)) {
  const cdb = path.join(dbDir, 'corpus.sqlite');
  for (const f of indexFiles(cdb)) fs.rmSync(f, { force: true });
  const c = phase('index', corpus, cdb);
  row('whole ../shared/corpus, cold', fmt(c.ms), Object.entries(c.counts.byFormat).map(([f, n]) => `${f} ${n}`).join(', '));
}

console.log(`\n| what | figure | ratio / detail | target |\n|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\nworkspace: ${spec.runs} MLflow runs × ${spec.params} params × ${spec.metrics} metrics × ${spec.steps} steps + ${spec.tbFiles} event files × ${spec.tbScalars} scalars = ${points.toLocaleString('en')} points`);
if (!keep) fs.rmSync(root, { recursive: true, force: true });
