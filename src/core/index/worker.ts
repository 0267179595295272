/**
 * Indexer process entry: runs the indexer off the caller's thread, in a child process of its own, so a
 * crash or a kill can never take the extension host down, and SQLite's transactions keep the index
 * consistent whatever point it is stopped at. It serves pass after pass until its channel closes (see
 * client.ts). Progress and the result go back as small typed messages.
 */
import { indexChanged, indexWorkspace } from './indexer';
import type { IndexSummary } from './indexer';
import { Store } from './store';
import { NativeModuleError } from './sqlite';
import type { WorkerCommand, WorkerMessage } from './client';

function post(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(m, undefined, undefined, () => resolve()) : resolve()));
}

// The index stays open between passes: a live update then reads its pages from SQLite's cache, with its
// statements prepared and the readers' modules loaded.
let store: Store | undefined;
let storeFile: string | undefined;

function open(indexFile: string): Store {
  if (store && storeFile !== indexFile) close();
  if (!store) {
    store = Store.open(indexFile);
    storeFile = indexFile;
  }
  return store;
}

function close(): void {
  store?.close();
  store = undefined;
  storeFile = undefined;
}

async function run({ id, request: req }: WorkerCommand): Promise<void> {
  try {
    const store = open(req.indexFile);
    if (req.changed) {
      const c = indexChanged(store, req.changed);
      if (c.unmatched.length === 0) {
        const summary: IndexSummary = { sources: 0, units: c.read, read: c.read, appended: c.read, removed: 0, points: c.points, diagnostics: 0, cancelled: false, ms: c.ms, bySource: {} as IndexSummary['bySource'] };
        await post({ id, type: 'done', summary });
        return;
      }
      // Some paths belong to no known unit (a new run): a full incremental pass finds them.
    }
    let last = 0;
    const summary = indexWorkspace(store, {
      roots: req.roots,
      sources: req.sources,
      exclude: req.exclude,
      onProgress: (p) => {
        const now = Date.now();
        if (p.phase !== 'index' || now - last > 100) {
          last = now;
          void post({ id, type: 'progress', progress: p });
        }
      },
    });
    await post({ id, type: 'done', summary });
  } catch (err) {
    const e = err as Error;
    // Whatever went wrong, the next pass starts from a new connection.
    try {
      close();
    } catch {
      store = undefined;
    }
    await post({ id, type: 'error', message: e.message, native: err instanceof NativeModuleError, stack: e.stack });
  }
}

// Passes come one at a time (the client sends the next once this one is done); one still running when
// another arrives would be a client's mistake, so they queue rather than overlap.
let queue: Promise<void> = Promise.resolve();
process.on('message', (cmd: WorkerCommand) => (queue = queue.then(() => run(cmd))));
// The client lets an idle process go by closing the channel: close the index (SQLite checkpoints its WAL).
process.on('disconnect', () => {
  void queue.then(() => {
    close();
    process.exit(0);
  });
});
