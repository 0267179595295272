/**
 * Links between runs that different formats wrote for one training, made after every indexing pass (they
 * span units, so no single reader can make them):
 *
 * - A Hugging Face Trainer writes `trainer_state.json` into `output_dir/checkpoint-N/` and, with the
 *   TensorBoard integration, event files into `output_dir/runs/<date>_<host>/`. The TensorBoard run becomes
 *   a child of the Trainer run (its `parentRunId`), and the Trainer run, whose files record no time, takes
 *   its start and end from the earliest and latest records of its event files (without them both are
 *   unknown).
 */
import * as path from 'node:path';
import type { Store } from './store';

export function linkRuns(store: Store): number {
  const db = store.db;
  const trainers = db.prepare("SELECT rid, native_id AS nativeId, path, start_time AS startTime, end_time AS endTime FROM runs WHERE format = 'huggingface'").all() as {
    rid: number;
    nativeId: string;
    path: string;
    startTime: number | null;
    endTime: number | null;
  }[];
  if (trainers.length === 0) return 0;
  const byDir = new Map<string, typeof trainers>();
  for (const t of trainers) {
    let list = byDir.get(t.path);
    if (!list) byDir.set(t.path, (list = []));
    list.push(t);
  }
  // Every TensorBoard run once, matched to the nearest output folder above it whose runs/ holds it: one
  // query, not one per Trainer run (a scan of the runs table each: 1,000 Trainer runs took 0.1 s a pass).
  const tbRuns = db.prepare("SELECT rid, path, parent_run_id AS parentRunId, start_time AS startTime, end_time AS endTime FROM runs WHERE format = 'tensorboard'").all() as {
    rid: number;
    path: string;
    parentRunId: string | null;
    startTime: number | null;
    endTime: number | null;
  }[];
  // Written only when they change: a pass over an unchanged workspace does not rewrite them.
  const setParent = db.prepare('UPDATE runs SET parent_run_id = ? WHERE rid = ?');
  const setTimes = db.prepare('UPDATE runs SET start_time = ?, end_time = ? WHERE rid = ?');
  // A Trainer run starts when the earliest of its logs does and ends with the latest, whatever order they come in.
  const starts = new Map<number, number>();
  const ends = new Map<number, number>();
  // The last step each run logged, to tell which training of a reused output folder wrote a log.
  let lastSteps: Map<number, number> | undefined;
  const lastStep = (rid: number) => {
    lastSteps ??= new Map(
      (db.prepare("SELECT s.rid AS rid, MAX(s.last_step) AS step FROM series s JOIN runs r ON r.rid = s.rid WHERE r.format IN ('huggingface', 'tensorboard') GROUP BY s.rid").all() as { rid: number; step: number | null }[]).map((x) => [x.rid, x.step ?? NaN]),
    );
    return lastSteps.get(rid) ?? NaN;
  };
  const marker = `${path.sep}runs${path.sep}`;
  let linked = 0;
  for (const tb of tbRuns) {
    let runs: typeof trainers | undefined;
    for (let i = tb.path.lastIndexOf(marker); i > 0 && !runs; i = tb.path.lastIndexOf(marker, i - 1)) runs = byDir.get(tb.path.slice(0, i));
    if (!runs) continue;
    // Several trainings in one output folder: the one whose last logged step is nearest the log's (the
    // Trainer logs the same steps to both), the first on a tie.
    const distance = (r: (typeof runs)[number]) => {
      const d = Math.abs(lastStep(r.rid) - lastStep(tb.rid));
      return Number.isNaN(d) ? Infinity : d;
    };
    const owner = runs.length === 1 ? runs[0] : runs.reduce((best, r) => (distance(r) < distance(best) ? r : best));
    if (tb.parentRunId !== owner.nativeId) setParent.run(owner.nativeId, tb.rid);
    const start = starts.get(owner.rid);
    if (tb.startTime !== null && (start === undefined || tb.startTime < start)) starts.set(owner.rid, tb.startTime);
    const end = ends.get(owner.rid);
    if (tb.endTime !== null && (end === undefined || tb.endTime > end)) ends.set(owner.rid, tb.endTime);
    linked++;
  }
  // (A Trainer run whose logs are gone has no times: trainer_state.json records none.)
  for (const t of trainers) {
    const start = starts.get(t.rid) ?? null;
    const end = ends.get(t.rid) ?? null;
    if (start !== t.startTime || end !== t.endTime) setTimes.run(start, end, t.rid);
  }
  return linked;
}
