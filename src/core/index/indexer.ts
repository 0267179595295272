/**
 * The indexer: discovers sources, fingerprints each unit's files (size + mtime + inode), and re-reads only
 * what changed — appended files from their last good offset, everything else from scratch. Units that
 * vanished from disk are dropped. Writes are batched in transactions, and a unit that fails leaves the
 * index as it was: one read before is re-read inside a savepoint, one never indexed has what it wrote
 * deleted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discoverSources } from '../discovery';
import type { DiscoveredSource } from '../discovery';
import type { Diagnostic, Format } from '../model';
import { FORMATS } from '../model';
import { IndexStorageError, isStorageError } from './store';
import type { Store } from './store';
import { linkRuns } from './links';
import { probeFolder, probesUnchanged, tailAt } from './listing';
import type { Probes } from './listing';
import { ProbeCheck } from './probeSnapshot';
import { native, nativeError } from '../native/native';
import { ReadAhead, type ReadAheadOptions } from './readAhead';
import { UNIT_KINDS, unitFromOrigin, unitsOfSource } from './units';
import type { FileChange, FileState, Unit, UnitKind, UnitState } from './units';


export interface IndexOptions {
  roots: string[];
  /** Extra sources with a forced format (the `runlens.sources` setting / `--source` flag). */
  sources?: DiscoveredSource[];
  exclude?: string[];
  cancelled?: () => boolean;
  onProgress?: (p: IndexProgress) => void;
  /** Threads reading MLflow runs ahead of a cold index (default: the spare cores, up to 4; threads 0: none). */
  readAhead?: ReadAheadOptions;
}

export interface IndexProgress {
  phase: 'discover' | 'index' | 'done';
  done: number;
  total: number;
}

export interface IndexSummary {
  sources: number;
  units: number;
  /** Units read this time (the rest were unchanged). */
  read: number;
  appended: number;
  removed: number;
  points: number;
  diagnostics: number;
  cancelled: boolean;
  ms: number;
  /** What came from the read-ahead threads: MLflow run headers and metric files, TensorBoard runs. */
  readAhead?: { headers: number; files: number; tensorboard: number };
  bySource: Record<Format, number>;
  /**
   * Who made the file-system calls of listings and probe checks: 'native' (src/core/native/), or 'node'
   * and why not natively.
   */
  fsCalls?: string;
}

const BATCH_UNITS = 400;
const BATCH_POINTS = 2_000_000;

export function indexWorkspace(store: Store, options: IndexOptions): IndexSummary {
  const t0 = performance.now();
  const cancelled = options.cancelled ?? (() => false);
  options.onProgress?.({ phase: 'discover', done: 0, total: 0 });
  // Every unit's probes, checked on other threads while this one discovers the units.
  const probes = ProbeCheck.start(store);
  const walked: Probes = { paths: [], seen: [] };
  const found = discoverSources(options.roots, { exclude: options.exclude, cancelled, probes: walked });
  // Where runs may name files: every workspace folder and every configured source, not only their own root.
  const allowed = [...options.roots, ...(options.sources ?? []).map((s) => s.path)].map((p) => path.resolve(p));
  const sources = [...found.sources, ...(options.sources ?? [])].map((s) => ({ ...s, allowed }));
  const units: Unit[] = [];
  for (const s of sources) units.push(...unitsOfSource(s));
  probeUnitListings(walked, sources, units);
  const summary: IndexSummary = {
    sources: sources.length,
    units: units.length,
    read: 0,
    appended: 0,
    removed: 0,
    points: 0,
    diagnostics: 0,
    cancelled: false,
    ms: 0,
    bySource: Object.fromEntries(FORMATS.map((f) => [f, 0])) as Record<Format, number>,
    fsCalls: native() ? 'native' : `node (native module: ${nativeError()})`,
  };
  for (const s of sources) summary.bySource[s.format]++;

  const seen = new Set<string>();
  let batchUnits = 0;
  let batchPoints = 0;
  const db = store.db;
  // MLflow and TensorBoard runs never indexed (a cold index, or new runs) are read ahead by worker threads,
  // the larger kind first (TensorBoard runs), so that the runs left at the end are short.
  // The units indexed before, and those whose probes say their files are as they were.
  const indexed = store.unitKeys();
  const unchanged = probes.unchanged();
  const aheadUnits = units.filter((u) => u.ahead && !indexed.has(u.key)).sort((a, b) => Number(b.ahead!.kind === 'tensorboard') - Number(a.ahead!.kind === 'tensorboard'));
  const readAhead = ReadAhead.for(
    aheadUnits.map((u) => u.ahead!),
    options.readAhead,
  );
  // With read-ahead, its runs are indexed as the threads deliver them, the other units in between.
  const pool = new Map(readAhead ? aheadUnits.map((u) => [u.ahead!.dir, u]) : []);
  const others = pool.size > 0 ? units.filter((u) => !(u.ahead && pool.has(u.ahead.dir))) : units;
  let nextOther = 0;
  const nextUnit = (): Unit | undefined => {
    if (!readAhead) return others[nextOther++];
    const dir = readAhead.ready() ?? (nextOther < others.length ? undefined : readAhead.claim());
    if (dir !== undefined) return pool.get(dir);
    if (nextOther < others.length) return others[nextOther++];
    // Every run handed out: none is left behind, whatever happened to the threads.
    for (const u of pool.values()) if (!seen.has(u.key)) return u;
    return undefined;
  };
  store.beginBatch();
  // A cold index (nothing indexed yet) builds the summary indexes once its rows are in.
  const cold = indexed.size === 0;
  if (cold) store.dropSummaryIndexes();
  try {
    // The walk's probes: what unchangedSincePass checks instead of walking again.
    store.putUnit('discovery', 'discovery', { files: {} }, summary.cancelled ? undefined : walked);
    store.putDiagnostics('discovery', found.diagnostics);
    seen.add('discovery');
    for (let i = 0; i < units.length; i++) {
      if (cancelled()) {
        summary.cancelled = true;
        break;
      }
      const unit = nextUnit();
      if (!unit) break;
      seen.add(unit.key);
      const outcome = indexUnit(store, unit, cancelled, readAhead, unchanged);
      if (unit.ahead) readAhead?.done(unit.ahead.dir);
      if (outcome) {
        summary.read++;
        if (outcome.incremental) summary.appended++;
        summary.points += outcome.points;
        batchUnits++;
        batchPoints += outcome.points;
      }
      if (batchUnits >= BATCH_UNITS || batchPoints >= BATCH_POINTS) {
        store.commitBatch();
        store.beginBatch();
        batchUnits = 0;
        batchPoints = 0;
      }
      if (options.onProgress && (i % 200 === 0 || i === units.length - 1)) options.onProgress({ phase: 'index', done: i + 1, total: units.length });
    }
    if (!summary.cancelled) {
      for (const key of store.unitKeys()) {
        if (!seen.has(key)) {
          store.dropUnit(key);
          summary.removed++;
        }
      }
      // Only MLflow's experiments belong to a unit; the others are folders runs share: drop the ones no run
      // refers to any more.
      db.exec("DELETE FROM experiments WHERE format NOT IN ('mlflow', 'mlflow-db') AND id NOT IN (SELECT DISTINCT experiment_id FROM runs)");
    }
    linkRuns(store);
    if (cold) store.buildSummaryIndexes();
    if (!summary.cancelled) probes.save(store);
    store.commitBatch();
  } catch (err) {
    store.abandonBatch();
    if (cold) {
      try {
        store.buildSummaryIndexes();
      } catch {
        // Built when the index is next opened.
      }
    }
    throw isStorageError(err) && !(err instanceof IndexStorageError) ? new IndexStorageError(store.file, err as Error) : err;
  } finally {
    readAhead?.close();
  }
  if (readAhead) summary.readAhead = readAhead.taken;
  summary.diagnostics = store.db.prepare("SELECT COUNT(*) FROM diagnostics WHERE severity != 'info'").pluck().get() as number;
  summary.ms = performance.now() - t0;
  options.onProgress?.({ phase: 'done', done: units.length, total: units.length });
  return summary;
}

/**
 * Adds to the walk's probes the folders listed to make the units of its sources: an MLflow store's folder,
 * its `.trash`, and each experiment's folder (whose run folders are units).
 */
function probeUnitListings(walked: Probes, sources: DiscoveredSource[], units: Unit[]): void {
  const out = { probes: walked, files: {}, dirs: {} };
  for (const s of sources) {
    if (s.format !== 'mlflow') continue;
    probeFolder(out, s.path);
    probeFolder(out, path.join(s.path, '.trash'));
  }
  for (const u of units) if (u.kind === 'mlflow-experiment' && u.origin.dir) probeFolder(out, u.origin.dir);
}

/**
 * Whether a warm pass would leave the index as it is, checked without one: the walk's probes (kept with
 * the 'discovery' unit) and every unit's probes still see what they saw, and the units without probes
 * (an mlflow.db, say) have the files they had. Writes nothing, so it may run on an index opened read-only.
 * False where anything changed or cannot be told: a pass then finds out.
 */
export function unchangedSincePass(store: Store): boolean {
  const db = store.db;
  return db.transaction(() => {
    const probed = db.prepare('SELECT COUNT(*) FROM probes').pluck().get() as number;
    const hasWalk = db.prepare("SELECT 1 FROM probes WHERE unit = 'discovery'").pluck().get() !== undefined;
    if (!hasWalk) return false;
    const check = ProbeCheck.start(store);
    // The keys from the two key indexes, not a scan of the units' states.
    const rest = db.prepare('SELECT key FROM units EXCEPT SELECT unit FROM probes').pluck().all() as string[];
    const get = db.prepare('SELECT kind, state FROM units WHERE key = ?');
    let same = true;
    for (const key of rest) {
      const row = get.get(key) as { kind: UnitKind; state: string };
      const prev = JSON.parse(row.state) as UnitState;
      const unit = prev.origin && unitFromOrigin(row.kind, prev.origin);
      // A probed unit without probes is listed in full by a pass.
      if (!unit || unit.probed || !sameFiles(prev.files, unit.fingerprint(prev).files)) {
        same = false;
        break;
      }
    }
    // (The answer waited for even when not needed: the check's threads hold the snapshot.)
    return check.unchanged().size === probed && same;
  })();
}

function sameFiles(prev: Record<string, FileState>, now: Record<string, FileState>): boolean {
  const keys = Object.keys(now);
  if (keys.length !== Object.keys(prev).length) return false;
  for (const f of keys) {
    const p = prev[f];
    const st = now[f];
    if (!p || p.size !== st.size || p.mtime !== st.mtime || p.ino !== st.ino) return false;
  }
  return true;
}

/**
 * Re-reads one unit if its files changed; returns undefined when it was unchanged. `unchanged`: the units a
 * pass found unchanged by their probes, all checked at once (startUnchangedCheck); else this unit's are checked.
 */
export function indexUnit(
  store: Store,
  unit: Unit,
  cancelled?: () => boolean,
  readAhead?: ReadAhead,
  unchanged?: Set<string>,
): { incremental: boolean; points: number } | undefined {
  if (unit.probed && (unchanged?.has(unit.key) ?? probesHold(store.unitProbes(unit.key)))) return undefined;
  const prev = store.unitState<UnitState>(unit.key);
  // A run a read-ahead thread read whole comes ready to write, with the state and probes the thread made.
  const packed = prev === undefined && unit.ahead && unit.readPacked ? readAhead?.packed(unit.ahead.dir) : undefined;
  if (packed) {
    return writeUnit(store, unit, prev, () => {
      const res = unit.readPacked!(store, readAhead!, packed);
      store.putDiagnostics(unit.key, res.diagnostics);
      store.putUnitText(unit.key, unit.kind, `${packed.state.slice(0, -1)},"origin":${JSON.stringify(unit.origin)}}`, [packed.probePaths, Buffer.from(packed.probeSeen)]);
      return { incremental: false, points: res.points };
    });
  }
  // A run a read-ahead thread read in part comes with the listing it made before reading it.
  const listing = (unit.ahead && readAhead?.listing(unit.ahead.dir)) || unit.fingerprint(prev);
  const probes = unit.probed ? listing.probes : undefined;
  const now: Record<string, FileState> = listing.files;
  const changes: Record<string, FileChange> = {};
  let changed = prev === undefined;
  let appendOnly = prev !== undefined && unit.appendable;
  for (const [f, st] of Object.entries(now)) {
    const p = prev?.files[f];
    if (p && p.size === st.size && p.mtime === st.mtime && p.ino === st.ino) {
      changes[f] = 'same';
      continue;
    }
    let c: FileChange;
    if (!p) c = 'new';
    else if (p.size === st.size && p.mtime === st.mtime && p.ino === st.ino) c = 'same';
    else if (p.ino === st.ino && st.size > p.size && p.offset !== undefined && (p.tail === undefined || tailAt(f, p.offset) === p.tail)) c = 'append';
    else c = 'changed';
    changes[f] = c;
    if (c !== 'same') changed = true;
    if (c === 'changed' && !unit.rewritable?.(f)) appendOnly = false;
  }
  if (prev) {
    for (const f of Object.keys(prev.files)) {
      if (!(f in now)) {
        changed = true;
        appendOnly = false;
      }
    }
  }
  if (!changed) {
    // Same files; remember folder mtimes the stored state lacks so the next pass can skip their listing.
    if (prev && !sameDirs(prev.dirs, listing.dirs)) store.putUnit(unit.key, unit.kind, { ...prev, dirs: listing.dirs }, probes);
    else if (probes) store.setUnitProbes(unit.key, probes);
    return undefined;
  }
  return writeUnit(store, unit, prev, () => {
    const res = unit.read({ store, prev, now, changes, incremental: appendOnly, cancelled, readAhead });
    let diagnostics: Diagnostic[] = res.diagnostics;
    if (appendOnly && res.reread) {
      const kept = store.diagnostics(unit.key).filter((d) => !res.reread!.has(d.file));
      diagnostics = [...kept, ...diagnostics];
    }
    store.putDiagnostics(unit.key, diagnostics);
    for (const [f, st] of Object.entries(res.state.files)) {
      if (st.offset === undefined) continue;
      // A reader that had the bytes before the offset in hand gave them (MLflow metric files); an unchanged
      // file read to the same offset keeps its tail (units rebuild their file states without it).
      if (st.tail !== undefined) continue;
      const p = prev?.files[f];
      st.tail = changes[f] === 'same' && p?.offset === st.offset && p.tail !== undefined ? p.tail : tailAt(f, st.offset);
    }
    // Folder mtimes from the listing, and from a read that listed folders of its own (mlflow.db's artifacts).
    const dirs = res.state.dirs ? { ...listing.dirs, ...res.state.dirs } : listing.dirs;
    store.putUnit(unit.key, unit.kind, { ...res.state, dirs, origin: unit.origin }, unit.listsFromState ? undefined : probes);
    return { incremental: appendOnly, points: res.points };
  });
}

/** Whether a unit's probes as kept (none: the unit was never listed in full) still hold. */
function probesHold(probes: [paths: Buffer, seen: Buffer] | undefined): boolean {
  return probes !== undefined && probesUnchanged(...probes);
}

/**
 * Runs `write`, which writes a unit's rows, so that a failure leaves the index as it was. A unit read before
 * is re-read inside a savepoint, so that its rows are kept. One never indexed has no rows to keep, and a
 * failure deletes what it wrote (dropUnit, and the series it had not closed): a savepoint copies each page
 * to its journal the first time the unit touches it, 16 KB a page, which was a tenth of a cold index.
 * (Outside a pass's transaction, the savepoint is the transaction.)
 */
function writeUnit(store: Store, unit: Unit, prev: UnitState | undefined, write: () => { incremental: boolean; points: number }): { incremental: boolean; points: number } | undefined {
  const db = store.db;
  const fresh = prev === undefined && db.inTransaction;
  const seriesMark = fresh ? store.seriesMark() : 0;
  if (!fresh) db.exec('SAVEPOINT unit');
  try {
    const outcome = write();
    if (!fresh) db.exec('RELEASE unit');
    return outcome;
  } catch (err) {
    // The disk is full, or the index went read-only or bad: not this unit's fault, and the transaction may
    // be gone already. End the pass with an error that says so.
    if (isStorageError(err) || !db.inTransaction) throw new IndexStorageError(store.file, err as Error);
    if (fresh) store.dropUnit(unit.key, seriesMark);
    else {
      db.exec('ROLLBACK TO unit');
      db.exec('RELEASE unit');
      store.rolledBack();
    }
    store.putDiagnostics(unit.key, [{ file: unit.key.slice(unit.key.indexOf(':') + 1), severity: 'error', message: `could not be indexed: ${(err as Error).message}` }]);
    return undefined;
  }
}

export interface ChangedSummary {
  /** Units re-read because one of the paths belongs to them. */
  read: number;
  points: number;
  /** Paths that belong to no indexed unit (a new run, say): the caller runs a full pass for those. */
  unmatched: string[];
  ms: number;
}


/**
 * The live path: re-reads only the units that own `paths` (file watcher events), each from its resume
 * offsets, in one transaction. Costs a few stats and the appended bytes, not a workspace scan.
 */
export function indexChanged(store: Store, paths: string[]): ChangedSummary {
  const t0 = performance.now();
  const units = new Map<string, Unit>();
  const unmatched: string[] = [];
  const known = store.db.prepare('SELECT kind, state FROM units WHERE key = ?');
  for (const p of paths) {
    let found = false;
    let dir = path.resolve(p);
    for (let depth = 0; depth < 10 && !found; depth++) {
      for (const kind of UNIT_KINDS) {
        const key = `${kind}:${kind === 'mlflow-db' ? p.replace(/-(wal|shm|journal)$/, '') : dir}`;
        if (units.get(key)?.owns(path.resolve(p))) {
          found = true;
          break;
        }
        const row = known.get(key) as { kind: UnitKind; state: string } | undefined;
        if (!row) continue;
        const origin = (JSON.parse(row.state) as UnitState).origin;
        const unit = origin && unitFromOrigin(row.kind, origin);
        if (unit && unit.owns(path.resolve(p))) {
          units.set(key, unit);
          found = true;
          break;
        }
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    if (!found) unmatched.push(p);
  }
  let read = 0;
  let points = 0;
  store.transaction(() => {
    for (const unit of units.values()) {
      if (!fs.existsSync(unit.origin.dir ?? unit.origin.source.path)) {
        store.dropUnit(unit.key);
        read++;
        continue;
      }
      const outcome = indexUnit(store, unit);
      if (outcome) {
        read++;
        points += outcome.points;
      }
    }
    if (read > 0) linkRuns(store);
  });
  return { read, points, unmatched, ms: performance.now() - t0 };
}

function sameDirs(a: Record<string, number> | undefined, b: Record<string, number>): boolean {
  if (!a) return Object.keys(b).length === 0;
  const keys = Object.keys(b);
  if (keys.length !== Object.keys(a).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}
