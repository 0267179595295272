/**
 * The one data model every reader produces and every consumer (index, CLI, extension) reads.
 * Times are milliseconds since the Unix epoch; status names are shared across formats.
 */

export type Format = 'mlflow' | 'mlflow-db' | 'tensorboard' | 'lightning' | 'huggingface' | 'keras' | 'wandb' | 'dvc';

export const FORMATS: Format[] = ['mlflow', 'mlflow-db', 'tensorboard', 'lightning', 'huggingface', 'keras', 'wandb', 'dvc'];

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED' | 'UNKNOWN';

export type Lifecycle = 'active' | 'deleted';

export type Severity = 'error' | 'warning' | 'info';

/** A located problem with user data. Readers return these instead of throwing. */
export interface Diagnostic {
  file: string;
  /** 1-based line for text files. */
  line?: number;
  /** Byte offset for binary files. */
  offset?: number;
  severity: Severity;
  message: string;
}

/** A folder holding runs of one format, e.g. an `mlruns/` store or a TensorBoard log root. */
export interface Source {
  /** Absolute path of the store root (or the database file). */
  path: string;
  format: Format;
}

export interface Experiment {
  /** Stable across re-indexing: derived from the source and the format's own id. */
  id: string;
  sourcePath: string;
  format: Format;
  /** The format's own id (MLflow experiment id, TensorBoard log root). */
  nativeId: string;
  name: string;
  lifecycle: Lifecycle;
  createdAt?: number;
}

export interface MetricPoint {
  step: number;
  /** Wall time in ms since epoch. */
  time: number;
  value: number;
}

export interface Artifact {
  /** Path relative to the run's artifact root. */
  path: string;
  size: number;
  kind: ArtifactKind;
}

export type ArtifactKind = 'model' | 'checkpoint' | 'image' | 'table' | 'text' | 'pickle' | 'other';

export interface Run {
  /** Stable id: `<format>:<native id>` scoped to its source, unique in the index. */
  id: string;
  experimentId: string;
  format: Format;
  /** The format's own run id (MLflow run uuid, log directory relative path). */
  nativeId: string;
  name: string;
  status: RunStatus;
  lifecycle: Lifecycle;
  startTime?: number;
  endTime?: number;
  user?: string;
  sourceScript?: string;
  gitCommit?: string;
  parentRunId?: string;
  /** Folder (or database file) the run lives in. */
  path: string;
  /**
   * The folder its artifacts' paths are relative to, where that is not the format's own place (the run's
   * `artifacts/` for MLflow's file store, the run folder otherwise): an mlflow.db run's artifact_uri.
   */
  artifactDir?: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  artifacts: Artifact[];
  /** Datasets the run logged as inputs (MLflow's `log_input`), in the order logged; none where absent. */
  datasets?: DatasetInput[];
}

/** A dataset input of a run, as MLflow's run page lists it. */
export interface DatasetInput {
  name: string;
  digest: string;
  /** The input's `mlflow.data.context` tag (`training`, `eval`…), where it has one. */
  context?: string;
  /** The dataset's source as MLflow wrote it (JSON text), and its type (`local`, `http`, `code`…). */
  source?: string;
  sourceType?: string;
}

/** Summary of one metric series as kept in the index. */
export interface SeriesSummary {
  key: string;
  count: number;
  last: number;
  lastStep: number;
  min: number;
  max: number;
}

/** Artifacts the Models view and lineage treat as models: weights, checkpoints, pickles (not Trainer's pickled arguments). */
export function isModelArtifact(a: Pick<Artifact, 'kind' | 'path'>): boolean {
  return a.kind === 'model' || a.kind === 'checkpoint' || (a.kind === 'pickle' && !a.path.endsWith('training_args.bin'));
}

/** A trainer's own state saved beside the weights (Hugging Face, Lightning): not a model. */
export const TRAINING_STATE = /(^|\/)(optimizer|scheduler|scaler|rng_state(_\d+)?)\.(pt|pth|bin)$/;

/**
 * A model file by its name, the one rule of the Models catalog and lineage: weights, checkpoints, pickles —
 * not tokenizer or config JSON beside them, nor a trainer's own state.
 */
export function isModelFile(relPath: string): boolean {
  return isModelArtifact({ kind: artifactKind(relPath), path: relPath }) && !TRAINING_STATE.test(relPath);
}

/** Classify an artifact by its name; never opens the file. */
export function artifactKind(relPath: string): ArtifactKind {
  const name = relPath.toLowerCase();
  const base = name.slice(name.lastIndexOf('/') + 1);
  // Hugging Face pickles its TrainingArguments under a .bin name.
  if (base === 'training_args.bin') return 'pickle';
  if (base === 'mlmodel' || /\.(onnx|safetensors|keras|h5|pb|tflite|pt|pth|bin)$/.test(base)) {
    return /\.(ckpt|pt|pth)$/.test(base) && base.includes('epoch') ? 'checkpoint' : 'model';
  }
  if (base.endsWith('.ckpt')) return 'checkpoint';
  if (/\.(pkl|pickle|joblib)$/.test(base)) return 'pickle';
  if (/\.(png|jpe?g|gif|svg|webp|bmp)$/.test(base)) return 'image';
  if (/\.(csv|tsv|parquet|jsonl)$/.test(base)) return 'table';
  if (/\.(txt|md|json|ya?ml|log|html)$/.test(base)) return 'text';
  return 'other';
}
