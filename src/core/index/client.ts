/**
 * Runs the indexer in a child process so the caller (the extension host) never blocks and never shares a
 * fate with it. The process stays up between passes, its index open, so that a live update (a run writing
 * a line a second) costs the re-read of one unit and not a new Node process, its modules, a new SQLite
 * connection and a cold page cache each time; it is let go after a quiet while. One pass at a time;
 * cancel() kills the process, and the index keeps every batch committed before that (each batch is one
 * SQLite transaction); the next pass starts a new one.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
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

/** From the client to the indexer process: one pass, numbered. */
export interface WorkerCommand {
  id: number;
  request: WorkerRequest;
}

/** From the indexer process, about the pass numbered `id`. */
export type WorkerMessage = { id: number } & (
  | { type: 'progress'; progress: IndexProgress }
  | { type: 'done'; summary: IndexSummary }
  | { type: 'error'; message: string; native: boolean; stack?: string }
);

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

interface Pass {
  id: number;
  onProgress?: (p: IndexProgress) => void;
  resolve(s: IndexSummary): void;
  reject(e: Error): void;
  cancelled: boolean;
}

/**
 * The indexer process, started on the first pass and kept for the next ones until it has been idle for
 * `idleMs` (then it closes its index and exits). A pass asked for while another runs cancels that one.
 */
export class IndexWorker {
  private child: ChildProcess | undefined;
  private pass: Pass | undefined;
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;
  /** Processes started so far (for the log and the tests). */
  started = 0;

  constructor(
    private readonly script: string = defaultWorkerScript(),
    private readonly idleMs = 30_000,
  ) {}

  run(request: WorkerRequest, onProgress?: (p: IndexProgress) => void): IndexJob {
    if (this.pass) this.kill();
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    const child = this.child ?? this.start();
    const id = this.nextId++;
    let pass!: Pass;
    const done = new Promise<IndexSummary>((resolve, reject) => (pass = { id, onProgress, resolve, reject, cancelled: false }));
    this.pass = pass;
    child.send({ id, request } satisfies WorkerCommand);
    return {
      done,
      cancel: () => {
        if (this.pass !== pass) return;
        pass.cancelled = true;
        this.kill();
      },
    };
  }

  /** Whether an indexer process is up (between passes too). */
  get alive(): boolean {
    return this.child !== undefined;
  }

  /** The indexer process's id, while it is up. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Ends the process and resolves once it has exited: an idle one closes its index first, a pass running
   * is cancelled.
   */
  stop(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (this.pass) {
      this.pass.cancelled = true;
      this.kill();
    } else this.release(child);
    return exited;
  }

  dispose(): void {
    void this.stop();
  }

  private start(): ChildProcess {
    const child = fork(this.script, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    this.child = child;
    this.started++;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('message', (m: WorkerMessage) => {
      const pass = this.pass;
      if (this.child !== child || !pass || m.id !== pass.id) return;
      if (m.type === 'progress') {
        pass.onProgress?.(m.progress);
        return;
      }
      this.pass = undefined;
      if (m.type === 'done') pass.resolve(m.summary);
      else pass.reject(new IndexWorkerError(m.message, m.native));
      if (this.idleMs <= 0) this.release(child);
      else this.idle = setTimeout(() => this.release(child), this.idleMs).unref();
    });
    // A process that dies on its own (a crash, the system's OOM killer) fails the pass it was serving.
    const gone = (why: string) => {
      if (this.child !== child) return; // let go, killed, or replaced: its pass (if any) is settled
      this.child = undefined;
      const pass = this.pass;
      this.pass = undefined;
      if (this.idle) clearTimeout(this.idle);
      this.idle = undefined;
      pass?.reject(new IndexWorkerError(`indexer process ${why}${stderr ? `: ${stderr.trim()}` : ''}`, false));
    };
    child.on('error', (err) => gone(`failed: ${err.message}`));
    child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    return child;
  }

  /** Lets an idle process go: it closes its index and exits when its channel closes. */
  private release(child: ChildProcess): void {
    if (this.child !== child || this.pass) return;
    this.idle = undefined;
    this.child = undefined;
    if (child.connected) child.disconnect();
  }

  private kill(): void {
    const child = this.child;
    const pass = this.pass;
    this.child = undefined;
    this.pass = undefined;
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    if (pass) pass.reject(new IndexWorkerError(pass.cancelled ? 'indexing cancelled' : 'indexing superseded by a newer pass', false));
    child?.kill('SIGTERM');
  }
}

/** One pass in a process of its own, which exits once the pass is over. */
export function startIndexJob(request: WorkerRequest, onProgress?: (p: IndexProgress) => void, workerScript: string = defaultWorkerScript()): IndexJob {
  return new IndexWorker(workerScript, 0).run(request, onProgress);
}
