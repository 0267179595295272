/**
 * Versions of a dataset from git history, read through git without checking anything out (the working
 * tree is not touched):
 * - a DVC-tracked file: every commit that changed its `.dvc` file, or the `dvc.lock` entry of the stage
 *   that writes it, is a point in its history, identified by the outs md5;
 * - a data file committed to git itself: every commit that changed it, identified by its blob.
 * Consecutive commits with the same content are one version.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseYaml } from '../formats/yaml';
import { type Commit, gitPath, gitRoot, pathLog, readBlobs } from './git';
import { readRegularText } from '../formats/files';

export type DatasetCommit = Commit;

/** How a dataset's versions are recorded. */
export type Tracker = 'dvc-file' | 'dvc-lock' | 'git';

export interface DatasetVersion {
  /** The md5 for DVC versions (a directory's ends in `.dir`), the git blob id for files under git. */
  id: string;
  md5?: string;
  blob?: string;
  size?: number;
  nfiles?: number;
  /** A remote the out names itself (`remote:` in its entry); else the history's default remote holds it. */
  remote?: string;
  /** The commits that recorded this version, newest first. */
  commits: DatasetCommit[];
}

export interface DatasetHistory {
  /** The data file or folder (absolute). */
  data: string;
  /** The file whose history holds the versions: the `.dvc` file, the `dvc.lock`, or the data file. */
  trackedBy: string;
  tracker: Tracker;
  /** The git work tree's top folder. */
  root: string;
  versions: DatasetVersion[];
  /** The DVC project's default remote (`dvc push` / `dvc pull` go there), from `.dvc/config`. */
  remote?: DvcRemote;
}

interface OutEntry {
  md5?: string;
  size?: number;
  nfiles?: number;
  /** The remote this out is pushed to, when the out names one (`remote:`); else the project's default. */
  remote?: string;
}

const outEntry = (o: { md5?: unknown; size?: unknown; nfiles?: unknown; remote?: unknown } | undefined): OutEntry =>
  o
    ? {
        md5: o.md5 === undefined || o.md5 === null ? undefined : String(o.md5),
        size: typeof o.size === 'number' ? o.size : undefined,
        nfiles: typeof o.nfiles === 'number' ? o.nfiles : undefined,
        remote: typeof o.remote === 'string' ? o.remote : undefined,
      }
    : {};

export interface DvcRemote {
  name: string;
  url?: string;
}

/**
 * The default remote of the DVC project holding `dir`: `core.remote` and that remote's `url` from
 * `.dvc/config`, `.dvc/config.local` overriding (DVC's INI files; read, never written).
 */
export function dvcDefaultRemote(dir: string): DvcRemote | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const config = path.join(d, '.dvc', 'config');
    if (fs.existsSync(config)) {
      const values = new Map<string, string>();
      for (const file of [config, path.join(d, '.dvc', 'config.local')]) {
        let text: string;
        try {
          text = readRegularText(file);
        } catch {
          continue;
        }
        let section = '';
        for (const raw of text.split(/\r?\n/)) {
          const line = raw.trim();
          const head = /^\[\s*'?([^\]']+?)'?\s*\]$/.exec(line);
          if (head) section = head[1].replace(/\s+/g, ' ');
          const kv = /^([\w.-]+)\s*=\s*(.*)$/.exec(line);
          if (kv && !head) values.set(`${section}.${kv[1]}`, kv[2]);
        }
      }
      const name = values.get('core.remote');
      return name ? { name, url: values.get(`remote "${name}".url`) } : undefined;
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** The outs of a `.dvc` file's content (DVC 1+ and 0.x layouts): md5, size, nfiles of the first out. */
export function dvcOut(content: string, file = '.dvc'): OutEntry {
  const doc = parseYaml(content, file).value as { outs?: OutEntry[] } | undefined;
  return outEntry(doc?.outs?.[0]);
}

/** The entry of `out` (a path relative to the lock file's folder) among a `dvc.lock`'s stage outs. */
export function lockOut(content: string, out: string, file = 'dvc.lock'): OutEntry | undefined {
  const doc = parseYaml(content, file).value as Record<string, unknown> | undefined;
  if (!doc || typeof doc !== 'object') return undefined;
  // Schema 2.0 keeps stages under `stages:`; the 1.0 lock file is the stages map itself.
  const stages = (doc.schema !== undefined ? doc.stages : doc) as Record<string, { outs?: { path?: string; md5?: unknown; size?: unknown; nfiles?: unknown }[] }> | undefined;
  for (const stage of Object.values(stages ?? {})) {
    for (const o of Array.isArray(stage?.outs) ? stage.outs : []) {
      if (o && path.posix.normalize(String(o.path)) === path.posix.normalize(out)) return outEntry(o);
    }
  }
  return undefined;
}

/** Which file records a data path's versions: its `.dvc` file, a `dvc.lock` up to the work tree's top, or git. */
export function findTracker(data: string, root: string): { tracker: Tracker; file: string; out?: string } {
  if (data.endsWith('.dvc')) return { tracker: 'dvc-file', file: data };
  if (fs.existsSync(data + '.dvc')) return { tracker: 'dvc-file', file: data + '.dvc' };
  for (let dir = path.dirname(data); ; dir = path.dirname(dir)) {
    const lock = path.join(dir, 'dvc.lock');
    if (fs.existsSync(lock)) {
      const out = path.relative(dir, data).split(path.sep).join('/');
      try {
        if (lockOut(readRegularText(lock), out, lock)) return { tracker: 'dvc-lock', file: lock, out };
      } catch {
        // An unreadable lock file tracks nothing we can read; look further up.
      }
    }
    if (dir === root || path.dirname(dir) === dir || !dir.startsWith(root)) break;
  }
  return { tracker: 'git', file: data };
}

/**
 * The versions of a data file or folder (or of the dataset a `.dvc` file tracks), newest first. Commits on
 * every ref are included with `allRefs`, as a user's experiment branches hold versions too.
 */
export async function datasetHistory(file: string, options: { allRefs?: boolean; maxCommits?: number } = {}): Promise<DatasetHistory> {
  const abs = path.resolve(file);
  // The data need not be in the workspace (DVC outs often are not): ask git from its nearest folder that is.
  let dir = fs.existsSync(abs) && fs.statSync(abs).isDirectory() ? abs : path.dirname(abs);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const root = await gitRoot(dir);
  if (!root) throw new Error(`${file} is not inside a git work tree`);
  const real = fs.realpathSync(root);
  const inTree = abs.startsWith(real) ? abs : path.join(real, path.relative(root, abs));
  const t = findTracker(inTree, real);
  const data = t.tracker === 'dvc-file' && t.file === inTree ? inTree.slice(0, -'.dvc'.length) : inTree;
  const log = await pathLog(real, gitPath(real, t.file), options);
  const versions: DatasetVersion[] = [];
  const push = (c: Commit, entry: OutEntry & { blob?: string }) => {
    const id = entry.md5 ?? entry.blob;
    if (!id) return;
    const last = versions[versions.length - 1];
    if (last && last.id === id) last.commits.push(c);
    else versions.push({ id, md5: entry.md5, blob: entry.blob, size: entry.size, nfiles: entry.nfiles, remote: entry.remote, commits: [c] });
  };
  if (t.tracker === 'git') {
    for (const c of log) if (c.blob) push(c, { blob: c.blob });
  } else {
    const blobs = await readBlobs(real, log.map((c) => c.blob).filter((b): b is string => !!b));
    for (const c of log) {
      const content = c.blob ? blobs.get(c.blob)?.toString('utf8') : undefined;
      if (content === undefined) continue; // the commit deleted the file
      const name = `${gitPath(real, t.file)}@${c.sha.slice(0, 7)}`;
      const entry = t.tracker === 'dvc-file' ? dvcOut(content, name) : lockOut(content, t.out!, name);
      if (entry) push(c, entry);
    }
  }
  return { data, trackedBy: t.file, tracker: t.tracker, root: real, versions, remote: t.tracker === 'git' ? undefined : dvcDefaultRemote(path.dirname(t.file)) };
}
