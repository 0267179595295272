/**
 * The git reads dataset history needs, without a checkout: commit logs through simple-git, and blob
 * contents through one `git cat-file --batch` process for many blobs (a hundred versions of a `.dvc` file
 * are one process, not a hundred) or streamed from `git cat-file blob` for a data file of any size.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { simpleGit } from 'simple-git';

export interface Commit {
  sha: string;
  date: string;
  author: string;
  subject: string;
}

/** The work tree's top folder, or undefined when `dir` is not inside one (or git is missing). */
export async function gitRoot(dir: string): Promise<string | undefined> {
  try {
    return (await simpleGit({ baseDir: dir }).revparse(['--show-toplevel'])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `file` relative to the work tree's top, with forward slashes (as git names paths). */
export function gitPath(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/**
 * Table files (CSV, TSV, JSON Lines, Parquet) committed to the repository holding `dir`, as absolute paths under
 * `dir` — plain data files versioned by git itself. Empty when `dir` is not in a repository.
 */
export async function gitTrackedTables(dir: string, limit = 500): Promise<string[]> {
  const root = await gitRoot(dir);
  if (!root) return [];
  try {
    const raw = await simpleGit({ baseDir: dir }).raw(['ls-files', '-z', '--full-name', '--', '*.csv', '*.tsv', '*.jsonl', '*.ndjson', '*.parquet']);
    return raw
      .split('\0')
      .filter(Boolean)
      .map((rel) => path.join(root, ...rel.split('/')))
      .filter((abs) => !path.relative(dir, abs).startsWith('..'))
      .slice(0, limit);
  } catch {
    return [];
  }
}

/**
 * Commits that changed `rel`, newest first, each with the blob the path had after it (undefined when the
 * commit deleted it). One `git log --raw` process.
 */
export async function pathLog(root: string, rel: string, options: { allRefs?: boolean; maxCommits?: number } = {}): Promise<(Commit & { blob?: string })[]> {
  const SEP = '\x1f';
  const raw = await simpleGit({ baseDir: root }).raw([
    'log',
    ...(options.allRefs ? ['--all'] : []),
    `--max-count=${options.maxCommits ?? 2000}`,
    '--raw',
    '--no-abbrev',
    '--no-renames',
    `--format=${SEP}%H${SEP}%aI${SEP}%an${SEP}%s`,
    '--',
    rel,
  ]);
  const out: (Commit & { blob?: string })[] = [];
  for (const line of raw.split('\n')) {
    if (line.startsWith(SEP)) {
      const [, sha, date, author, ...subject] = line.split(SEP);
      out.push({ sha, date, author, subject: subject.join(SEP) });
    } else if (line.startsWith(':') && out.length > 0) {
      // ":100644 100644 <old blob> <new blob> M\t<path>"
      const m = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) (\w)\d*\t(.*)$/.exec(line);
      if (m && m[3] === rel) out[out.length - 1].blob = m[2] === 'D' ? undefined : m[1];
    }
  }
  return out;
}

/** Contents of many blobs in one `git cat-file --batch`; a missing object is left out. */
export function readBlobs(root: string, ids: string[]): Promise<Map<string, Buffer>> {
  const unique = [...new Set(ids)];
  return new Promise((resolve, reject) => {
    if (unique.length === 0) return resolve(new Map());
    const child = spawn('git', ['cat-file', '--batch'], { cwd: root, stdio: ['pipe', 'pipe', 'ignore'] });
    const parts: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => parts.push(d));
    child.on('error', reject);
    child.on('close', () => {
      const all = Buffer.concat(parts);
      const out = new Map<string, Buffer>();
      let i = 0;
      while (i < all.length) {
        const nl = all.indexOf(10, i);
        if (nl < 0) break;
        const head = all.toString('utf8', i, nl).split(' ');
        i = nl + 1;
        if (head[1] === 'missing' || head.length < 3) continue;
        const size = Number(head[2]);
        out.set(head[0], all.subarray(i, i + size));
        i += size + 1;
      }
      resolve(out);
    });
    child.stdin.end(unique.join('\n') + '\n');
  });
}

/** A blob's bytes as they come out of git, for streaming a data file of any size. */
export async function* blobChunks(root: string, id: string): AsyncGenerator<Uint8Array> {
  const child = spawn('git', ['cat-file', 'blob', id], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number>((r) => child.on('close', (code) => r(code ?? 1)));
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
  } finally {
    if (child.exitCode === null) child.kill();
  }
  const code = await closed;
  if (code !== 0) throw new Error(`git cat-file blob ${id}: ${stderr.trim() || `exit ${code}`}`);
}
