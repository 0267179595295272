/**
 * Links between runs that different formats wrote for one training, made after every indexing pass (they
 * span units, so no single reader can make them):
 *
 * - A Hugging Face Trainer writes `trainer_state.json` into `output_dir/checkpoint-N/` and, with the
 *   TensorBoard integration, event files into `output_dir/runs/<date>_<host>/`. The TensorBoard run becomes
 *   a child of the Trainer run (its `parentRunId`), and the Trainer run, whose state file records no start,
 *   takes its start time from the earliest of its event files.
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
  const setStart = db.prepare('UPDATE runs SET start_time = ? WHERE rid = ?');
  // A Trainer run starts when the earliest of its logs does, whatever order they come in.
  const starts = new Map<number, number>();
  const marker = `${path.sep}runs${path.sep}`;
  let linked = 0;
  for (const tb of tbRuns) {
    let runs: typeof trainers | undefined;
    for (let i = tb.path.lastIndexOf(marker); i > 0 && !runs; i = tb.path.lastIndexOf(marker, i - 1)) runs = byDir.get(tb.path.slice(0, i));
    if (!runs) continue;
    // Several trainings in one output folder: the one whose state was last written nearest the log's end.
    const owner = runs.reduce((best, r) => (Math.abs((r.endTime ?? 0) - (tb.endTime ?? 0)) < Math.abs((best.endTime ?? 0) - (tb.endTime ?? 0)) ? r : best));
    if (tb.parentRunId !== owner.nativeId) setParent.run(owner.nativeId, tb.rid);
    const start = starts.get(owner.rid);
    if (tb.startTime !== null && (start === undefined || tb.startTime < start)) starts.set(owner.rid, tb.startTime);
    linked++;
  }
  // (A Trainer run whose logs are gone has no start: trainer_state.json records none.)
  for (const t of trainers) {
    const start = starts.get(t.rid) ?? null;
    if (start !== t.startTime) setStart.run(start, t.rid);
  }
  return linked;
}
