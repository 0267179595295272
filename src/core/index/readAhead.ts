/**
 * Read-ahead for a cold index: worker threads list and read the MLflow and TensorBoard runs the indexer
 * will come to next (their files' fingerprints, header and metric points, encoded as the index stores
 * them), while it writes the ones before them to SQLite — the two halves of a cold index, overlapped.
 *
 * The indexer stays synchronous (units, savepoints and batches are unchanged): when it comes to a run it
 * takes what the thread made in place of its own, waiting on the thread if the run is being read (a
 * blocking receive on a message port, woken by an Atomics counter) — for an MLflow run read whole, the
 * unit's state and probes ready to write (PackedRun); else the thread's listing, and the files it read. A
 * thread lists a run before reading it, as the indexer does, so the fingerprints stored are those of the
 * files before they were read: a file written meanwhile differs from them at the next pass and is read
 * again. A run its thread has not started yet — the indexer reads it the same way, in its own thread; a
 * thread that failed or is slow, a run past the budget — the indexer lists and reads itself, as without
 * read-ahead.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Artifact, Diagnostic } from '../model';
import type { MlflowRunDir, MlflowRunHeader } from '../formats/mlflow';
import type { Listing } from './listing';
import type { ArenaBuffers, EncodedSeries } from './chunks';
import type { TensorboardExtra } from './tensorboardRun';
import { giveBackBuffers, readAheadRun } from './readAheadRuns';

/**
 * A run to read ahead: an MLflow run folder (with what the MLflow reader needs to read its header), or a
 * TensorBoard log directory.
 */
export type ReadAheadRequest = ({ kind: 'mlflow'; dir: string; run: MlflowRunDir; within?: string[] } | { kind: 'tensorboard'; dir: string }) & {
  /** Position in the indexer's order (set when sent). */
  seq?: number;
};

/** What the indexer's thread sends a read-ahead thread: a run to read, or a written run's buffers back. */
export type ToReadAhead = ReadAheadRequest | { recycle: ArenaBuffers };

/** A TensorBoard run as a thread read it from its listing: what its unit would write. */
export interface TensorboardAhead {
  extra: TensorboardExtra;
  artifacts: Artifact[];
  /** Its event files, in order: where each read stopped, and what it found wrong. */
  files: { file: string; endOffset: number; diagnostics: Diagnostic[] }[];
  /** Its series, in the order their tags first appear. */
  series: { tag: string; series: EncodedSeries }[];
}

export interface ReadAheadFile {
  file: string;
  /** The file's points as a new series' rows (encoded by the thread). */
  series: EncodedSeries;
  endOffset: number;
  nextLine: number;
  tail?: string;
  diagnostics: Diagnostic[];
}

/**
 * An MLflow run a thread read whole (every metric file): what its unit keeps of it besides its rows, made by
 * the thread from its listing — the state as the index keeps it and the probes — so that the indexer never
 * receives or walks that listing, an object keyed by full paths (receiving it cost the indexer more than
 * writing the run's header).
 */
export interface PackedRun {
  /** The unit's state as JSON, `{"files":…,"dirs":…}`, each metric file with its resume offset, line and tail. */
  state: string;
  /** The listing's probes as the index keeps them (probesForIndex): their paths, and their numbers' bytes. */
  probePaths: string;
  probeSeen: ArrayBuffer;
  /** The run's metric files, each read whole (ReadAheadReply.files). */
  metricFiles: string[];
}

export interface ReadAheadReply {
  dir: string;
  /** The indexer was past this run when the thread came to it: nothing was read. */
  skipped?: boolean;
  /**
   * The run's listing (listMlflowRun), made before anything was read; absent when the thread failed, and
   * when it read the run whole (`packed`).
   */
  listing?: Listing;
  packed?: PackedRun;
  header?: MlflowRunHeader;
  files: ReadAheadFile[];
  tensorboard?: TensorboardAhead;
  /** The buffers its series are views of (SeriesArena.handOver): given back to its thread once written. */
  buffers?: ArenaBuffers;
}

/** What was read of a run ahead of the indexer: by a thread, or `here`, by the indexer's own thread. */
interface Arrival {
  listing?: Listing;
  packed?: PackedRun;
  header?: MlflowRunHeader;
  files: Map<string, ReadAheadFile>;
  tensorboard?: TensorboardAhead;
  buffers?: ArenaBuffers;
  here?: boolean;
  /** The points read. */
  points: number;
}

/**
 * Runs in flight or waiting to be indexed, per thread: enough for a thread to read on while the indexer
 * commits a batch (tens of milliseconds), as long as the points read and not yet written stay under
 * MAX_HELD_POINTS.
 */
const WINDOW = 32;
const MAX_HELD_POINTS = 2_000_000;
/** Points one run may hold in the read-ahead (the rest of its files are read by the indexer). */
const MAX_POINTS = 500_000;
/** How long the indexer waits for a thread before reading on without the threads. */
const PATIENCE_MS = 10_000;

/** A run's claim, shared with the threads: whoever moves it from FREE first reads it (a thread sets 1). */
const FREE = 0;
const INDEXER = 2;

export interface ReadAheadOptions {
  threads?: number;
  /** The worker script (dist/readAheadWorker.js beside the bundle, or the compiled module). */
  script?: string;
  /** How long to wait for a thread before giving up on the read-ahead altogether. */
  patienceMs?: number;
  /** Let the indexer read runs no thread has started, instead of waiting (default true; tests turn it off). */
  steal?: boolean;
  /** Points one run may hold in the read-ahead (default 500,000; tests lower it). */
  maxPoints?: number;
}

/**
 * The runs to read ahead, shared out between the threads and the indexer. The threads take them from the
 * front, a window at a time; the indexer indexes what they have read, and when nothing is ready and it has
 * nothing else to do, it reads a run itself from the back — so neither waits on the other until the two
 * meet (work stealing). Each run is handed to the indexer once, by `ready` or `claim`.
 */
export class ReadAhead {
  private readonly workers: { worker: Worker; port: MessagePort; inFlight: number }[] = [];
  /** Shared with the threads: [0] counts replies (the indexer waits on it). */
  private readonly replies: Int32Array;
  /** Shared with the threads: per run (by seq), FREE, THREAD or INDEXER. */
  private readonly claims: Int32Array;
  /** Runs sent to a thread and not yet handed to the indexer: folder → [seq, thread]. */
  private readonly outstanding = new Map<string, [number, number]>();
  /** Runs handed to the indexer and not done: folder → the thread it was sent to (-1: never sent). */
  private readonly handed = new Map<string, number>();
  /** Run folder → what was read of it, in the order they arrived. */
  private readonly arrived = new Map<string, Arrival>();
  /** Runs whose listing the indexer took: their header and files are the ones to use. */
  private readonly adopted = new Set<string>();
  /** Points of the runs that arrived from the threads and are not written yet. */
  private held = 0;
  /** Runs [front, back) are not sent yet; those from `back` on the indexer read itself. */
  private front = 0;
  private back: number;
  /** What was taken from the threads: MLflow runs' headers and metric files, TensorBoard runs whole. */
  taken = { headers: 0, files: 0, tensorboard: 0 };
  /** Set once a thread did not answer in time: it failed or is stuck, and the indexer reads on alone. */
  abandoned = false;

  /** Read-ahead worth starting: enough runs to read, and a core to spare. */
  static for(runDirs: ReadAheadRequest[], options: ReadAheadOptions = {}): ReadAhead | undefined {
    const threads = options.threads ?? Math.min(4, os.availableParallelism() - 1);
    if (threads < 1 || runDirs.length < 16) return undefined;
    try {
      return new ReadAhead(runDirs, threads, options.script ?? path.join(__dirname, 'readAheadWorker.js'), options.patienceMs ?? PATIENCE_MS, options.steal ?? true, options.maxPoints ?? MAX_POINTS);
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
    private readonly maxPoints: number,
  ) {
    this.back = runDirs.length;
    this.replies = new Int32Array(new SharedArrayBuffer(4));
    this.claims = new Int32Array(new SharedArrayBuffer(4 * runDirs.length));
    for (let i = 0; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(script, { workerData: { port: port2, replies: this.replies, claims: this.claims, maxPoints: this.maxPoints }, transferList: [port2] });
      // Never waited for: a worker that fails leaves its runs to the indexer (see claim).
      worker.on('error', () => undefined);
      worker.unref();
      this.workers.push({ worker, port: port1, inFlight: 0 });
    }
    this.topUp();
  }

  /** Keeps each thread WINDOW runs ahead of the indexer. */
  private topUp(): void {
    if (this.abandoned) return;
    this.workers.forEach((slot, w) => {
      while (slot.inFlight < WINDOW && this.front < this.back && this.held < MAX_HELD_POINTS) {
        const seq = this.front++;
        const request = this.runDirs[seq];
        this.outstanding.set(request.dir, [seq, w]);
        slot.inFlight++;
        slot.port.postMessage({ ...request, seq });
      }
    });
  }

  private drain(): void {
    for (const slot of this.workers) {
      for (let m = receiveMessageOnPort(slot.port); m; m = receiveMessageOnPort(slot.port)) {
        const reply = m.message as ReadAheadReply;
        // A run the indexer took over (the thread skipped it, or it was given up on) has nothing to add.
        if (!reply.skipped && this.outstanding.has(reply.dir)) {
          const got = arrival(reply);
          this.arrived.set(reply.dir, got);
          this.held += got.points;
        }
      }
    }
  }

  private hand(dir: string, thread: number): string {
    this.outstanding.delete(dir);
    this.handed.set(dir, thread);
    return dir;
  }

  /**
   * Hands the indexer run `seq`, which no thread started, read here as a thread reads it: the indexer
   * writes it the same way (an MLflow run read whole as its PackedRun), without the listing and the
   * comparisons of a unit read from scratch.
   */
  private handHere(seq: number, thread: number): string {
    const request = this.runDirs[seq];
    this.arrived.set(request.dir, { ...arrival(readAheadRun(request, this.maxPoints)), here: true });
    return this.hand(request.dir, thread);
  }

  /** A run a thread has read and the indexer has not had yet, without waiting; undefined when none. */
  ready(): string | undefined {
    this.drain();
    for (const dir of this.arrived.keys()) if (this.outstanding.has(dir)) return this.hand(dir, this.outstanding.get(dir)![1]);
    return undefined;
  }

  /**
   * The next run for the indexer: one a thread has read, else one no thread has started (the indexer
   * reads it itself, from the back), else — every run being read — the first a thread finishes. Undefined
   * once every run was handed out.
   */
  claim(): string | undefined {
    for (let deadline = Date.now() + this.patienceMs; ; ) {
      const seen = Atomics.load(this.replies, 0);
      const dir = this.ready();
      if (dir) return dir;
      if ((this.abandoned || this.steal) && this.front < this.back) return this.handHere(--this.back, -1);
      if (this.abandoned) {
        // The threads are gone: every run still out is the indexer's.
        for (const [d, [, w]] of this.outstanding) return this.hand(d, w);
        return undefined;
      }
      if (this.steal) {
        // Sent, but not started by its thread: the latest first.
        let best: [string, number, number] | undefined;
        for (const [d, [seq, w]] of this.outstanding) if (Atomics.load(this.claims, seq) === FREE && (!best || seq > best[1])) best = [d, seq, w];
        if (best && Atomics.compareExchange(this.claims, best[1], FREE, INDEXER) === FREE) return this.handHere(best[1], best[2]);
      }
      if (this.outstanding.size === 0 && this.front >= this.back) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.abandoned = true;
        this.close();
        continue;
      }
      Atomics.wait(this.replies, 0, seen, Math.min(left, 100));
    }
  }

  /**
   * The listing of run folder `dir` a thread made before reading it, to stand for the indexer's own;
   * undefined when the indexer should list (and read) the run itself.
   */
  listing(dir: string): Listing | undefined {
    const got = this.handed.has(dir) ? this.arrived.get(dir)?.listing : undefined;
    if (got) this.adopted.add(dir);
    return got;
  }

  /**
   * Run folder `dir` as a thread read it whole, ready to write (with `header` and `take`); undefined when the
   * indexer should list it (and take what was read with `listing`).
   */
  packed(dir: string): PackedRun | undefined {
    const got = this.handed.has(dir) ? this.arrived.get(dir)?.packed : undefined;
    if (got) this.adopted.add(dir);
    return got;
  }

  /** The header of run folder `dir`, when the indexer took the thread's listing of it. */
  header(dir: string): MlflowRunHeader | undefined {
    const got = this.adopted.has(dir) ? this.arrived.get(dir) : undefined;
    if (got?.header && !got.here) this.taken.headers++;
    return got?.header;
  }

  /**
   * The points of metric file `file` of run folder `dir`, when the indexer took the thread's listing of the
   * run; undefined when the caller should read the file itself (past the thread's budget). Each file once.
   */
  take(dir: string, file: string): ReadAheadFile | undefined {
    const got = this.adopted.has(dir) ? this.arrived.get(dir) : undefined;
    const f = got?.files.get(file);
    if (!f) return undefined;
    got!.files.delete(file);
    if (!got!.here) this.taken.files++;
    return f;
  }

  /** TensorBoard log directory `dir` as a thread read it, when the indexer took the thread's listing of it. */
  tensorboard(dir: string): TensorboardAhead | undefined {
    const got = this.adopted.has(dir) ? this.arrived.get(dir) : undefined;
    if (got?.tensorboard && !got.here) this.taken.tensorboard++;
    return got?.tensorboard;
  }

  /** The indexer is done with run folder `dir` (read or not): forget it and read further ahead. */
  done(dir: string): void {
    const w = this.handed.get(dir);
    if (w === undefined) return;
    this.handed.delete(dir);
    const got = this.arrived.get(dir);
    if (got && !got.here) this.held -= got.points;
    this.arrived.delete(dir);
    this.adopted.delete(dir);
    // The run's series are written: their buffers go back to the thread that read it.
    if (got?.buffers) {
      if (got.here) giveBackBuffers(got.buffers);
      else this.workers[w]?.port.postMessage({ recycle: got.buffers } satisfies ToReadAhead, got.buffers);
    }
    if (w >= 0 && this.workers[w]) this.workers[w].inFlight--;
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

function arrival(reply: ReadAheadReply): Arrival {
  let points = 0;
  for (const f of reply.files) points += f.series.summary.count;
  for (const s of reply.tensorboard?.series ?? []) points += s.series.summary.count;
  return { listing: reply.listing, packed: reply.packed, header: reply.header, files: new Map(reply.files.map((f) => [f.file, f])), tensorboard: reply.tensorboard, buffers: reply.buffers, points };
}
