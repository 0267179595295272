/**
 * A TensorBoard log directory as one run, in the parts its unit (units.ts) and the read-ahead threads
 * (readAheadRuns.ts) share: the listing, the artifacts beside the event files, and the sink that folds
 * the events into the run's params, status and times.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Artifact, RunStatus } from '../model';
import { artifactKind } from '../model';
import { walkFiles } from '../formats/mlflow';
import { EVENT_FILE_RE, type EventSink, type TagKinds } from '../formats/tensorboard';
import { probeFolder, statFiles, type Listing } from './listing';

/** What a TensorBoard run's unit keeps between passes besides file offsets. */
export interface TensorboardExtra {
  kinds: TagKinds;
  params: Record<string, string>;
  status: RunStatus;
  startTime?: number;
  endTime?: number;
}

export function newTensorboardExtra(): TensorboardExtra {
  return { kinds: {}, params: {}, status: 'UNKNOWN' };
}

/** The event files of log directory `dir`, sorted. */
export function tensorboardEventFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && EVENT_FILE_RE.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** The unit's listing: its event files, and the folder, whose mtime stands for new ones. */
export function listTensorboardRun(dir: string): Listing {
  try {
    return probeFolder(statFiles(tensorboardEventFiles(dir)), dir);
  } catch {
    return { files: {}, dirs: {} };
  }
}

/** The files beside the event files (checkpoints, configs), up to 2,000. */
export function tensorboardArtifacts(dir: string): Artifact[] {
  const artifacts: Artifact[] = [];
  walkFiles(dir, 4, (f, rel, size) => {
    if (!EVENT_FILE_RE.test(path.basename(f)) && artifacts.length < 2000) artifacts.push({ path: rel, size, kind: artifactKind(rel) });
  });
  return artifacts;
}

/** A sink for readEventFile: the run's params, status and times go into `extra`, scalars to `scalar`. */
export function tensorboardSink(extra: TensorboardExtra, scalar: EventSink['scalar']): EventSink {
  return {
    scalar,
    param(k: string, v: string) {
      extra.params[k] = v;
    },
    status(s: RunStatus, t: number | undefined) {
      extra.status = s;
      if (t !== undefined) extra.endTime = t;
    },
    wallTime(t: number) {
      if (t > 0) {
        if (extra.startTime === undefined || t < extra.startTime) extra.startTime = t;
        if (extra.endTime === undefined || t > extra.endTime) extra.endTime = t;
      }
    },
  };
}

/**
 * True when a log directory's records logged nothing: no record past a file_version (no wall time), no
 * series, param or status. Such a directory is not a run.
 */
export function tensorboardRunIsEmpty(extra: TensorboardExtra, seriesCount: number): boolean {
  return extra.startTime === undefined && seriesCount === 0 && Object.keys(extra.params).length === 0 && extra.status === 'UNKNOWN';
}
