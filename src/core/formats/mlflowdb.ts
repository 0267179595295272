/**
 * MLflow SQLite tracking backend (`mlflow.db`). Opened read-only with short statements so a tracking server
 * writing to it is never locked out for long; the same model as the file store comes out. A database in
 * WAL mode is read from a private copy (see openMlflowDatabase): SQLite creates and writes `-shm` beside
 * it even for a read-only connection, and nothing in a workspace may change.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '../index/sqlite';
import { openDatabase } from '../index/sqlite';
import type { DatasetInput, Diagnostic, Lifecycle, MetricPoint, Run } from '../model';
import { MLFLOW_STATUS, datasetInput, loggedModelStatus } from './mlflow';
import type { MlflowLoggedModel, MlflowModelVersion } from './mlflow';
import { openRegularFd } from './files';
import { mlflowBefore } from './mlflowOrder';

const METRIC_PAGE = 20_000;

export interface MlflowDbExperiment {
  nativeId: string;
  name: string;
  lifecycle: Lifecycle;
  createdAt?: number;
}

export interface MlflowDbRun {
  experimentNativeId: string;
  run: Omit<Run, 'id' | 'experimentId'>;
  /** Where MLflow put the run's artifacts (the runs table's artifact_uri), as written. */
  artifactUri?: string;
}

export interface MlflowDbContents {
  experiments: MlflowDbExperiment[];
  runs: MlflowDbRun[];
  registered: MlflowModelVersion[];
  /** MLflow 3's logged models; `dir` is their artifacts folder here, or their artifact_location as written. */
  logged: MlflowLoggedModel[];
  diagnostics: Diagnostic[];
}

/** The database's tables: the schema grew over MLflow versions, and readers read what is there. */
function tableNames(db: Database): Set<string> {
  return new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
}

/** A database opened for reading, and how to let it go (a private copy is removed with it). */
interface OpenedDatabase {
  db: Database;
  close(): void;
}

/** Copies taken of a WAL database before giving up on one that changed while it was copied. */
const COPY_TRIES = 3;

/**
 * Opens `file` for reading without changing anything beside it. A rollback-journal database (MLflow's
 * default) is opened read-only in place. A WAL-mode one (header bytes 18–19 are 2, or a `-wal` is there)
 * cannot be: a read-only connection still creates `-shm` and writes its read marks into it, and
 * `immutable=1` (which better-sqlite3 cannot pass: no URI filenames) would ignore the log. It is copied with
 * its `-wal` into a private temporary folder and read there; a copy during which either file changed (a
 * tracking server writing) is taken again, so the two belong together.
 */
function openMlflowDatabase(file: string, timeoutMs: number): OpenedDatabase {
  const header = Buffer.alloc(20);
  const fd = openRegularFd(file); // a FIFO named mlflow.db would block SQLite's open (and this read)
  try {
    fs.readSync(fd, header, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  const wal = file + '-wal';
  if (!(header[18] === 2 && header[19] === 2) && !fs.existsSync(wal)) {
    const db = openDatabase(file, { readonly: true, fileMustExist: true, timeoutMs });
    return { db, close: () => db.close() };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-mlflowdb-'));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const copy = path.join(dir, 'mlflow.db');
    const stamp = () => [file, wal].map((f) => fs.statSync(f, { throwIfNoEntry: false })).map((st) => (st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-')).join(' ');
    for (let i = 0; ; i++) {
      const before = stamp();
      fs.copyFileSync(file, copy);
      fs.rmSync(copy + '-wal', { force: true });
      if (fs.existsSync(wal)) fs.copyFileSync(wal, copy + '-wal');
      if (stamp() === before) break;
      if (i + 1 >= COPY_TRIES) throw new Error(`the database changed each of the ${COPY_TRIES} times it was copied to be read; it is read again on the next pass`);
    }
    const db = openDatabase(copy, { fileMustExist: true, timeoutMs });
    return {
      db,
      close: () => {
        db.close();
        remove();
      },
    };
  } catch (err) {
    remove();
    throw err;
  }
}

/**
 * Whether the file is an MLflow tracking database (has the tables we read): undefined when it is, else why
 * not (a message for a diagnostic).
 */
export function whyNotMlflowDatabase(file: string): string | undefined {
  let opened: OpenedDatabase | undefined;
  try {
    opened = openMlflowDatabase(file, 200);
    const names = tableNames(opened.db);
    const missing = ['experiments', 'runs', 'metrics', 'params'].filter((t) => !names.has(t));
    return missing.length === 0 ? undefined : `an SQLite database without MLflow's tables (no ${missing.join(', ')})`;
  } catch (err) {
    return `cannot read as an SQLite database: ${(err as Error).message}`;
  } finally {
    opened?.close();
  }
}

/**
 * Reads experiments, runs, params and tags; metric points are streamed per run through `onMetric` so a large
 * database never sits in memory at once.
 */
export function readMlflowDatabase(
  file: string,
  onRuns: (experiments: MlflowDbExperiment[], runs: MlflowDbRun[]) => void,
  onMetric: (runUuid: string, key: string, point: MetricPoint) => void,
): MlflowDbContents {
  const diagnostics: Diagnostic[] = [];
  let opened: OpenedDatabase;
  try {
    opened = openMlflowDatabase(file, 1000);
  } catch (err) {
    return { experiments: [], runs: [], registered: [], logged: [], diagnostics: [{ file, severity: 'error', message: `cannot open MLflow database: ${(err as Error).message}` }] };
  }
  const { db } = opened;
  try {
    const tables = tableNames(db);
    // SELECT *: the schema grew over MLflow versions (creation_time, name, deleted_time…); read what is there.
    const experiments = (db.prepare('SELECT * FROM experiments').all() as Record<string, unknown>[]).map(
      (r): MlflowDbExperiment => ({
        nativeId: String(r.experiment_id),
        name: String(r.name ?? r.experiment_id),
        lifecycle: r.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
        createdAt: typeof r.creation_time === 'number' ? r.creation_time : undefined,
      }),
    );
    const expLifecycle = new Map(experiments.map((e) => [e.nativeId, e.lifecycle]));
    const params = groupByRun(db.prepare('SELECT run_uuid, key, value FROM params').all() as KeyValueRow[]);
    const tags = groupByRun(db.prepare('SELECT run_uuid, key, value FROM tags').all() as KeyValueRow[]);
    const datasets = readDatasetInputs(db, tables);
    const rows = db.prepare('SELECT * FROM runs').all() as Record<string, unknown>[];
    const runs: MlflowDbRun[] = rows.map((r) => {
      const id = String(r.run_uuid);
      const t = tags.get(id) ?? {};
      const expId = String(r.experiment_id);
      const status = MLFLOW_STATUS[String(r.status)] ?? 'UNKNOWN';
      const lifecycle: Lifecycle = r.lifecycle_stage === 'deleted' || expLifecycle.get(expId) === 'deleted' ? 'deleted' : 'active';
      return {
        experimentNativeId: expId,
        run: {
          format: 'mlflow-db',
          nativeId: id,
          name: t['mlflow.runName'] || (r.name ? String(r.name) : '') || id.slice(0, 8),
          status,
          lifecycle,
          startTime: typeof r.start_time === 'number' ? r.start_time : undefined,
          endTime: typeof r.end_time === 'number' ? r.end_time : undefined,
          user: t['mlflow.user'] || (r.user_id ? String(r.user_id) : undefined),
          sourceScript: t['mlflow.source.name'] || (r.source_name ? String(r.source_name) : undefined),
          gitCommit: t['mlflow.source.git.commit'] || (r.source_version ? String(r.source_version) : undefined),
          parentRunId: t['mlflow.parentRunId'] || undefined,
          path: file,
          params: params.get(id) ?? {},
          tags: t,
          artifacts: [],
          ...(datasets.has(id) ? { datasets: datasets.get(id) } : {}),
        },
        artifactUri: r.artifact_uri ? String(r.artifact_uri) : undefined,
      };
    });
    onRuns(experiments, runs);
    const hasIsNan = (db.prepare('PRAGMA table_info(metrics)').all() as { name: string }[]).some((c) => c.name === 'is_nan');
    // Pages of rows per run, each statement run to completion: between pages no read lock is held, so a
    // tracking server writing to a rollback-journal database (MLflow's default) is never locked out for
    // longer than one page. Rows come in rowid order, which is the order MLflow logged them;
    // the index's writer puts a series in MLflow's order (mlflowOrder.ts) where they are not.
    const page = db.prepare(
      `SELECT rowid AS _row, key, value, timestamp, step${hasIsNan ? ', is_nan' : ''} FROM metrics WHERE run_uuid = ? AND rowid > ? ORDER BY rowid LIMIT ${METRIC_PAGE}`,
    );
    for (const r of runs) {
      const uuid = r.run.nativeId;
      let last = -1;
      for (;;) {
        const rows = page.all(uuid, last) as Record<string, unknown>[];
        for (const row of rows) {
          const value = hasIsNan && row.is_nan ? NaN : row.value === null ? NaN : Number(row.value);
          onMetric(uuid, String(row.key), { step: Number(row.step ?? 0), time: Number(row.timestamp), value });
        }
        if (rows.length < METRIC_PAGE) break;
        last = rows[rows.length - 1]._row as number;
      }
    }
    return { experiments, runs, registered: readRegistry(db, tables), logged: readLoggedModels(db, tables, file), diagnostics };
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `cannot read MLflow database: ${(err as Error).message}` });
    return { experiments: [], runs: [], registered: [], logged: [], diagnostics };
  } finally {
    opened.close();
  }
}

/**
 * The folder on this machine that holds a run's artifacts, from its artifact_uri, when there is one:
 * - a path or `file:` URI — a relative one from the database's folder, as MLflow's default `./mlruns` is
 *   from where the tracking process ran (next to its `mlflow.db`);
 * - `mlflow-artifacts:/…`, a tracking server's proxied store, from its default `./mlartifacts`;
 * - a path written on another machine (`file:C:/work/mlruns/0/<run>/artifacts`) from its `mlruns/` or
 *   `mlartifacts/` part on, below the database's folder.
 * Remote stores (`s3:`, `gs:`, `dbfs:`…) have none here.
 */
export function localArtifactRoot(dbFile: string, uri: string): string | undefined {
  const base = path.dirname(dbFile);
  // Two letters at least: `C:/…` is a Windows path, not a scheme.
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(uri)?.[1].toLowerCase();
  let written: string;
  if (scheme === undefined) written = uri;
  else if (scheme === 'file') {
    try {
      written = uri.startsWith('file://') ? fileURLToPath(uri) : decodeURIComponent(uri.slice('file:'.length));
    } catch {
      written = uri.slice('file:'.length);
    }
  } else if (scheme === 'mlflow-artifacts') written = path.join('mlartifacts', uri.slice('mlflow-artifacts:'.length).replace(/^\/\/[^/]*/, ''));
  else return undefined;
  const candidates = [path.resolve(base, written)];
  const parts = written.split(/[\\/]+/);
  const from = Math.max(parts.lastIndexOf('mlruns'), parts.lastIndexOf('mlartifacts'));
  if (from >= 0 && !parts.includes('..')) candidates.push(path.join(base, ...parts.slice(from)));
  return candidates.find((dir) => fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory());
}

/**
 * MLflow 3's logged models (`logged_models`, where this MLflow has it), as the file store's `models/`
 * folders give them: params, and each metric's latest value in MLflow's order (highest step, then later
 * timestamp, then larger value; mlflowOrder.ts), not the last row stored. Deleted ones are left out, as MLflow's
 * search leaves them.
 */
function readLoggedModels(db: Database, tables: Set<string>, file: string): MlflowLoggedModel[] {
  if (!tables.has('logged_models')) return [];
  // Keyed by model as a run's params are keyed by run.
  const params = tables.has('logged_model_params')
    ? groupByRun(db.prepare('SELECT model_id AS run_uuid, param_key AS key, param_value AS value FROM logged_model_params').all() as KeyValueRow[])
    : new Map<string, Record<string, string>>();
  const metrics = new Map<string, Record<string, number>>();
  if (tables.has('logged_model_metrics')) {
    // Each metric's greatest point in MLflow's order; rows in rowid order, so equal points keep the later.
    const latest = new Map<string, { step: number; time: number; value: number }>();
    const sql = 'SELECT model_id AS id, metric_name AS key, metric_value AS value, metric_step AS step, metric_timestamp_ms AS time FROM logged_model_metrics ORDER BY rowid';
    for (const r of db.prepare(sql).all() as { id: string; key: string; value: number | null; step: number | null; time: number | null }[]) {
      const p = { step: Number(r.step ?? 0), time: Number(r.time ?? 0), value: r.value ?? NaN };
      const k = `${r.id}\0${r.key}`;
      const best = latest.get(k);
      if (best && mlflowBefore(p.step, p.time, p.value, best.step, best.time, best.value)) continue;
      latest.set(k, p);
      (metrics.get(r.id) ?? metrics.set(r.id, {}).get(r.id)!)[r.key] = p.value;
    }
  }
  const rows = db.prepare("SELECT * FROM logged_models WHERE lifecycle_stage IS NULL OR lifecycle_stage != 'deleted' ORDER BY creation_timestamp_ms").all() as Record<string, unknown>[];
  return rows.map((r) => {
    const id = String(r.model_id);
    const location = String(r.artifact_location ?? '');
    return {
      modelId: id,
      name: String(r.name ?? id),
      experimentId: String(r.experiment_id),
      sourceRunId: r.source_run_id ? String(r.source_run_id) : undefined,
      createdAt: typeof r.creation_timestamp_ms === 'number' ? r.creation_timestamp_ms : undefined,
      status: loggedModelStatus(r.status),
      params: params.get(id) ?? {},
      metrics: metrics.get(id) ?? {},
      dir: localArtifactRoot(file, location) ?? location,
    };
  });
}

/** The model registry's tables, where this MLflow has them: versions with their tags and aliases. */
function readRegistry(db: Database, tables: Set<string>): MlflowModelVersion[] {
  if (!tables.has('model_versions')) return [];
  const byVersion = (table: string, value: string) => {
    const out = new Map<string, [string, string][]>();
    if (!tables.has(table)) return out;
    for (const r of db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]) {
      const k = `${String(r.name)}\0${String(r.version)}`;
      out.set(k, [...(out.get(k) ?? []), [String(r.key ?? r.alias), String(r[value] ?? '')]]);
    }
    return out;
  };
  const tags = byVersion('model_version_tags', 'value');
  const aliases = byVersion('registered_model_aliases', 'alias');
  return (db.prepare('SELECT * FROM model_versions ORDER BY name, version').all() as Record<string, unknown>[]).map((r) => {
    const k = `${String(r.name)}\0${String(r.version)}`;
    return {
      name: String(r.name),
      version: Number(r.version),
      createdAt: typeof r.creation_time === 'number' ? r.creation_time : undefined,
      stage: r.current_stage ? String(r.current_stage) : undefined,
      status: r.status ? String(r.status) : undefined,
      source: String(r.source ?? ''),
      runId: r.run_id ? String(r.run_id) : undefined,
      description: r.description ? String(r.description) : undefined,
      aliases: (aliases.get(k) ?? []).map(([alias]) => alias),
      tags: Object.fromEntries(tags.get(k) ?? []),
    };
  });
}

/** Each run's logged dataset inputs (the inputs, datasets and input_tags tables), in the order logged. */
function readDatasetInputs(db: Database, tables: Set<string>): Map<string, DatasetInput[]> {
  const out = new Map<string, DatasetInput[]>();
  if (!tables.has('inputs') || !tables.has('datasets')) return out;
  const columns = new Set((db.prepare('PRAGMA table_info(datasets)').all() as { name: string }[]).map((c) => c.name));
  const source = columns.has('dataset_source') ? 'd.dataset_source' : 'NULL';
  const sourceType = columns.has('dataset_source_type') ? 'd.dataset_source_type' : 'NULL';
  const context = tables.has('input_tags')
    ? "(SELECT t.value FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context')"
    : 'NULL';
  const rows = db
    .prepare(
      `SELECT i.destination_id AS run, d.name AS name, d.digest AS digest, ${context} AS context, ${source} AS source, ${sourceType} AS sourceType
       FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
       WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' ORDER BY i.rowid`,
    )
    .all() as { run: string; name: string | null; digest: string | null; context: string | null; source: string | null; sourceType: string | null }[];
  for (const r of rows) {
    const d = datasetInput(String(r.name ?? ''), String(r.digest ?? ''), r.context ?? undefined, r.source ?? undefined, r.sourceType ?? undefined);
    (out.get(r.run) ?? out.set(r.run, []).get(r.run)!).push(d);
  }
  return out;
}

interface KeyValueRow {
  run_uuid: string;
  key: string;
  value: string | null;
}

function groupByRun(rows: KeyValueRow[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const r of rows) {
    let m = out.get(r.run_uuid);
    if (!m) out.set(r.run_uuid, (m = Object.create(null) as Record<string, string>)); // user keys: `__proto__` is data
    m[r.key] = r.value ?? '';
  }
  return out;
}
