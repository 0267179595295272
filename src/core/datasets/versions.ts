/**
 * A dataset version's bytes, wherever they are without touching the work tree: a git blob (streamed out of
 * git), the DVC cache (`.dvc/cache/files/md5/xx/…` for DVC 3, `.dvc/cache/xx/…` before), or the workspace
 * copy when it is that version (its MD5, computed while reading, is checked against the version's).
 * Versions are named `PATH@REF`: REF a prefix of the version's md5 or blob, of one of its commits, or `~N`
 * for the N-th version before the newest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ByteSource, tableFormat } from './table';
import { blobChunks } from './git';
import { missingDvcOutput, missingDvcOutputMessage } from './dvcOutput';
import { type DatasetHistory, type DatasetVersion, datasetHistory } from './history';
import { type StatsOptions, type TableStats, tableStats } from './stats';
import type { ContentCache } from '../cache';

export interface VersionContent {
  source: ByteSource;
  /** Where the bytes come from, for people. */
  from: string;
  /** The md5 the bytes must have (a workspace copy stands in for a DVC version only if it matches). */
  expectMd5?: string;
}

/** The DVC cache folder of the project holding `data`: `.dvc/config`'s `cache.dir` is not read (default only). */
function dvcCacheDirs(history: DatasetHistory): string[] {
  const out: string[] = [];
  for (let dir = path.dirname(history.trackedBy); dir.startsWith(history.root); dir = path.dirname(dir)) {
    const cache = path.join(dir, '.dvc', 'cache');
    if (fs.existsSync(cache)) out.push(cache);
    if (dir === history.root || path.dirname(dir) === dir) break;
  }
  return out;
}

export function versionContent(history: DatasetHistory, version: DatasetVersion): VersionContent | undefined {
  if (version.blob) return { source: { chunks: blobChunks(history.root, version.blob) }, from: `git blob ${version.blob.slice(0, 12)}` };
  const md5 = version.md5;
  if (!md5 || md5.endsWith('.dir')) return undefined;
  for (const cache of dvcCacheDirs(history)) {
    for (const object of [path.join(cache, 'files', 'md5', md5.slice(0, 2), md5.slice(2)), path.join(cache, md5.slice(0, 2), md5.slice(2))]) {
      if (fs.existsSync(object)) return { source: { file: object }, from: `DVC cache ${path.relative(history.root, object)}`, expectMd5: md5 };
    }
  }
  try {
    const st = fs.statSync(history.data);
    if (st.isFile() && (version.size === undefined || st.size === version.size)) return { source: { file: history.data }, from: 'workspace copy', expectMd5: md5 };
  } catch {
    // Not in the workspace either.
  }
  return undefined;
}

/** Finds the version a `REF` names in a history (see the module comment), or undefined. */
export function findVersion(history: DatasetHistory, ref: string): DatasetVersion | undefined {
  const back = /^~(\d+)$/.exec(ref);
  if (back) return history.versions[Number(back[1])];
  const r = ref.toLowerCase();
  return history.versions.find((v) => v.id.startsWith(r)) ?? history.versions.find((v) => v.commits.some((c) => c.sha.startsWith(r)));
}

/** Splits `PATH@REF` (REF optional). A path that exists as written is never split. */
export function parseVersionRef(arg: string): { file: string; ref?: string } {
  const at = arg.lastIndexOf('@');
  if (at <= 0 || fs.existsSync(arg)) return { file: arg };
  return { file: arg.slice(0, at), ref: arg.slice(at + 1) };
}

export interface ResolvedTable {
  /** What was read, for people: the path, and the version and where its bytes came from. */
  label: string;
  stats: TableStats;
}

/** Bumped when statistics change for the same content, so that cached ones are not served. */
const STATS_VERSION = 1;

/**
 * Statistics of a table named by a path or `PATH@REF`. A plain path reads the workspace file; a REF reads
 * that version from git or the DVC cache. Throws with a message for people when it cannot. With a cache,
 * statistics are kept by content — a git blob id, a DVC md5, the SHA-256 of a workspace file — and a
 * version already read is not read again.
 */
export async function statsOf(arg: string, options: StatsOptions & { cache?: ContentCache } = {}): Promise<ResolvedTable> {
  const { file, ref } = parseVersionRef(arg);
  const format = tableFormat(file.replace(/\.dvc$/, ''));
  if (!format) throw new Error(`${file}: not a table Runlens reads (CSV, TSV, JSON Lines, Parquet)`);
  const { cache, ...statsOptions } = options;
  const cached = async (digest: string | undefined, name: string, compute: () => Promise<TableStats>): Promise<TableStats> => {
    const kind = `stats:${STATS_VERSION}:${statsOptions.label ?? ''}:${name}`;
    const hit = digest && cache?.get<TableStats>(digest, kind);
    if (hit) return hit;
    const stats = await compute();
    if (digest && !statsOptions.signal?.cancelled) cache?.put(digest, kind, stats);
    return stats;
  };
  if (ref === undefined) {
    if (!fs.existsSync(file)) {
      const missing = missingDvcOutput(file);
      throw new Error(missing ? missingDvcOutputMessage(file, missing) : `no such file: ${file}`);
    }
    const digest = cache ? `sha256:${cache.fileHash(file)}` : undefined;
    return { label: file, stats: await cached(digest, file, () => tableStats({ file }, format, file, statsOptions)) };
  }
  const history = await datasetHistory(file);
  const version = findVersion(history, ref);
  if (!version) throw new Error(`${file}: no version matches ${JSON.stringify(ref)} (${history.versions.length} versions; try ~0 for the newest)`);
  const content = versionContent(history, version);
  if (!content) throw new Error(`${file}@${ref}: the content of version ${version.id.slice(0, 12)} is in neither git, the DVC cache nor the workspace (dvc pull fetches it)`);
  const name = `${file}@${version.id.slice(0, 12)}`;
  const digest = version.blob ? `git-blob:${version.blob}` : version.md5 ? `md5:${version.md5}` : undefined;
  const stats = await cached(digest, name, async () => {
    const s = await tableStats(content.source, format, name, statsOptions);
    if (content.expectMd5 && s.md5 !== content.expectMd5) {
      throw new Error(`${file}@${ref}: the ${content.from} is not version ${version.id.slice(0, 12)} (its md5 is ${s.md5.slice(0, 12)})`);
    }
    return s;
  });
  return { label: `${file}@${version.id.slice(0, 12)} (${content.from}, ${version.commits[0].sha.slice(0, 8)} ${version.commits[0].subject.slice(0, 50)})`, stats };
}
