/**
 * Indexer process entry: runs the indexer off the caller's thread, in a child process of its own, so a
 * crash or a kill can never take the extension host down, and SQLite's transactions keep the index
 * consistent whatever point it is stopped at. Progress and the result go back as small typed messages.
 */
import { indexChanged, indexWorkspace } from './indexer';
import type { IndexSummary } from './indexer';
import { Store } from './store';
import { NativeModuleError } from './sqlite';
import type { WorkerRequest, WorkerMessage } from './client';

function post(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(m, undefined, undefined, () => resolve()) : resolve()));
}

async function run(req: WorkerRequest): Promise<void> {
  let store: Store | undefined;
  try {
    store = Store.open(req.indexFile);
    if (req.changed) {
      const c = indexChanged(store, req.changed);
      if (c.unmatched.length === 0) {
        const summary: IndexSummary = { sources: 0, units: c.read, read: c.read, appended: c.read, removed: 0, points: c.points, diagnostics: 0, cancelled: false, ms: c.ms, bySource: {} as IndexSummary['bySource'] };
        store.close();
        store = undefined;
        await post({ type: 'done', summary });
        process.exit(0);
      }
      // Some paths belong to no known unit (a new run): a full incremental pass finds them.
    }
    let last = 0;
    const summary = indexWorkspace(store!, {
      roots: req.roots,
      sources: req.sources,
      exclude: req.exclude,
      onProgress: (p) => {
        const now = Date.now();
        if (p.phase !== 'index' || now - last > 100) {
          last = now;
          void post({ type: 'progress', progress: p });
        }
      },
    });
    store.close();
    store = undefined;
    await post({ type: 'done', summary });
  } catch (err) {
    const e = err as Error;
    store?.close();
    await post({ type: 'error', message: e.message, native: err instanceof NativeModuleError, stack: e.stack });
  }
  process.exit(0);
}

process.once('message', (req: WorkerRequest) => void run(req));
