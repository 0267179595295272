/**
 * Finds experiment data in a workspace: MLflow stores (`mlruns/`), MLflow databases, TensorBoard log
 * directories, Lightning version folders, Hugging Face Trainer output folders, Keras CSV logs, W&B
 * offline runs and DVC projects. Never follows a symlink twice (loops), skips dependency and VCS folders, and reads nothing
 * but directory listings and, for `*.db` files, the SQLite header.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, Format } from './model';
import { EVENT_FILE_RE } from './formats/tensorboard';
import { whyNotMlflowDatabase } from './formats/mlflowdb';
import { isLightningVersionDir } from './formats/lightning';
import { CHECKPOINT_RE } from './formats/huggingface';
import { looksLikeKerasCsv, looksLikeKerasHistoryJson } from './formats/keras';
import { WANDB_RUN_DIR_RE } from './formats/wandb';
import { isDvcProjectDir } from './formats/dvc';
import { openRegularFd } from './formats/files';
import { recordFile, recordFolder, type Probes } from './index/listing';

export interface DiscoveredSource {
  format: Format;
  /** mlflow: the store root; mlflow-db: the database file; tensorboard: a run directory. */
  path: string;
  /** The workspace root it was found under (for display names). */
  root: string;
  /** wandb: the folders of a run id resumed in several (oldest first); `path` is the last of them. */
  folders?: string[];
  /**
   * The folders this source's runs may name files in (every workspace folder and configured source, set by
   * the indexer): a run in one workspace folder may keep its artifacts in another. `root` alone when unset.
   */
  allowed?: string[];
}

export interface DiscoveryOptions {
  /** Glob patterns (relative to the root, `**` and `*` supported) of folders and files to skip. */
  exclude?: string[];
  maxDepth?: number;
  cancelled?: () => boolean;
  /**
   * Filled with what the walk went by: every folder it listed (whose mtime changes when an entry comes or
   * goes) and every file whose contents it looked at, so that a later check of these probes says whether a
   * walk would find the same sources without walking.
   */
  probes?: Probes;
}

export interface DiscoveryResult {
  sources: DiscoveredSource[];
  diagnostics: Diagnostic[];
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', 'site-packages', '.tox', '.mypy_cache', '.pytest_cache', '.ipynb_checkpoints', '.dvc']);
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function discoverSources(roots: string[], options: DiscoveryOptions = {}): DiscoveryResult {
  const sources: DiscoveredSource[] = [];
  const diagnostics: Diagnostic[] = [];
  const maxDepth = options.maxDepth ?? 24;
  const visited = new Set<string>();
  for (const rootIn of roots) {
    const root = path.resolve(rootIn);
    const rootReal = realpathOrSelf(root);
    const excludes = (options.exclude ?? []).map(globToRegExp);
    const excluded = (full: string) => {
      if (excludes.length === 0) return false;
      const rel = path.relative(root, full).split(path.sep).join('/');
      return excludes.some((re) => re.test(rel));
    };
    const visit = (dir: string, depth: number): void => {
      if (options.cancelled?.()) return;
      let st: fs.Stats;
      try {
        st = fs.statSync(dir);
      } catch (err) {
        diagnostics.push({ file: dir, severity: 'warning', message: `cannot read folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        return;
      }
      const id = `${st.dev}:${st.ino}`;
      if (visited.has(id)) return;
      visited.add(id);
      if (options.probes) recordFolder(options, dir, st);
      if (depth > maxDepth) {
        diagnostics.push({ file: dir, severity: 'info', message: `deeper than ${maxDepth} folders; not searched` });
        return;
      }
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        diagnostics.push({ file: dir, severity: 'warning', message: `cannot list folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        return;
      }
      let hasEvents = false;
      const subdirs: string[] = [];
      const names = new Set(entries.map((e) => e.name));
      let dirReal: string | undefined;
      if (WANDB_RUN_DIR_RE.test(path.basename(dir))) {
        // A W&B run folder is one run; its media and files are its artifacts.
        sources.push({ format: 'wandb', path: dir, root });
        return;
      }
      if (isDvcProjectDir(dir, names)) sources.push({ format: 'dvc', path: dir, root });
      const lightning = isLightningVersionDir(dir, names);
      if (lightning) {
        // A Lightning version folder is one run: its event files and checkpoints belong to it.
        sources.push({ format: 'lightning', path: dir, root });
        return;
      }
      const checkpoints = entries.filter((e) => CHECKPOINT_RE.test(e.name) && fs.existsSync(path.join(dir, e.name, 'trainer_state.json')));
      if (options.probes) {
        for (const e of entries) {
          if (CHECKPOINT_RE.test(e.name)) recordFile(options, path.join(dir, e.name, 'trainer_state.json'));
          else if (/\.(csv|json|db|sqlite|sqlite3|dvc)$/i.test(e.name)) recordFile(options, path.join(dir, e.name));
        }
      }
      if (names.has('trainer_state.json') || checkpoints.length > 0) sources.push({ format: 'huggingface', path: dir, root });
      const skip = new Set(checkpoints.map((e) => e.name));
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (excluded(full)) continue;
        let isDir = e.isDirectory();
        let isFile = e.isFile();
        let special = e.isFIFO() || e.isCharacterDevice() || e.isBlockDevice() || e.isSocket();
        if (e.isSymbolicLink()) {
          try {
            const t = fs.statSync(full);
            isDir = t.isDirectory();
            isFile = t.isFile();
            special = !isDir && !isFile;
          } catch {
            diagnostics.push({ file: full, severity: 'warning', message: 'broken symbolic link' });
            continue;
          }
          // A link to a folder that holds the workspace (`/`, the home folder) would walk the whole disk;
          // links elsewhere (a shared mlruns on another disk) are followed, read-only like the rest.
          if (isDir) {
            const target = realpathOrSelf(full);
            if (rootReal === target || rootReal.startsWith(target.endsWith(path.sep) ? target : target + path.sep)) {
              diagnostics.push({ file: full, severity: 'info', message: `symbolic link to ${target}, a folder that contains the workspace: not followed` });
              continue;
            }
            // A link to a folder beside it (W&B's `latest-run`) is that folder, found under its own name.
            dirReal ??= realpathOrSelf(dir);
            if (path.dirname(target) === dirReal && path.basename(target) !== e.name && names.has(path.basename(target))) continue;
            // A link to a W&B run folder elsewhere: the run folder, under its own name (that holds its run id).
            if (isDir && WANDB_RUN_DIR_RE.test(path.basename(target)) && !WANDB_RUN_DIR_RE.test(e.name) && !SKIP_DIRS.has(e.name)) {
              subdirs.push(target);
              continue;
            }
          }
        }
        // A FIFO or a device named as a file read here would block or never end: said, never opened
        // (trainer_state.json is its reader's to report).
        if (special && e.name !== 'trainer_state.json' && (EVENT_FILE_RE.test(e.name) || /\.(csv|json|db|sqlite|sqlite3)$/i.test(e.name))) {
          diagnostics.push({ file: full, severity: 'warning', message: 'not a regular file (a FIFO, a device or a socket): not read' });
        }
        if (isDir) {
          if (SKIP_DIRS.has(e.name) || skip.has(e.name)) continue;
          if (e.name === 'mlruns') sources.push({ format: 'mlflow', path: full, root });
          else subdirs.push(full);
        } else if (isFile) {
          if (EVENT_FILE_RE.test(e.name)) hasEvents = true;
          else if (/\.csv$/i.test(e.name) && looksLikeKerasCsv(full)) sources.push({ format: 'keras', path: full, root });
          else if (/\.json$/i.test(e.name) && looksLikeKerasHistoryJson(full)) sources.push({ format: 'keras', path: full, root });
          else if (/\.(db|sqlite|sqlite3)$/i.test(e.name)) {
            // Any SQLite file may be MLflow's; one named as MLflow names it that is not says why.
            const why = hasSqliteMagic(full) ? whyNotMlflowDatabase(full) : 'not an SQLite database (no SQLite header)';
            if (why === undefined) sources.push({ format: 'mlflow-db', path: full, root });
            else if (e.name === 'mlflow.db') diagnostics.push({ file: full, offset: 0, severity: 'error', message: fs.statSync(full, { throwIfNoEntry: false })?.size === 0 ? 'empty file: not an MLflow database' : why });
          }
        }
      }
      if (hasEvents) sources.push({ format: 'tensorboard', path: dir, root });
      for (const group of resumedWandbRuns(subdirs)) {
        // One run id in several folders is one run, resumed in each: one source for them all.
        sources.push({ format: 'wandb', path: group[group.length - 1], root, folders: group });
        for (const f of group) {
          subdirs.splice(subdirs.indexOf(f), 1);
          try {
            const st = fs.statSync(f);
            visited.add(`${st.dev}:${st.ino}`);
          } catch {
            // Gone since the listing: nothing to visit.
          }
        }
      }
      for (const sub of subdirs.sort()) visit(sub, depth + 1);
    };
    if (path.basename(root) === 'mlruns') sources.push({ format: 'mlflow', path: root, root: path.dirname(root) });
    else visit(root, 0);
  }
  return { sources, diagnostics };
}

/** W&B run folders of one run id, when there are several: each group oldest first (by the time in the names). */
function resumedWandbRuns(dirs: string[]): string[][] {
  const byId = new Map<string, { dir: string; time: string }[]>();
  for (const dir of dirs) {
    const m = WANDB_RUN_DIR_RE.exec(path.basename(dir));
    if (!m) continue;
    const list = byId.get(m[3]) ?? [];
    byId.set(m[3], list);
    list.push({ dir, time: m[2] });
  }
  return [...byId.values()].filter((l) => l.length > 1).map((l) => l.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.dir < b.dir ? -1 : 1)).map((x) => x.dir));
}

function hasSqliteMagic(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openRegularFd(file);
    const buf = Buffer.alloc(16);
    return fs.readSync(fd, buf, 0, 16, 0) === 16 && buf.equals(SQLITE_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** `**` matches any number of path segments, `*` any characters within one segment. */
function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(/.*)?$`);
}
