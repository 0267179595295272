/**
 * Read-ahead for a cold index: worker threads read and parse the metric files of the MLflow runs the
 * indexer will come to next, while it writes the ones before them to SQLite — the two halves of a cold
 * index, overlapped.
 *
 * The indexer stays synchronous (units, savepoints and batches are unchanged): when it needs a file's
 * points it `take`s them, waiting on the worker if they are not there yet (a blocking receive on a
 * message port, woken by an Atomics counter). It takes them only when the worker read the file in the
 * state it fingerprinted itself; anything else — a file that changed since, a worker that failed or is
 * slow, a run past the budget — it reads itself, as without read-ahead.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Diagnostic } from '../model';
import type { MlflowRunDir, MlflowRunHeader } from '../formats/mlflow';
import type { FileState } from './units';

/** A run to read ahead: its folder, and what the MLflow reader needs to read its header. */
export interface ReadAheadRequest {
  dir: string;
  run: MlflowRunDir;
  /** Position in the indexer's order (set when sent). */
  seq?: number;
}

/** A run's header (meta, params, tags, artifact listing) with the fingerprints of the files it came from. */
export interface ReadAheadHeader {
  header: MlflowRunHeader;
  files: [file: string, size: number, mtime: number, ino: number][];
}

export interface ReadAheadFile {
  file: string;
  size: number;
  mtime: number;
  ino: number;
  /** steps, times and values, each `cap` long, of which the first `n` are points. */
  columns: Float64Array;
  cap: number;
  n: number;
  endOffset: number;
  nextLine: number;
  diagnostics: Diagnostic[];
}

export interface ReadAheadReply {
  dir: string;
  /** The indexer was past this run when the thread came to it: nothing was read. */
  skipped?: boolean;
  header?: ReadAheadHeader;
  files: ReadAheadFile[];
  transfer: ArrayBuffer[];
}

/** The files a run's header is read from, among a listing: meta.yaml, and everything in params, tags, artifacts. */
export function headerFiles(dir: string, files: Iterable<string>): string[] {
  const meta = path.join(dir, 'meta.yaml');
  const folders = ['params', 'tags', 'artifacts'].map((f) => path.join(dir, f) + path.sep);
  return [...files].filter((f) => f === meta || folders.some((d) => f.startsWith(d)));
}

/** Runs in flight or waiting to be taken, per thread. */
const WINDOW = 8;
/** Points one run may hold in the read-ahead (the rest of its files are read by the indexer). */
const MAX_POINTS = 500_000;
/** How long the indexer waits for one run before reading on without the threads. */
const PATIENCE_MS = 10_000;

export interface ReadAheadOptions {
  threads?: number;
  /** The worker script (dist/readAheadWorker.js beside the bundle, or the compiled module). */
  script?: string;
  /** How long to wait for one run before giving up on the read-ahead altogether. */
  patienceMs?: number;
  /** Read a run the threads have not started, instead of waiting (default true; tests turn it off). */
  steal?: boolean;
}

export class ReadAhead {
  private readonly workers: { worker: Worker; port: MessagePort; inFlight: number }[] = [];
  /**
   * Shared with the threads: [0] counts replies (the indexer waits on it), [1] is the indexer's position
   * (runs before it are skipped by the threads), [2 + w] the run thread w is reading (-1: none).
   */
  private readonly shared: Int32Array;
  /** Run folders sent and not done with, with the worker each went to. */
  private readonly owner = new Map<string, number>();
  private readonly seqOf = new Map<string, number>();
  /** Runs the indexer reads itself (the threads had not started them). */
  private readonly stolen = new Set<string>();
  /** Run folder → its header and files, once arrived. */
  private readonly arrived = new Map<string, { header?: ReadAheadHeader; files: Map<string, ReadAheadFile> }>();
  private next = 0;
  /** Metric files whose points, and runs whose headers, were taken from the threads. */
  taken = { files: 0, headers: 0 };
  /** Set once a run did not come in time: a thread failed or is stuck, and the indexer reads on alone. */
  abandoned = false;

  /** Read-ahead worth starting: enough runs to read, and a core to spare. */
  static for(runDirs: ReadAheadRequest[], options: ReadAheadOptions = {}): ReadAhead | undefined {
    const threads = options.threads ?? Math.min(4, os.availableParallelism() - 1);
    if (threads < 1 || runDirs.length < 16) return undefined;
    try {
      return new ReadAhead(runDirs, threads, options.script ?? path.join(__dirname, 'readAheadWorker.js'), options.patienceMs ?? PATIENCE_MS, options.steal ?? true);
    } catch {
      return undefined;
    }
  }

  private constructor(
    private readonly runDirs: ReadAheadRequest[],
    threads: number,
    script: string,
    private readonly patienceMs: number,
    private readonly steal: boolean,
  ) {
    this.shared = new Int32Array(new SharedArrayBuffer(4 * (2 + threads))).fill(-1);
    this.shared[0] = 0;
    this.shared[1] = 0;
    for (let i = 0; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(script, { workerData: { port: port2, shared: this.shared, slot: 2 + i, maxPoints: MAX_POINTS }, transferList: [port2] });
      // Never waited for: a worker that fails leaves its runs to the indexer (see take).
      worker.on('error', () => undefined);
      worker.unref();
      this.workers.push({ worker, port: port1, inFlight: 0 });
    }
    this.topUp();
  }

  /** Keeps each worker WINDOW runs ahead of the indexer. */
  private topUp(): void {
    this.workers.forEach((slot, w) => {
      while (slot.inFlight < WINDOW && this.next < this.runDirs.length) {
        const seq = this.next++;
        const request = this.runDirs[seq];
        this.owner.set(request.dir, w);
        this.seqOf.set(request.dir, seq);
        slot.inFlight++;
        slot.port.postMessage({ ...request, seq });
      }
    });
  }

  private drain(): void {
    for (const slot of this.workers) {
      for (let m = receiveMessageOnPort(slot.port); m; m = receiveMessageOnPort(slot.port)) {
        const reply = m.message as Omit<ReadAheadReply, 'transfer'>;
        // A run the indexer is already done with (it gave up waiting) is dropped.
        if (this.owner.has(reply.dir) && !reply.skipped) this.arrived.set(reply.dir, { header: reply.header, files: new Map(reply.files.map((f) => [f.file, f])) });
      }
    }
  }

  /**
   * Whether run folder `dir` is here, waiting for it only while its thread is reading it: a run its thread
   * has not started yet the indexer reads itself (the thread then skips it), so neither waits on the other.
   * False when it was never sent, or the threads gave out.
   */
  private wait(dir: string): boolean {
    if (this.abandoned || !this.owner.has(dir) || this.stolen.has(dir)) return false;
    if (this.arrived.has(dir)) return true;
    const slot = 2 + this.owner.get(dir)!;
    const seq = this.seqOf.get(dir)!;
    const deadline = Date.now() + this.patienceMs;
    for (;;) {
      const seen = Atomics.load(this.shared, 0);
      this.drain();
      if (this.arrived.has(dir)) return true;
      if (this.steal && Atomics.load(this.shared, slot) < seq) {
        // Not started: the indexer takes it, and tells the thread to skip it.
        Atomics.store(this.shared, 1, seq + 1);
        this.stolen.add(dir);
        return false;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.abandoned = true;
        this.close();
        return false;
      }
      Atomics.wait(this.shared, 0, seen, Math.min(left, 100));
    }
  }

  /**
   * The header of run folder `dir` read ahead from files in the states `now` lists (the unit's
   * fingerprints); undefined when the caller should read it itself.
   */
  header(dir: string, now: Record<string, FileState>): MlflowRunHeader | undefined {
    if (!this.wait(dir)) return undefined;
    const got = this.arrived.get(dir)!.header;
    if (!got) return undefined;
    const seen = new Map(got.files.map(([f, size, mtime, ino]) => [f, { size, mtime, ino }]));
    const listed = headerFiles(dir, Object.keys(now));
    if (listed.length !== seen.size) return undefined;
    for (const f of listed) {
      const a = seen.get(f);
      const b = now[f];
      if (!a || a.size !== b.size || a.mtime !== b.mtime || a.ino !== b.ino) return undefined;
    }
    this.taken.headers++;
    return got.header;
  }

  /**
   * The points of metric file `file` of run folder `dir`, read ahead in the state `fingerprint`
   * describes; undefined when the caller should read the file itself.
   */
  take(dir: string, file: string, fingerprint: FileState | undefined): ReadAheadFile | undefined {
    if (!this.wait(dir)) return undefined;
    const files = this.arrived.get(dir)!.files;
    const f = files.get(file);
    files.delete(file);
    if (!f || !fingerprint || f.size !== fingerprint.size || f.mtime !== fingerprint.mtime || f.ino !== fingerprint.ino) return undefined;
    this.taken.files++;
    return f;
  }

  /** The indexer is past run folder `dir` (read or not): forget it and read further ahead. */
  done(dir: string): void {
    if (this.abandoned) return;
    const w = this.owner.get(dir);
    if (w !== undefined) {
      Atomics.store(this.shared, 1, this.seqOf.get(dir)! + 1);
      this.owner.delete(dir);
      this.seqOf.delete(dir);
      this.stolen.delete(dir);
      this.arrived.delete(dir);
      this.workers[w].inFlight--;
    }
    this.drain();
    this.topUp();
  }

  close(): void {
    for (const { worker, port } of this.workers) {
      port.close();
      void worker.terminate();
    }
    this.workers.length = 0;
  }
}
