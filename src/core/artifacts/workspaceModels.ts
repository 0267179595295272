/**
 * Model files in the workspace that no run logged — `models/model.onnx` committed to git, a DVC-tracked
 * `model.pkl` (pulled or not), a SavedModel or MLflow model folder — listed beside the runs' models. Found
 * by a bounded walk of the workspace folders by name only (never opened here); files inside a run's folder
 * or artifacts are the run's, and listed with it instead.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRegularText } from '../formats/files';
import { parseYaml } from '../formats/yaml';
import { artifactKind, isModelFile } from '../model';
import type { Store } from '../index/store';
import type { CatalogFile, CatalogModel, FileHasher } from './catalog';

export interface WorkspaceModel {
  key: string;
  /** Relative to its workspace folder; a folder model ends with `/`. */
  name: string;
  root: string;
  abs: string;
  files: CatalogFile[];
  /** A DVC-tracked file not in the workspace (not pulled): the md5 its `.dvc` file records. */
  notPulled?: { md5: string; dvcFile: string };
}

/**
 * Folders never walked: version control, environments, caches — and MLflow's own stores, whose models
 * (run artifacts, logged models, the registry) the index lists with their runs.
 */
const SKIP = new Set(['.git', '.hg', '.svn', '.dvc', 'node_modules', '.venv', 'venv', '__pycache__', '.tox', '.mypy_cache', '.pytest_cache', 'site-packages', '.ipynb_checkpoints', 'mlruns', 'mlartifacts']);
const MAX_ENTRIES = 50_000;
const MAX_DEPTH = 12;

/** A folder that is one model: an MLflow model (MLmodel) or a TensorFlow SavedModel. */
export function isModelFolder(dir: string, names: Set<string> = new Set(safeList(dir))): boolean {
  return names.has('MLmodel') || names.has('saved_model.pb') || (names.has('variables') && fs.existsSync(path.join(dir, 'variables', 'variables.index')));
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The workspace's model files and model folders that are not a run's artifacts (`store.runsWithArtifact`)
 * nor in `known` (absolute paths listed otherwise, such as DVC outs of a `dvc.lock`).
 */
export function workspaceModels(roots: string[], store: Store, known: Set<string> = new Set()): WorkspaceModel[] {
  const out: WorkspaceModel[] = [];
  let entries = 0;
  const add = (root: string, abs: string, folder: boolean, files: CatalogFile[], notPulled?: WorkspaceModel['notPulled']) => {
    if (known.has(abs) || store.runsWithArtifact(folder ? path.join(abs, files[0]?.path ?? '') : abs).length > 0) return;
    const rel = path.relative(root, abs).split(path.sep).join('/');
    out.push({ key: `workspace:${abs}`, name: folder ? `${rel}/` : rel, root, abs, files, notPulled });
  };
  const fileOf = (abs: string, rel: string, size: number): CatalogFile => ({ path: rel, fsPath: abs, size, kind: artifactKind(rel) });
  const walk = (root: string, dir: string, depth: number) => {
    let list: fs.Dirent[];
    try {
      list = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(list.map((e) => e.name));
    if (dir !== root && isModelFolder(dir, names)) {
      const files: CatalogFile[] = [];
      collect(dir, dir, 0, files);
      if (files.length) add(root, dir, true, files);
      return;
    }
    for (const e of list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (++entries > MAX_ENTRIES) return;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP.has(e.name) && depth < MAX_DEPTH) walk(root, abs, depth + 1);
      } else if (e.isFile()) {
        if (isModelFile(e.name)) {
          const st = statOf(abs);
          if (st) add(root, abs, false, [fileOf(abs, e.name, st.size)]);
        } else if (e.name.endsWith('.dvc') && isModelFile(e.name.slice(0, -4)) && !names.has(e.name.slice(0, -4))) {
          const md5 = dvcFileMd5(abs);
          if (md5) add(root, abs.slice(0, -4), false, [], { md5, dvcFile: abs });
        }
      }
    }
  };
  const collect = (base: string, dir: string, depth: number, files: CatalogFile[]) => {
    let list: fs.Dirent[];
    try {
      list = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of list) {
      if (++entries > MAX_ENTRIES) return;
      const abs = path.join(dir, e.name);
      if (e.isDirectory() && depth < MAX_DEPTH) collect(base, abs, depth + 1, files);
      else if (e.isFile()) {
        const st = statOf(abs);
        if (st) files.push(fileOf(abs, path.relative(base, abs).split(path.sep).join('/'), st.size));
      }
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  };
  for (const root of roots) walk(path.resolve(root), path.resolve(root), 0);
  return out;
}

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

/** The md5 a single-file `.dvc` file records for its out (small YAML; anything else: undefined). */
function dvcFileMd5(file: string): string | undefined {
  const st = statOf(file);
  if (!st?.isFile() || st.size > 64 * 1024) return undefined;
  let text: string;
  try {
    text = readRegularText(file, 64 * 1024);
  } catch {
    return undefined;
  }
  const { value } = parseYaml(text, file);
  const outs = (value as { outs?: { md5?: unknown }[] } | undefined)?.outs;
  const md5 = Array.isArray(outs) ? outs[0]?.md5 : undefined;
  return typeof md5 === 'string' ? md5 : undefined;
}

/**
 * A workspace model's one version: what is there now, by content (SHA-256 of the file, or over a folder's
 * files), with no run — or, not pulled, the md5 its `.dvc` file records. No date: the files record none.
 */
export function workspaceModelVersions(m: WorkspaceModel, hash: FileHasher): CatalogModel {
  const model: CatalogModel = { key: m.key, name: m.name, kind: 'workspace', store: m.root, versions: [] };
  if (m.notPulled) {
    model.versions.push({ id: m.notPulled.md5, label: m.notPulled.md5.slice(0, 12), hash: m.notPulled.md5, description: 'DVC-tracked, not pulled', source: path.relative(m.root, m.notPulled.dvcFile), runs: [], files: [] });
    return model;
  }
  const hashes = m.files.map((f) => [f.path, hash(f.fsPath)] as const);
  const known = hashes.every(([, h]) => h !== undefined);
  const digest = !known ? undefined : hashes.length === 1 && !m.name.endsWith('/') ? hashes[0][1]! : createHash('sha256').update(hashes.map(([p, h]) => `${p}\0${h}\n`).sort().join('')).digest('hex');
  const size = m.files.reduce((a, f) => a + f.size, 0);
  model.versions.push({ id: digest ?? 'current', label: digest ? digest.slice(0, 12) : 'current', hash: digest, size, runs: [], files: m.files });
  return model;
}
