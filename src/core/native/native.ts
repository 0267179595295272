/**
 * Runlens's native module (probes.c, walk.c, chunks.c, tfrecord.c: N-API, so one build loads in every Node
 * and Electron of its platform), built by `npm install` into dist/native/: the file-system calls of the
 * index's hottest paths without an object per file — the warm pass's probe check, and a cold pass's folder
 * listings and small files — the encoding of metric points as the index stores them, and event files' CRC
 * checks and scalar records. Each has a twin in JavaScript or WebAssembly that gives the same answers (unit
 * tests hold them to it) and is used where the module is absent (no compiler, Windows, a package for another
 * platform) or declines a case. RUNLENS_NATIVE=0 turns the module off (to compare the two); a path there loads that file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface NativeModule {
  /** listing.ts `probesUnchanged` over the probes as the index keeps them, paths as UTF-8 bytes. */
  unchanged(paths: Buffer, seen: Buffer): boolean;
  /**
   * `unchanged` for many units at once, shared out to up to `threads` threads that work while the caller
   * goes on: unit i's probes are bytes [units[4i], units[4i + 1]) of `paths` and [units[4i + 2],
   * units[4i + 3]) of `seen`. unchangedJoin waits for them: byte i of its answer is 1 where unit i's probes
   * are unchanged. A handle's answers are taken once.
   */
  unchangedStart?(paths: Buffer, seen: Buffer, units: Float64Array, threads: number): UnchangedCheck;
  /**
   * unchangedStart over the probe snapshot file `file` (probeSnapshot.ts), mapped rather than read, when it
   * holds together, carries `token` and holds at least `minUnits` units: the check under way and the units'
   * keys (JSON); else undefined, and no thread started.
   */
  unchangedStartFile?(file: string, token: string, threads: number, minUnits?: number): [check: UnchangedCheck, keys: string] | undefined;
  unchangedJoin?(check: UnchangedCheck): Uint8Array;
  /**
   * listing.ts `walk` of `root` entry by entry (paths each ended by '\0', four numbers each: see walk.c),
   * or undefined where JavaScript must walk it (a name not UTF-8, an entry of unknown type).
   */
  walk(root: string, maxDepth: number, maxFiles: number): [paths: string, numbers: Float64Array] | undefined;
  /**
   * walk, each regular file also read whole as readFileSync reads it while the bytes read stay within
   * `maxBytes` in all: the files' bytes one after another, and per entry where its bytes end (-1: not a
   * file, past `maxBytes`, or not read). Given `into`, the bytes are read into it from `at` and `bytes` is
   * `into` (the ends are offsets in it) while they fit; else they come in a Buffer of their own, from 0.
   */
  walkRead(
    root: string,
    maxDepth: number,
    maxFiles: number,
    maxBytes: number,
    into?: Buffer,
    at?: number,
  ): [paths: string, numbers: Float64Array, bytes: Buffer, ends: Float64Array] | undefined;
  /** The files named ('\0' between paths) read whole: their bytes one after another, each one's end (-1: unread). */
  readFiles(paths: string): [bytes: Buffer, ends: Float64Array] | undefined;
  /**
   * chunks.ts encodeSeries into `out` (room for encodedBound bytes a chunk): returns the bytes written;
   * the chunks' ends, the full chunks' overviews and where they end written to the arrays given, the
   * lowest and highest value to range[0] and range[1] (NaN where there is none).
   */
  encodeSeries?(
    columns: Float64Array,
    cap: number,
    n: number,
    out: Buffer,
    ends: Uint32Array,
    overviews: Float64Array,
    overviewEnds: Uint32Array,
    range: Float64Array,
  ): number;
  /**
   * tfrecord.c: the end of the complete records from `start` (within `end`) of `bytes` whose length and
   * payload pass their masked CRC-32C check, with the processor's CRC instruction; `start` where the first
   * does not, is incomplete or too large, and where there is no such instruction.
   */
  tfrecordsIntact?(bytes: Buffer, start: number, end: number): number;
  /**
   * tfrecord.c: the records from `start` checked as tfrecordsIntact checks them, the common scalar Event
   * records among them decoded and their points written into their tags' columns (formats/columns.ts
   * layout), up to the first record it does not take: where it stopped, and why in state[0] (see
   * tfrecord.c; formats/tfrecord.ts NativeScalars drives it).
   */
  scalarEvents?(
    bytes: Buffer,
    start: number,
    end: number,
    table: Buffer,
    columns: Float64Array[],
    keyColumns: Int32Array,
    counts: Uint32Array,
    state: Float64Array,
  ): number;
  /** CRC-32C of `bytes` with the processor's instruction; undefined without one (for the tests). */
  crc32c?(bytes: Buffer): number | undefined;
}

/** A check under way (NativeModule.unchangedStart): opaque. */
export type UnchangedCheck = { readonly __check: unique symbol };

export const NATIVE_FILE = 'runlens_native.node';

/**
 * Where the module is looked for: beside the bundle (dist/native/, in a package too), else in dist/native/
 * of the folder holding the compiled sources (out/…, for the tests and the bench).
 */
export function nativePath(from: string = __dirname): string | undefined {
  const env = process.env.RUNLENS_NATIVE;
  if (env === '0') return undefined;
  if (env) return env;
  for (let dir = from, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    for (const file of [path.join(dir, 'native', NATIVE_FILE), path.join(dir, 'dist', 'native', NATIVE_FILE)]) {
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}

let loaded: { module: NativeModule | undefined; error?: string } | undefined;

/** The native module, or undefined (and why, in `nativeError`) when it is not there or does not load. */
export function native(): NativeModule | undefined {
  if (!loaded) {
    const file = nativePath();
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = { module: file ? (require(file) as NativeModule) : undefined, error: file ? undefined : 'not built' };
    } catch (err) {
      loaded = { module: undefined, error: `${file}: ${(err as Error).message}` };
    }
  }
  return loaded.module;
}

export function nativeError(): string | undefined {
  native();
  return loaded?.error;
}

/**
 * Runs `fn` with the native module off, in this thread and in any thread it starts (the read-ahead
 * threads take RUNLENS_NATIVE from the environment): to hold the JavaScript twins to the same answers.
 */
export function withoutNative<T>(fn: () => T): T {
  const [env, was] = [process.env.RUNLENS_NATIVE, loaded];
  process.env.RUNLENS_NATIVE = '0';
  loaded = undefined;
  try {
    return fn();
  } finally {
    if (env === undefined) delete process.env.RUNLENS_NATIVE;
    else process.env.RUNLENS_NATIVE = env;
    loaded = was;
  }
}
