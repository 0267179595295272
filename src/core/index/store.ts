/**
 * The SQLite index: opening (WAL, migrations, rebuild of a damaged or foreign cache), the write API the
 * indexer uses, and the read API the CLI and the extension use. Statements are prepared once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Artifact, DatasetInput, Diagnostic, Format, Lifecycle, MetricPoint, Run, RunStatus, SeriesSummary } from '../model';
import { CHUNK_POINTS, MIGRATIONS, READERS_VERSION, SCHEMA_VERSION, SUMMARY_INDEXES } from './schema';
import { chunkOverview, decodeChunk, encodeChunk, widenRange, type EncodedSeries, type PointsSummary } from './chunks';
import { probesForIndex, type Probes } from './listing';
import { mlflowBefore, sortMlflowOrder } from '../formats/mlflowOrder';
import { probeSnapshotFile } from './probeSnapshot';
import type { Database } from './sqlite';
import { NativeModuleError, openDatabase } from './sqlite';

/**
 * Newest first; runs that started at the same moment (or have no start time) by folder, then row. Row ids
 * follow the order runs were written in, which on a cold index is the order read-ahead threads delivered
 * them: never the only key of an order a user sees.
 */
export const DEFAULT_RUN_ORDER = 'r.start_time DESC, r.path, r.rid';

export interface RunRow {
  rid: number;
  id: string;
  unit: string;
  experimentId: string;
  experimentName: string;
  format: Format;
  nativeId: string;
  name: string;
  status: RunStatus;
  lifecycle: Lifecycle;
  startTime: number | null;
  endTime: number | null;
  user: string | null;
  sourceScript: string | null;
  gitCommit: string | null;
  parentRunId: string | null;
  path: string;
  artifactDir: string | null;
}

/** A model, checkpoint or pickle file among a run's artifacts. */
export interface ModelFileRow {
  runId: string;
  runName: string;
  runNativeId: string;
  runPath: string;
  artifactDir: string | null;
  format: Format;
  startTime: number | null;
  experimentName: string;
  /** Relative to the run's artifacts. */
  path: string;
  size: number;
  kind: string;
}

export interface ExperimentRow {
  id: string;
  source: string;
  format: Format;
  nativeId: string;
  name: string;
  lifecycle: Lifecycle;
  createdAt: number | null;
  runCount: number;
}

/** What a reader hands the store for one run: the shared model's Run. */
export type RunInput = Run;

export interface ModelInput {
  id: string;
  experimentId: string;
  nativeId: string;
  name: string;
  sourceRunNativeId?: string;
  createdAt?: number;
  status?: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  /** Where the model lies: a logged model's folder, a registered version's source URI. */
  path: string;
  /** A logged model (MLflow 3 `models/m-…`) or a version of a registered model (MLflow's registry). */
  kind?: 'logged' | 'registered';
  version?: number;
  /** A registered version's stage (None, Staging, Production, Archived) and aliases. */
  stage?: string;
  aliases?: string[];
  description?: string;
}

export interface DiagnosticRow extends Diagnostic {
  unit: string;
}

/**
 * Where a run's artifact lies on disk: in its artifact folder when it has one of its own (RunRow.artifactDir);
 * else MLflow keeps them under the run's `artifacts/`, other formats in the run folder.
 */
export function artifactPath(run: RunPlace, rel: string): string {
  return path.join(artifactRoot(run), rel);
}

/** What places a run's artifacts: its format, its folder, and its artifact folder where it has one. */
type RunPlace = Pick<RunRow, 'format' | 'path'> & { artifactDir?: string | null };

function artifactRoot(run: RunPlace): string {
  return run.artifactDir ?? (run.format === 'mlflow' ? path.join(run.path, 'artifacts') : run.path);
}

/** What a pass's batch knows without asking SQLite (Store.beginBatch). */
interface Batch {
  sidKnown: boolean;
  /** Runs the batch inserted, with the keys of the series it began for each. */
  newRuns: Map<number, Set<string>>;
}

function newBatch(): Batch {
  return { sidKnown: false, newRuns: new Map() };
}

export function stableId(...parts: string[]): string {
  return createHash('sha1').update(parts.join('\0')).digest('hex').slice(0, 16);
}

const RUN_COLUMNS = `r.rid, r.id, r.unit, r.experiment_id AS experimentId, e.name AS experimentName, r.format, r.native_id AS nativeId,
  r.name, r.status, r.lifecycle, r.start_time AS startTime, r.end_time AS endTime, r.user, r.source_script AS sourceScript,
  r.git_commit AS gitCommit, r.parent_run_id AS parentRunId, r.path, r.artifact_dir AS artifactDir`;

/**
 * The index file cannot be opened or written (no such folder, not writable, disk full): the message names
 * the file, the reason and what to do.
 */
export class IndexStorageError extends Error {
  constructor(
    readonly file: string,
    readonly reason: Error & { code?: string },
  ) {
    const code = reason.code ?? '';
    const why = /SQLITE_FULL|ENOSPC/.test(code) || /disk is full|ENOSPC/i.test(reason.message)
      ? 'the disk holding it is full; free some space, then refresh'
      : /SQLITE_READONLY|EROFS|EACCES|EPERM/.test(code) || /read-?only|permission denied/i.test(reason.message)
        ? 'its location is read-only; point the index elsewhere (--index FILE or RUNLENS_INDEX for the CLI)'
        : reason.message;
    super(`Runlens cannot write its index at ${file}: ${why === reason.message ? why : `${why} (${reason.message})`}`);
  }
}

/**
 * Runs `fn` again while it fails with SQLITE_BUSY, for up to `ms`. Switching a file to WAL takes its
 * exclusive lock, and SQLite answers BUSY at once, without waiting for the busy timeout, while another
 * connection holds a lock in the rollback journal mode a new file starts in: another window opening the
 * same new index at that moment.
 */
function whileBusy<T>(fn: () => T, ms = 10_000): T {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** The files of the index at `file`: the database, its write-ahead log and shared memory, the probe snapshot. */
export function indexFiles(file: string): string[] {
  return [file, file + '-wal', file + '-shm', probeSnapshotFile(file)];
}

/** Errors of the index's storage itself, as opposed to one unit's bad data: they end the pass. */
export function isStorageError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  return /^SQLITE_(FULL|IOERR|READONLY|CORRUPT|NOTADB|CANTOPEN)/.test(code) || /^(ENOSPC|EROFS|EACCES|EPERM)$/.test(code);
}

export class Store {
  readonly db: Database;
  private readonly stmts: ReturnType<Store['prepare']>;

  private constructor(db: Database, readonly file: string) {
    this.db = db;
    this.stmts = this.prepare();
  }

  /**
   * Opens (creating if needed) the index at `file`. An index written by a newer schema or failing its quick
   * check is moved aside and rebuilt: it is a cache.
   */
  static open(file: string, options: { readonly?: boolean } = {}): Store {
    try {
      return Store.openAt(file, options);
    } catch (e) {
      if (e instanceof NativeModuleError) throw e;
      throw new IndexStorageError(file, e as Error);
    }
  }

  private static openAt(file: string, options: { readonly?: boolean }): Store {
    if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
    let db = openDatabase(file, { readonly: options.readonly, fileMustExist: options.readonly });
    if (!options.readonly) {
      // A marker beside the index lives while a writer has it open: finding one means the last writer
      // died (or another is running), and only then is the costly integrity check worth running.
      const marker = file + '.open';
      const ok = Store.healthy(db, fs.existsSync(marker));
      fs.writeFileSync(marker, String(process.pid));
      if (!ok) {
        db.close();
        for (const f of indexFiles(file)) fs.rmSync(f, { force: true });
        db = openDatabase(file);
      }
      // A new index: 32 KB pages. A metric chunk takes 4–12 KB encoded and a page holds whole rows: 16 KB
      // pages were a third empty (one 10 KB MLflow chunk each), 32 KB pages hold three (6 % empty). At the
      // issue's full sizes the index is 1.88 GB instead of 2.57 and a cold pass ~10 % faster; a live update
      // in a new process, which reads each page it needs whole, takes ~4 ms more (31 ms). The page size
      // must be set before WAL mode and the first table.
      if (db.pragma('user_version', { simple: true }) === 0) db.pragma('page_size = 32768');
      whileBusy(() => db.pragma('journal_mode = WAL'));
      // The index is a cache: after a crash it is checked and, if damaged, rebuilt, so commits need not
      // wait for the disk.
      db.pragma('synchronous = OFF');
      Store.migrate(db);
      Store.checkReaders(db);
      Store.buildSummaryIndexes(db, true);
    }
    db.pragma('cache_size = -32000');
    return new Store(db, file);
  }

  private static healthy(db: Database, check: boolean): boolean {
    try {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) return false;
      return !check || db.pragma('quick_check', { simple: true }) === 'ok';
    } catch {
      return false;
    }
  }

  /**
   * Builds the summary indexes a cold pass dropped (SUMMARY_INDEXES), if any is missing. With `ifFree`, gives
   * up when another writer holds the index (a cold pass still running, which builds them at its end).
   */
  private static buildSummaryIndexes(db: Database, ifFree = false): void {
    const present = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all() as string[]);
    const missing = Object.keys(SUMMARY_INDEXES).filter((name) => !present.has(name));
    if (missing.length === 0) return;
    const timeout = db.pragma('busy_timeout', { simple: true }) as number;
    if (ifFree) db.pragma('busy_timeout = 0');
    try {
      db.exec(missing.map((name) => `CREATE INDEX IF NOT EXISTS ${name} ON ${SUMMARY_INDEXES[name]};`).join('\n'));
    } catch (err) {
      if (!ifFree || (err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    } finally {
      if (ifFree) db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  /** A cold pass writes its rows without the summary indexes, then builds them (see SUMMARY_INDEXES). */
  dropSummaryIndexes(): void {
    this.db.exec(Object.keys(SUMMARY_INDEXES).map((name) => `DROP INDEX IF EXISTS ${name};`).join('\n'));
  }

  buildSummaryIndexes(): void {
    Store.buildSummaryIndexes(this.db);
  }

  private static checkReaders(db: Database): void {
    const written = () => db.prepare("SELECT value FROM meta WHERE key = 'readers'").pluck().get() as string | undefined;
    if (written() === String(READERS_VERSION)) return;
    // IMMEDIATE, and checked again inside: another window's indexer may be doing the same right now.
    db.transaction(() => {
      if (written() === String(READERS_VERSION)) return;
      // (Deleting the probes notes every unit's as changed: the probe snapshot is not used as it is.)
      for (const t of ['runs', 'params', 'tags', 'artifacts', 'series', 'chunks', 'overviews', 'models', 'units', 'probes', 'diagnostics', 'experiments']) db.exec(`DELETE FROM ${t}`);
      db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('readers', ?)").run(String(READERS_VERSION));
    }).immediate();
  }

  /**
   * Applies the migrations the file lacks, each in an IMMEDIATE transaction that reads the version again
   * once it holds the write lock: two processes opening a new index at once migrate it once.
   */
  private static migrate(db: Database): void {
    const version = () => db.pragma('user_version', { simple: true }) as number;
    for (let v = version(); v < SCHEMA_VERSION; v = version()) {
      db.transaction(() => {
        const now = version();
        if (now >= SCHEMA_VERSION) return;
        db.exec(MIGRATIONS[now]);
        db.pragma(`user_version = ${now + 1}`);
      }).immediate();
    }
  }

  close(): void {
    const writer = !this.db.readonly;
    this.db.close();
    if (writer) fs.rmSync(this.file + '.open', { force: true });
  }

  private prepare() {
    const db = this.db;
    return {
      unitState: db.prepare('SELECT state FROM units WHERE key = ?').pluck(),
      allUnits: db.prepare('SELECT key FROM units').pluck(),
      putUnit: db.prepare(
        'INSERT INTO units(key, kind, state) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, state = excluded.state',
      ),
      // The paths as their UTF-8 bytes, as the native check takes them (no string made per unit).
      unitProbes: db.prepare('SELECT CAST(paths AS BLOB), seen FROM probes WHERE unit = ?').raw(),
      allUnitProbes: db.prepare('SELECT unit, CAST(paths AS BLOB), seen FROM probes').raw(),
      probeSnapshotToken: db.prepare("SELECT value FROM meta WHERE key = 'probe_snapshot'").pluck(),
      setProbeSnapshotToken: db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('probe_snapshot', ?)"),
      probesChanged: db.prepare('SELECT unit FROM probes_changed ORDER BY id').pluck(),
      clearProbesChanged: db.prepare('DELETE FROM probes_changed'),
      setUnitProbes: db.prepare('INSERT INTO probes(unit, paths, seen) VALUES (?, ?, ?) ON CONFLICT(unit) DO UPDATE SET paths = excluded.paths, seen = excluded.seen'),
      deleteUnitProbes: db.prepare('DELETE FROM probes WHERE unit = ?'),
      deleteUnit: db.prepare('DELETE FROM units WHERE key = ?'),
      runsOfUnit: db.prepare('SELECT rid FROM runs WHERE unit = ?').pluck(),
      ridOf: db.prepare('SELECT rid FROM runs WHERE id = ?').pluck(),
      insertRun: db.prepare(`INSERT INTO runs(id, unit, experiment_id, format, native_id, name, status, lifecycle, start_time, end_time, user, source_script, git_commit, parent_run_id, path, artifact_dir, datasets)
        VALUES (@id, @unit, @experimentId, @format, @nativeId, @name, @status, @lifecycle, @startTime, @endTime, @user, @sourceScript, @gitCommit, @parentRunId, @path, @artifactDir, @datasets)`),
      updateRun: db.prepare(`UPDATE runs SET unit=@unit, experiment_id=@experimentId, format=@format, native_id=@nativeId, name=@name, status=@status, lifecycle=@lifecycle,
        start_time=@startTime, end_time=@endTime, user=@user, source_script=@sourceScript, git_commit=@gitCommit, parent_run_id=@parentRunId, path=@path, artifact_dir=@artifactDir, datasets=@datasets WHERE rid=@rid`),
      deleteRun: db.prepare('DELETE FROM runs WHERE rid = ?'),
      deleteParams: db.prepare('DELETE FROM params WHERE rid = ?'),
      deleteTags: db.prepare('DELETE FROM tags WHERE rid = ?'),
      deleteArtifacts: db.prepare('DELETE FROM artifacts WHERE rid = ?'),
      deleteChunksOfRun: db.prepare('DELETE FROM chunks WHERE sid IN (SELECT sid FROM series WHERE rid = ?)'),
      deleteOverviewsOfRun: db.prepare('DELETE FROM overviews WHERE sid IN (SELECT sid FROM series WHERE rid = ?)'),
      deleteSeriesOfRun: db.prepare('DELETE FROM series WHERE rid = ?'),
      insertArtifact: db.prepare('INSERT OR REPLACE INTO artifacts(rid, path, size, kind) VALUES (?, ?, ?, ?)'),
      // A run's params and tags in one statement each: SQLite walks the JSON object (one call, not one per key).
      insertParams: db.prepare('INSERT OR REPLACE INTO params(rid, key, value) SELECT ?, key, value FROM json_each(?)'),
      insertTags: db.prepare('INSERT OR REPLACE INTO tags(rid, key, value) SELECT ?, key, value FROM json_each(?)'),
      upsertExperiment: db.prepare(`INSERT INTO experiments(id, source, format, native_id, name, lifecycle, created_at, unit) VALUES (@id, @source, @format, @nativeId, @name, @lifecycle, @createdAt, @unit)
        ON CONFLICT(id) DO UPDATE SET source=excluded.source, format=excluded.format, native_id=excluded.native_id, name=excluded.name, lifecycle=excluded.lifecycle, created_at=excluded.created_at, unit=excluded.unit`),
      deleteExperimentsOfUnit: db.prepare('DELETE FROM experiments WHERE unit = ?'),
      seriesOf: db.prepare('SELECT sid, count, last, last_step AS lastStep, last_time AS lastTime, min, max FROM series WHERE rid = ? AND key = ?'),
      insertSeries: db.prepare('INSERT INTO series(sid, rid, key, count, last, last_step, last_time, min, max) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      maxSid: db.prepare('SELECT COALESCE(MAX(sid), 0) FROM series').pluck(),
      updateSeries: db.prepare('UPDATE series SET count=?, last=?, last_step=?, last_time=?, min=?, max=? WHERE sid=?'),
      lastChunk: db.prepare('SELECT seq, n, data FROM chunks WHERE sid = ? ORDER BY seq DESC LIMIT 1'),
      chunksOf: db.prepare('SELECT seq, n, data FROM chunks WHERE sid = ? ORDER BY seq'),
      putChunk: db.prepare('INSERT OR REPLACE INTO chunks(sid, seq, n, data) VALUES (?, ?, ?, ?)'),
      putOverview: db.prepare('INSERT OR REPLACE INTO overviews(sid, seq, data) VALUES (?, ?, ?)'),
      deleteSeries: db.prepare('DELETE FROM series WHERE sid = ?'),
      deleteChunksFrom: db.prepare('DELETE FROM chunks WHERE sid >= ?'),
      deleteOverviewsFrom: db.prepare('DELETE FROM overviews WHERE sid >= ?'),
      deleteSeriesFrom: db.prepare('DELETE FROM series WHERE sid >= ?'),
      deleteChunks: db.prepare('DELETE FROM chunks WHERE sid = ?'),
      deleteOverviews: db.prepare('DELETE FROM overviews WHERE sid = ?'),
      insertModel: db.prepare(`INSERT OR REPLACE INTO models(id, unit, experiment_id, native_id, name, source_run_native_id, created_at, status, params, metrics, path, kind, version, stage, aliases, description)
        VALUES (@id, @unit, @experimentId, @nativeId, @name, @sourceRunNativeId, @createdAt, @status, @params, @metrics, @path, @kind, @version, @stage, @aliases, @description)`),
      deleteModelsOfUnit: db.prepare('DELETE FROM models WHERE unit = ?'),
      insertDiagnostic: db.prepare('INSERT INTO diagnostics(unit, file, line, offset, severity, message) VALUES (?, ?, ?, ?, ?, ?)'),
      deleteDiagnostics: db.prepare('DELETE FROM diagnostics WHERE unit = ?'),
    };
  }

  // ---- write API (used by the indexer inside transactions) ----

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * A pass's batch: a transaction in which the store keeps what only this connection can change — the
   * largest sid (read once, at the batch's first new series) and the runs it inserted with the keys of
   * their series — instead of asking SQLite for them at each series (two queries a series, a tenth of the
   * SQLite time of a cold index). Inside a transaction no other connection can commit (WAL: a write on a
   * stale read fails), so both stay true until the batch ends.
   */
  beginBatch(): void {
    this.db.exec('BEGIN');
    this.batch = newBatch();
  }

  commitBatch(): void {
    this.batch = undefined;
    this.db.exec('COMMIT');
  }

  /** After a ROLLBACK TO inside a batch: what the batch knew may have been undone with it. */
  rolledBack(): void {
    if (this.batch) this.batch = newBatch();
  }

  /** Ends a batch whose transaction was rolled back (or lost). */
  abandonBatch(): void {
    this.batch = undefined;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  private batch: Batch | undefined;

  unitState<T>(key: string): T | undefined {
    const s = this.stmts.unitState.get(key) as string | undefined;
    return s === undefined ? undefined : (JSON.parse(s) as T);
  }

  /** The keys of the units in the index (read from the key index alone, not the rows with their states). */
  unitKeys(): Set<string> {
    return new Set(this.stmts.allUnits.all() as string[]);
  }

  /** Stores a unit's state, and the probes of the listing it was read from (none: check it in full). */
  putUnit(key: string, kind: string, state: unknown, probes?: Probes): void {
    this.stmts.putUnit.run(key, kind, JSON.stringify(state));
    if (probes) this.setUnitProbes(key, probes);
    else this.stmts.deleteUnitProbes.run(key);
  }

  /** putUnit with the state as JSON and the probes as the index keeps them (probesForIndex), made elsewhere. */
  putUnitText(key: string, kind: string, state: string, probes: [paths: string, seen: Buffer]): void {
    this.stmts.putUnit.run(key, kind, state);
    this.stmts.setUnitProbes.run(key, ...probes);
  }

  /** A unit's probes as kept (probesUnchanged's arguments), if it has them. */
  unitProbes(key: string): [paths: Buffer, seen: Buffer] | undefined {
    return this.stmts.unitProbes.get(key) as [Buffer, Buffer] | undefined;
  }

  /**
   * Every unit's probes, by key (a unit without them is not there: check it in full): what a pass over the
   * workspace checks, in one query instead of one per unit.
   */
  allUnitProbes(): Map<string, [paths: Buffer, seen: Buffer]> {
    const out = new Map<string, [Buffer, Buffer]>();
    for (const [key, paths, seen] of this.stmts.allUnitProbes.all() as [string, Buffer, Buffer][]) out.set(key, [paths, seen]);
    return out;
  }

  /** The token of the probe snapshot that goes with the index (probeSnapshot.ts), if one was written. */
  probeSnapshotToken(): string | undefined {
    return this.stmts.probeSnapshotToken.get() as string | undefined;
  }

  /** The units whose probes changed since the probe snapshot was written, the last changed last. */
  probesChanged(): string[] {
    return this.stmts.probesChanged.all() as string[];
  }

  /** Records that the probe snapshot with `token` takes in every change noted: they are forgotten. */
  setProbeSnapshotToken(token: string): void {
    this.stmts.setProbeSnapshotToken.run(token);
    this.stmts.clearProbesChanged.run();
  }

  setUnitProbes(key: string, probes: Probes): void {
    this.stmts.setUnitProbes.run(key, ...probesForIndex(probes));
  }

  /**
   * Removes everything a unit put in the index; with `seriesFrom` (a `seriesMark` taken before the unit
   * was read), also the series it began and had not closed, whose rows are not written yet.
   */
  dropUnit(key: string, seriesFrom?: number): void {
    if (seriesFrom !== undefined) {
      this.stmts.deleteChunksFrom.run(seriesFrom);
      this.stmts.deleteOverviewsFrom.run(seriesFrom);
      this.stmts.deleteSeriesFrom.run(seriesFrom);
    }
    this.clearUnitRuns(key);
    this.stmts.deleteExperimentsOfUnit.run(key);
    this.stmts.deleteModelsOfUnit.run(key);
    this.stmts.deleteDiagnostics.run(key);
    this.stmts.deleteUnitProbes.run(key);
    this.stmts.deleteUnit.run(key);
  }

  clearUnitRuns(key: string): void {
    for (const rid of this.stmts.runsOfUnit.all(key) as number[]) this.deleteRunRows(rid);
  }

  runIdsOfUnit(key: string): number[] {
    return this.stmts.runsOfUnit.all(key) as number[];
  }

  deleteRunRows(rid: number): void {
    this.stmts.deleteChunksOfRun.run(rid);
    this.stmts.deleteOverviewsOfRun.run(rid);
    this.stmts.deleteSeriesOfRun.run(rid);
    this.stmts.deleteParams.run(rid);
    this.stmts.deleteTags.run(rid);
    this.stmts.deleteArtifacts.run(rid);
    this.stmts.deleteRun.run(rid);
  }

  upsertExperiment(unit: string, e: { id: string; source: string; format: Format; nativeId: string; name: string; lifecycle: Lifecycle; createdAt?: number }): void {
    this.stmts.upsertExperiment.run({ ...e, createdAt: e.createdAt ?? null, unit });
  }

  /** Inserts or updates a run's header (params, tags, artifacts replaced); returns its rid. */
  putRun(unit: string, run: RunInput): number {
    const row = {
      unit,
      id: run.id,
      experimentId: run.experimentId,
      format: run.format,
      nativeId: run.nativeId,
      name: run.name,
      status: run.status,
      lifecycle: run.lifecycle,
      // Whole milliseconds, whatever the source's precision (file mtimes, float seconds of event files).
      startTime: run.startTime == null ? null : Math.round(run.startTime),
      endTime: run.endTime == null ? null : Math.round(run.endTime),
      user: run.user ?? null,
      sourceScript: run.sourceScript ?? null,
      gitCommit: run.gitCommit ?? null,
      parentRunId: run.parentRunId ?? null,
      path: run.path,
      artifactDir: run.artifactDir ?? null,
      datasets: run.datasets?.length ? JSON.stringify(run.datasets) : null,
    };
    let rid = this.stmts.ridOf.get(run.id) as number | undefined;
    if (rid === undefined) {
      rid = Number(this.stmts.insertRun.run(row).lastInsertRowid);
      this.batch?.newRuns.set(rid, new Set());
    } else {
      this.batch?.newRuns.delete(rid);
      this.stmts.updateRun.run({ ...row, rid });
      this.stmts.deleteParams.run(rid);
      this.stmts.deleteTags.run(rid);
      this.stmts.deleteArtifacts.run(rid);
    }
    if (Object.keys(run.params).length > 0) this.stmts.insertParams.run(rid, JSON.stringify(run.params));
    if (Object.keys(run.tags).length > 0) this.stmts.insertTags.run(rid, JSON.stringify(run.tags));
    for (const a of run.artifacts) this.stmts.insertArtifact.run(rid, a.path, a.size, a.kind);
    return rid;
  }

  putModel(unit: string, m: ModelInput): void {
    this.stmts.insertModel.run({
      ...m,
      unit,
      sourceRunNativeId: m.sourceRunNativeId ?? null,
      createdAt: m.createdAt ?? null,
      status: m.status ?? null,
      params: JSON.stringify(m.params),
      metrics: JSON.stringify(m.metrics),
      kind: m.kind ?? 'logged',
      version: m.version ?? null,
      stage: m.stage ?? null,
      aliases: m.aliases?.length ? JSON.stringify(m.aliases) : null,
      description: m.description || null,
    });
  }

  clearModelsOfUnit(unit: string): void {
    this.stmts.deleteModelsOfUnit.run(unit);
  }

  putDiagnostics(unit: string, diagnostics: Diagnostic[]): void {
    this.stmts.deleteDiagnostics.run(unit);
    for (const d of diagnostics) this.stmts.insertDiagnostic.run(unit, d.file, d.line ?? null, d.offset ?? null, d.severity, d.message);
  }

  /** Removes one series of a run (a value that is gone from the file that held it). */
  dropSeries(rid: number, key: string): void {
    const existing = this.stmts.seriesOf.get(rid, key) as SeriesState | undefined;
    if (existing) this.deleteSeriesRows(existing.sid);
  }

  private deleteSeriesRows(sid: number): void {
    this.stmts.deleteChunks.run(sid);
    this.stmts.deleteOverviews.run(sid);
    this.stmts.deleteSeries.run(sid);
  }

  /**
   * A writer that appends points to the series `key` of run `rid` (created when missing). `ordered`: the
   * series is kept in MLflow's order (mlflowOrder.ts), its points put in order when they come out of it.
   */
  seriesWriter(rid: number, key: string, replace: boolean, ordered = false): SeriesWriter {
    // A run this batch inserted has only the series the batch began for it.
    const begun = this.batch?.newRuns.get(rid);
    const fresh = begun !== undefined && !begun.has(key);
    begun?.add(key);
    const existing = fresh ? undefined : (this.stmts.seriesOf.get(rid, key) as SeriesState | undefined);
    if (existing && replace) this.deleteSeriesRows(existing.sid);
    if (existing && !replace) return new SeriesWriter(this.stmts, existing, this.stmts.lastChunk.get(existing.sid) as ChunkRow | undefined, ordered);
    // A new series' row is written once, when its writer closes and its summary is known (an insert and
    // an update would each touch the row and its three summary indexes). Its sid is taken now, for its
    // chunks: past every row in the table and every sid handed out to writers not closed yet.
    const sid = this.seriesMark();
    this.nextSid++;
    return new SeriesWriter(this.stmts, { sid, rid, key, count: 0, last: null, lastStep: null, lastTime: null, min: null, max: null }, undefined, ordered);
  }

  private nextSid = 0;

  /** The sid the next new series will get: every series begun after this call has this sid or a larger one. */
  seriesMark(): number {
    if (this.batch?.sidKnown) return this.nextSid;
    this.nextSid = Math.max(this.nextSid, (this.stmts.maxSid.get() as number) + 1);
    if (this.batch) this.batch.sidKnown = true;
    return this.nextSid;
  }

  // ---- read API ----

  listExperiments(): ExperimentRow[] {
    return this.db
      .prepare(
        `SELECT e.id, e.source, e.format, e.native_id AS nativeId, e.name, e.lifecycle, e.created_at AS createdAt,
          (SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.id) AS runCount
         FROM experiments e ORDER BY e.source, e.name`,
      )
      .all() as ExperimentRow[];
  }

  /** Runs matching a compiled filter (see query.ts), sorted and paged. */
  queryRuns(where: { sql: string; params: unknown[] }, order: { sql: string; params: unknown[] }, limit = -1, offset = 0): RunRow[] {
    const sql = `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id
      WHERE ${where.sql || '1'} ORDER BY ${order.sql || DEFAULT_RUN_ORDER} LIMIT ? OFFSET ?`;
    return this.db.prepare(sql).all(...where.params, ...order.params, limit, offset) as RunRow[];
  }

  countRuns(where: { sql: string; params: unknown[] } = { sql: '', params: [] }): number {
    const sql = `SELECT COUNT(*) FROM runs r WHERE ${where.sql || '1'}`;
    return this.db.prepare(sql).pluck().get(...where.params) as number;
  }

  /**
   * Runs matching a filter, counted per value of a SQL expression over `r` (a column, or a tag's value by a
   * correlated subquery); for the tree's group-by. NULL groups come last.
   */
  groupRuns(where: { sql: string; params: unknown[] }, expr: { sql: string; params: unknown[] }): { value: string | null; count: number }[] {
    const sql = `SELECT g AS value, COUNT(*) AS count FROM (SELECT ${expr.sql} AS g FROM runs r WHERE ${where.sql || '1'})
      GROUP BY g ORDER BY g IS NULL, g`;
    return this.db.prepare(sql).all(...expr.params, ...where.params) as { value: string | null; count: number }[];
  }

  /**
   * Data files the index knows versions of: DVC-tracked deps and outs (their md5 in `dvc.lock` or a `.dvc`
   * file), each version with the runs that consumed (dep) or produced (out) it.
   */
  datasets(): { path: string; version: string; role: 'dep' | 'out'; runIds: string[] }[] {
    const rows = this.db
      .prepare(
        `SELECT t.key, t.value, r.id FROM tags t JOIN runs r ON r.rid = t.rid
         WHERE t.key >= 'dvc.dep.' AND t.key < 'dvc.out/' ORDER BY t.key, t.value, r.id`,
      )
      .all() as { key: string; value: string; id: string }[];
    const out = new Map<string, { path: string; version: string; role: 'dep' | 'out'; runIds: string[] }>();
    for (const r of rows) {
      const m = /^dvc\.(dep|out)\.(.+)$/.exec(r.key);
      if (!m) continue;
      const k = `${m[2]}\0${r.value}\0${m[1]}`;
      let e = out.get(k);
      if (!e) out.set(k, (e = { path: m[2], version: r.value, role: m[1] as 'dep' | 'out', runIds: [] }));
      e.runIds.push(r.id);
    }
    return [...out.values()];
  }

  /** Model and checkpoint files among runs' artifacts, and every file of MLflow model folders; newest runs first. */
  modelFiles(limit = 5000): ModelFileRow[] {
    return this.db
      .prepare(
        `SELECT r.id AS runId, r.name AS runName, r.native_id AS runNativeId, r.path AS runPath, r.artifact_dir AS artifactDir, r.format AS format, r.start_time AS startTime,
           e.name AS experimentName, a.path, a.size, a.kind
         FROM artifacts a JOIN runs r ON r.rid = a.rid JOIN experiments e ON e.id = r.experiment_id
         WHERE a.kind IN ('model', 'checkpoint') OR (a.kind = 'pickle' AND a.path NOT LIKE '%training_args.bin')
           -- every file of an MLflow model folder (the folder of an MLmodel): environment files, examples
           OR EXISTS (SELECT 1 FROM artifacts m WHERE m.rid = a.rid AND (m.path = 'MLmodel' OR m.path LIKE '%/MLmodel')
                      AND substr(a.path, 1, length(m.path) - 7) = substr(m.path, 1, length(m.path) - 7))
         ORDER BY ${DEFAULT_RUN_ORDER}, a.path LIMIT ?`,
      )
      .all(limit) as ModelFileRow[];
  }

  /** Runs by their format's own ids (an MLflow run_id), for the models that name the run that made them. */
  runsByNativeId(nativeIds: string[]): Map<string, RunRow[]> {
    const out = new Map<string, RunRow[]>();
    const stmt = this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.native_id = ?`);
    for (const id of new Set(nativeIds)) out.set(id, stmt.all(id) as RunRow[]);
    return out;
  }

  /** Runs one of whose artifacts is the file at `abs` (an absolute path). */
  runsWithArtifact(abs: string): RunRow[] {
    const candidates = this.db
      .prepare(
        `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id
         WHERE substr(@abs, 1, length(r.path) + 1) = r.path || @sep OR substr(@abs, 1, length(r.artifact_dir) + 1) = r.artifact_dir || @sep`,
      )
      .all({ abs, sep: path.sep }) as RunRow[];
    const has = this.db.prepare('SELECT 1 FROM artifacts WHERE rid = ? AND path = ?').pluck();
    return candidates.filter((run) => {
      const rel = path.relative(artifactRoot(run), abs).split(path.sep).join('/');
      return !rel.startsWith('..') && has.get(run.rid, rel) !== undefined;
    });
  }

  /** Runs with a param whose value contains `text` (a file name), for finding the runs that name a file. */
  runsWithParamValueLike(text: string, limit = 500): RunRow[] {
    return this.db
      .prepare(
        `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id
         WHERE r.rid IN (SELECT rid FROM params WHERE instr(value, ?) > 0) ORDER BY r.start_time DESC LIMIT ?`,
      )
      .all(text, limit) as RunRow[];
  }

  getRun(id: string): RunRow | undefined {
    return this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?`).get(id) as RunRow | undefined;
  }

  /** Finds runs by id, id prefix, native id, native id prefix or exact name, in that order of preference. */
  resolveRun(ref: string): RunRow[] {
    const base = `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE `;
    for (const [cond, arg] of [
      ['r.id = ?', ref],
      ['r.native_id = ?', ref],
      ["r.id LIKE ? ESCAPE '\\'", likePrefix(ref)],
      ["r.native_id LIKE ? ESCAPE '\\'", likePrefix(ref)],
      ['r.name = ?', ref],
    ] as const) {
      const rows = this.db.prepare(base + cond + ' LIMIT 20').all(arg) as RunRow[];
      if (rows.length > 0) return rows;
    }
    return [];
  }

  params(rid: number): Record<string, string> {
    return Object.fromEntries((this.db.prepare('SELECT key, value FROM params WHERE rid = ? ORDER BY key').all(rid) as { key: string; value: string }[]).map((r) => [r.key, r.value]));
  }

  tags(rid: number): Record<string, string> {
    return Object.fromEntries((this.db.prepare('SELECT key, value FROM tags WHERE rid = ? ORDER BY key').all(rid) as { key: string; value: string }[]).map((r) => [r.key, r.value]));
  }

  /** The datasets run `rid` logged as inputs (Run.datasets), in the order logged. */
  datasetInputs(rid: number): DatasetInput[] {
    const text = this.db.prepare('SELECT datasets FROM runs WHERE rid = ?').pluck().get(rid) as string | null | undefined;
    return text ? (JSON.parse(text) as DatasetInput[]) : [];
  }

  artifacts(rid: number): Artifact[] {
    return this.db.prepare('SELECT path, size, kind FROM artifacts WHERE rid = ? ORDER BY path').all(rid) as Artifact[];
  }

  seriesSummaries(rid: number): SeriesSummary[] {
    const rows = this.db.prepare('SELECT key, count, last, last_step AS lastStep, min, max FROM series WHERE rid = ? ORDER BY key').all(rid) as SeriesSummary[];
    return rows.map((r) => ({ ...r, last: r.last ?? NaN, lastStep: r.lastStep ?? NaN, min: r.min ?? NaN, max: r.max ?? NaN }));
  }

  private sidOf(rid: number, key: string): number | undefined {
    return this.db.prepare('SELECT sid FROM series WHERE rid = ? AND key = ?').pluck().get(rid, key) as number | undefined;
  }

  /** All points of one series, in logged order. */
  seriesPoints(rid: number, key: string): MetricPoint[] {
    const sid = this.sidOf(rid, key);
    if (sid === undefined) return [];
    const out: MetricPoint[] = [];
    for (const c of this.db.prepare('SELECT n, data FROM chunks WHERE sid = ? ORDER BY seq').iterate(sid) as Iterable<ChunkRow>) {
      const f = decodeChunk(c.data, c.n);
      for (let i = 0; i < c.n; i++) out.push({ step: f[i], time: f[c.n + i], value: f[2 * c.n + i] });
    }
    return out;
  }

  /**
   * A series' shape for charts without reading it whole: each chunk's first, lowest, highest and last
   * points, in logged order (about 4 points per CHUNK_POINTS). Exact where a series fits in a few chunks.
   */
  seriesOverview(rid: number, key: string): MetricPoint[] {
    const sid = this.sidOf(rid, key);
    if (sid === undefined) return [];
    const out: MetricPoint[] = [];
    let last = -1;
    for (const o of this.db.prepare('SELECT seq, data FROM overviews WHERE sid = ? ORDER BY seq').iterate(sid) as Iterable<{ seq: number; data: Buffer }>) {
      const f = decodeTriples(o.data);
      for (let i = 0; i < f.length; i += 3) out.push({ step: f[i], time: f[i + 1], value: f[i + 2] });
      last = o.seq;
    }
    // Chunks without an overview — the last, still filling (under 1,024 points), or all of an index
    // written before overviews existed — as they are.
    this.tailPoints(sid, last, () => true, out);
    return out;
  }

  private tailPoints(sid: number, afterSeq: number, keep: (step: number, time: number) => boolean, out: MetricPoint[]): void {
    for (const c of this.db.prepare('SELECT n, data FROM chunks WHERE sid = ? AND seq > ? ORDER BY seq').iterate(sid, afterSeq) as Iterable<ChunkRow>) {
      const f = decodeChunk(c.data, c.n);
      for (let i = 0; i < c.n; i++) if (keep(f[i], f[c.n + i])) out.push({ step: f[i], time: f[c.n + i], value: f[2 * c.n + i] });
    }
  }

  /**
   * The points of a series whose x (step, or wall time in ms) lies in [min, max], reading only the chunks
   * whose overview overlaps the range: the detail a zoomed chart asks for.
   */
  seriesRange(rid: number, key: string, axis: 'step' | 'time', min: number, max: number): MetricPoint[] {
    const sid = this.sidOf(rid, key);
    if (sid === undefined) return [];
    const out: MetricPoint[] = [];
    const full = this.db.prepare('SELECT n, data FROM chunks WHERE sid = ? AND seq = ?');
    const o = axis === 'step' ? 0 : 1;
    const inRange = (step: number, time: number) => {
      const x = axis === 'step' ? step : time;
      return x >= min && x <= max;
    };
    let last = -1;
    for (const c of this.db.prepare('SELECT seq, data FROM overviews WHERE sid = ? ORDER BY seq').iterate(sid) as Iterable<{ seq: number; data: Buffer }>) {
      last = c.seq;
      const f = decodeTriples(c.data);
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = o; i < f.length; i += 3) (lo = Math.min(lo, f[i])), (hi = Math.max(hi, f[i]));
      if (hi < min || lo > max) continue;
      const row = full.get(sid, c.seq) as { n: number; data: Buffer };
      const d = decodeChunk(row.data, row.n);
      for (let i = 0; i < row.n; i++) if (inRange(d[i], d[row.n + i])) out.push({ step: d[i], time: d[row.n + i], value: d[2 * row.n + i] });
    }
    this.tailPoints(sid, last, inRange, out);
    return out;
  }

  diagnostics(unit?: string): DiagnosticRow[] {
    const sql = `SELECT unit, file, line, offset, severity, message FROM diagnostics ${unit === undefined ? '' : 'WHERE unit = ?'} ORDER BY file, line, offset`;
    return (this.db.prepare(sql).all(...(unit === undefined ? [] : [unit])) as Record<string, unknown>[]).map((r) => ({
      unit: r.unit as string,
      file: r.file as string,
      line: (r.line as number | null) ?? undefined,
      offset: (r.offset as number | null) ?? undefined,
      severity: r.severity as DiagnosticRow['severity'],
      message: r.message as string,
    }));
  }

  models(): (ModelInput & { unit: string })[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY name, kind, version, created_at').all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as string,
      unit: r.unit as string,
      experimentId: r.experiment_id as string,
      nativeId: r.native_id as string,
      name: r.name as string,
      sourceRunNativeId: (r.source_run_native_id as string | null) ?? undefined,
      createdAt: (r.created_at as number | null) ?? undefined,
      status: (r.status as string | null) ?? undefined,
      params: JSON.parse(r.params as string) as Record<string, string>,
      metrics: JSON.parse(r.metrics as string) as Record<string, number>,
      path: r.path as string,
      kind: r.kind as 'logged' | 'registered',
      version: (r.version as number | null) ?? undefined,
      stage: (r.stage as string | null) ?? undefined,
      aliases: r.aliases ? (JSON.parse(r.aliases as string) as string[]) : undefined,
      description: (r.description as string | null) ?? undefined,
    }));
  }

  counts(): { runs: number; experiments: number; series: number; points: number; byFormat: Record<string, number> } {
    const one = (sql: string) => this.db.prepare(sql).pluck().get() as number;
    const byFormat = Object.fromEntries(
      (this.db.prepare('SELECT format, COUNT(*) AS n FROM runs GROUP BY format').all() as { format: string; n: number }[]).map((r) => [r.format, r.n]),
    );
    return {
      runs: one('SELECT COUNT(*) FROM runs'),
      experiments: one('SELECT COUNT(*) FROM experiments'),
      series: one('SELECT COUNT(*) FROM series'),
      points: one('SELECT COALESCE(SUM(count), 0) FROM series'),
      byFormat,
    };
  }
}

function likePrefix(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

interface SeriesState extends PointsSummary {
  sid: number;
  /** Set while the series has no row yet (written when its writer closes). */
  rid?: number;
  key?: string;
}

interface ChunkRow {
  seq: number;
  n: number;
  data: Buffer;
}

function decodeTriples(data: Buffer): Float64Array {
  const f = new Float64Array(data.length / 8);
  Buffer.from(f.buffer).set(data);
  return f;
}

/** Buffers points into fixed-size chunks and keeps the series summary current. */
const overviewScratch = new Float64Array(12);

/** Column buffers of closed writers, reused: a cold index opens a writer per series. */
const bufferPool: Float64Array[] = [];

export class SeriesWriter {
  private seq: number;
  private n: number;
  private readonly columns = bufferPool.pop() ?? new Float64Array(3 * CHUNK_POINTS);
  private readonly steps = this.columns.subarray(0, CHUNK_POINTS);
  private readonly times = this.columns.subarray(CHUNK_POINTS, 2 * CHUNK_POINTS);
  private readonly values = this.columns.subarray(2 * CHUNK_POINTS);
  private dirty = false;
  private closed = false;
  /** An ordered series' last point so far (step, time, value), and whether a point came before it. */
  private readonly prev = new Float64Array(3);
  private hasPrev = false;
  private outOfOrder = false;

  constructor(
    private readonly stmts: ReturnType<Store['prepare']>,
    private readonly state: SeriesState,
    last: ChunkRow | undefined,
    private readonly ordered = false,
  ) {
    if (last && last.n < CHUNK_POINTS) {
      const f = decodeChunk(last.data, last.n);
      this.steps.set(f.subarray(0, last.n));
      this.times.set(f.subarray(last.n, 2 * last.n));
      this.values.set(f.subarray(2 * last.n, 3 * last.n));
      this.seq = last.seq;
      this.n = last.n;
    } else {
      this.seq = last ? last.seq + 1 : 0;
      this.n = 0;
    }
    if (ordered && last) {
      // Points appended must come after the series' last point (a full chunk decoded for it alone).
      const f = this.n > 0 ? this.columns : decodeChunk(last.data, last.n);
      const [cap, k] = this.n > 0 ? [CHUNK_POINTS, this.n - 1] : [last.n, last.n - 1];
      this.prev.set([f[k], f[cap + k], f[2 * cap + k]]);
      this.hasPrev = true;
    }
  }

  /** Notes points [from, to) that come before the point ahead of them (an ordered series only). */
  private checkOrder(steps: Float64Array, times: Float64Array, values: Float64Array, from: number, to: number): void {
    const p = this.prev;
    if (this.hasPrev && mlflowBefore(steps[from], times[from], values[from], p[0], p[1], p[2])) this.outOfOrder = true;
    this.hasPrev = true;
    // Each point against the one before it in the range, then the range's last becomes the previous point.
    for (let i = from + 1; i < to && !this.outOfOrder; i++) if (mlflowBefore(steps[i], times[i], values[i], steps[i - 1], times[i - 1], values[i - 1])) this.outOfOrder = true;
    p[0] = steps[to - 1];
    p[1] = times[to - 1];
    p[2] = values[to - 1];
  }

  push(step: number, time: number, value: number): void {
    if (this.ordered && !this.outOfOrder) {
      const p = this.prev;
      if (this.hasPrev && mlflowBefore(step, time, value, p[0], p[1], p[2])) this.outOfOrder = true;
      p[0] = step;
      p[1] = time;
      p[2] = value;
      this.hasPrev = true;
    }
    this.steps[this.n] = step;
    this.times[this.n] = time;
    this.values[this.n] = value;
    this.n++;
    this.dirty = true;
    const s = this.state;
    s.count++;
    s.last = value;
    s.lastStep = step;
    s.lastTime = time;
    if (!Number.isNaN(value)) {
      if (s.min === null || value < s.min) s.min = value;
      if (s.max === null || value > s.max) s.max = value;
    }
    if (this.n === CHUNK_POINTS) this.flushChunk(true);
  }

  /** Points [from, to) of three columns (as a metric reader gives them: readMlflowMetricColumns). */
  pushRange(steps: Float64Array, times: Float64Array, values: Float64Array, from: number, to: number): void {
    if (to <= from) return;
    if (this.ordered && !this.outOfOrder) this.checkOrder(steps, times, values, from, to);
    const s = this.state;
    widenRange(s, values, from, to);
    for (let i = from; i < to; ) {
      const k = Math.min(to - i, CHUNK_POINTS - this.n);
      this.steps.set(steps.subarray(i, i + k), this.n);
      this.times.set(times.subarray(i, i + k), this.n);
      this.values.set(values.subarray(i, i + k), this.n);
      this.n += k;
      i += k;
      this.dirty = true;
      if (this.n === CHUNK_POINTS) this.flushChunk(true);
    }
    s.count += to - from;
    s.last = values[to - 1];
    s.lastStep = steps[to - 1];
    s.lastTime = times[to - 1];
  }

  private flushChunk(full: boolean): void {
    if (!this.dirty) return;
    const n = this.n;
    // SQLite copies a bound blob, so the encoder's scratch buffer serves every flush.
    this.stmts.putChunk.run(this.state.sid, this.seq, n, encodeChunk(this.steps, this.times, this.values, n));
    this.dirty = false;
    if (!full) return;
    // The last chunk, still filling, has no overview: readers take its points as they are.
    const k = chunkOverview(this.steps, this.times, this.values, n, overviewScratch);
    this.stmts.putOverview.run(this.state.sid, this.seq, Buffer.from(overviewScratch.buffer, 0, k * 8));
    this.seq++;
    this.n = 0;
  }

  /** A new series' points, encoded where they were read (a read-ahead thread): its rows as they are. */
  putEncoded(e: EncodedSeries): void {
    if (this.seq !== 0 || this.n !== 0 || this.state.count !== 0) throw new Error('encoded points go into a new series only');
    const { bytes, ends, overviews, overviewEnds } = e;
    const sid = this.state.sid;
    for (let c = 0; c < ends.length; c++) {
      const from = c === 0 ? 0 : ends[c - 1];
      const n = c === ends.length - 1 ? e.summary.count - c * CHUNK_POINTS : CHUNK_POINTS;
      this.stmts.putChunk.run(sid, c, n, Buffer.from(bytes.buffer, bytes.byteOffset + from, ends[c] - from));
      if (n === CHUNK_POINTS) {
        const o = c === 0 ? 0 : overviewEnds[c - 1];
        this.stmts.putOverview.run(sid, c, Buffer.from(overviews.buffer, overviews.byteOffset + 8 * o, 8 * (overviewEnds[c] - o)));
      }
    }
    this.seq = ends.length;
    Object.assign(this.state, e.summary);
  }

  /**
   * An ordered series whose points came out of order: all its points, those written on earlier passes too,
   * read back, put in order and written again (rare: MLflow logs a series in order nearly always), with
   * the summary's last point the greatest.
   */
  private reorder(): void {
    const sid = this.state.sid;
    const rows = this.stmts.chunksOf.all(sid) as ChunkRow[];
    const n = rows.reduce((k, r) => k + r.n, 0);
    const cols = new Float64Array(3 * n);
    let at = 0;
    for (const r of rows) {
      const f = decodeChunk(r.data, r.n);
      for (let c = 0; c < 3; c++) cols.set(f.subarray(c * r.n, (c + 1) * r.n), c * n + at);
      at += r.n;
    }
    sortMlflowOrder(cols, n, n);
    this.stmts.deleteChunks.run(sid);
    this.stmts.deleteOverviews.run(sid);
    for (let seq = 0; seq * CHUNK_POINTS < n; seq++) {
      const i = seq * CHUNK_POINTS;
      const k = Math.min(CHUNK_POINTS, n - i);
      const [steps, times, values] = [0, 1, 2].map((c) => cols.subarray(c * n + i, c * n + i + k));
      this.stmts.putChunk.run(sid, seq, k, encodeChunk(steps, times, values, k));
      if (k < CHUNK_POINTS) continue;
      const o = chunkOverview(steps, times, values, k, overviewScratch);
      this.stmts.putOverview.run(sid, seq, Buffer.from(overviewScratch.buffer, 0, o * 8));
    }
    const s = this.state;
    [s.lastStep, s.lastTime, s.last] = n > 0 ? [cols[n - 1], cols[2 * n - 1], cols[3 * n - 1]] : [null, null, null];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flushChunk(false);
    if (bufferPool.length < 64) bufferPool.push(this.columns);
    if (this.outOfOrder) this.reorder();
    const s = this.state;
    const nn = (v: number | null) => (v === null || Number.isNaN(v) ? null : v);
    if (s.rid !== undefined) this.stmts.insertSeries.run(s.sid, s.rid, s.key, s.count, nn(s.last), nn(s.lastStep), nn(s.lastTime), nn(s.min), nn(s.max));
    else this.stmts.updateSeries.run(s.count, nn(s.last), nn(s.lastStep), nn(s.lastTime), nn(s.min), nn(s.max), s.sid);
  }
}
