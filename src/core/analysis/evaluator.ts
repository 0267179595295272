/**
 * Evaluation off the caller's thread: a worker thread reads and evaluates a prediction table, so a
 * million-row file never blocks the extension host. `evaluateInWorker` runs the bundled worker script.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Evaluation, EvaluationDelta } from './evaluation';
import { compareReports, evaluateConfusion, evaluateSource } from './evaluation';
import type { ColumnMapping } from './predictions';
import { openPredictionTable, readLoggedConfusion } from './predictions';
import type { Diagnostic } from '../model';
import type { Task } from './regression';

export interface EvaluateRequest {
  file: string;
  mapping?: ColumnMapping;
  maxErrors?: number;
  /** Another prediction table of the same task to compare with (its columns recognised on their own). */
  baseline?: string;
  /** The task, when the user names it; else recognised from the labels. */
  task?: Task;
}

export interface EvaluateResult {
  evaluation?: Evaluation;
  columns: string[];
  mapping: ColumnMapping;
  diagnostics: Diagnostic[];
  error?: string;
  baseline?: { file: string; error?: string };
  delta?: EvaluationDelta;
}

export function evaluateFile(req: EvaluateRequest): EvaluateResult {
  const logged = readLoggedConfusion(req.file);
  if (logged) return { columns: [], mapping: {}, diagnostics: [], evaluation: evaluateConfusion(req.file, logged.labels, logged.matrix) };
  const source = openPredictionTable(req.file, req.mapping ?? {});
  // Read after streaming: malformed rows add their diagnostics as the rows go by.
  const base = () => ({ columns: source.columns, mapping: source.mapping, diagnostics: source.diagnostics.slice(0, 200) });
  let evaluation: Evaluation;
  try {
    evaluation = evaluateSource(source, { maxErrors: req.maxErrors ?? 5000, task: req.task });
  } catch (e) {
    return { ...base(), error: (e as Error).message };
  }
  if (!req.baseline) return { ...base(), evaluation };
  try {
    const other = evaluateSource(openPredictionTable(req.baseline), { maxErrors: 0, task: evaluation.task });
    // Confusion matrices side by side are a classification's; a regression is compared by its metrics.
    if (!other.report || !evaluation.report) return { ...base(), evaluation, baseline: { file: req.baseline, error: 'comparing two tables is for classifications; a regression is compared by its metrics' } };
    return { ...base(), evaluation, baseline: { file: req.baseline }, delta: compareReports(other.report, evaluation.report) };
  } catch (e) {
    return { ...base(), evaluation, baseline: { file: req.baseline, error: (e as Error).message } };
  }
}

/** Evaluates in a worker thread running `script` (this module, bundled); rejects if the worker dies. */
export function evaluateInWorker(script: string, req: EvaluateRequest): Promise<EvaluateResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: req });
    worker.once('message', (m: EvaluateResult) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`the evaluation worker exited with code ${code}`)));
  });
}

if (!isMainThread && parentPort && (workerData as EvaluateRequest | undefined)?.file) {
  parentPort.postMessage(evaluateFile(workerData as EvaluateRequest));
}
