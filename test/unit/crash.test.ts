import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexStorageError, Store } from '../../src/core/index/store';
import { indexWorkspace } from '../../src/core/index/indexer';
import { prng, snapshot } from '../fuzz/harness';
import { corpus, indexInto, tempDir } from './corpus';

const CHILD = path.join(__dirname, 'indexProcess.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A workspace big enough that a cold index takes a while: three corpus projects of three formats. */
function workspace(): string {
  const ws = tempDir('runlens-crash-ws-');
  fs.cpSync(corpus('mlflow', 'keimoriyama__baseline'), path.join(ws, 'mlflow'), { recursive: true });
  fs.cpSync(corpus('lightning', 'Dodsaren__weather-predder'), path.join(ws, 'lightning'), { recursive: true });
  fs.cpSync(corpus('tensorboard', 'AmelNozieres__Mushrooms_YOLOv5'), path.join(ws, 'tb'), { recursive: true });
  return ws;
}

/** The indexes of an index file, with their definitions. */
function indexes(store: Store): string[] {
  return store.db.prepare("SELECT name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY name").pluck().all() as string[];
}

/** Those of a new index file, every migration applied. */
function migratedIndexes(): string[] {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'index.sqlite'));
  const out = indexes(store);
  store.close();
  fs.rmSync(dir, { recursive: true });
  return out;
}

describe('crash safety and concurrency of the index', function () {
  this.timeout(180_000);

  it('opens a consistent index after the indexer is killed (SIGKILL) at random points, never serving a half-written run', async () => {
    const ws = workspace();
    const scratch = indexInto([ws]);
    const expected = snapshot(scratch.store);
    scratch.store.close();
    const indexFile = path.join(tempDir('runlens-crash-'), 'index.sqlite');
    // How long a whole cold pass takes here, to spread the kills over it.
    const t0 = Date.now();
    assert.equal(spawnSync(process.execPath, [CHILD, path.join(tempDir(), 'probe.sqlite'), ws]).status, 0);
    const full = Date.now() - t0;
    const rnd = prng(42);
    let killedMidway = 0;
    for (let i = 0; i < 12; i++) {
      if (i % 4 === 0) fs.rmSync(indexFile, { force: true }); // some kills during a cold pass from nothing
      const child = spawn(process.execPath, [CHILD, indexFile, ws], { stdio: 'ignore' });
      await sleep(40 + rnd() * full);
      const exited = child.exitCode !== null;
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r).once('error', r) && exited && r(undefined));
      if (!exited) killedMidway++;
      // What a reader (the views) would see now: every run it finds is whole.
      const store = Store.open(indexFile);
      assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
      const now = snapshot(store);
      for (const [id, run] of now.runs) assert.equal(run, expected.runs.get(id), `run ${id} is half-written after kill ${i}`);
      store.close();
    }
    assert.ok(killedMidway >= 6, `only ${killedMidway} of 12 kills landed while indexing`);
    // And the next pass completes the index, with every summary index (a cold pass builds them at its end).
    const store = Store.open(indexFile);
    assert.deepEqual(indexes(store), migratedIndexes());
    indexWorkspace(store, { roots: [ws] });
    assert.deepEqual(snapshot(store).runs, expected.runs);
    store.close();
  });

  it('builds the summary indexes at the end of a cold pass, and those an interrupted pass left missing at the next open, without waiting on a running pass', () => {
    const ws = corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python');
    const expected = migratedIndexes();
    assert.ok(expected.some((i) => i.startsWith('params_key: CREATE INDEX params_key ON params(key, value, rid)')), expected.join('\n'));
    const { store, dir } = indexInto([ws]);
    assert.deepEqual(indexes(store), expected);
    // The filters use them.
    const plan = store.db.prepare("EXPLAIN QUERY PLAN SELECT rid FROM params WHERE key = 'lr' AND value < '0.1'").all() as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join(' '), /USING COVERING INDEX params_key/);
    // A pass killed before its end: the indexes are dropped and not built yet.
    store.dropSummaryIndexes();
    assert.ok(indexes(store).length < expected.length);
    // A second writer opening it while the pass holds the index opens at once, leaving them to the pass…
    store.db.exec('BEGIN IMMEDIATE');
    const t0 = Date.now();
    const second = Store.open(path.join(dir, 'index.sqlite'));
    assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms to open`);
    assert.ok(indexes(second).length < expected.length);
    second.close();
    store.db.exec('COMMIT');
    store.close();
    // …and the next open builds them.
    const reopened = Store.open(path.join(dir, 'index.sqlite'));
    assert.deepEqual(indexes(reopened), expected);
    // A pass over an index already built (not cold) leaves them as they are.
    indexWorkspace(reopened, { roots: [ws] });
    assert.deepEqual(indexes(reopened), expected);
    reopened.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('lets several processes open a brand-new index at once: the schema is migrated once (found by the test below)', async () => {
    for (let round = 0; round < 5; round++) {
      const indexFile = path.join(tempDir('runlens-open-'), 'index.sqlite');
      const codes = await Promise.all(
        [0, 1, 2, 3].map(
          () =>
            new Promise<{ code: number | null; err: string }>((resolve) => {
              const c = spawn(process.execPath, [CHILD, indexFile, corpus('keras')], { stdio: ['ignore', 'ignore', 'pipe'] });
              let err = '';
              c.stderr.on('data', (d) => (err += d));
              c.on('exit', (code) => resolve({ code, err }));
            }),
        ),
      );
      for (const c of codes) assert.equal(c.code, 0, c.err);
    }
  });

  it('waits for a process that holds a new index file\'s lock before it is in WAL mode, instead of failing', async () => {
    // Another window's SQLite between creating the file and switching it to WAL: it writes in the rollback
    // journal mode, where SQLite answers a switch to WAL with BUSY at once instead of waiting.
    const indexFile = path.join(tempDir('runlens-open-'), 'index.sqlite');
    const holder = spawn(
      process.execPath,
      ['-e', `const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(indexFile)}); db.exec('BEGIN IMMEDIATE; CREATE TABLE other(x)'); console.log('locked'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, 400);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const started = Date.now();
    const store = Store.open(indexFile);
    assert.ok(Date.now() - started >= 100, 'opened while the other process held the lock');
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    indexWorkspace(store, { roots: [corpus('keras')] });
    assert.ok(store.counts().runs > 0);
    store.close();
    await new Promise((resolve) => holder.on('exit', resolve));
  });

  it('rebuilds an index file that is not a database, instead of failing', () => {
    const indexFile = path.join(tempDir(), 'index.sqlite');
    fs.writeFileSync(indexFile, Buffer.alloc(64 * 1024, 0x41));
    fs.writeFileSync(indexFile + '.open', '123'); // the last writer died
    const store = Store.open(indexFile);
    indexWorkspace(store, { roots: [corpus('keras')] });
    assert.ok(store.counts().runs > 0);
    store.close();
  });

  it('gives a clear error when the index location cannot be written', () => {
    const blocker = path.join(tempDir(), 'a-file');
    fs.writeFileSync(blocker, '');
    // A path through a regular file: no one, root included, can create it.
    const target = path.join(blocker, 'index.sqlite');
    assert.throws(() => Store.open(target), (e: Error) => e instanceof IndexStorageError && e.message.startsWith(`Runlens cannot write its index at ${target}: `) && /EEXIST|ENOTDIR/.test(e.message));
  });

  it('reports a full disk as SQLITE_FULL and leaves the index usable', () => {
    const { store } = indexInto([corpus('keras')]);
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    // The disk is "full" one page from now.
    store.db.pragma(`max_page_count = ${pages + 1}`);
    assert.throws(
      () => indexWorkspace(store, { roots: [corpus('mlflow', 'keimoriyama__baseline')] }),
      (e: Error) => e instanceof IndexStorageError && /the disk holding it is full/.test(e.message),
    );
    store.db.pragma('max_page_count = 1073741823');
    indexWorkspace(store, { roots: [corpus('keras')] });
    assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
    store.close();
  });

  it('reports an index that became read-only with a clear message', () => {
    const { store } = indexInto([corpus('keras')]);
    // What SQLite answers when the file or its folder turned read-only under a running indexer.
    store.db.pragma('query_only = 1');
    assert.throws(
      () => indexWorkspace(store, { roots: [corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python')] }),
      (e: Error) => e instanceof IndexStorageError && /its location is read-only/.test(e.message) && e.message.includes(store.file),
    );
    store.db.pragma('query_only = 0');
    store.close();
  });

  it('equals a from-scratch index after a writer appended metrics, event records and CSV rows while two indexers read', async () => {
    const ws = tempDir('runlens-conc-ws-');
    fs.cpSync(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python', 'mlruns'), path.join(ws, 'mlruns'), { recursive: true });
    const tbSrc = corpus('tensorboard', 'AmelNozieres__Mushrooms_YOLOv5', 'runs', 'train', 'exp2');
    const eventName = fs.readdirSync(tbSrc).find((f) => f.startsWith('events.out'))!;
    const events = fs.readFileSync(path.join(tbSrc, eventName));
    const tbFile = path.join(ws, 'tb', 'exp2', eventName);
    fs.mkdirSync(path.dirname(tbFile), { recursive: true });
    fs.writeFileSync(tbFile, events.subarray(0, 0));
    const csvSrc = fs.readdirSync(corpus('lightning', 'DanyaSH759__MLOps_homework', 'lightning_logs')).map((v) => corpus('lightning', 'DanyaSH759__MLOps_homework', 'lightning_logs', v))[0];
    const version = path.join(ws, 'lightning_logs', 'version_0');
    fs.mkdirSync(version, { recursive: true });
    for (const f of fs.readdirSync(csvSrc)) if (!f.startsWith('events')) fs.copyFileSync(path.join(csvSrc, f), path.join(version, f));
    const csvRows = fs.readFileSync(path.join(version, 'metrics.csv'), 'utf8').split('\n');
    fs.writeFileSync(path.join(version, 'metrics.csv'), csvRows[0] + '\n');
    const metric = path.join(ws, 'mlruns', '6', 'a3112407148b4966b929bc9f8784a3d3', 'metrics', 'live');

    // Two indexer processes on one index file (two windows), passing again and again.
    const indexFile = path.join(tempDir('runlens-conc-'), 'index.sqlite');
    const stop = path.join(tempDir(), 'stop');
    const children = [0, 1].map(() => spawn(process.execPath, [CHILD, '--until', stop, indexFile, ws], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const outputs = children.map((c) => {
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      return new Promise<{ code: number | null; out: string; err: string }>((resolve) => c.on('exit', (code) => resolve({ code, out, err })));
    });
    // The writer: event records in pieces that cut records, CSV rows, metric lines.
    const rnd = prng(7);
    for (let off = 0, row = 1, step = 0; off < events.length || row < csvRows.length; step++) {
      const n = Math.floor(rnd() * 1500);
      if (off < events.length) fs.appendFileSync(tbFile, events.subarray(off, (off += n)));
      if (row < csvRows.length) fs.appendFileSync(path.join(version, 'metrics.csv'), csvRows.slice(row, (row += 3)).join('\n') + (row < csvRows.length ? '\n' : ''));
      fs.appendFileSync(metric, `${1_700_000_000_000 + step} ${step / 10} ${step}\n`);
      await sleep(rnd() * 25);
    }
    await sleep(200);
    fs.writeFileSync(stop, '');
    const results = await Promise.all(outputs);
    for (const r of results) assert.equal(r.code, 0, r.err);
    assert.ok(results.every((r) => Number(r.out) >= 1), `passes: ${results.map((r) => r.out).join(', ')}`);
    // One more pass after the writer stopped (what the watcher's last event triggers).
    const store = Store.open(indexFile);
    indexWorkspace(store, { roots: [ws] });
    const scratch = indexInto([ws]);
    assert.deepEqual(snapshot(store).runs, snapshot(scratch.store).runs);
    store.close();
    scratch.store.close();
  });
});
