import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexWorker, startIndexJob } from '../../src/core/index/client';
import { Store } from '../../src/core/index/store';
import { copyOf, corpus, growingWorkspace, indexContents, indexInto, tempDir } from './corpus';

// The compiled worker script beside the compiled client (out/src/core/index/).
const SCRIPT = path.join(__dirname, '..', '..', 'src', 'core', 'index', 'worker.js');

function exited(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the indexer process (client.ts, worker.ts)', function () {
  this.timeout(60_000);
  const workers: IndexWorker[] = [];
  after(async () => {
    for (const w of workers) await w.stop();
  });
  const worker = (idleMs?: number) => {
    const w = new IndexWorker(SCRIPT, idleMs);
    workers.push(w);
    return w;
  };

  it('serves pass after pass from one process, and its live updates equal an index built from scratch', async () => {
    const { ws, eventFile, eventBytes, offsets, metricFile } = growingWorkspace();
    const cuts = [offsets[10] + 5, offsets[40], offsets[41] + 3, eventBytes.length];
    fs.writeFileSync(eventFile, eventBytes.subarray(0, cuts[0]));
    const dir = tempDir();
    const indexFile = path.join(dir, 'index.sqlite');
    const w = worker(60_000);
    const first = await w.run({ indexFile, roots: [ws] }).done;
    assert.ok(first.read > 10, `read ${first.read} units`);
    const pid = w.pid!;
    const steps = fs.readFileSync(metricFile, 'utf8').trim().split('\n').length;
    for (let i = 1; i < cuts.length; i++) {
      fs.appendFileSync(metricFile, `${1656994882000 + i} ${i / 4} ${steps + i}\n`);
      fs.appendFileSync(eventFile, eventBytes.subarray(cuts[i - 1], cuts[i]));
      const s = await w.run({ indexFile, roots: [ws], changed: [metricFile, eventFile] }).done;
      assert.equal(s.read, 2, `update ${i}`);
      assert.equal(w.pid, pid, 'the same process serves every pass');
    }
    // A path no unit owns (a new run) turns the update into a full pass, in the same process.
    const newRun = path.join(ws, 'mlruns', '6', 'ffffffffffffffffffffffffffffffff');
    fs.cpSync(path.dirname(path.dirname(metricFile)), newRun, { recursive: true });
    fs.writeFileSync(path.join(newRun, 'meta.yaml'), fs.readFileSync(path.join(newRun, 'meta.yaml'), 'utf8').replaceAll('a3112407148b4966b929bc9f8784a3d3', 'ffffffffffffffffffffffffffffffff'));
    const full = await w.run({ indexFile, roots: [ws], changed: [path.join(newRun, 'meta.yaml')] }).done;
    assert.equal(full.read, 1);
    assert.equal(w.started, 1);

    const live = Store.open(indexFile, { readonly: true });
    const scratch = indexInto([ws]);
    assert.deepEqual(indexContents(live), indexContents(scratch.store));
    const [run] = live.resolveRun('a3112407148b4966b929bc9f8784a3d3');
    assert.equal(live.seriesPoints(run.rid, 'foo').at(-1)!.value, (cuts.length - 1) / 4);
    assert.equal(live.resolveRun('ffffffffffffffffffffffffffffffff').length, 1);
    live.close();
    scratch.store.close();
    await w.stop();
    assert.ok(exited(pid));
    assert.equal(fs.existsSync(`${indexFile}-wal`), false, 'stopped between passes, it closed the index');
    for (const d of [dir, scratch.dir, ws]) fs.rmSync(d, { recursive: true });
  });

  it('lets an idle process go: it closes the index (its WAL checkpointed away) and exits', async () => {
    const { ws } = growingWorkspace();
    const dir = tempDir();
    const indexFile = path.join(dir, 'index.sqlite');
    const w = worker(300);
    await w.run({ indexFile, roots: [ws] }).done;
    const pid = w.pid!;
    assert.ok(fs.existsSync(`${indexFile}-wal`), 'the open index has its WAL');
    await until('the idle process to exit', () => exited(pid));
    assert.equal(w.alive, false);
    assert.equal(fs.existsSync(`${indexFile}-wal`), false, 'closed cleanly');
    // The next pass starts a new process, which finds the index as the last one left it.
    const again = await w.run({ indexFile, roots: [ws] }).done;
    assert.equal(again.read, 0);
    assert.equal(w.started, 2);
    await w.stop();
    for (const d of [dir, ws]) fs.rmSync(d, { recursive: true });
  });

  it('cancels a pass by ending its process, and one asked for meanwhile supersedes it; the next starts afresh', async () => {
    const dir = tempDir();
    const indexFile = path.join(dir, 'index.sqlite');
    const w = worker(60_000);
    const big = w.run({ indexFile, roots: [corpus()] });
    const pid = w.pid!;
    big.cancel();
    await assert.rejects(big.done, /indexing cancelled/);
    await until('the cancelled process to exit', () => exited(pid));
    const a = w.run({ indexFile, roots: [corpus()] });
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const b = w.run({ indexFile: path.join(dir, 'other.sqlite'), roots: [ws] });
    await assert.rejects(a.done, /superseded/);
    assert.ok((await b.done).read > 10);
    assert.equal(w.started, 3);
    await w.stop();
    for (const d of [dir, path.dirname(ws)]) fs.rmSync(d, { recursive: true });
  });

  it('fails the pass of a process that dies (killed from outside) with why, and serves the next from a new one', async () => {
    const dir = tempDir();
    const indexFile = path.join(dir, 'index.sqlite');
    const w = worker(60_000);
    const job = w.run({ indexFile, roots: [corpus()] });
    process.kill(w.pid!, 'SIGKILL');
    await assert.rejects(job.done, /indexer process exited \(SIGKILL\)/);
    assert.equal(w.alive, false);
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    assert.ok((await w.run({ indexFile, roots: [ws] }).done).read > 10);
    await w.stop();
    for (const d of [dir, path.dirname(ws)]) fs.rmSync(d, { recursive: true });
  });

  it('reports a pass that fails inside the process as an error, and the process serves the next', async () => {
    const dir = tempDir();
    const w = worker(60_000);
    const aFile = path.join(dir, 'a-file');
    fs.writeFileSync(aFile, '');
    // An index asked for below a file: the store cannot be opened.
    await assert.rejects(w.run({ indexFile: path.join(aFile, 'index.sqlite'), roots: [dir] }).done, (err: Error) => err.name === 'IndexWorkerError' && /cannot write its index at .*a-file/.test(err.message));
    const pid = w.pid;
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    assert.ok((await w.run({ indexFile: path.join(dir, 'good.sqlite'), roots: [ws] }).done).read > 10);
    assert.equal(w.pid, pid);
    await w.stop();
    for (const d of [dir, path.dirname(ws)]) fs.rmSync(d, { recursive: true });
  });

  it('startIndexJob: one pass in a process of its own that exits once it is over', async () => {
    const dir = tempDir();
    const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
    const progress: string[] = [];
    const job = startIndexJob({ indexFile: path.join(dir, 'index.sqlite'), roots: [ws] }, (p) => progress.push(p.phase), SCRIPT);
    assert.ok((await job.done).read > 10);
    assert.ok(progress.includes('discover'), `progress: ${progress.join(', ')}`);
    await until('the process to exit', () => !fs.existsSync(path.join(dir, 'index.sqlite-wal')));
    for (const d of [dir, path.dirname(ws)]) fs.rmSync(d, { recursive: true });
  });
});
