/** Where the CLI finds its workspace (default: the bundled demo) and keeps the index (outside it). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { DiscoveredSource } from '../core/discovery';
import type { Format } from '../core/model';
import { FORMATS } from '../core/model';
import { indexWorkspace } from '../core/index/indexer';
import type { IndexSummary } from '../core/index/indexer';
import { Store } from '../core/index/store';
import type { Args } from './args';
import { UsageError, value } from './args';

/** The demo workspace ships next to the package root (found from the bundle or the compiled sources). */
export function demoWorkspace(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'demo', 'workspace');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new UsageError('no workspace given and the demo workspace was not found');
}

export function defaultIndexPath(workspace: string): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const hash = createHash('sha1').update(path.resolve(workspace)).digest('hex').slice(0, 12);
  return path.join(base, 'runlens', `${path.basename(workspace) || 'root'}-${hash}.sqlite`);
}

export interface OpenedWorkspace {
  workspace: string;
  store: Store;
  summary?: IndexSummary;
}


/** Opens the index for a workspace and, unless --no-index, brings it up to date first. */
export function openWorkspace(dirArg: string | undefined, args: Args, onProgress?: (done: number, total: number) => void): OpenedWorkspace {
  const workspace = path.resolve(dirArg ?? value(args, 'dir') ?? demoWorkspace());
  if (!fs.existsSync(workspace)) throw new UsageError(`no such folder: ${workspace}`);
  const indexFile = value(args, 'index') ?? process.env.RUNLENS_INDEX ?? defaultIndexPath(workspace);
  if (isInside(indexFile, workspace)) throw new UsageError(`the index must live outside the workspace (got ${indexFile})`);
  const store = Store.open(indexFile);
  if (args.flags['no-index']) return { workspace, store };
  const sources: DiscoveredSource[] = (args.values.source ?? []).map((spec) => {
    const eq = spec.indexOf('=');
    const format = spec.slice(0, eq) as Format;
    if (eq < 0 || !FORMATS.includes(format)) throw new UsageError(`--source takes FORMAT=PATH with FORMAT one of ${FORMATS.join(', ')}`);
    return { format, path: path.resolve(spec.slice(eq + 1)), root: workspace };
  });
  const summary = indexWorkspace(store, {
    roots: [workspace],
    sources,
    exclude: args.values.exclude,
    onProgress: onProgress ? (p) => p.phase === 'index' && onProgress(p.done, p.total) : undefined,
  });
  return { workspace, store, summary };
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
