/**
 * File listings for fingerprinting, cheap on the warm path: a folder whose own mtime (and that of every
 * folder below it) is unchanged since the last pass has the same entries, so its listing is reused without
 * readdir — and, for folders whose files are never rewritten in place (MLflow params), without a stat per
 * file either.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileState } from './units';
import type { FileChange } from './units';
import { native } from '../native/native';
import type { RunFile, RunFolders } from '../formats/mlflow';
import { openRegularFd } from '../formats/files';
import { OUTSIDE_FILE, insideFolders } from '../artifacts/confine';

export interface Listing {
  files: Record<string, FileState>;
  /** mtime of every folder walked, to decide next time whether its entries can have changed. */
  dirs: Record<string, number>;
  /**
   * What the next pass would look at if nothing changed — the folders, the files re-stated each pass and
   * the paths found missing — with what it saw: `probesUnchanged` re-checks just these.
   */
  probes?: Probes;
}

/**
 * Probes: the paths, `F<path>` for a file, `D<path>` for a folder and `E<path>` for whatever is there, and
 * what each showed, as numbers (a file: its size, or NONE when there was no file, its mtime and inode; a
 * folder: FOLDER, NONE or UNREADABLE, and its mtime; an entry: NONE, FILE, FOLDER or OTHER). Kept in the
 * index as text and a float64 blob, re-checked without a number turned into text.
 */
export interface Probes {
  paths: string[];
  seen: number[];
}

const NONE = -1;
const FOLDER = 1;
const UNREADABLE = 2;
/** What an entry probe saw: a file, or something else (a socket, a device). */
const FILE = 3;
const OTHER = 4;

/** The size listed for a FIFO, a device or a socket among a folder's files (walk.c leaves those folders to walkInJs). */
export const SPECIAL_FILE = -1;

/** statSync's options for a path that may be gone, made once: this is the warm pass's inner loop. */
const NO_THROW = { throwIfNoEntry: false } as const;

/**
 * What is at `p`, or undefined when nothing can be stated there: gone, below a file (ENOTDIR, which Node 20
 * throws and Node 22 does not), a link loop. The native check takes a path the same way.
 */
function statOrNone(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, NO_THROW);
  } catch {
    return undefined;
  }
}

export interface PrevListing {
  files: Record<string, FileState>;
  dirs?: Record<string, number>;
}

/** How much of a folder's previous listing to trust when no folder below it changed. */
export type Reuse = 'fingerprints' | 'names';

export function statFiles(paths: string[], out: Listing = { files: {}, dirs: {}, probes: { paths: [], seen: [] } }): Listing {
  for (const f of paths) statInto(out, f, true);
  return out;
}

/** Adds file `f` to the listing when it is one, and to the probes when `probe`. */
function statInto(out: Listing, f: string, probe: boolean): void {
  const st = statOrNone(f);
  if (st?.isFile()) out.files[f] = { size: st.size, mtime: st.mtimeMs, ino: st.ino };
  else if (st && !st.isDirectory()) out.files[f] = { size: SPECIAL_FILE, mtime: 0, ino: 0 }; // for its reader to report
  if (probe) fileProbe(out, f, st);
}

/**
 * The files of an MLflow run folder, as its unit fingerprints them (the read-ahead threads list a run the
 * same way). MLflow never rewrites a param (logging one twice is an error), nor an artifact in place in
 * practice (nor an input); tags and metric files do change in place, so those are re-stated. The run's
 * header is read from this listing (readMlflowRunHeader).
 */
export function listMlflowRun(dir: string, prev: PrevListing | undefined, within?: string[]): Listing {
  const out = statFiles([path.join(dir, 'meta.yaml')]);
  for (const [folder, reuse] of MLFLOW_RUN_FOLDERS) listTree(path.join(dir, folder), 12, out, prev, reuse, Infinity, FOLLOWED.has(folder) ? within ?? [] : undefined);
  return out;
}

/**
 * listMlflowRun of a run never indexed, made from the native walk without building its listing, an object
 * keyed by full paths: what a cold read of the run needs — its files by folder, its metric files — and, once
 * they are read, the state and probes its unit keeps, as listMlflowRun's listing would give them. Undefined
 * where the native module is not built or declines a folder: then listMlflowRun.
 */
export class PackedMlflowListing {
  /** Per file, in the listing's order: its path, and its size, mtime and inode. */
  private readonly files: string[] = [];
  private readonly numbers: number[] = [];
  /** Per folder walked: its path and mtime. */
  private readonly dirs: [string, number][] = [];
  readonly probes: Probes = { paths: [], seen: [] };
  readonly folders: RunFolders = new Map();
  /** The bytes of the metric files read with the listing: views of walkScratch, valid until the next listing. */
  private readonly metricBytes = new Map<string, Buffer>();
  /** Whether the run has a meta.yaml. */
  readonly hasMeta: boolean;

  static of(dir: string): PackedMlflowListing | undefined {
    const mod = native();
    if (!mod) return undefined;
    const walks: Walked[] = [];
    // Where the next walk's bytes go in walkScratch (the walks of a run share it, one after another).
    let at = 0;
    for (const [folder] of MLFLOW_RUN_FOLDERS) {
      // The files of params/ and tags/ are read as they are listed (each file's value is its content), and
      // the metric files up to METRIC_BYTES (the rest are read as they are parsed).
      const root = path.join(dir, folder);
      const read = folder === 'params' || folder === 'tags' ? Infinity : folder === 'metrics' ? METRIC_BYTES : 0;
      if (read === 0) {
        const walked = mod.walk(root, 12, Infinity);
        if (!walked) return undefined;
        walks.push([...walked, undefined, undefined, 0]);
        continue;
      }
      const walked = mod.walkRead(root, 12, Infinity, read, walkScratch, at);
      if (!walked) return undefined;
      const [, , bytes, ends] = walked;
      if (bytes === walkScratch) {
        walks.push([...walked, at]);
        for (const end of ends) at = Math.max(at, end);
      } else {
        // They did not fit: a Buffer of their own this time, a larger scratch for the next run.
        walks.push([...walked, 0]);
        walkScratch = Buffer.allocUnsafe(Math.min(MAX_SCRATCH, 2 * (at + bytes.length)));
      }
    }
    return new PackedMlflowListing(dir, walks);
  }

  private constructor(dir: string, walks: Walked[]) {
    const meta = path.join(dir, 'meta.yaml');
    const st = statOrNone(meta);
    this.hasMeta = st?.isFile() ?? false;
    if (st?.isFile()) this.addFile(meta, st.size, st.mtimeMs, st.ino);
    fileProbe(this, meta, st);
    const prefix = dir + path.sep;
    walks.forEach(([paths, numbers, bytes, ends, bytesStart], w) => {
      const [folder, reuse] = MLFLOW_RUN_FOLDERS[w];
      const files: RunFile[] = [];
      this.folders.set(folder, files);
      let start = 0;
      let from = bytesStart;
      for (let i = 0; i < numbers.length; i += 4) {
        const end = paths.indexOf('\0', start);
        const p = paths.slice(start, end);
        start = end + 1;
        probeWalked(this, reuse, p, numbers, i);
        if (numbers[i] === WALKED_FOLDER) this.dirs.push([p, numbers[i + 1]]);
        else if (numbers[i] === WALKED_FILE) {
          this.addFile(p, numbers[i + 1], numbers[i + 2], numbers[i + 3]);
          let rel = p.slice(prefix.length + folder.length + 1);
          if (path.sep !== '/' && rel.includes(path.sep)) rel = rel.split(path.sep).join('/');
          // Where the file's bytes end, when walkRead read them.
          const bytesEnd = ends ? ends[i / 4] : -1;
          if (bytesEnd >= 0 && folder === 'metrics') this.metricBytes.set(p, bytes!.subarray(from, bytesEnd));
          files.push(bytesEnd >= 0 && folder !== 'metrics' ? [p, rel, numbers[i + 1], bytes!.toString('utf8', from, bytesEnd)] : [p, rel, numbers[i + 1]]);
          if (bytesEnd >= 0) from = bytesEnd;
        }
      }
    });
  }

  private addFile(file: string, size: number, mtime: number, ino: number): void {
    this.files.push(file);
    this.numbers.push(size, mtime, ino);
  }

  /**
   * The unit's state as JSON, as JSON.stringify writes listMlflowRun's `{ files, dirs }` once `read` files
   * are completed with where their reads stopped.
   */
  state(read: Map<string, { offset: number; line: number; tail?: string }>): string {
    let files = '';
    for (let i = 0; i < this.files.length; i++) {
      const f = this.files[i];
      const r = read.get(f);
      const more = r ? `,"offset":${r.offset},"line":${r.line}${r.tail === undefined ? '' : `,"tail":${JSON.stringify(r.tail)}`}` : '';
      files += `${i ? ',' : ''}${jsonString(f)}:{"size":${this.numbers[3 * i]},"mtime":${this.numbers[3 * i + 1]},"ino":${this.numbers[3 * i + 2]}${more}}`;
    }
    return `{"files":{${files}},"dirs":{${this.dirs.map(([d, mtime]) => `${jsonString(d)}:${mtime}`).join(',')}}}`;
  }

  /** The listing listMlflowRun would have made (for a run not read whole: its unit reads the rest). */
  listing(): Listing {
    const out: Listing = { files: {}, dirs: Object.fromEntries(this.dirs), probes: this.probes };
    this.files.forEach((f, i) => (out.files[f] = { size: this.numbers[3 * i], mtime: this.numbers[3 * i + 1], ino: this.numbers[3 * i + 2] }));
    return out;
  }

  /** The run's metric files with their sizes, and their bytes where the listing read them, in the listing's order. */
  metricFiles(): (readonly [file: string, size: number, bytes?: Buffer])[] {
    return (this.folders.get('metrics') ?? []).map(([f, , size]) => [f, size, this.metricBytes.get(f)] as const);
  }

  /** The listing's probes as the index keeps them (probesForIndex). */
  probesForIndex(): [paths: string, seen: Buffer] {
    return probesForIndex(this.probes);
  }
}

/** The most bytes of a run's metric files a cold read takes with its listing. */
const METRIC_BYTES = 8 << 20;

/**
 * The Buffer walkRead reads a run's files into, reused from run to run (its pages stay in memory; a new
 * Buffer's are faulted in one by one), grown up to MAX_SCRATCH when a run's files did not fit.
 */
let walkScratch = Buffer.allocUnsafe(1 << 20);
const MAX_SCRATCH = 2 * METRIC_BYTES;

/**
 * What the native walk gives of a folder (walk.c): paths and numbers, and with walkRead the files' bytes
 * and where each ends; `bytesStart`: where the first file's bytes begin.
 */
type Walked = [paths: string, numbers: Float64Array, bytes: Buffer | undefined, ends: Float64Array | undefined, bytesStart: number];

/** Characters JSON.stringify writes otherwise than as themselves in a string. */
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify of a string, a third of the time for the usual path (nothing to escape). */
function jsonString(s: string): string {
  return JSON_ESCAPED.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** The folders of an MLflow run folder that its listing walks, in order, and how much a warm pass trusts of each. */
/**
 * The run folders whose links are followed, as MLflow follows them (os.listdir, then open): a key's value is
 * its file's content wherever the link leads, inside the allowed folders (walk.c's walkRead declines a
 * folder with a link, so walkInJs judges each).
 */
const FOLLOWED = new Set(['params', 'tags', 'metrics']);

const MLFLOW_RUN_FOLDERS: [string, Reuse][] = [
  ['params', 'fingerprints'],
  ['artifacts', 'fingerprints'],
  // Datasets logged as inputs (inputs/<id>/meta.yaml, written once each).
  ['inputs', 'fingerprints'],
  ['tags', 'names'],
  ['metrics', 'names'],
];

function fileProbe(out: { probes?: Probes }, file: string, st: fs.Stats | undefined): void {
  if (st?.isFile()) fileSeen(out, file, st.size, st.mtimeMs, st.ino);
  else fileSeen(out, file, NONE, 0, 0);
}

/** Records file `file` among the probes, with what it showed (NONE: no file there). */
function fileSeen(out: { probes?: Probes }, file: string, size: number, mtime: number, ino: number): void {
  if (!out.probes) return;
  out.probes.paths.push('F' + file);
  out.probes.seen.push(size, mtime, ino);
}

function dirProbe(out: { probes?: Probes }, dir: string, state: number, mtime = 0): void {
  if (!out.probes) return;
  out.probes.paths.push('D' + dir);
  out.probes.seen.push(state, mtime);
}

/** Records folder `dir` among the probes with the stat the caller made (discovery's walk, which lists it). */
export function recordFolder(out: { probes?: Probes }, dir: string, st: fs.Stats): void {
  dirProbe(out, dir, FOLDER, st.mtimeMs);
}

/** Records file `file` among the probes, statted here: one whose contents the caller went by. */
export function recordFile(out: { probes?: Probes }, file: string): void {
  fileProbe(out, file, statOrNone(file));
}

/**
 * Records folder `dir` among the probes: for units that find files by listing a folder themselves (event
 * files in a log directory), whose new files change the folder's mtime.
 */
export function probeFolder(out: Listing, dir: string): Listing {
  const st = statOrNone(dir);
  if (st?.isDirectory()) dirProbe(out, dir, FOLDER, st.mtimeMs);
  else dirProbe(out, dir, NONE);
  return out;
}

/**
 * Records what is at `p`, if anything (a file, a folder or other, links followed), among the probes as
 * `E<path>`: for a path whose existence or kind the unit goes by, not its contents (a `.git` looked for in
 * each folder above a project). Returns what it saw.
 */
export function probeEntry(out: Listing, p: string): 'file' | 'folder' | 'other' | undefined {
  return recordEntry(out, p, statOrNone(p));
}

/** probeEntry with the stat the caller made. */
export function recordEntry(out: Listing, p: string, st: fs.Stats | undefined): 'file' | 'folder' | 'other' | undefined {
  const kind = entryKind(st);
  if (out.probes) {
    out.probes.paths.push('E' + p);
    out.probes.seen.push(kind);
  }
  return kind === NONE ? undefined : kind === FILE ? 'file' : kind === FOLDER ? 'folder' : 'other';
}

function entryKind(st: fs.Stats | undefined): number {
  return st === undefined ? NONE : st.isFile() ? FILE : st.isDirectory() ? FOLDER : OTHER;
}

/**
 * Records paths among the probes without listing them: the places a file may appear (W&B keeps files in
 * `files/` or beside it), so that one appearing there changes the probes.
 */
export function probePaths(out: Listing, paths: string[]): Listing {
  for (const f of paths) fileProbe(out, f, statOrNone(f));
  return out;
}

/**
 * Whether every probe of a listing still sees what it saw — `paths` the probes' paths joined by newlines,
 * as UTF-8, `seen` their numbers as float64s (Probes, as the index keeps them): then the unit's listing
 * would come out the same, and the unit need not be listed, compared or read. An unreadable folder never
 * does.
 */
export function probesUnchanged(paths: Buffer, seen: Buffer): boolean {
  const mod = native();
  return mod ? mod.unchanged(paths, seen) : probesUnchangedInJs(paths.toString('utf8'), seen);
}

/**
 * Many units' probes laid end to end, as a pass checks them (and the index's probe snapshot keeps them):
 * unit i, `keys[i]`, has bytes [ranges[4i], ranges[4i + 1]) of `paths` and [ranges[4i + 2], ranges[4i + 3])
 * of `seen` (probesUnchanged's arguments).
 */
export interface ProbeSet {
  keys: string[];
  ranges: Float64Array;
  paths: Buffer;
  seen: Buffer;
}

/** Units' probes as the index keeps them (Store.allUnitProbes), laid end to end, in the order given. */
export function probeSetOf(known: Iterable<[key: string, probes: [paths: Buffer, seen: Buffer]]>): ProbeSet {
  const keys: string[] = [];
  const pathParts: Buffer[] = [];
  const seenParts: Buffer[] = [];
  for (const [key, [paths, seen]] of known) {
    keys.push(key);
    pathParts.push(paths);
    seenParts.push(seen);
  }
  const ranges = new Float64Array(4 * keys.length);
  let [p, s] = [0, 0];
  for (let i = 0; i < keys.length; i++) {
    ranges[4 * i] = p;
    ranges[4 * i + 1] = p += pathParts[i].length;
    ranges[4 * i + 2] = s;
    ranges[4 * i + 3] = s += seenParts[i].length;
  }
  return { keys, ranges, paths: Buffer.concat(pathParts, p), seen: Buffer.concat(seenParts, s) };
}

/** Unit i's probes in `set`, as probesUnchanged takes them (views, not copies). */
export function probesAt(set: ProbeSet, i: number): [paths: Buffer, seen: Buffer] {
  const r = set.ranges;
  return [set.paths.subarray(r[4 * i], r[4 * i + 1]), set.seen.subarray(r[4 * i + 2], r[4 * i + 3])];
}

/**
 * Starts checking the probes of every unit in `set`; the function returned waits for the answer: the units
 * whose probes are unchanged. Natively the units are shared out to a thread per core, which work while the
 * caller goes on (a warm pass is mostly the kernel's time in tens of thousands of stat calls); else (no
 * module, or an older build of it) they are checked one at a time, now.
 */
export function startUnchangedCheck(set: ProbeSet): () => Set<string> {
  const answers = (bytes: ArrayLike<number>) => answersOf(set.keys, bytes);
  const mod = native();
  if (set.keys.length === 0 || !mod?.unchangedStart || !mod.unchangedJoin) {
    const bytes = set.keys.map((_, i) => Number(probesUnchanged(...probesAt(set, i))));
    return () => answers(bytes);
  }
  // Threads besides the caller's, which joins in when it asks for the answers.
  const check = mod.unchangedStart(set.paths, set.seen, set.ranges, Math.max(1, os.availableParallelism() - 1));
  const join = mod.unchangedJoin;
  let done: Set<string> | undefined;
  return () => (done ??= answers(join(check)));
}

/** The units whose answer is 1 (unchanged); answers that do not go with the keys are none (all checked in full). */
export function answersOf(keys: string[], answers: ArrayLike<number>): Set<string> {
  return answers.length === keys.length ? new Set(keys.filter((_, i) => answers[i] === 1)) : new Set();
}

/** The units in `set` whose probes are unchanged: startUnchangedCheck, waited for. */
export function unchangedUnits(set: ProbeSet): Set<string> {
  return startUnchangedCheck(set)();
}

/** probesUnchanged in JavaScript, with statSync: where the native check is not built, and to test it against. */
export function probesUnchangedInJs(paths: string, seen: Buffer): boolean {
  if (seen.length % 8 !== 0) return false;
  // The numbers as doubles (SQLite's blob is copied when it does not start on an 8-byte boundary).
  const saw = seen.byteOffset % 8 === 0 ? new Float64Array(seen.buffer, seen.byteOffset, seen.length / 8) : new Float64Array(Uint8Array.prototype.slice.call(seen).buffer);
  let at = 0;
  for (let start = 0; start < paths.length; ) {
    let end = paths.indexOf('\n', start);
    if (end < 0) end = paths.length;
    const st = statOrNone(paths.slice(start + 1, end));
    const kind = paths.charCodeAt(start);
    if (kind === 69 /* E */) {
      if (at + 1 > saw.length) return false;
      if (saw[at] !== entryKind(st)) return false;
      at += 1;
    } else if (kind === 70 /* F */) {
      if (at + 3 > saw.length) return false;
      if (st === undefined || !st.isFile() ? saw[at] !== NONE : st.size !== saw[at] || st.mtimeMs !== saw[at + 1] || st.ino !== saw[at + 2]) return false;
      at += 3;
    } else {
      if (at + 2 > saw.length) return false;
      if (st === undefined || !st.isDirectory() ? saw[at] !== NONE : saw[at] !== FOLDER || st.mtimeMs !== saw[at + 1]) return false;
      at += 2;
    }
    start = end + 1;
  }
  return at === saw.length;
}

/** Probes as the index keeps them (probesUnchanged's arguments). */
export function probesForIndex(probes: Probes): [paths: string, seen: Buffer] {
  return [probes.paths.join('\n'), Buffer.from(new Float64Array(probes.seen).buffer)];
}

/**
 * Adds the regular files below `root` (symlinks not followed, at most `maxDepth` levels, at most `maxFiles`
 * files) to `out`. With `prev`, a tree none of whose folders changed is taken from it: 'fingerprints' copies
 * the previous fingerprints as they are, 'names' re-stats each file (for files rewritten in place).
 */
export function listTree(root: string, maxDepth: number, out: Listing, prev: PrevListing | undefined, reuse: Reuse, maxFiles = Infinity, follow?: string[]): void {
  if (prev?.dirs && prev.dirs[root] !== undefined && unchangedDirs(root, prev.dirs, out)) {
    const prefix = root + path.sep;
    for (const [f, st] of Object.entries(prev.files)) {
      if (!f.startsWith(prefix)) continue;
      // A link out stays out: replacing it changes its folder's mtime.
      if (reuse === 'fingerprints' || st.size === OUTSIDE_FILE) out.files[f] = { size: st.size, mtime: st.mtime, ino: st.ino };
      else statFiles([f], out);
    }
    return;
  }
  walk(root, 0, maxDepth, out, reuse, { left: maxFiles }, follow);
}

/** Stats every folder recorded below `root` last time; true when none changed (and records them again). */
function unchangedDirs(root: string, prevDirs: Record<string, number>, out: Listing): boolean {
  const prefix = root + path.sep;
  const recorded: [string, number][] = [];
  for (const [d, mtime] of Object.entries(prevDirs)) {
    if (d !== root && !d.startsWith(prefix)) continue;
    const st = statOrNone(d);
    if (!st || st.mtimeMs !== mtime) return false;
    recorded.push([d, mtime]);
  }
  for (const [d, m] of recorded) {
    out.dirs[d] = m;
    dirProbe(out, d, FOLDER, m);
  }
  return true;
}

/** What walk.c reports of each entry it came to, in order. */
const WALKED_FOLDER = 0;
const WALKED_UNREADABLE = 1;
const WALKED_NONE = 2;
const WALKED_FILE = 3;

/**
 * Adds what is below folder `dir` (at `depth` of `maxDepth`) to `out`, within `budget` files: natively
 * where the module is built and takes the case, else walkInJs (the two list alike: native.test.ts).
 */
/** `follow`: links are followed to files inside these folders (walkRead, reading nothing, declines a folder with a link). */
function walk(dir: string, depth: number, maxDepth: number, out: Listing, reuse: Reuse, budget: { left: number }, follow?: string[]): void {
  const mod = native();
  const walked = follow ? mod?.walkRead(dir, maxDepth - depth, budget.left, 0) : mod?.walk(dir, maxDepth - depth, budget.left);
  if (walked) addWalked(walked[0], walked[1], out, reuse, budget);
  else walkInJs(dir, depth, maxDepth, out, reuse, budget, follow);
}

/** What walk.c saw, added to the listing as walkInJs adds it. */
function addWalked(paths: string, numbers: Float64Array, out: Listing, reuse: Reuse, budget: { left: number }): void {
  let start = 0;
  for (let i = 0; i < numbers.length; i += 4) {
    const end = paths.indexOf('\0', start);
    const p = paths.slice(start, end);
    start = end + 1;
    probeWalked(out, reuse, p, numbers, i);
    if (numbers[i] === WALKED_FOLDER) out.dirs[p] = numbers[i + 1];
    else if (numbers[i] === WALKED_FILE) out.files[p] = { size: numbers[i + 1], mtime: numbers[i + 2], ino: numbers[i + 3] };
    // A file, or a file entry that stat found gone or not a file.
    if (numbers[i] >= WALKED_FILE) budget.left--;
  }
}

/** Records entry `p` that walk.c reported (its numbers at `i`) among the probes, as walkInJs records it. */
function probeWalked(out: { probes?: Probes }, reuse: Reuse, p: string, numbers: Float64Array, i: number): void {
  switch (numbers[i]) {
    case WALKED_FOLDER:
      dirProbe(out, p, FOLDER, numbers[i + 1]);
      break;
    case WALKED_UNREADABLE:
      dirProbe(out, p, UNREADABLE);
      break;
    case WALKED_NONE:
      dirProbe(out, p, NONE);
      break;
    case WALKED_FILE:
      if (reuse === 'names') fileSeen(out, p, numbers[i + 1], numbers[i + 2], numbers[i + 3]);
      break;
    default:
      if (reuse === 'names') fileSeen(out, p, NONE, 0, 0);
  }
}

/** walk with readdirSync and statSync. */
function walkInJs(dir: string, depth: number, maxDepth: number, out: Listing, reuse: Reuse, budget: { left: number }, follow?: string[]): void {
  if (depth > maxDepth || budget.left <= 0) return;
  const st = statOrNone(dir);
  let entries: fs.Dirent[] | undefined;
  try {
    if (st?.isDirectory()) entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    entries = undefined;
  }
  if (!entries) {
    // Missing, not a folder, or unreadable: looked at again next time (an unreadable folder always is).
    dirProbe(out, dir, st?.isDirectory() ? UNREADABLE : NONE);
    return;
  }
  out.dirs[dir] = st!.mtimeMs;
  dirProbe(out, dir, FOLDER, st!.mtimeMs);
  // `dir` is a normalised path and an entry's name a single component: joined without path.join's
  // normalising, a tenth of a run's listing.
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  for (const e of entries) {
    if (budget.left <= 0) break;
    const full = prefix + e.name;
    if (e.isDirectory()) walkInJs(full, depth + 1, maxDepth, out, reuse, budget, follow);
    else if (e.isFile()) {
      // Files never rewritten in place are covered by their folder's mtime; the others are stated each pass.
      statInto(out, full, reuse === 'names');
      budget.left--;
    } else if (e.isFIFO() || e.isCharacterDevice() || e.isBlockDevice() || e.isSocket()) {
      // Listed, with no size, so that its reader reports what it is (files.ts openRegular never reads it).
      out.files[full] = { size: SPECIAL_FILE, mtime: 0, ino: 0 };
      budget.left--;
    } else if (follow && e.isSymbolicLink()) {
      // Followed as MLflow follows it; a link to a folder is left out, as MLflow cannot open it as a file.
      const st = statOrNone(full);
      if (st?.isDirectory()) continue;
      if (st?.isFile() && !insideFolders(full, follow)) out.files[full] = { size: OUTSIDE_FILE, mtime: 0, ino: 0 };
      // A file is listed as one; a FIFO, a device or a dangling link for its reader to report.
      else if (st?.isFile()) statInto(out, full, reuse === 'names');
      else out.files[full] = { size: SPECIAL_FILE, mtime: 0, ino: 0 };
      budget.left--;
    }
  }
}

/**
 * Whether the files that grew or appeared all come after every unchanged one, in `order`: then reading
 * only what they gained appends each series' points in the order a full read gives them (files in order,
 * each from its start). A run still writing its newest event file is the common case; an older file that
 * grew (or was restored) while a newer one has points is read again with the rest.
 */
export function appendsInOrder(files: string[], changes: Record<string, FileChange>): boolean {
  let changedSeen = false;
  for (const f of [...files].sort()) {
    if ((changes[f] ?? 'new') === 'same') {
      if (changedSeen) return false;
    } else changedSeen = true;
  }
  return true;
}

/** Up to 32 bytes before `offset`, as hex (see FileState.tail); undefined when they cannot be read. */
export function tailAt(file: string, offset: number): string | undefined {
  if (offset <= 0) return '';
  let fd: number | undefined;
  try {
    fd = openRegularFd(file);
    const n = Math.min(32, offset);
    const buf = Buffer.alloc(n);
    return fs.readSync(fd, buf, 0, n, offset - n) === n ? buf.toString('hex') : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
