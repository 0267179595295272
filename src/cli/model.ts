/**
 * `runlens model <file>...`: model artifacts described from their headers, never loaded.
 * `runlens models [dir]`: every model of the workspace, its versions, and the run that made each.
 */
import { writeJson } from './json';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dvcModels, dvcModelVersions, modelCatalog } from '../core/artifacts/catalog';
import { datasetHistory } from '../core/datasets/history';
import type { CatalogModel, CatalogVersion } from '../core/artifacts/catalog';
import { describeModel } from '../core/artifacts/models';
import { workspaceModels, workspaceModelVersions } from '../core/artifacts/workspaceModels';
import { ContentCache, cacheFileFor } from '../core/cache';
import { formatBytes } from '../core/format';
import type { Args } from './args';
import { UsageError } from './args';
import { openWorkspace } from './workspace';

/**
 * Exit status, the same with and without --json: 2 when a file is not a valid model of its format (each
 * named on stderr), else 1 when something looked wrong or hostile (warnings), else 0.
 */
export function runModel(rest: string[], args: Args): number {
  if (rest.length === 0) throw new UsageError('usage: runlens model <file | model folder>... [--json]');
  const out = [];
  for (const file of rest) {
    const st = fs.existsSync(file) ? fs.statSync(file) : undefined;
    // Folders that are models: a TensorFlow SavedModel, an MLflow model (the folder of an MLmodel).
    const modelDir = st?.isDirectory() && ['saved_model.pb', path.join('variables', 'variables.index'), 'MLmodel'].some((f) => fs.existsSync(path.join(file, f)));
    if (!st) throw new UsageError(`no such file: ${file}`);
    if (!st.isFile() && !modelDir) throw new UsageError(st.isDirectory() ? `${file} is a folder but not a model (no MLmodel, saved_model.pb or variables/variables.index in it)` : `not a regular file: ${file}`);
    out.push(describeModel(file));
  }
  for (const d of out) if (d.invalid) process.stderr.write(`runlens: ${d.file}: not a valid ${d.format === 'other' ? '' : `${d.format} `}model: ${d.invalid}\n`);
  const status = out.some((d) => d.invalid) ? 2 : out.some((d) => d.warnings.length) ? 1 : 0;
  if (args.flags.json) {
    writeJson(out.length === 1 ? out[0] : out);
    return status;
  }
  for (const d of out) {
    process.stdout.write(`${d.file}\n  ${d.summary}\n`);
    const width = Math.max(...d.facts.map(([k]) => k.length), 0);
    for (const [k, v] of d.facts) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
    for (const w of d.warnings) process.stdout.write(`  warning: ${w}\n`);
  }
  return status;
}

/** The workspace is opened before anything is awaited, so that its usage errors reach main's one-line report. */
export function runModels(rest: string[], args: Args): Promise<number> {
  if (rest.length > 1) throw new UsageError('usage: runlens models [dir] [--json]');
  const opened = openWorkspace(rest[0], args);
  return listModels(opened.store, opened.workspace, args);
}

async function listModels(store: ReturnType<typeof openWorkspace>['store'], workspace: string, args: Args): Promise<number> {
  const cache = ContentCache.open(cacheFileFor(store.file));
  try {
    const catalog = modelCatalog(store, (file) => {
      try {
        return cache.fileHash(file);
      } catch {
        return undefined;
      }
    });
    const dvc = dvcModels(store);
    for (const m of dvc) catalog.push(dvcModelVersions(store, m, await datasetHistory(m.abs).catch(() => undefined)));
    const hash = (file: string) => {
      try {
        return cache.fileHash(file);
      } catch {
        return undefined;
      }
    };
    for (const m of workspaceModels([workspace], store, new Set(dvc.map((d) => d.abs)))) catalog.push(workspaceModelVersions(m, hash));
    if (args.flags.json) writeJson(catalog);
    else process.stdout.write(formatCatalog(catalog, workspace));
    return 0;
  } finally {
    cache.close();
    store.close();
  }
}

const KIND = { registered: 'registered model', logged: 'logged model', file: 'model file', dvc: 'DVC-tracked model', workspace: 'model in the workspace' } as const;

export function versionLine(v: CatalogVersion): string {
  const parts = [v.label];
  if (v.where && v.where.some((w) => w.includes('checkpoint') || w.includes('epoch='))) parts.push(v.where.join(', '));
  if (v.stage) parts.push(v.stage);
  if (v.aliases?.length) parts.push(v.aliases.map((a) => `@${a}`).join(' '));
  if (v.size !== undefined) parts.push(formatBytes(v.size));
  if (v.createdAt) parts.push(new Date(v.createdAt).toISOString().slice(0, 16).replace('T', ' '));
  if (v.description && !v.stage) parts.push(v.description.slice(0, 60));
  const runs = v.runs.length ? v.runs.map((r) => (/^[0-9a-f]{16,}$/i.test(r.nativeId) && r.name !== r.nativeId.slice(0, 8) ? `${r.name} (${r.nativeId.slice(0, 8)})` : r.name)).join(', ') : v.files.length || v.description === 'DVC-tracked, not pulled' ? 'no run logged it' : 'no run in the index';
  return `${parts.join(' · ')}  ← ${runs}`;
}

function formatCatalog(catalog: CatalogModel[], workspace: string): string {
  if (!catalog.length) return 'no models: no registered or logged models, no model files among the runs\' artifacts or in the workspace\n';
  const lines: string[] = [];
  for (const m of catalog) {
    const where = m.kind === 'workspace' ? undefined : (m.experimentName ?? (m.store && (path.relative(workspace, m.store).split(path.sep).join('/') || path.basename(m.store))));
    lines.push(`${m.name}  (${KIND[m.kind]}${where ? `, ${where}` : ''}; ${m.versions.length} version${m.versions.length === 1 ? '' : 's'})`);
    for (const v of m.versions) lines.push(`  ${versionLine(v)}`);
  }
  return lines.join('\n') + '\n';
}
