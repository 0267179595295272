import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CORPUS, corpus, indexInto, tempDir } from './corpus';

const PECO = corpus('mlflow', 'Peco602__mlops-zoomcamp', '02-experiment-tracking', 'mlflow.db');
const RUN = 'da641eff03ff4740bff4607ac76cf9ba';

/** Every entry below `root` (links not followed): name, type, size, mtime and a hash of its bytes. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const st = fs.lstatSync(full);
      if (st.isDirectory()) {
        out.set(full, `dir ${st.mtimeMs}`);
        visit(full);
      } else if (st.isSymbolicLink()) out.set(full, `link ${fs.readlinkSync(full)} ${st.mtimeMs}`);
      else out.set(full, `file ${st.size} ${st.mtimeMs} ${st.isFile() ? createHash('sha256').update(fs.readFileSync(full)).digest('hex') : st.mode}`);
    }
  };
  out.set(root, `dir ${fs.lstatSync(root).mtimeMs}`);
  visit(root);
  return out;
}

/**
 * A copy of the Peco602 database in WAL mode, as a tracking process leaves it while it runs: a tag written
 * since the last checkpoint is in `mlflow.db-wal` only, and there is no `-shm` (copied without it).
 */
function walDatabase(dest: string): string {
  const work = tempDir('runlens-wal-src-');
  fs.copyFileSync(PECO, path.join(work, 'mlflow.db'));
  fs.mkdirSync(dest, { recursive: true });
  const script = `import sqlite3, shutil, sys, os
work, dest = sys.argv[1], sys.argv[2]
c = sqlite3.connect(os.path.join(work, 'mlflow.db'))
c.execute('pragma journal_mode=wal')
c.execute('pragma wal_autocheckpoint=0')
c.execute("insert into tags(key, value, run_uuid) values ('only.in.wal', 'yes', '${RUN}')")
c.commit()
shutil.copy(os.path.join(work, 'mlflow.db'), dest)
shutil.copy(os.path.join(work, 'mlflow.db-wal'), dest)
c.close()`;
  execFileSync('python3', ['-c', script, work, dest]);
  fs.rmSync(work, { recursive: true });
  const db = path.join(dest, 'mlflow.db');
  assert.equal(fs.readFileSync(db)[18], 2, 'WAL mode in the header');
  assert.ok(fs.statSync(db + '-wal').size > 0);
  assert.ok(!fs.existsSync(db + '-shm'));
  return db;
}

describe('read-only: indexing changes nothing under a workspace folder', () => {
  it('a full index of every corpus folder and of a WAL-mode mlflow.db leaves names, sizes, mtimes and bytes as they were', function () {
    this.timeout(300_000);
    const ws = tempDir('runlens-readonly-');
    const db = walDatabase(path.join(ws, 'tracking'));
    const roots = [CORPUS, ws];
    const before = roots.map(snapshot);
    const { store, dir } = indexInto(roots);
    const after = roots.map(snapshot);
    for (let i = 0; i < roots.length; i++) assert.deepEqual([...after[i]], [...before[i]], roots[i]);
    assert.ok(!fs.existsSync(db + '-shm'));
    // And the database was read with its log: the tag written after the last checkpoint is there.
    const run = store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] }).find((r) => r.nativeId === RUN && r.path === db)!;
    assert.equal(store.tags(run.rid)['only.in.wal'], 'yes');
    assert.equal(store.diagnostics().filter((d) => d.file.startsWith(ws) && d.severity === 'error').length, 0);
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });

  it('an empty, a corrupt and a non-SQLite mlflow.db, and an SQLite one without MLflow tables, each get a located diagnostic', () => {
    const ws = tempDir('runlens-baddb-');
    const make = (name: string, bytes: Buffer) => {
      fs.mkdirSync(path.join(ws, name));
      fs.writeFileSync(path.join(ws, name, 'mlflow.db'), bytes);
      return path.join(ws, name, 'mlflow.db');
    };
    const empty = make('empty', Buffer.alloc(0));
    const text = make('text', Buffer.from('not a database\n'));
    // The SQLite header, then a page of garbage.
    const corrupt = make('corrupt', Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4080, 0xab)]));
    const other = path.join(ws, 'other', 'mlflow.db');
    fs.mkdirSync(path.dirname(other));
    execFileSync('python3', ['-c', 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("create table notes(x)"); c.commit(); c.close()', other]);
    // A good one beside them still indexes.
    fs.mkdirSync(path.join(ws, 'good'));
    fs.copyFileSync(PECO, path.join(ws, 'good', 'mlflow.db'));
    const { store, dir } = indexInto([ws]);
    const errors = store.diagnostics().filter((d) => d.severity === 'error');
    const of = (file: string) => errors.filter((d) => d.file === file).map((d) => d.message);
    assert.deepEqual(of(empty), ['empty file: not an MLflow database']);
    assert.deepEqual(of(text), ['not an SQLite database (no SQLite header)']);
    assert.equal(of(corrupt).length, 1);
    assert.match(of(corrupt)[0], /cannot read as an SQLite database/);
    assert.deepEqual(of(other), ["an SQLite database without MLflow's tables (no experiments, runs, metrics, params)"]);
    assert.ok(store.counts().byFormat['mlflow-db'] > 0);
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});
