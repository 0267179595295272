/**
 * A data path DVC tracks but the workspace lacks (a `.dvc` file or a `dvc.lock` out names it; `dvc pull`
 * or `dvc checkout` has not put it there), told apart from a path nothing knows, so that the CLI can say
 * which it is instead of "no such file".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dvcOut, findTracker, lockOut } from './history';

export interface MissingDvcOutput {
  /** The `.dvc` file or `dvc.lock` that names the path. */
  trackedBy: string;
  md5?: string;
  /** Whether the project's DVC cache holds that md5 (then `dvc checkout` is enough). */
  inCache: boolean;
}

/** What tracks `file`, if it is a DVC output that is not in the workspace; undefined otherwise. */
export function missingDvcOutput(file: string): MissingDvcOutput | undefined {
  const abs = path.resolve(file);
  if (fs.existsSync(abs)) return undefined;
  const t = findTracker(abs, path.parse(abs).root);
  if (t.tracker === 'git') return undefined;
  let md5: string | undefined;
  try {
    const text = fs.readFileSync(t.file, 'utf8');
    md5 = (t.tracker === 'dvc-file' ? dvcOut(text, t.file) : lockOut(text, t.out!, t.file))?.md5;
  } catch {
    // The tracker is unreadable: still a DVC output, of unknown version.
  }
  return { trackedBy: t.file, md5, inCache: !!md5 && inDvcCache(path.dirname(t.file), md5) };
}

/** Whether a DVC cache from `dir` up holds `md5` (DVC 3 `files/md5/xx/…`, or DVC 2's `xx/…`; default cache folder only). */
function inDvcCache(dir: string, md5: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    const cache = path.join(d, '.dvc', 'cache');
    if (fs.existsSync(path.join(cache, 'files', 'md5', md5.slice(0, 2), md5.slice(2))) || fs.existsSync(path.join(cache, md5.slice(0, 2), md5.slice(2)))) return true;
    if (fs.existsSync(path.join(d, '.dvc')) || path.dirname(d) === d) return false;
  }
}

/** The sentence for people: where the path is tracked and the command that fetches it. */
export function missingDvcOutputMessage(file: string, m: MissingDvcOutput): string {
  const by = path.relative(process.cwd(), m.trackedBy) || m.trackedBy;
  return m.inCache
    ? `${file} is not in the workspace: a DVC output (${by}) whose data is in the DVC cache but not checked out (dvc checkout fetches it)`
    : `${file} is not in the workspace: a DVC output (${by}) that was not pulled (dvc pull fetches it)`;
}
