/**
 * Mutation fuzzing of every reader over the real corpus. For each mutant, one file of a project copy is
 * damaged — cut at a record boundary or at a random offset, bits flipped, bytes inserted or deleted,
 * replaced by random bytes under its real name, a record duplicated, re-encoded — and the workspace is
 * indexed again (the incremental path, as when a file changes under a running VS Code). Then:
 *
 * - no exception escapes the indexer (a reader throwing is a failure);
 * - the pass takes at most a bound proportional to the project's size;
 * - every diagnostic names a file, and a damaged checksummed file (TFRecord events, .wandb) gets one;
 * - runs of the units that do not own the damaged file are exactly as before;
 * - once the file is restored, the index equals the one built from the pristine copy (no stale offsets,
 *   no half-read state survives the damage).
 *
 * Seeded and reproducible: the same seed gives the same mutants.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Store } from '../../src/core/index/store';
import { indexWorkspace } from '../../src/core/index/indexer';
import { maskedCrc32c } from '../../src/core/formats/crc32c';
import { rng } from '../../bench/generate';
import { evaluateSource, EvaluationError } from '../../src/core/analysis/evaluation';
import { openPredictionTable, readLoggedConfusion, TABLE_FILE } from '../../src/core/analysis/predictions';

export const MUTATIONS = ['truncate-record', 'truncate-random', 'bit-flip', 'insert-bytes', 'delete-bytes', 'random-bytes', 'duplicate-record', 're-encode'] as const;
export type Mutation = (typeof MUTATIONS)[number];

export interface FuzzOptions {
  corpus: string;
  seed: number;
  /** Stop after this many mutants… */
  mutants: number;
  /** …or after this many seconds, whichever comes first. */
  seconds: number;
  /** Projects larger than this are left out (the short run in `npm test`). */
  maxProjectBytes?: number;
  log?: (line: string) => void;
}

export interface FuzzFailure {
  project: string;
  file: string;
  mutation: Mutation;
  seed: number;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  projects: number;
  mutants: number;
  byMutation: Record<string, number>;
  diagnostics: number;
  failures: FuzzFailure[];
  slowest: { file: string; mutation: Mutation; ms: number; bytes: number } | undefined;
  maxRssMb: number;
  seconds: number;
}

/** Files the readers parse; the others (artifacts, models) are mutated less often. */
const PARSED = /(meta\.yaml|\.ya?ml|\.json|\.jsonl|\.csv|\.tsv|\.lock|\.wandb|\.db|events\.out\.tfevents\..*|\/metrics\/[^/]+|\/params\/[^/]+|\/tags\/[^/]+)$/;
const CHECKSUMMED = /(events\.out\.tfevents\.[^/]*|\.wandb)$/;

/**
 * Whether a TFRecord file is whole records with good checksums followed by a cut one: what a writer
 * leaves mid-write (a byte deleted in the last record looks the same), so no damage to report.
 */
function cutTfRecords(buf: Buffer, file: string): boolean {
  if (!/events\.out\.tfevents\./.test(file)) return false;
  let off = 0;
  while (off + 12 <= buf.length) {
    if (buf.readUInt32LE(off + 8) !== maskedCrc32c(buf, off, off + 8)) return false;
    const end = off + 12 + Number(buf.readBigUInt64LE(off));
    if (end + 4 > buf.length) return true;
    if (buf.readUInt32LE(end) !== maskedCrc32c(buf, off + 12, end)) return false;
    off = end + 4;
  }
  return off < buf.length;
}

/** The seeded PRNG the benchmarks use (mulberry32). */
export const prng = rng;

/** Record boundaries: TFRecord frames (8-byte length, 4 CRC, data, 4 CRC) or line ends. */
export function recordBoundaries(buf: Buffer, file: string): number[] {
  const out: number[] = [];
  if (/events\.out\.tfevents\./.test(file)) {
    let off = 0;
    while (off + 12 <= buf.length) {
      const len = Number(buf.readBigUInt64LE(off));
      const next = off + 16 + len;
      if (len > buf.length || next > buf.length) break;
      out.push(next);
      off = next;
    }
    return out;
  }
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10) out.push(i + 1);
  return out;
}

export function mutate(buf: Buffer, file: string, kind: Mutation, rnd: () => number): Buffer {
  const at = (n: number) => Math.floor(rnd() * n);
  const bounds = recordBoundaries(buf, file);
  switch (kind) {
    case 'truncate-record':
      return bounds.length > 1 ? buf.subarray(0, bounds[at(bounds.length - 1)]) : buf.subarray(0, at(buf.length + 1));
    case 'truncate-random':
      return buf.subarray(0, at(buf.length));
    case 'bit-flip': {
      const out = Buffer.from(buf);
      for (let i = 0, n = 1 + at(8); i < n && out.length; i++) out[at(out.length)] ^= 1 << at(8);
      return out;
    }
    case 'insert-bytes': {
      const pos = at(buf.length + 1);
      const junk = Buffer.from(Array.from({ length: 1 + at(64) }, () => at(256)));
      return Buffer.concat([buf.subarray(0, pos), junk, buf.subarray(pos)]);
    }
    case 'delete-bytes': {
      const pos = at(buf.length + 1);
      return Buffer.concat([buf.subarray(0, pos), buf.subarray(pos + 1 + at(64))]);
    }
    case 'random-bytes':
      return Buffer.from(Array.from({ length: Math.max(1, Math.min(buf.length, 1 << 16)) }, () => at(256)));
    case 'duplicate-record': {
      if (bounds.length < 2) return Buffer.concat([buf, buf]);
      const i = at(bounds.length - 1);
      const rec = buf.subarray(bounds[i], bounds[i + 1]);
      return Buffer.concat([buf.subarray(0, bounds[i + 1]), rec, buf.subarray(bounds[i + 1])]);
    }
    case 're-encode': {
      // UTF-16 with a BOM, or the text's bytes read as Latin-1 and written back as UTF-8.
      const text = buf.toString('utf8');
      return rnd() < 0.5 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) : Buffer.from(buf.toString('latin1'), 'utf8');
    }
  }
}

/** Every regular file below `dir`. */
export function* walk(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

function sizeOf(dir: string): number {
  let n = 0;
  for (const f of walk(dir)) n += fs.statSync(f).size;
  return n;
}

/** The corpus projects: `<format>/<project>` folders of the formats Runlens reads. */
export function corpusProjects(corpus: string, maxBytes = Infinity): string[] {
  const out: string[] = [];
  for (const format of ['mlflow', 'tensorboard', 'lightning', 'huggingface', 'keras', 'wandb', 'dvc']) {
    const dir = path.join(corpus, format);
    if (!fs.existsSync(dir)) continue;
    for (const p of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, p);
      if (fs.statSync(full).isDirectory() && sizeOf(full) <= maxBytes) out.push(full);
    }
  }
  return out;
}

type Snapshot = Map<string, string>;

/** Every run as a canonical string, with its unit: what the views and the CLI would show of it. */
export function snapshot(store: Store): { runs: Snapshot; units: Map<string, string> } {
  const runs: Snapshot = new Map();
  const units = new Map<string, string>();
  for (const r of store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] })) {
    units.set(r.id, r.unit);
    const series = store.seriesSummaries(r.rid).map((s) => [s.key, s.count, s.last, s.min, s.max, s.lastStep]);
    const { rid: _rid, ...row } = r;
    runs.set(r.id, JSON.stringify({ row, params: store.params(r.rid), tags: store.tags(r.rid), series, artifacts: store.artifacts(r.rid).length }));
  }
  return { runs, units };
}

/** Whether a unit read the file: it is among the unit's fingerprinted files, or under the unit's folder. */
function unitOwns(store: Store, unit: string, file: string): boolean {
  const p = unit.slice(unit.indexOf(':') + 1);
  if (file === p || file.startsWith(p + path.sep)) return true;
  const state = store.unitState<{ files: Record<string, unknown> }>(unit);
  return state !== undefined && file in state.files;
}

export function fuzz(options: FuzzOptions): FuzzReport {
  const started = Date.now();
  const rnd = prng(options.seed);
  const projects = corpusProjects(options.corpus, options.maxProjectBytes);
  const report: FuzzReport = { seed: options.seed, projects: projects.length, mutants: 0, byMutation: {}, diagnostics: 0, failures: [], slowest: undefined, maxRssMb: 0, seconds: 0 };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-fuzz-'));
  try {
    // Round-robin over the projects, several mutants per copy.
    for (let pi = 0; report.mutants < options.mutants && (Date.now() - started) / 1000 < options.seconds; pi = (pi + 1) % projects.length) {
      const project = projects[pi];
      const rel = path.relative(options.corpus, project);
      const root = path.join(tmp, rel.replace(/[\\/]/g, '__'));
      fs.rmSync(root, { recursive: true, force: true });
      fs.cpSync(project, root, { recursive: true });
      const store = Store.open(path.join(tmp, `${path.basename(root)}.sqlite`));
      try {
        indexWorkspace(store, { roots: [root] });
        const baseline = snapshot(store);
        const files = [...walk(root)];
        const parsed = files.filter((f) => PARSED.test(f.split(path.sep).join('/')));
        const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
        for (let k = 0; k < 4 && report.mutants < options.mutants; k++) {
          const pool = parsed.length && rnd() < 0.85 ? parsed : files;
          const file = pool[Math.floor(rnd() * pool.length)];
          const mutation = MUTATIONS[Math.floor(rnd() * MUTATIONS.length)];
          const mutantSeed = Math.floor(rnd() * 2 ** 31);
          const original = fs.readFileSync(file);
          const stat = fs.statSync(file);
          const damaged = mutate(original, file, mutation, prng(mutantSeed));
          const fail = (problem: string) => report.failures.push({ project: rel, file: path.relative(root, file), mutation, seed: mutantSeed, problem });
          report.mutants++;
          report.byMutation[mutation] = (report.byMutation[mutation] ?? 0) + 1;
          fs.writeFileSync(file, damaged);
          const t0 = performance.now();
          try {
            indexWorkspace(store, { roots: [root] });
          } catch (e) {
            fail(`the indexer threw: ${(e as Error).stack ?? e}`);
          }
          const ms = performance.now() - t0;
          if (!report.slowest || ms > report.slowest.ms) report.slowest = { file: path.join(rel, path.relative(root, file)), mutation, ms, bytes };
          // 3 s plus 1 s per 10 MB of project: far above a healthy pass, far below a hang.
          if (ms > 3000 + bytes / 10_000) fail(`took ${ms.toFixed(0)} ms for ${bytes} bytes`);
          report.maxRssMb = Math.max(report.maxRssMb, process.memoryUsage().rss / 2 ** 20);
          const diags = store.diagnostics().filter((d) => d.severity !== 'info');
          report.diagnostics += diags.filter((d) => d.file === file).length;
          for (const d of diags) if (!d.file) fail(`a diagnostic without a file: ${d.message}`);
          const changed = !damaged.equals(original);
          // A cut last record is what a run still writing looks like: not damage. The rest of a checksummed
          // file's damage must be reported.
          if (changed && CHECKSUMMED.test(file) && !mutation.startsWith('truncate') && mutation !== 'duplicate-record' && !cutTfRecords(damaged, file) && !diags.some((d) => d.file === file)) {
            fail('a damaged checksummed file got no diagnostic');
          }
          const after = snapshot(store);
          for (const [id, run] of baseline.runs) {
            const unit = baseline.units.get(id)!;
            // Its own unit's files, and files in the folders above it (an experiment's meta.yaml, a
            // project's params.yaml), may change a run.
            if (unitOwns(store, unit, file) || JSON.parse(run).row.path.startsWith(path.dirname(file) + path.sep)) continue;
            if (after.runs.get(id) !== run) fail(`run ${id} of ${unit}, which does not own the file, changed: ${firstDifference(run, after.runs.get(id))}`);
          }
          fs.writeFileSync(file, original);
          // Its old timestamps too: runs with no recorded end take the time of their last write.
          fs.utimesSync(file, stat.atime, stat.mtime);
          try {
            indexWorkspace(store, { roots: [root] });
          } catch (e) {
            fail(`the indexer threw after the file was restored: ${(e as Error).message}`);
          }
          const restored = snapshot(store);
          if (restored.runs.size !== baseline.runs.size) fail(`after restoring: ${restored.runs.size} runs, not ${baseline.runs.size}`);
          for (const [id, run] of baseline.runs) if (restored.runs.get(id) !== run) fail(`after restoring, run ${id} differs from the pristine index: ${firstDifference(run, restored.runs.get(id))}`);
        }
      } finally {
        store.close();
      }
      options.log?.(`${report.mutants} mutants, ${report.failures.length} failures (${rel})`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

/** Where two canonical run strings first differ, with a little context. */
function firstDifference(a: string, b: string | undefined): string {
  if (b === undefined) return 'the run is gone';
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 60), i + 40)}… became …${b.slice(Math.max(0, i - 60), i + 40)}…`;
}

/**
 * The evaluation path's readers (prediction tables, logged confusion matrices) under the same damage: the
 * only error allowed out is EvaluationError, whose message says what is missing; time stays bounded.
 */
export function fuzzTables(options: Omit<FuzzOptions, 'maxProjectBytes'>): FuzzReport {
  const started = Date.now();
  const rnd = prng(options.seed);
  const tables = [...walk(path.join(options.corpus, 'predictions'))].filter((f) => TABLE_FILE.test(f) || /\.json$/.test(f)).sort();
  const report: FuzzReport = { seed: options.seed, projects: tables.length, mutants: 0, byMutation: {}, diagnostics: 0, failures: [], slowest: undefined, maxRssMb: 0, seconds: 0 };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-fuzz-tables-'));
  try {
    for (let i = 0; report.mutants < options.mutants && (Date.now() - started) / 1000 < options.seconds; i = (i + 1) % tables.length) {
      const source = tables[i];
      const mutation = MUTATIONS[Math.floor(rnd() * MUTATIONS.length)];
      const mutantSeed = Math.floor(rnd() * 2 ** 31);
      const file = path.join(tmp, path.basename(source));
      const original = fs.readFileSync(source);
      fs.writeFileSync(file, mutate(original, file, mutation, prng(mutantSeed)));
      report.mutants++;
      report.byMutation[mutation] = (report.byMutation[mutation] ?? 0) + 1;
      const rel = path.relative(options.corpus, source);
      const t0 = performance.now();
      try {
        readLoggedConfusion(file);
        const table = openPredictionTable(file);
        const ev = evaluateSource(table);
        report.diagnostics += table.diagnostics.length + ev.skippedCount;
      } catch (e) {
        if (!(e instanceof EvaluationError)) report.failures.push({ project: rel, file: path.basename(file), mutation, seed: mutantSeed, problem: `threw ${(e as Error).stack ?? e}` });
        else report.diagnostics++;
      }
      const ms = performance.now() - t0;
      if (!report.slowest || ms > report.slowest.ms) report.slowest = { file: rel, mutation, ms, bytes: original.length };
      if (ms > 3000 + original.length / 10_000) report.failures.push({ project: rel, file: path.basename(file), mutation, seed: mutantSeed, problem: `took ${ms.toFixed(0)} ms` });
      report.maxRssMb = Math.max(report.maxRssMb, process.memoryUsage().rss / 2 ** 20);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}
