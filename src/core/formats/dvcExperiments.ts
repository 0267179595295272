/**
 * DVC experiments kept in git: `dvc exp run` commits each experiment's workspace (params, lock, metrics,
 * DVCLive output) and points `refs/exps/<baseline[:2]>/<baseline[2:]>/<name>` at the commit. Each one is
 * read as the workspace is — the same reader, over the commit's tree instead of the disk — without a
 * checkout and without the `dvc` command: one `git for-each-ref`, and per experiment one `git ls-tree` and
 * one `git cat-file --batch` for its small text files.
 *
 * These run inside the indexer, which is synchronous by design (a child process, never the extension
 * host), so git runs through `execFileSync` here; the editor's asynchronous history reads use simple-git.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../model';
import type { ProjectFiles } from './dvc';
import { readRegularText } from './files';

export interface DvcExperiment {
  name: string;
  ref: string;
  commit: string;
  /** The commit the experiment was run from. */
  baseline: string;
  /** Commit time, ms since the epoch. */
  time: number;
}

/**
 * The work tree's top folder and git folder of the repository holding `dir` (a `.git` file for worktrees).
 * `looked` sees each `.git` looked for, from `dir` up, and what was there.
 */
export function gitDirs(dir: string, looked?: (dotGit: string, st: fs.Stats | undefined) => void): { root: string; gitDir: string } | undefined {
  for (let d = path.resolve(dir), i = 0; i < 40; i++) {
    const dotGit = path.join(d, '.git');
    const st = fs.statSync(dotGit, { throwIfNoEntry: false });
    looked?.(dotGit, st);
    if (st?.isDirectory()) return { root: d, gitDir: dotGit };
    if (st?.isFile()) {
      const m = /^gitdir: (.+)$/m.exec(readRegularText(dotGit));
      if (m) return { root: d, gitDir: path.resolve(d, m[1].trim()) };
    }
    const parent = path.dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
  return undefined;
}

function git(root: string, args: string[], input?: string): Buffer {
  return execFileSync('git', args, { cwd: root, input, maxBuffer: 256 * 2 ** 20, stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } });
}

/** Experiments whose refs are in the repository (queued and running ones — `exec`, `celery` — left out). */
export function listDvcExperiments(root: string): DvcExperiment[] {
  let out: string;
  try {
    out = git(root, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(committerdate:unix)', 'refs/exps/']).toString('utf8');
  } catch {
    return [];
  }
  const exps: DvcExperiment[] = [];
  for (const line of out.split('\n')) {
    const [ref, commit, time] = line.split('\0');
    const m = /^refs\/exps\/([0-9a-f]{2})\/([0-9a-f]{38})\/(.+)$/.exec(ref ?? '');
    if (!m || !commit) continue;
    exps.push({ name: m[3], ref, commit, baseline: m[1] + m[2], time: Number(time) * 1000 });
  }
  return exps.sort((a, b) => a.time - b.time || (a.name < b.name ? -1 : 1));
}

/** Whether an experiment changed the project folder `rel` (relative to the repository) from its baseline. */
export function experimentChanges(root: string, exp: DvcExperiment, rel: string): boolean {
  try {
    const [a, b] = git(root, ['rev-parse', `${exp.commit}:${rel}`, `${exp.baseline}:${rel}`]).toString('utf8').trim().split('\n');
    return a !== b;
  } catch {
    return true; // the folder is new in the experiment, or the baseline is gone
  }
}

const TEXT_FILE = /\.(ya?ml|json|lock|tsv|csv|dvc)$|(^|\/)[^./]+$/i;
const MAX_TEXT = 16 * 2 ** 20;

/**
 * The files of `projectDir` as they are in `commit`, for the DVC reader. The listing is one `ls-tree`; the
 * contents of every small text file are fetched together on the first read.
 */
export function commitFiles(root: string, commit: string, projectDir: string): ProjectFiles {
  const rel = path.relative(root, projectDir).split(path.sep).join('/');
  const entries = new Map<string, { oid: string; type: string; size: number }>();
  const children = new Map<string, { name: string; dir: boolean }[]>();
  const listing = git(root, ['ls-tree', '-r', '-t', '-l', '-z', '--full-tree', commit, '--', ...(rel ? [rel] : [])]).toString('utf8');
  for (const rec of listing.split('\0')) {
    const m = /^\d+ (blob|tree|commit) ([0-9a-f]+)\s+(-|\d+)\t(.+)$/s.exec(rec);
    if (!m) continue;
    const abs = path.join(root, ...m[4].split('/'));
    entries.set(abs, { oid: m[2], type: m[1], size: m[3] === '-' ? 0 : Number(m[3]) });
    const parent = path.dirname(abs);
    children.set(parent, [...(children.get(parent) ?? []), { name: path.basename(abs), dir: m[1] === 'tree' }]);
  }
  let contents: Map<string, Buffer> | undefined;
  const fetch = (): Map<string, Buffer> => {
    const wanted = [...entries].filter(([file, e]) => e.type === 'blob' && e.size <= MAX_TEXT && TEXT_FILE.test(path.basename(file)));
    const map = new Map<string, Buffer>();
    if (!wanted.length) return map;
    const out = git(root, ['cat-file', '--batch'], wanted.map(([, e]) => e.oid).join('\n') + '\n');
    let pos = 0;
    for (const [file] of wanted) {
      const eol = out.indexOf(10, pos);
      const header = out.subarray(pos, eol).toString('utf8').split(' ');
      pos = eol + 1;
      if (header[1] === 'missing') continue;
      const size = Number(header[2]);
      map.set(file, out.subarray(pos, pos + size));
      pos += size + 1;
    }
    return map;
  };
  return {
    exists: (file) => entries.has(file),
    list: (dir) => children.get(dir) ?? [],
    text(file: string, diagnostics: Diagnostic[]) {
      const e = entries.get(file);
      if (!e || e.type !== 'blob') return undefined;
      contents ??= fetch();
      const bytes = contents.get(file);
      if (!bytes) {
        diagnostics.push({ file, severity: 'warning', message: `not read from commit ${commit.slice(0, 8)}: over ${MAX_TEXT / 2 ** 20} MiB or not a text file` });
        return undefined;
      }
      return bytes.toString('utf8');
    },
  };
}
