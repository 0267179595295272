/**
 * Which folder a CLI command works on, where its index lives (outside the folder), and when a command
 * brings that index up to date first.
 *
 * The folder: the one given (`runs DIR`, `--dir DIR`); else the folder an index given with `--index` /
 * `RUNLENS_INDEX` was built from; else the current directory or its nearest parent that was indexed before
 * (as git finds its repository); else, for a command that names a run (show, compare, metrics, lineage,
 * analyze <run>), the folder indexed last; else the current directory. The bundled demo is used only when
 * named (`npm start` does).
 *
 * Freshness: `index` always runs a pass (only changed files are re-read). A query command opens the index
 * read-only and checks, without walking the folder, that a pass would change nothing (the probes of the
 * last pass's walk and of every unit, unchangedSincePass); it answers from the index then, and runs a warm
 * pass first otherwise. `--refresh` always runs one, `--no-index` never does.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { DiscoveredSource } from '../core/discovery';
import type { Format } from '../core/model';
import { FORMATS } from '../core/model';
import { indexWorkspace, unchangedSincePass } from '../core/index/indexer';
import type { IndexSummary } from '../core/index/indexer';
import { Store } from '../core/index/store';
import { READERS_VERSION, SCHEMA_VERSION } from '../core/index/schema';
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
  throw new UsageError('the demo workspace was not found');
}

function cacheFolder(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'runlens');
}

export function defaultIndexPath(workspace: string): string {
  const hash = createHash('sha1').update(path.resolve(workspace)).digest('hex').slice(0, 12);
  return path.join(cacheFolder(), `${path.basename(workspace) || 'root'}-${hash}.sqlite`);
}

/** The file naming the folder the default cache indexed last (for `show <run>` after `runs ~/proj`). */
const lastWorkspaceFile = () => path.join(cacheFolder(), 'last-workspace');

export interface OpenedWorkspace {
  workspace: string;
  store: Store;
  /** The pass this command ran, if it ran one. */
  summary?: IndexSummary;
}

export interface OpenOptions {
  onProgress?: (done: number, total: number) => void;
  /** The command names a run, not a folder: with no folder given it may use the folder indexed last. */
  byRun?: boolean;
  /** Always run a pass (the `index` command). */
  pass?: boolean;
}

/** What a pass was asked to index; a pass over other folders or options does not make the index fresh. */
interface PassRecord {
  workspace: string;
  sources: string[];
  exclude: string[];
  /** The index's readers version at the time: a new version empties the index. */
  readers: string | null;
  finishedAt: number;
}

const PASS_KEY = 'cli_pass';

/** Opens the index for a workspace and brings it up to date when the freshness rule says so. */
export function openWorkspace(dirArg: string | undefined, args: Args, options: OpenOptions = {}): OpenedWorkspace {
  const explicitIndex = value(args, 'index') ?? process.env.RUNLENS_INDEX;
  const workspace = path.resolve(dirArg ?? value(args, 'dir') ?? defaultWorkspace(explicitIndex, !!options.byRun));
  if (!fs.existsSync(workspace)) throw new UsageError(`no such folder: ${workspace}`);
  if (!fs.statSync(workspace).isDirectory()) throw new UsageError(`not a folder: ${workspace}`);
  const indexFile = path.resolve(explicitIndex ?? defaultIndexPath(workspace));
  if (isInside(indexFile, workspace)) throw new UsageError(`the index must live outside the workspace (got ${indexFile}); give another with --index FILE`);
  const sources: DiscoveredSource[] = (args.values.source ?? []).map((spec) => {
    const eq = spec.indexOf('=');
    const format = spec.slice(0, eq) as Format;
    if (eq < 0 || !FORMATS.includes(format)) throw new UsageError(`--source takes FORMAT=PATH with FORMAT one of ${FORMATS.join(', ')}`);
    return { format, path: path.resolve(spec.slice(eq + 1)), root: workspace };
  });
  const wanted = { workspace, sources: sources.map((s) => `${s.format}=${s.path}`), exclude: args.values.exclude ?? [] };
  if (args.flags['no-index']) {
    if (!fs.existsSync(indexFile)) throw new UsageError(`${workspace} has no index yet (${indexFile}): run without --no-index, or runlens index first`);
    const store = Store.open(indexFile);
    const last = passRecord(store);
    if (last && last.workspace !== workspace) {
      store.close();
      throw new UsageError(`the index ${indexFile} holds ${last.workspace}, not ${workspace}: run without --no-index to index it`);
    }
    return { workspace, store };
  }
  if (!options.pass && !args.flags.refresh) {
    const current = openCurrent(indexFile, wanted);
    if (current) return { workspace, store: current };
  }
  const store = Store.open(indexFile);
  try {
    const summary = indexWorkspace(store, {
      roots: [workspace],
      sources,
      exclude: args.values.exclude,
      onProgress: options.onProgress ? (p) => p.phase === 'index' && options.onProgress!(p.done, p.total) : undefined,
    });
    if (!summary.cancelled) recordPass(store, wanted, explicitIndex === undefined);
    return { workspace, store, summary };
  } catch (e) {
    store.close();
    throw e;
  }
}

function defaultWorkspace(explicitIndex: string | undefined, byRun: boolean): string {
  if (explicitIndex !== undefined && fs.existsSync(explicitIndex)) {
    const store = Store.open(explicitIndex);
    try {
      const last = passRecord(store);
      if (last && fs.existsSync(last.workspace)) return last.workspace;
    } finally {
      store.close();
    }
  }
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (fs.existsSync(defaultIndexPath(dir))) return dir;
    if (path.dirname(dir) === dir) break;
  }
  if (byRun) {
    try {
      const last = fs.readFileSync(lastWorkspaceFile(), 'utf8').trim();
      if (last && fs.existsSync(last)) return last;
    } catch {
      // No folder indexed yet.
    }
  }
  return process.cwd();
}

/**
 * The index opened read-only if a pass over the same folder and options would change nothing (nothing to
 * migrate, write or walk: a query command then costs Node's start, the probe check and the query);
 * undefined if it would, or the index cannot be opened so.
 */
function openCurrent(indexFile: string, wanted: Omit<PassRecord, 'readers' | 'finishedAt'>): Store | undefined {
  if (!fs.existsSync(indexFile)) return undefined;
  let store: Store | undefined;
  try {
    store = Store.open(indexFile, { readonly: true });
    if (store.db.pragma('user_version', { simple: true }) === SCHEMA_VERSION && samePass(store, wanted) && unchangedSincePass(store)) return store;
  } catch {
    // Opened for writing below, which says what is wrong if anything is.
  }
  store?.close();
  return undefined;
}

function passRecord(store: Store): PassRecord | undefined {
  try {
    const text = store.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(PASS_KEY) as string | undefined;
    return text ? (JSON.parse(text) as PassRecord) : undefined;
  } catch {
    return undefined;
  }
}

function readersVersion(store: Store): string | null {
  return (store.db.prepare("SELECT value FROM meta WHERE key = 'readers'").pluck().get() as string | undefined) ?? null;
}

/** Whether the index's last pass was over the same folder and options, with these readers. */
function samePass(store: Store, wanted: Omit<PassRecord, 'readers' | 'finishedAt'>): boolean {
  const last = passRecord(store);
  return (
    last !== undefined &&
    last.workspace === wanted.workspace &&
    JSON.stringify(last.sources) === JSON.stringify(wanted.sources) &&
    JSON.stringify(last.exclude) === JSON.stringify(wanted.exclude) &&
    last.readers === String(READERS_VERSION) &&
    readersVersion(store) === String(READERS_VERSION)
  );
}

function recordPass(store: Store, wanted: Omit<PassRecord, 'readers' | 'finishedAt'>, defaultCache: boolean): void {
  const record: PassRecord = { ...wanted, readers: readersVersion(store), finishedAt: Date.now() };
  store.db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)').run(PASS_KEY, JSON.stringify(record));
  if (defaultCache) {
    try {
      fs.writeFileSync(lastWorkspaceFile(), wanted.workspace + '\n');
    } catch {
      // Only a convenience for the next `show <run>`.
    }
  }
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
