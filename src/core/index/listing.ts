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
}

export interface PrevListing {
  files: Record<string, FileState>;
  dirs?: Record<string, number>;
}

/** How much of a folder's previous listing to trust when no folder below it changed. */
export type Reuse = 'fingerprints' | 'names';

export function statFiles(paths: string[], out: Listing = { files: {}, dirs: {} }): Listing {
  for (const f of paths) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (st?.isFile()) out.files[f] = { size: st.size, mtime: st.mtimeMs, ino: st.ino };
  }
  return out;
}

/**
 * Adds the regular files below `root` (symlinks not followed, at most `maxDepth` levels) to `out`.
 * With `prev`, a tree none of whose folders changed is taken from it: 'fingerprints' copies the previous
 * fingerprints as they are, 'names' re-stats each file (for files rewritten in place).
 */
export function listTree(root: string, maxDepth: number, out: Listing, prev: PrevListing | undefined, reuse: Reuse): void {
  if (prev?.dirs && prev.dirs[root] !== undefined && unchangedDirs(root, prev.dirs, out)) {
    const prefix = root + path.sep;
    for (const [f, st] of Object.entries(prev.files)) {
      if (!f.startsWith(prefix)) continue;
      if (reuse === 'fingerprints') out.files[f] = { size: st.size, mtime: st.mtime, ino: st.ino };
      else statFiles([f], out);
    }
    return;
  }
  walk(root, 0, maxDepth, out);
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
  for (const [d, m] of recorded) out.dirs[d] = m;
  return true;
}

function walk(dir: string, depth: number, maxDepth: number, out: Listing): void {
  if (depth > maxDepth) return;
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  out.dirs[dir] = st.mtimeMs;
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, depth + 1, maxDepth, out);
    else if (e.isFile()) statFiles([full], out);
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
