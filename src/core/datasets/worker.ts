/**
 * Dataset work off the caller's thread: statistics, version diffs and data checks stream whole files, so
 * the extension host hands them to a worker thread running this module (bundled as `dist/datasets.js`).
 * One request per worker; `terminate()` cancels.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Diagnostic } from '../model';
import { checkTables } from './checks';
import { diffTables, type TableDiff } from './diff';
import type { TableStats } from './stats';
import { statsOf } from './versions';
import { ContentCache } from '../cache';

/** `cache`: the content cache file (statistics by content hash, file hashes), when the caller has one. */
export type DatasetRequest =
  | { op: 'stats'; ref: string; label?: string; cache?: string }
  | { op: 'diff'; before: string; after: string; label?: string; cache?: string }
  | { op: 'check'; files: string[]; label?: string; allDuplicates?: boolean }
  | { op: 'hash'; files: string[]; cache?: string };

export type DatasetResult =
  | { op: 'stats'; label: string; stats: TableStats }
  | { op: 'diff'; before: { label: string; stats: TableStats }; after: { label: string; stats: TableStats }; diff: TableDiff }
  | { op: 'check'; diagnostics: Diagnostic[] }
  | { op: 'hash'; hashes: Record<string, string | null> }
  | { op: 'error'; message: string };

export async function runDatasetRequest(req: DatasetRequest): Promise<DatasetResult> {
  const cache = 'cache' in req && req.cache ? ContentCache.open(req.cache) : ContentCache.none();
  try {
    switch (req.op) {
      case 'stats': {
        const r = await statsOf(req.ref, { label: req.label, cache });
        return { op: 'stats', label: r.label, stats: r.stats };
      }
      case 'diff': {
        const before = await statsOf(req.before, { label: req.label, cache });
        const after = await statsOf(req.after, { label: req.label, cache });
        return { op: 'diff', before, after, diff: diffTables(before.stats, after.stats) };
      }
      case 'check':
        return { op: 'check', diagnostics: await checkTables(req.files, { label: req.label, allDuplicates: req.allDuplicates }) };
      case 'hash': {
        const hashes: Record<string, string | null> = {};
        for (const f of req.files) {
          try {
            hashes[f] = cache.fileHash(f);
          } catch {
            hashes[f] = null;
          }
        }
        return { op: 'hash', hashes };
      }
    }
  } catch (e) {
    return { op: 'error', message: (e as Error).message.split('\n')[0] };
  } finally {
    cache.close();
  }
}

export interface DatasetJob {
  readonly done: Promise<DatasetResult>;
  cancel(): void;
}

/** Runs a request in a worker thread running `script` (this module, bundled). */
export function startDatasetJob(script: string, req: DatasetRequest): DatasetJob {
  const worker = new Worker(script, { workerData: req });
  let cancelled = false;
  const done = new Promise<DatasetResult>((resolve) => {
    worker.once('message', (m: DatasetResult) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', (e) => resolve({ op: 'error', message: e.message }));
    worker.once('exit', (code) => resolve({ op: 'error', message: cancelled ? 'cancelled' : `the dataset worker exited with code ${code}` }));
  });
  return {
    done,
    cancel() {
      cancelled = true;
      void worker.terminate();
    },
  };
}

if (!isMainThread && parentPort && (workerData as DatasetRequest | undefined)?.op) {
  void runDatasetRequest(workerData as DatasetRequest).then((r) => parentPort!.postMessage(r));
}
