/**
 * File listings for fingerprinting, cheap on the warm path: a folder whose own mtime (and that of every
 * folder below it) is unchanged since the last pass has the same entries, so its listing is reused without
 * readdir — and, for folders whose files are never rewritten in place (MLflow params), without a stat per
 * file either.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileState } from './units';
import type { FileChange } from './units';

export interface Listing {
  files: Record<string, FileState>;
  /** mtime of every folder walked, to decide next time whether its entries can have changed. */
  dirs: Record<string, number>;
  /**
   * What the next pass would look at if nothing changed — the folders, the files re-stated each pass and
   * the paths found missing — with what it saw: `probesUnchanged` re-checks just these.
   */
  probes?: string[];
}

export interface PrevListing {
  files: Record<string, FileState>;
  dirs?: Record<string, number>;
}

/** How much of a folder's previous listing to trust when no folder below it changed. */
export type Reuse = 'fingerprints' | 'names';

export function statFiles(paths: string[], out: Listing = { files: {}, dirs: {}, probes: [] }): Listing {
  for (const f of paths) statInto(out, f, true);
  return out;
}

/** Adds file `f` to the listing when it is one, and to the probes when `probe`. */
function statInto(out: Listing, f: string, probe: boolean): void {
  const st = fs.statSync(f, { throwIfNoEntry: false });
  if (st?.isFile()) out.files[f] = { size: st.size, mtime: st.mtimeMs, ino: st.ino };
  if (probe) out.probes?.push(fileProbe(f, fileSignature(st)));
}

/**
 * The files of an MLflow run folder, as its unit fingerprints them (the read-ahead threads list a run the
 * same way). MLflow never rewrites a param (logging one twice is an error), nor an artifact in place in
 * practice (nor an input); tags and metric files do change in place, so those are re-stated. The run's
 * header is read from this listing (readMlflowRunHeader).
 */
export function listMlflowRun(dir: string, prev: PrevListing | undefined): Listing {
  const out = statFiles([path.join(dir, 'meta.yaml')]);
  listTree(path.join(dir, 'params'), 12, out, prev, 'fingerprints');
  listTree(path.join(dir, 'artifacts'), 12, out, prev, 'fingerprints');
  // Datasets logged as inputs (inputs/<id>/meta.yaml, written once each).
  listTree(path.join(dir, 'inputs'), 12, out, prev, 'fingerprints');
  listTree(path.join(dir, 'tags'), 12, out, prev, 'names');
  listTree(path.join(dir, 'metrics'), 12, out, prev, 'names');
  return out;
}

// A probe is one line: F (a file) or D (a folder), the path, a tab, and what was seen there.
function fileProbe(file: string, signature: string): string {
  return `F${file}\t${signature}`;
}

function dirProbe(dir: string, signature: string): string {
  return `D${dir}\t${signature}`;
}

/**
 * Records folder `dir` among the probes: for units that find files by listing a folder themselves (event
 * files in a log directory), whose new files change the folder's mtime.
 */
export function probeFolder(out: Listing, dir: string): Listing {
  out.probes?.push(dirProbe(dir, dirSignature(fs.statSync(dir, { throwIfNoEntry: false }))));
  return out;
}

/**
 * Records paths among the probes without listing them: the places a file may appear (W&B keeps files in
 * `files/` or beside it), so that one appearing there changes the probes.
 */
export function probePaths(out: Listing, paths: string[]): Listing {
  for (const f of paths) out.probes?.push(fileProbe(f, fileSignature(fs.statSync(f, { throwIfNoEntry: false }))));
  return out;
}

function fileSignature(st: fs.Stats | undefined): string {
  return st?.isFile() ? `${st.size}:${st.mtimeMs}:${st.ino}` : '-';
}

function dirSignature(st: fs.Stats | undefined): string {
  return st?.isDirectory() ? String(st.mtimeMs) : '-';
}

/**
 * Whether every probe of a listing (`Listing.probes`, joined by newlines) still sees what it saw: then the
 * unit's listing would come out the same, and the unit need not be listed, compared or read.
 */
export function probesUnchanged(probes: string): boolean {
  for (const line of probes.split('\n')) {
    if (line === '') continue;
    const tab = line.lastIndexOf('\t');
    const file = line.slice(1, tab);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    const now = line.charCodeAt(0) === 70 /* F */ ? fileSignature(st) : dirSignature(st);
    if (now !== line.slice(tab + 1)) return false;
  }
  return true;
}

/**
 * Adds the regular files below `root` (symlinks not followed, at most `maxDepth` levels, at most `maxFiles`
 * files) to `out`. With `prev`, a tree none of whose folders changed is taken from it: 'fingerprints' copies
 * the previous fingerprints as they are, 'names' re-stats each file (for files rewritten in place).
 */
export function listTree(root: string, maxDepth: number, out: Listing, prev: PrevListing | undefined, reuse: Reuse, maxFiles = Infinity): void {
  if (prev?.dirs && prev.dirs[root] !== undefined && unchangedDirs(root, prev.dirs, out)) {
    const prefix = root + path.sep;
    for (const [f, st] of Object.entries(prev.files)) {
      if (!f.startsWith(prefix)) continue;
      if (reuse === 'fingerprints') out.files[f] = { size: st.size, mtime: st.mtime, ino: st.ino };
      else statFiles([f], out);
    }
    return;
  }
  walk(root, 0, maxDepth, out, reuse, { left: maxFiles });
}

/** Stats every folder recorded below `root` last time; true when none changed (and records them again). */
function unchangedDirs(root: string, prevDirs: Record<string, number>, out: Listing): boolean {
  const prefix = root + path.sep;
  const recorded: [string, number][] = [];
  for (const [d, mtime] of Object.entries(prevDirs)) {
    if (d !== root && !d.startsWith(prefix)) continue;
    const st = fs.statSync(d, { throwIfNoEntry: false });
    if (!st || st.mtimeMs !== mtime) return false;
    recorded.push([d, mtime]);
  }
  for (const [d, m] of recorded) {
    out.dirs[d] = m;
    out.probes?.push(dirProbe(d, String(m)));
  }
  return true;
}

function walk(dir: string, depth: number, maxDepth: number, out: Listing, reuse: Reuse, budget: { left: number }): void {
  if (depth > maxDepth || budget.left <= 0) return;
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  let entries: fs.Dirent[] | undefined;
  try {
    if (st?.isDirectory()) entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    entries = undefined;
  }
  if (!entries) {
    // Missing, not a folder, or unreadable: looked at again next time (an unreadable folder always is).
    out.probes?.push(dirProbe(dir, st?.isDirectory() ? 'unreadable' : '-'));
    return;
  }
  out.dirs[dir] = st!.mtimeMs;
  out.probes?.push(dirProbe(dir, String(st!.mtimeMs)));
  for (const e of entries) {
    if (budget.left <= 0) break;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, depth + 1, maxDepth, out, reuse, budget);
    else if (e.isFile()) {
      // Files never rewritten in place are covered by their folder's mtime; the others are stated each pass.
      statInto(out, full, reuse === 'names');
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
