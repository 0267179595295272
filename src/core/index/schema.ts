/**
 * The index schema, written down in one place. Migrations are numbered and append-only: migration N brings
 * a database from user_version N-1 to N. The index is a cache — a database from a newer Runlens, or one
 * that fails its integrity check, is rebuilt rather than trusted.
 */

export const MIGRATIONS: string[] = [
  // 1: the first schema.
  `
  CREATE TABLE experiments(
    id TEXT PRIMARY KEY, source TEXT NOT NULL, format TEXT NOT NULL, native_id TEXT NOT NULL,
    name TEXT NOT NULL, lifecycle TEXT NOT NULL, created_at REAL, unit TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX experiments_unit ON experiments(unit);

  CREATE TABLE runs(
    rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, unit TEXT NOT NULL, experiment_id TEXT NOT NULL,
    format TEXT NOT NULL, native_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
    lifecycle TEXT NOT NULL, start_time REAL, end_time REAL, user TEXT, source_script TEXT,
    git_commit TEXT, parent_run_id TEXT, path TEXT NOT NULL
  );
  CREATE INDEX runs_unit ON runs(unit);
  CREATE INDEX runs_experiment ON runs(experiment_id, start_time);
  CREATE INDEX runs_native ON runs(native_id);

  CREATE TABLE params(rid INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(rid, key)) WITHOUT ROWID;
  CREATE INDEX params_key ON params(key);
  CREATE TABLE tags(rid INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(rid, key)) WITHOUT ROWID;
  CREATE INDEX tags_key ON tags(key);
  CREATE TABLE artifacts(rid INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY(rid, path)) WITHOUT ROWID;

  -- One row per metric series with its summary, so filters and sorts on metrics never touch points.
  CREATE TABLE series(
    sid INTEGER PRIMARY KEY, rid INTEGER NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,
    last REAL, last_step REAL, last_time REAL, min REAL, max REAL, UNIQUE(rid, key)
  );
  CREATE INDEX series_key ON series(key, last);
  -- Points in chunks of up to CHUNK_POINTS: n × (step, time, value) as little-endian float64, columnar.
  CREATE TABLE chunks(sid INTEGER NOT NULL, seq INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(sid, seq)) WITHOUT ROWID;

  CREATE TABLE models(
    id TEXT PRIMARY KEY, unit TEXT NOT NULL, experiment_id TEXT NOT NULL, native_id TEXT NOT NULL, name TEXT NOT NULL,
    source_run_native_id TEXT, created_at REAL, status TEXT, params TEXT NOT NULL, metrics TEXT NOT NULL, path TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX models_unit ON models(unit);

  -- What was read, per unit (a run folder, a database, a log directory): file fingerprints and resume offsets.
  CREATE TABLE units(key TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE diagnostics(
    unit TEXT NOT NULL, file TEXT NOT NULL, line INTEGER, offset INTEGER, severity TEXT NOT NULL, message TEXT NOT NULL
  );
  CREATE INDEX diagnostics_unit ON diagnostics(unit);
  `,
  // 2: covering indexes for filters — `key = ? AND value/last op ?` answered from the index alone.
  `
  DROP INDEX params_key;
  CREATE INDEX params_key ON params(key, value, rid);
  DROP INDEX tags_key;
  CREATE INDEX tags_key ON tags(key, value, rid);
  DROP INDEX series_key;
  CREATE INDEX series_key ON series(key, last, rid);
  CREATE INDEX series_key_min ON series(key, min, rid);
  CREATE INDEX series_key_max ON series(key, max, rid);
  `,
  // 3: what wrote the index, so that a Runlens whose readers changed re-reads everything.
  `
  CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  `,
  // 4: per chunk, an overview of its shape — its first, lowest, highest and last points (step, time, value
  // each) — so a chart of a million-point series reads ~4,000 points instead of the whole series. A table
  // of its own: small rows packed in few pages, never behind a chunk's overflow pages.
  `
  CREATE TABLE overviews(sid INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(sid, seq)) WITHOUT ROWID;
  `,
  // 5: registered model versions (MLflow's model registry) beside logged models: what kind of entry, its
  // version number, stage, aliases and description.
  `
  ALTER TABLE models ADD COLUMN kind TEXT NOT NULL DEFAULT 'logged';
  ALTER TABLE models ADD COLUMN version INTEGER;
  ALTER TABLE models ADD COLUMN stage TEXT;
  ALTER TABLE models ADD COLUMN aliases TEXT;
  ALTER TABLE models ADD COLUMN description TEXT;
  `,
  // 6: chunks are encoded per column (chunks.ts: arithmetic steps, integer time deltas, float32 values) —
  // the raw float64 triples of earlier indexes are not readable as such: empty the index, it is rebuilt.
  // And chunks move to a rowid table: a WITHOUT ROWID row keeps only ~4 KB on its leaf page (16 KB pages)
  // and spills the rest to an overflow page of its own, so a 5 KB chunk took 20 KB of file. The same for
  // units, whose states (file fingerprints) run to kilobytes.
  `
  DROP TABLE chunks;
  CREATE TABLE chunks(id INTEGER PRIMARY KEY, sid INTEGER NOT NULL, seq INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
  CREATE UNIQUE INDEX chunks_series ON chunks(sid, seq);
  -- Units also keep the probes of their last listing (listing.ts): an unchanged one is checked with a few
  -- stats, and its state is not even parsed.
  DROP TABLE units;
  CREATE TABLE units(key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, state TEXT NOT NULL, probes TEXT);
  DELETE FROM overviews; DELETE FROM series; DELETE FROM params; DELETE FROM tags; DELETE FROM artifacts;
  DELETE FROM runs; DELETE FROM models; DELETE FROM diagnostics; DELETE FROM experiments;
  `,
  // 7: where a run's artifacts are when not in its own folder (an mlflow.db run's artifact_uri, found here);
  // what a unit's probes saw, as float64s beside their paths (listing.ts: Probes). Probes without them are
  // not trusted: such a unit is checked in full once.
  `
  ALTER TABLE runs ADD COLUMN artifact_dir TEXT;
  ALTER TABLE units ADD COLUMN probes_seen BLOB;
  `,
  // 8: the probes move to a table of their own. A pass over an unchanged workspace reads every unit's probes
  // and nothing else; beside the states, that scan read every page of the units table (three times the
  // bytes).
  `
  CREATE TABLE probes(unit TEXT NOT NULL UNIQUE, paths TEXT NOT NULL, seen BLOB NOT NULL);
  INSERT INTO probes(unit, paths, seen) SELECT key, probes, probes_seen FROM units WHERE probes IS NOT NULL AND probes_seen IS NOT NULL;
  ALTER TABLE units DROP COLUMN probes;
  ALTER TABLE units DROP COLUMN probes_seen;
  `,
  // 9: the units whose probes changed, noted by triggers in the same transaction as the change, one row a
  // unit with its last change's id: what a pass merges into the probe snapshot beside the index
  // (probeSnapshot.ts), which holds every unit's probes as of the last pass.
  `
  CREATE TABLE probes_changed(id INTEGER PRIMARY KEY AUTOINCREMENT, unit TEXT NOT NULL UNIQUE);
  -- (A DELETE then an INSERT, not INSERT OR REPLACE: a trigger takes the conflict policy of the statement
  -- that fired it, and the probes' upsert would make a second change to a unit a constraint error.)
  CREATE TRIGGER probes_inserted AFTER INSERT ON probes BEGIN
    DELETE FROM probes_changed WHERE unit = new.unit; INSERT INTO probes_changed(unit) VALUES (new.unit);
  END;
  CREATE TRIGGER probes_updated AFTER UPDATE ON probes BEGIN
    DELETE FROM probes_changed WHERE unit = new.unit; INSERT INTO probes_changed(unit) VALUES (new.unit);
  END;
  CREATE TRIGGER probes_deleted AFTER DELETE ON probes BEGIN
    DELETE FROM probes_changed WHERE unit = old.unit; INSERT INTO probes_changed(unit) VALUES (old.unit);
  END;
  `,
  // 10: a run's dataset inputs (MLflow's log_input) as a field of their own (JSON), no longer as tags.
  `
  ALTER TABLE runs ADD COLUMN datasets TEXT;
  `,
];

/**
 * The summary indexes: filters and sorts on params, tags and metrics (`key = ? AND value/last op ?`) answered
 * from the index alone (created by migration 2). A cold index writes its rows without them and builds each
 * at the end, in one sort, instead of inserting every row at a random place of each (a quarter of the
 * SQLite time of a cold index); one left missing by an interrupted pass is built when the file is next
 * opened for writing.
 */
export const SUMMARY_INDEXES: Record<string, string> = {
  params_key: 'params(key, value, rid)',
  tags_key: 'tags(key, value, rid)',
  series_key: 'series(key, last, rid)',
  series_key_min: 'series(key, min, rid)',
  series_key_max: 'series(key, max, rid)',
};

/**
 * Bumped whenever a reader changes what it produces from the same files: an index written by other readers
 * is emptied and rebuilt, since unchanged files would otherwise never be read again.
 */
export const READERS_VERSION = 8;

export const SCHEMA_VERSION = MIGRATIONS.length;

export const CHUNK_POINTS = 1024;
