/**
 * Lineage: what data and code made which model, from what the index already holds.
 *
 *   dataset version ──read──▶ run ──produced──▶ model
 *                    code ──ran──▶ run ──wrote──▶ dataset version
 *
 * A run's inputs are its DVC stage deps (path and md5 in `dvc.lock`), the datasets it logged to MLflow
 * (Run.datasets: name and digest), and params whose value names a data file that exists; its code is its
 * git commit (with the dirty flag where the format records one), its script and its DVC stage commands; its
 * outputs are DVC outs, model and checkpoint artifacts, and the MLflow logged models naming it as source.
 * The graph can start from a run, a dataset (path, optionally `@version`) or a model (file or logged model).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactPath, type RunRow, type Store } from './index/store';
import { isModelArtifact, isModelFile } from './model';
import { isModelFolder } from './artifacts/workspaceModels';
import { parseVersionRef } from './datasets/versions';

export type LineageKind = 'run' | 'dataset' | 'code' | 'model';

export interface LineageNode {
  /** Unique in a graph: `run:<id>`, `dataset:<abs path>@<version>`, `code:<…>`, `model:<abs path or id>`. */
  id: string;
  kind: LineageKind;
  label: string;
  detail?: string;
  /** A file or folder to open or reveal. */
  path?: string;
  /** The index id of a run node. */
  runId?: string;
  /** A dataset node's version (md5 or digest) when known. */
  version?: string;
}

export type Relation = 'read' | 'wrote' | 'ran' | 'produced';

export interface LineageEdge {
  from: string;
  to: string;
  relation: Relation;
  /** How the link was found: `dvc.lock`, `mlflow input`, `param data_path`, `artifact`, `logged model`. */
  via: string;
}

export interface LineageGraph {
  focus: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
}

const CODE_FILE = /\.(py|ipynb|sh|r|jl|scala|java|cpp|c|js|ts)$/i;

/** Source code among a stage's deps (the code that ran, not data it read). */
export function isCodeFile(p: string): boolean {
  return CODE_FILE.test(p);
}
/**
 * A DVC out that is a model, by the Models catalog's rule: a model file by its name (not the tokenizer or
 * config JSON under a `models/` folder), or a folder (md5 `….dir`) that is an MLflow model or SavedModel.
 */
const isModelOut = (abs: string, rel: string, md5: string) => (md5.endsWith('.dir') ? isModelFolder(abs) : isModelFile(rel));
const DATA_FILE = /\.(csv|tsv|jsonl|ndjson|json|parquet|feather|arrow|h5|hdf5|npz|npy|xml|txt|zip|tar|gz|tfrecord|avro|orc|xlsx?)$/i;

class Graph {
  nodes = new Map<string, LineageNode>();
  edges: LineageEdge[] = [];
  private edgeKeys = new Set<string>();
  private models?: ReturnType<Store['models']>;

  constructor(readonly store: Store) {}

  /** The index's logged models, read once per graph however many runs it expands. */
  loggedModels(): ReturnType<Store['models']> {
    return (this.models ??= this.store.models());
  }

  /** The graph focused on the first node `match` accepts, if any. */
  focusOn(match: (n: LineageNode) => boolean): LineageGraph | undefined {
    const focus = [...this.nodes.values()].find(match);
    return focus ? { focus: focus.id, nodes: [...this.nodes.values()], edges: this.edges } : undefined;
  }

  node(n: LineageNode): string {
    if (!this.nodes.has(n.id)) this.nodes.set(n.id, n);
    return n.id;
  }

  edge(e: LineageEdge): void {
    const k = `${e.from}\0${e.to}\0${e.relation}`;
    if (this.edgeKeys.has(k)) return;
    this.edgeKeys.add(k);
    this.edges.push(e);
  }
}

/** The folder a run's relative paths (DVC deps, params) are relative to. */
export function projectDir(run: RunRow): string {
  if (run.format === 'dvc') return run.path;
  // An MLflow run lives in <project>/mlruns/<experiment>/<run>; W&B in <project>/wandb/run-…; others nearby.
  const parts = run.path.split(path.sep);
  for (const marker of ['mlruns', 'wandb', 'lightning_logs', 'runs', 'dvclive']) {
    const i = parts.lastIndexOf(marker);
    if (i > 0) return parts.slice(0, i).join(path.sep) || path.sep;
  }
  return fs.existsSync(run.path) && fs.statSync(run.path).isFile() ? path.dirname(run.path) : run.path;
}

function runNode(run: RunRow): LineageNode {
  return { id: `run:${run.id}`, kind: 'run', label: run.name, detail: `${run.format} · ${run.status}${run.startTime ? ` · ${new Date(run.startTime).toISOString().slice(0, 16).replace('T', ' ')}` : ''}`, runId: run.id, path: run.path };
}

function datasetNode(abs: string, version: string | undefined, detail: string): LineageNode {
  return { id: `dataset:${abs}@${version ?? ''}`, kind: 'dataset', label: path.basename(abs), detail, path: abs, version };
}

/** A logged model, or one version of a registered model (named with its version: they share the name). */
function modelNode(m: ReturnType<Store['models']>[number]): LineageNode {
  if (m.kind !== 'registered') return { id: `model:logged:${m.id}`, kind: 'model', label: m.name, detail: `logged model ${m.nativeId}`, path: m.path };
  const about = [m.stage && m.stage !== 'None' ? m.stage : '', ...(m.aliases ?? []).map((a) => `@${a}`)].filter(Boolean).join(' ');
  return { id: `model:logged:${m.id}`, kind: 'model', label: `${m.name} v${m.version}`, detail: `registered version${about ? ` · ${about}` : ''}`, path: m.path, version: m.version === undefined ? undefined : String(m.version) };
}

/** Adds a run with its inputs, code and outputs. Returns the run's node id. */
function expandRun(g: Graph, run: RunRow): string {
  const store = g.store;
  const id = g.node(runNode(run));
  const tags = store.tags(run.rid);
  const params = store.params(run.rid);
  const dir = projectDir(run);
  // Code: commit (and dirty flag), script, stage commands, code files among DVC deps.
  const dirty = tags['mlflow.source.git.dirty'] ?? tags['wandb.git.dirty'] ?? tags['git.dirty'];
  if (run.gitCommit) {
    g.edge({ from: g.node({ id: `code:commit:${run.gitCommit}`, kind: 'code', label: `commit ${run.gitCommit.slice(0, 8)}`, detail: dirty === 'true' || dirty === 'True' ? 'with uncommitted changes' : dirty ? 'clean' : undefined }), to: id, relation: 'ran', via: 'git commit' });
  }
  if (run.sourceScript) {
    g.edge({ from: g.node({ id: `code:script:${run.sourceScript}`, kind: 'code', label: path.basename(run.sourceScript), detail: run.sourceScript }), to: id, relation: 'ran', via: 'source script' });
  }
  for (const [k, v] of Object.entries(tags)) {
    const stage = /^dvc\.stage\.(.+)\.cmd$/.exec(k);
    if (stage) g.edge({ from: g.node({ id: `code:stage:${dir}:${stage[1]}`, kind: 'code', label: `stage ${stage[1]}`, detail: v, path: path.join(dir, 'dvc.yaml') }), to: id, relation: 'ran', via: 'dvc.yaml' });
  }
  // DVC: deps that no stage of this run writes are its inputs (a stage's output read by the next stage is
  // an intermediate, shown once, as written); outs named like models are models.
  const outs = new Set(Object.keys(tags).filter((k) => k.startsWith('dvc.out.')).map((k) => k.slice('dvc.out.'.length)));
  for (const [k, v] of Object.entries(tags)) {
    const m = /^dvc\.(dep|out)\.(.+)$/.exec(k);
    if (!m) continue;
    const abs = path.resolve(dir, m[2]);
    if (m[1] === 'dep' && CODE_FILE.test(m[2])) {
      g.edge({ from: g.node({ id: `code:file:${abs}@${v}`, kind: 'code', label: m[2], detail: `md5 ${v.slice(0, 12)}`, path: abs }), to: id, relation: 'ran', via: 'dvc.lock' });
      continue;
    }
    if (m[1] === 'dep' && outs.has(m[2])) continue;
    const model = isModelOut(abs, m[2], v);
    const n = g.node(model ? { id: `model:${abs}`, kind: 'model', label: m[2], detail: `md5 ${v.slice(0, 12)}`, path: abs, version: v } : datasetNode(abs, v, `${m[2]} · md5 ${v.slice(0, 12)}`));
    if (m[1] === 'dep') g.edge({ from: n, to: id, relation: 'read', via: 'dvc.lock' });
    else g.edge({ from: id, to: n, relation: model ? 'produced' : 'wrote', via: 'dvc.lock' });
  }
  for (const d of store.datasetInputs(run.rid)) {
    const detail = `MLflow dataset · digest ${d.digest}${d.context ? ` · ${d.context}` : ''}`;
    g.edge({ from: g.node({ id: `dataset:mlflow:${d.name}@${d.digest}`, kind: 'dataset', label: d.name, detail, version: d.digest }), to: id, relation: 'read', via: 'mlflow input' });
  }
  for (const [k, v] of Object.entries(params)) {
    if (!DATA_FILE.test(v) || v.length > 500) continue;
    const abs = path.isAbsolute(v) ? v : path.resolve(dir, v);
    if (!fs.existsSync(abs)) continue;
    g.edge({ from: g.node(datasetNode(abs, undefined, `${v} (param ${k})`)), to: id, relation: 'read', via: `param ${k}` });
  }
  // Outputs: models and checkpoints among the artifacts, and logged models naming this run.
  for (const a of store.artifacts(run.rid)) {
    if (!isModelArtifact(a)) continue;
    const abs = artifactPath(run, a.path);
    g.edge({ from: id, to: g.node({ id: `model:${abs}`, kind: 'model', label: a.path, detail: `${a.kind} · ${a.size} bytes`, path: abs }), relation: 'produced', via: 'artifact' });
  }
  for (const m of g.loggedModels()) {
    if (m.sourceRunNativeId !== run.nativeId) continue;
    g.edge({ from: id, to: g.node(modelNode(m)), relation: 'produced', via: m.kind === 'registered' ? 'registered version' : 'logged model' });
  }
  return id;
}

/** Runs that read or wrote a dataset path (any version, or the one given). */
function runsOfDataset(store: Store, abs: string, version?: string): { run: RunRow; role: 'dep' | 'out'; version: string }[] {
  const out: { run: RunRow; role: 'dep' | 'out'; version: string }[] = [];
  for (const d of store.datasets()) {
    if (version && !d.version.startsWith(version)) continue;
    for (const runId of d.runIds) {
      const run = store.getRun(runId);
      if (run && path.resolve(projectDir(run), d.path) === abs) out.push({ run, role: d.role, version: d.version });
    }
  }
  return out;
}

/**
 * The lineage of a run (any run reference the CLI takes), a dataset (`path[@version]`) or a model (a file
 * path, or a logged model's id/name). Two hops from the focus: its inputs and outputs, and for data and
 * models the runs on the other side of them.
 */
export function lineageOf(store: Store, ref: string, cwd = process.cwd()): LineageGraph | undefined {
  // Each way of reading `ref` expands its runs into a graph of its own, focused on the node it names.
  const attempt = (runs: RunRow[], match: (n: LineageNode) => boolean) => {
    if (runs.length === 0) return undefined;
    const g = new Graph(store);
    for (const run of runs) expandRun(g, run);
    return g.focusOn(match);
  };
  const runs = store.resolveRun(ref);
  if (runs.length === 1) return attempt(runs, (n) => n.id === `run:${runs[0].id}`);
  const g = new Graph(store);
  // A registered model by name: all its versions, newest first, each with the run it was registered from.
  const versions = g.loggedModels().filter((m) => m.kind === 'registered' && m.name === ref).sort((a, b) => (b.version ?? 0) - (a.version ?? 0));
  if (versions.length) {
    const focus = g.node({ id: `model:registered:${ref}`, kind: 'model', label: ref, detail: `registered model · ${versions.length} version${versions.length === 1 ? '' : 's'}` });
    for (const v of versions) {
      g.edge({ from: g.node(modelNode(v)), to: focus, relation: 'produced', via: 'model registry' });
      for (const run of v.sourceRunNativeId ? store.resolveRun(v.sourceRunNativeId) : []) expandRun(g, run);
    }
    return g.focusOn((n) => n.id === focus);
  }
  // A logged model by id, native id or name.
  const logged = g.loggedModels().find((m) => m.id === ref || m.nativeId === ref || m.name === ref);
  if (logged) {
    g.node(modelNode(logged));
    for (const run of logged.sourceRunNativeId ? store.resolveRun(logged.sourceRunNativeId) : []) expandRun(g, run);
    return g.focusOn((n) => n.id === `model:logged:${logged.id}`);
  }
  const { file, ref: version } = parseVersionRef(ref);
  const abs = path.resolve(cwd, file.replace(/\.dvc$/, ''));
  return (
    // A model file: the runs whose artifacts hold it.
    attempt(store.runsWithArtifact(abs), (n) => n.kind === 'model' && n.path === abs) ??
    // A data file (or model) a run read or wrote.
    attempt(
      runsOfDataset(store, abs, version).map((u) => u.run),
      (n) => n.kind !== 'run' && n.kind !== 'code' && n.path === abs && (!version || n.version?.startsWith(version) === true),
    ) ??
    // A data file named only by runs' params.
    attempt(
      store.runsWithParamValueLike(path.basename(abs)).filter((run) => Object.values(store.params(run.rid)).some((v) => path.resolve(projectDir(run), v) === abs || v === abs)),
      (n) => n.kind === 'dataset' && n.path === abs,
    )
  );
}

const UP: Record<Relation, string> = { read: 'input', ran: 'code', wrote: 'written by', produced: 'made by' };
const DOWN: Record<Relation, string> = { read: 'read by', ran: 'runs', wrote: 'writes', produced: 'produces' };

/**
 * The graph as an indented tree from the focus, for the CLI: what it came from (inputs, code, the run that
 * made it), then what came of it. A run shows one hop each way; data and models two (model ← run ← data).
 */
export function formatLineage(graph: LineageGraph): string {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const name = (n: LineageNode) => `${n.kind === 'code' ? '' : n.kind + ' '}${n.label}${n.detail ? `  (${n.detail})` : ''}`;
  const focus = nodes.get(graph.focus)!;
  const lines: string[] = [name(focus)];
  const maxDepth = focus.kind === 'run' ? 1 : 2;
  const walk = (id: string, indent: string, seen: Set<string>, depth: number, only?: 'up' | 'down') => {
    const links = graph.edges.flatMap((e) => (e.to === id && only !== 'down' ? [{ e, up: true }] : e.from === id && only !== 'up' ? [{ e, up: false }] : []));
    links.forEach(({ e, up }, i) => {
      const other = up ? e.from : e.to;
      const last = i === links.length - 1;
      lines.push(`${indent}${last ? '└─' : '├─'} ${(up ? UP : DOWN)[e.relation].padEnd(10)} ${name(nodes.get(other)!)}  [${e.via}]`);
      // Keep going the same way: upstream of an input, downstream of an output.
      if (!seen.has(other) && depth < maxDepth) walk(other, indent + (last ? '   ' : '│  '), new Set([...seen, other]), depth + 1, up ? 'up' : 'down');
    });
  };
  walk(graph.focus, '', new Set([graph.focus]), 1);
  return lines.join('\n');
}
