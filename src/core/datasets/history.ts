/**
 * Versions of a DVC-tracked dataset from git history: every commit that changed its `.dvc` file (or the
 * `dvc.lock` entry of a stage output) is a point in its history; consecutive commits with the same outs
 * md5 are one version. Read through simple-git (`git log` and `git show`), never by checking anything out:
 * the working tree is not touched.
 */
import * as path from 'node:path';
import { simpleGit } from 'simple-git';
import { parseYaml } from '../formats/yaml';

export interface DatasetCommit {
  sha: string;
  date: string;
  author: string;
  subject: string;
}

export interface DatasetVersion {
  /** The outs md5 (a directory's ends in `.dir`). */
  md5: string;
  size?: number;
  nfiles?: number;
  /** The commits that recorded this version, newest first. */
  commits: DatasetCommit[];
}

/** The outs of a `.dvc` file's content (DVC 1+ and 0.x layouts): md5, size, nfiles of the first out. */
export function dvcOut(content: string, file = '.dvc'): { md5?: string; size?: number; nfiles?: number } {
  const doc = parseYaml(content, file).value as { outs?: { md5?: string; size?: number; nfiles?: number }[] } | undefined;
  const out = doc?.outs?.[0];
  return out ? { md5: out.md5 === undefined ? undefined : String(out.md5), size: typeof out.size === 'number' ? out.size : undefined, nfiles: typeof out.nfiles === 'number' ? out.nfiles : undefined } : {};
}

/**
 * The versions of the dataset a `.dvc` file tracks, newest first. `file` is a path inside a git work
 * tree. Commits on every ref are included (`--all`), as a user's experiment branches hold versions too.
 */
export async function dvcFileHistory(file: string, options: { allRefs?: boolean; maxCommits?: number } = {}): Promise<DatasetVersion[]> {
  const dir = path.dirname(file);
  const root = (await simpleGit({ baseDir: dir }).revparse(['--show-toplevel'])).trim();
  // Paths given to git are relative to where it runs: run it at the top of the work tree.
  const git = simpleGit({ baseDir: root, maxConcurrentProcesses: 4 });
  const rel = path.relative(root, file).split(path.sep).join('/');
  const SEP = '\x1f';
  const raw = await git.raw(['log', ...(options.allRefs ? ['--all'] : []), `--max-count=${options.maxCommits ?? 2000}`, `--format=%H${SEP}%aI${SEP}%an${SEP}%s`, '--', rel]);
  const commits: DatasetCommit[] = raw
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha, date, author, ...subject] = line.split(SEP);
      return { sha, date, author, subject: subject.join(SEP) };
    });
  const contents = await Promise.all(commits.map((c) => git.show([`${c.sha}:${rel}`]).catch(() => undefined)));
  const versions: DatasetVersion[] = [];
  commits.forEach((c, i) => {
    const content = contents[i];
    if (content === undefined) return; // the commit deleted the file
    const out = dvcOut(content, `${rel}@${c.sha.slice(0, 7)}`);
    if (!out.md5) return;
    const last = versions[versions.length - 1];
    if (last && last.md5 === out.md5) last.commits.push(c);
    else versions.push({ md5: out.md5, size: out.size, nfiles: out.nfiles, commits: [c] });
  });
  return versions;
}
