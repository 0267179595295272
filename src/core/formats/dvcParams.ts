/**
 * A DVC project's params as `dvc params show` and `dvc exp show` collect them: the files `dvc.yaml` names
 * (a stage's `params` — a `- key` entry names params.yaml, `- file: [keys]` those keys of the file,
 * `- file:` all of it — and the top-level `params:` list), `params.yaml` whenever it exists, and each
 * DVCLive folder's `params.yaml`. Each value is the file's own YAML text.
 *
 * Naming: a key that one file declares keeps its name (`train.lr`); a key that several files declare is
 * named `<file>:<key>` for each of them (`params.yaml:epochs`, `dvclive/params.yaml:epochs`), the file's
 * path relative to the project folder, as `dvc exp show` names the columns of such keys.
 *
 * A file the pipeline names that is not in the workspace gives the values `dvc.lock` recorded from it (the
 * last run's); a file that is there and says otherwise than `dvc.lock` gets an info diagnostic, as
 * `dvc status` reports the stage's params changed.
 */
import * as path from 'node:path';
import type { Diagnostic } from '../model';
import { flattenNode, flattenYamlText, mapEntry, mapKeys, type ParamValue, parseYamlDocument } from './yamlText';

const DEFAULT_FILE = 'params.yaml';

/**
 * Params files in the order DVC lists them: the keys wanted of each (undefined: the whole file), and
 * whether the pipeline names it (params.yaml is read whenever it exists).
 */
export type ParamsFiles = Map<string, { keys?: string[]; named: boolean }>;

/** The params files `dvc.yaml` names, and `params.yaml`. */
export function paramsFilesOf(dvcYaml: Record<string, unknown> | undefined): ParamsFiles {
  const files: ParamsFiles = new Map();
  const want = (file: string, keys: string[] | undefined, named = true) => {
    const rel = path.posix.normalize(file);
    const had = files.get(rel);
    const whole = (had && !had.keys) || !keys;
    files.set(rel, { keys: whole ? undefined : [...(had?.keys ?? []), ...keys], named: named || !!had?.named });
  };
  const stages = dvcYaml?.stages;
  for (const stage of Object.values<any>(stages && typeof stages === 'object' ? stages : {})) {
    for (const entry of Array.isArray(stage?.params) ? stage.params : []) {
      if (typeof entry === 'string') want(DEFAULT_FILE, [entry]);
      else if (entry && typeof entry === 'object') {
        for (const [file, keys] of Object.entries(entry)) want(file, Array.isArray(keys) && keys.length ? keys.map(String) : undefined);
      }
    }
  }
  const top = dvcYaml?.params;
  for (const file of Array.isArray(top) ? top : []) if (typeof file === 'string') want(file, undefined);
  want(DEFAULT_FILE, undefined, false);
  return files;
}

/** `key` is one of `wanted` or inside one of them (a group: `train` wants `train.lr`). */
const isWanted = (key: string, wanted: string[] | undefined) => !wanted || wanted.some((w) => key === w || key.startsWith(w + '.'));

/** The params each stage of a `dvc.lock` recorded: file → key → value, with the stage that used it. */
export function lockParams(text: string | undefined, file: string, diagnostics: Diagnostic[]): Map<string, Map<string, ParamValue & { stage: string }>> {
  const out = new Map<string, Map<string, ParamValue & { stage: string }>>();
  if (!text) return out;
  // Problems of the lock file itself are reported where it is read for its deps and outs.
  const doc = parseYamlDocument(text, file, []);
  if (!doc) return out;
  // Schema 2.0 keeps stages under `stages:`; the 1.0 lock file is the stages map itself.
  const stages = mapEntry(doc, doc.contents, 'schema') !== undefined ? mapEntry(doc, doc.contents, 'stages') : doc.contents;
  for (const stage of mapKeys(doc, stages)) {
    const params = mapEntry(doc, mapEntry(doc, stages, stage), 'params');
    for (const paramsFile of mapKeys(doc, params)) {
      const values = new Map<string, ParamValue>();
      flattenNode(doc, mapEntry(doc, params, paramsFile), file, values, diagnostics);
      const rel = path.posix.normalize(paramsFile);
      const into = out.get(rel) ?? new Map();
      for (const [k, v] of values) into.set(k, { ...v, stage });
      out.set(rel, into);
    }
  }
  return out;
}

export interface ParamsReader {
  /** The text of a params file (relative to the project), or undefined when it is not there. */
  text(rel: string): string | undefined;
  /** The absolute path of a params file, for diagnostics. */
  abs(rel: string): string;
}

/**
 * The project's params, named as the module comment says. `extra` are more files read whole when they
 * exist (DVCLive's `params.yaml`), after the pipeline's.
 */
export function readDvcParams(files: ParamsFiles, extra: string[], lock: ReturnType<typeof lockParams>, reader: ParamsReader, diagnostics: Diagnostic[]): Record<string, string> {
  const declared = new Map<string, { file: string; text: string }[]>();
  const declare = (file: string, key: string, text: string) => {
    const list = declared.get(key);
    if (list) list.push({ file, text });
    else declared.set(key, [{ file, text }]);
  };
  const all: ParamsFiles = new Map(files);
  for (const f of extra) if (!all.has(f)) all.set(f, { named: false });
  for (const [rel, { keys: wanted, named }] of all) {
    const abs = reader.abs(rel);
    const recorded = lock.get(rel);
    const text = /\.(toml|py)$/i.test(rel) ? undefined : reader.text(rel);
    if (text === undefined) {
      if (/\.(toml|py)$/i.test(rel)) diagnostics.push({ file: abs, severity: 'info', message: 'TOML and Python params files are not read: only the values dvc.lock recorded from it are shown' });
      else if (!recorded && named) {
        diagnostics.push({ file: abs, severity: 'info', message: 'params file named in the pipeline is not in the workspace' });
      }
      // Not in the workspace: what the last run used, as dvc.lock recorded it.
      for (const [k, v] of recorded ?? []) if (isWanted(k, wanted)) declare(rel, k, v.text);
      continue;
    }
    const parsed = flattenYamlText(text, abs);
    diagnostics.push(...parsed.diagnostics);
    for (const [k, v] of parsed.values) {
      if (!isWanted(k, wanted)) continue;
      declare(rel, k, v.text);
      const was = recorded?.get(k);
      if (was && !sameValue(was.value, v.value)) {
        diagnostics.push({ file: abs, severity: 'info', message: `${k} is ${v.text} here but ${was.text} in dvc.lock: changed since stage ${was.stage} last ran` });
      }
    }
  }
  const params: Record<string, string> = Object.create(null);
  for (const [key, list] of declared) {
    if (list.length === 1) params[key] = list[0].text;
    else for (const { file, text } of list) params[`${file}:${key}`] = text;
  }
  return params;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}
