/**
 * A run's status as a user means it. Several formats record none (TensorBoard, Lightning without a final
 * checkpoint, Keras CSVs): a run whose files were written moments ago is training, so it is RUNNING; one
 * recorded RUNNING that has written nothing for a long while may have died, but only its own logger can
 * say so, and we leave it as recorded.
 */
import type { RunStatus } from '../model';

/** How recently a run without a recorded status must have written to count as running. */
export const LIVE_WINDOW_MS = 120_000;

/**
 * `taskExitCode`: the exit code of the Runlens task that made the run, when known. A task that failed
 * leaves a run its logger could not close (still RUNNING, or no status): that run failed.
 */
export function effectiveStatus(run: { status: RunStatus; endTime: number | null | undefined }, now = Date.now(), taskExitCode?: number): RunStatus {
  if (taskExitCode !== undefined && taskExitCode !== 0 && run.status !== 'KILLED') return 'FAILED';
  if (run.status !== 'UNKNOWN' || !run.endTime) return run.status;
  return now - run.endTime <= LIVE_WINDOW_MS ? 'RUNNING' : 'UNKNOWN';
}
