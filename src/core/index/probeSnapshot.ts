/**
 * The probe snapshot: every unit's probes laid end to end (listing.ts ProbeSet) in one file beside the
 * index, `<index>.probes`, which a warm pass maps (natively) and checks on other threads while it discovers
 * the units. Read from SQLite instead, the probes came as two Buffers a unit, and their copies into fresh
 * memory (a page fault every 4 KB) and their garbage were a third of the pass.
 *
 * The file is a cache of the index's probes table, never the truth. Triggers (schema migration 9) note each
 * unit whose probes change, in the change's own transaction; the index keeps the token of the file, and
 * the file with the changes noted since always adds up to the table. So a pass uses the file only when it
 * carries that token, and checks the units noted as changed on the probes the index has for them now. At
 * the end of a pass, once the changes are many, the file is written anew with them merged in (a new name
 * renamed over the old, the new token and the notes cleared in the pass's last transaction). A file that
 * is missing, damaged or of another token is not used: the probes are read from the index.
 *
 * The file: a header of 64 bytes — "RLPROBES", the token (16 ASCII bytes), then float64s: the units'
 * count, the bytes of the keys, of the paths and of the seen numbers, and 1234.5 (the byte order) — then
 * the ranges (4 float64s a unit), the seen numbers, the paths, and the keys as a JSON array.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { native } from '../native/native';
import { answersOf, probeSetOf, probesAt, startUnchangedCheck, type ProbeSet } from './listing';
import type { Store } from './store';

const MAGIC = 'RLPROBES';
const HEADER = 64;
const ORDER = 1234.5;

export function probeSnapshotFile(indexFile: string): string {
  return indexFile + '.probes';
}

/** A pass's check of every unit's probes, under way from `start` until `unchanged` is asked. */
export class ProbeCheck {
  private constructor(
    private readonly file: string,
    /** The index's token when the check started. */
    private readonly token: string | undefined,
    /** The units in the file when it held together at the start (undefined: it did not, or there was none). */
    private readonly held: number | undefined,
    private readonly answer: () => Set<string>,
  ) {}

  /**
   * Starts checking the probes of every unit the index has: the file's, with the units changed since it
   * checked on the probes the index has for them now, all read in one transaction.
   */
  static start(store: Store): ProbeCheck {
    const file = probeSnapshotFile(store.file);
    return store.db.transaction(() => {
      const token = store.probeSnapshotToken();
      const changed = store.probesChanged();
      const mod = native();
      if (token && mod?.unchangedStartFile && mod.unchangedJoin) {
        // (Many changes, a quarter of the file's units: its threads are not started, see below.)
        const started = mod.unchangedStartFile(file, token, threads(), 4 * changed.length);
        const keys = started && keysOf(started[1]);
        if (started && keys && changed.length <= keys.length / 4) {
          const now = startUnchangedCheck(probeSetOf(changed.flatMap((key) => withProbes(key, store.unitProbes(key)))));
          const join = mod.unchangedJoin;
          let done: Set<string> | undefined;
          const answer = () => {
            if (done) return done;
            done = answersOf(keys, join(started[0]));
            for (const key of changed) done.delete(key);
            for (const key of now()) done.add(key);
            return done;
          };
          return new ProbeCheck(file, token, keys.length, answer);
        }
        if (started) mod.unchangedJoin(started[0]);
      }
      // Without the module, or many changes: the file read (or the index's probes) and the changes merged.
      const base = token ? readSnapshot(file, token) : undefined;
      const set = base && changed.length === 0 ? base : probeSetOf(merged(base, changed, store));
      return new ProbeCheck(file, token, base?.keys.length, startUnchangedCheck(set));
    })();
  }

  /** The units whose probes are unchanged (waits for the check). */
  unchanged(): Set<string> {
    return this.answer();
  }

  /**
   * Writes the file anew, with every change noted since the last one merged in, where there is none (or
   * it did not hold together) or the changes are many: a few are merged more cheaply at each pass than the
   * file's megabytes are written again. Inside the pass's last transaction, so that no change comes between
   * reading the changes and forgetting them; left as it is where another writer wrote one since the check
   * started (its token is no longer this check's).
   */
  save(store: Store): void {
    if (store.probeSnapshotToken() !== this.token) return;
    const changed = store.probesChanged();
    if (this.held !== undefined && changed.length <= Math.max(MERGED_AT_EACH_PASS, this.held / 16)) return;
    const base = this.held !== undefined && this.token ? readSnapshot(this.file, this.token) : undefined;
    const token = randomBytes(8).toString('hex');
    if (writeSnapshot(this.file, token, merged(base, changed, store))) store.setProbeSnapshotToken(token);
  }
}

/** Changes left noted rather than the file written again, at least (more in a larger index: a sixteenth). */
const MERGED_AT_EACH_PASS = 32;

/** Threads besides the caller's, which joins in when it asks for the answers. */
function threads(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

/** A unit's probes as an entry of probeSetOf, where it has them. */
function withProbes(key: string, probes: [paths: Buffer, seen: Buffer] | undefined): [string, [Buffer, Buffer]][] {
  return probes ? [[key, probes]] : [];
}

function keysOf(json: string): string[] | undefined {
  try {
    const keys: unknown = JSON.parse(json);
    return Array.isArray(keys) && keys.every((k) => typeof k === 'string') ? (keys as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every unit's probes: `base`'s, with those of the units named replaced by what the index has now (none:
 * the unit dropped); the index's own where there is no base, or many changes (faster read as the table).
 */
function merged(base: ProbeSet | undefined, changed: string[], store: Store): [key: string, probes: [paths: Buffer, seen: Buffer]][] {
  if (!base || changed.length > base.keys.length / 4) return [...store.allUnitProbes()];
  const drop = new Set(changed);
  const entries: [string, [Buffer, Buffer]][] = [];
  base.keys.forEach((key, i) => drop.has(key) || entries.push([key, probesAt(base, i)]));
  for (const key of drop) {
    const probes = store.unitProbes(key);
    if (probes) entries.push([key, probes]);
  }
  return entries;
}

/** The snapshot in `file` when it holds together and carries `token`; else undefined. */
export function readSnapshot(file: string, token: string): ProbeSet | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length < HEADER || bytes.toString('latin1', 0, 8) !== MAGIC || bytes.toString('latin1', 8, 24) !== token) return undefined;
  const [count, keysBytes, pathsBytes, seenBytes, order] = [0, 1, 2, 3, 4].map((i) => bytes.readDoubleLE(24 + 8 * i));
  if (order !== ORDER || ![count, keysBytes, pathsBytes, seenBytes].every((n) => Number.isSafeInteger(n) && n >= 0) || seenBytes % 8 !== 0) return undefined;
  if (HEADER + 32 * count + seenBytes + pathsBytes + keysBytes !== bytes.length) return undefined;
  const ranges = new Float64Array(bytes.buffer.slice(bytes.byteOffset + HEADER, bytes.byteOffset + HEADER + 32 * count));
  let [p, s] = [0, 0];
  for (let i = 0; i < ranges.length; i += 4) {
    if (ranges[i] !== p || !(ranges[i + 1] >= p) || ranges[i + 2] !== s || !(ranges[i + 3] >= s)) return undefined;
    [p, s] = [ranges[i + 1], ranges[i + 3]];
  }
  if (p !== pathsBytes || s !== seenBytes) return undefined;
  const seenAt = HEADER + 32 * count;
  const keys = keysOf(bytes.toString('utf8', seenAt + seenBytes + pathsBytes));
  if (!keys || keys.length !== count) return undefined;
  return { keys, ranges, seen: bytes.subarray(seenAt, seenAt + seenBytes), paths: bytes.subarray(seenAt + seenBytes, seenAt + seenBytes + pathsBytes) };
}

/**
 * Writes units' probes to `file` with `token`, each unit's Buffers as they are (no copy laid end to end):
 * to a new name, renamed over the old. False where it could not be.
 */
export function writeSnapshot(file: string, token: string, entries: [key: string, probes: [paths: Buffer, seen: Buffer]][]): boolean {
  const keys = Buffer.from(JSON.stringify(entries.map(([key]) => key)));
  const ranges = new Float64Array(4 * entries.length);
  let [p, s] = [0, 0];
  entries.forEach(([, [paths, seen]], i) => {
    ranges.set([p, (p += paths.length), s, (s += seen.length)], 4 * i);
  });
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, 'latin1');
  header.write(token, 8, 'latin1');
  [entries.length, keys.length, p, s, ORDER].forEach((n, i) => header.writeDoubleLE(n, 24 + 8 * i));
  const parts = [header, Buffer.from(ranges.buffer), ...entries.map(([, [, seen]]) => seen), ...entries.map(([, [paths]]) => paths), keys];
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = fs.openSync(temp, 'w');
    try {
      if (fs.writevSync(fd, parts) !== HEADER + ranges.byteLength + s + p + keys.length) throw new Error('short write');
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
    return true;
  } catch {
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // Left for the next pass to write over.
    }
    return false;
  }
}
