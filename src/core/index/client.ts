/**
 * Runs the indexer in a child process so the caller (the extension host) never blocks and never shares a
 * fate with it. One call = one indexing pass; cancel() stops the process, and the index keeps every batch
 * committed before that (each batch is one SQLite transaction).
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { DiscoveredSource } from '../discovery';
import type { IndexProgress, IndexSummary } from './indexer';

export interface WorkerRequest {
  indexFile: string;
  roots: string[];
  sources?: DiscoveredSource[];
  exclude?: string[];
  /** Live update: re-read only the units owning these paths (a full pass if some belong to none). */
  changed?: string[];
}

export type WorkerMessage =
  | { type: 'progress'; progress: IndexProgress }
  | { type: 'done'; summary: IndexSummary }
  | { type: 'error'; message: string; native: boolean; stack?: string };

export class IndexWorkerError extends Error {
  constructor(
    message: string,
    readonly native: boolean,
  ) {
    super(message);
    this.name = 'IndexWorkerError';
  }
}

export interface IndexJob {
  readonly done: Promise<IndexSummary>;
  cancel(): void;
}

/** The worker script sits next to this module, both in the bundle (dist/) and in compiled sources. */
export function defaultWorkerScript(): string {
  return path.join(__dirname, 'worker.js');
}

export function startIndexJob(request: WorkerRequest, onProgress?: (p: IndexProgress) => void, workerScript: string = defaultWorkerScript()): IndexJob {
  const child = fork(workerScript, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let cancelled = false;
  const done = new Promise<IndexSummary>((resolve, reject) => {
    let settled = false;
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'done') {
        settled = true;
        resolve(m.summary);
      } else {
        settled = true;
        reject(new IndexWorkerError(m.message, m.native));
      }
    });
    child.on('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      reject(new IndexWorkerError(cancelled ? 'indexing cancelled' : `indexer process exited (${signal ?? code})${stderr ? `: ${stderr.trim()}` : ''}`, false));
    });
  });
  child.send(request);
  return {
    done,
    cancel: () => {
      cancelled = true;
      child.kill('SIGTERM');
    },
  };
}
