/**
 * The probe snapshot beside the index (probeSnapshot.ts): after every pass it holds exactly the probes the
 * index has; a pass uses it only with the changes noted since merged in, so a unit the index lost or
 * changed behind its back is read again; a damaged file, or one of another token, is not used; and a
 * warm pass over an unchanged workspace neither reads a unit nor writes the file. Each case runs with the
 * native module (the file mapped, checked on threads) and without it (the file read by JavaScript).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { indexChanged, indexWorkspace } from '../../src/core/index/indexer';
import { probeSetOf, unchangedUnits } from '../../src/core/index/listing';
import { ProbeCheck, probeSnapshotFile, readSnapshot, writeSnapshot } from '../../src/core/index/probeSnapshot';
import { Store } from '../../src/core/index/store';
import { native, withoutNative } from '../../src/core/native/native';
import { copyOf, corpus, indexContents, indexInto, tempDir } from './corpus';

const DEMO = path.resolve(__dirname, '..', '..', '..', 'demo', 'workspace');

/** The index's probes, by unit, as comparable text. */
function tableProbes(store: Store): string[] {
  return [...store.allUnitProbes()].map(([key, [paths, seen]]) => `${key}\n${paths.toString('hex')}\n${seen.toString('hex')}`).sort();
}

/** The snapshot's probes, by unit, as comparable text (undefined: none used). */
function snapshotProbes(store: Store): string[] | undefined {
  const token = store.probeSnapshotToken();
  const set = token ? readSnapshot(probeSnapshotFile(store.file), token) : undefined;
  if (!set) return undefined;
  return set.keys.map((key, i) => {
    const r = set.ranges.subarray(4 * i, 4 * i + 4);
    return `${key}\n${set.paths.subarray(r[0], r[1]).toString('hex')}\n${set.seen.subarray(r[2], r[3]).toString('hex')}`;
  }).sort();
}

/**
 * What the snapshot must hold, written or not: with the changes noted since, the index's probes — every
 * unit not noted has the same probes in both, and a unit in only one of them is noted.
 */
function holds(store: Store, what: string): void {
  const byUnit = (list: string[] | undefined) => new Map((list ?? []).map((t) => [t.slice(0, t.indexOf('\n')), t]));
  const [table, snapshot] = [byUnit(tableProbes(store)), byUnit(snapshotProbes(store))];
  assert.ok(snapshotProbes(store), `${what}: a snapshot there`);
  const noted = new Set(store.probesChanged());
  for (const [unit, probes] of table) if (!noted.has(unit)) assert.equal(snapshot.get(unit), probes, `${what}: ${unit}`);
  for (const unit of snapshot.keys()) if (!table.has(unit)) assert.ok(noted.has(unit), `${what}: ${unit}`);
}

function runIds(store: Store): string[] {
  return (store.db.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as string[]);
}

const modes: [string, <T>(fn: () => T) => T][] = [
  ['native', (fn) => fn()],
  ['without the native module', withoutNative],
];

for (const [mode, run] of modes) {
  describe(`the probe snapshot (${mode})`, () => {
    before(function () {
      if (mode === 'native' && !native()) this.skip();
    });

    it('holds what the index holds after every pass; an unchanged workspace is neither read nor written', () => run(() => {
      const ws = copyOf(DEMO);
      const { store, dir } = indexInto([ws]);
      try {
        const file = probeSnapshotFile(store.file);
        assert.deepEqual(snapshotProbes(store), tableProbes(store), 'after the cold pass');
        assert.equal(store.probesChanged().length, 0);
        indexWorkspace(store, { roots: [ws] }); // units read by the first pass keep their probes from the second
        assert.ok(tableProbes(store).length > 40);
        holds(store, 'after the second pass');
        indexWorkspace(store, { roots: [ws] }); // (a DVC project keeps its probes from the pass after its read)
        holds(store, 'after the third pass');
        const [token, st, noted] = [store.probeSnapshotToken(), fs.statSync(file), store.probesChanged()];
        const again = indexWorkspace(store, { roots: [ws] });
        assert.equal(again.read, 0);
        assert.equal(store.probeSnapshotToken(), token, 'not written again');
        assert.equal(fs.statSync(file).ino, st.ino);
        assert.deepEqual(store.probesChanged(), noted, 'nothing more noted');
        // The mapped file answers as the probes from the index do, for every unit not noted since.
        const mod = native();
        if (mod?.unchangedStartFile) {
          const [check, keys] = mod.unchangedStartFile(file, token!, 2)!;
          const answers = mod.unchangedJoin!(check);
          // A file of fewer units than asked for is not used (no thread started on it); as many, it is.
          const count = (JSON.parse(keys) as string[]).length;
          assert.equal(mod.unchangedStartFile(file, token!, 2, count + 1), undefined);
          const [all] = mod.unchangedStartFile(file, token!, 2, count)!;
          assert.deepEqual(mod.unchangedJoin!(all), answers);
          const fromTable = unchangedUnits(probeSetOf(store.allUnitProbes()));
          assert.equal(fromTable.size, tableProbes(store).length);
          const notNoted = (units: string[]) => units.filter((u) => !noted.includes(u)).sort();
          assert.deepEqual(notNoted((JSON.parse(keys) as string[]).filter((_, i) => answers[i])), notNoted([...fromTable]));
          assert.ok(notNoted([...fromTable]).length > 40);
        }
        // A metric line appended: that unit is read, and noted; the file is not written for one change.
        const [unit, [paths]] = [...store.allUnitProbes()].find(([, [p]]) => p.toString().includes(`${path.sep}metrics${path.sep}`))!;
        const metric = paths.toString().split('\n').find((l) => l.startsWith('F') && l.includes(`${path.sep}metrics${path.sep}`))!.slice(1);
        fs.appendFileSync(metric, '1700000000000 0.5 999\n');
        assert.equal(indexWorkspace(store, { roots: [ws] }).read, 1);
        assert.equal(store.probeSnapshotToken(), token);
        assert.ok(store.probesChanged().includes(unit));
        holds(store, 'after a unit was read again');
        assert.equal(indexWorkspace(store, { roots: [ws] }).read, 0, 'the change noted, the unit is not read again');
        // More changes than are merged at each pass: the file is written anew, with every change in it.
        // (Not the walk's probes, kept with the 'discovery' unit, which every pass writes and none counts as read.)
        const many = [...store.allUnitProbes().keys()].filter((key) => key !== 'discovery').slice(0, 33);
        store.db.transaction(() => many.forEach((key) => store.dropUnit(key)))();
        assert.equal(indexWorkspace(store, { roots: [ws] }).read, 33);
        assert.notEqual(store.probeSnapshotToken(), token);
        assert.deepEqual(snapshotProbes(store), tableProbes(store), 'written anew');
        assert.equal(store.probesChanged().length, 0);
      } finally {
        store.close();
        fs.rmSync(dir, { recursive: true });
      }
    }));

    it('merges in the changes noted since it was written: a unit the index lost behind its back is read again', () => run(() => {
      const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
      const { store, dir } = indexInto([ws]);
      const scratch = indexInto([ws]);
      try {
        // (Two passes each: the second gives probes to the units the first read ahead.)
        indexWorkspace(store, { roots: [ws] });
        indexWorkspace(scratch.store, { roots: [ws] });
        const expected = indexContents(scratch.store);
        assert.deepEqual(indexContents(store), expected);
        const runs = runIds(store);
        assert.ok(runs.length > 5);
        // Another writer (or a live update) drops two run units; their files are as the snapshot saw them.
        const dropped = store.db.prepare("SELECT unit FROM probes WHERE unit LIKE 'mlflow-run:%' AND paths LIKE '%/metrics/%' ORDER BY unit LIMIT 2").pluck().all() as string[];
        const metric = store.unitProbes(dropped[0])![0].toString().split('\n').find((l) => l.startsWith('F') && l.includes('/metrics/'))!.slice(1);
        store.db.transaction(() => dropped.forEach((key) => store.dropUnit(key)))();
        assert.equal(runIds(store).length, runs.length - 2);
        const pass = indexWorkspace(store, { roots: [ws] });
        assert.equal(pass.read, 2, 'the two units, and no other');
        assert.deepEqual(runIds(store), runs);
        assert.deepEqual(indexContents(store), expected);
        holds(store, 'after the lost units were read');

        // A live update between passes: the unit's new probes come from the index, not from the snapshot.
        fs.appendFileSync(metric, '1700000000000 0.5 999\n');
        assert.equal(indexChanged(store, [metric]).read, 1);
        assert.ok(store.probesChanged().includes(dropped[0]));
        const notedBefore = store.probesChanged().length;
        // And again: a unit changed twice is noted once, with its last change.
        fs.appendFileSync(metric, '1700000000100 0.25 1000\n');
        const second = indexChanged(store, [metric]);
        assert.deepEqual([second.read, second.points], [1, 1]);
        assert.equal(store.probesChanged().length, notedBefore);
        assert.equal(store.probesChanged().at(-1), dropped[0], 'its last change the latest');
        assert.equal(indexWorkspace(store, { roots: [ws] }).read, 0, 'the live update is merged in: nothing left to read');
        holds(store, 'after the live updates');
        const fresh = indexInto([ws]);
        indexWorkspace(fresh.store, { roots: [ws] });
        assert.deepEqual(indexContents(store), indexContents(fresh.store));
        fresh.store.close();
        fs.rmSync(fresh.dir, { recursive: true });
      } finally {
        store.close();
        scratch.store.close();
        fs.rmSync(dir, { recursive: true });
        fs.rmSync(scratch.dir, { recursive: true });
      }
    }));

    it('is not used when damaged, missing or of another token; the pass stays exact and writes it anew', () => run(() => {
      const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
      const { store, dir } = indexInto([ws]);
      try {
        indexWorkspace(store, { roots: [ws] });
        const file = probeSnapshotFile(store.file);
        const good = fs.readFileSync(file);
        const token = store.probeSnapshotToken()!;
        const expected = indexContents(store);
        const damages: [string, () => void][] = [
          ['cut short by a byte', () => fs.writeFileSync(file, good.subarray(0, good.length - 1))],
          ['a byte more', () => fs.writeFileSync(file, Buffer.concat([good, Buffer.from([0])]))],
          ['its magic', () => fs.writeFileSync(file, Buffer.concat([Buffer.from('RLPROBEZ'), good.subarray(8)]))],
          ['another token', () => fs.writeFileSync(file, Buffer.concat([good.subarray(0, 8), Buffer.from('0'.repeat(16)), good.subarray(24)]))],
          ['a range out of order', () => {
            const bad = Buffer.from(good);
            bad.writeDoubleLE(bad.readDoubleLE(64 + 8) + 1, 64 + 8); // the first unit's paths end a byte later
            fs.writeFileSync(file, bad);
          }],
          ['the keys not JSON', () => fs.writeFileSync(file, Buffer.concat([good.subarray(0, good.length - 1), Buffer.from('!')]))],
          ['missing', () => fs.rmSync(file)],
          ['a folder', () => {
            fs.rmSync(file);
            fs.mkdirSync(file);
          }],
        ];
        for (const [what, damage] of damages) {
          // Each damage also leaves units changed behind the snapshot's back: they must be read again.
          const dropped = store.db.prepare("SELECT key FROM units WHERE key LIKE 'mlflow-run:%' ORDER BY key LIMIT 1").pluck().get() as string;
          store.db.transaction(() => store.dropUnit(dropped))();
          store.db.prepare('DELETE FROM probes_changed').run(); // as if the damaged file had taken the drop in
          damage();
          assert.equal(readSnapshot(file, token), undefined, what);
          // (Keys that are not JSON are the caller's to find: the module does not parse them.)
          if (native()?.unchangedStartFile && fs.statSync(file, { throwIfNoEntry: false })?.isFile() && !what.includes('JSON')) {
            assert.equal(native()!.unchangedStartFile!(file, token, 2), undefined, what);
          }
          const pass = indexWorkspace(store, { roots: [ws] });
          assert.equal(pass.read, 1, `${what}: the dropped unit read again`);
          assert.deepEqual(indexContents(store), expected, what);
          if (fs.statSync(file).isDirectory()) {
            fs.rmSync(file, { recursive: true });
            indexWorkspace(store, { roots: [ws] });
          }
          assert.deepEqual(snapshotProbes(store), tableProbes(store), `${what}: written anew`);
          assert.equal(store.probesChanged().length, 0);
          fs.writeFileSync(file, good);
          store.db.prepare("UPDATE meta SET value = ? WHERE key = 'probe_snapshot'").run(token);
        }
      } finally {
        store.close();
        fs.rmSync(dir, { recursive: true });
      }
    }));

    it('is left as it is when another writer wrote one since the check began', () => run(() => {
      const ws = copyOf(corpus('mlflow', 'PacktPublishing__Hyperparameter-Tuning-with-Python'));
      const { store, dir } = indexInto([ws]);
      try {
        // This check starts with no file (gone): at its end it would write one from the index's probes.
        const ours = store.probeSnapshotToken();
        fs.rmSync(probeSnapshotFile(store.file));
        const check = ProbeCheck.start(store);
        check.unchanged();
        // Meanwhile another writer's pass, with a unit to read (one it lost), writes a file of its own.
        const other = Store.open(store.file);
        const lost = other.db.prepare("SELECT unit FROM probes WHERE unit LIKE 'mlflow-run:%' ORDER BY unit DESC LIMIT 1").pluck().get() as string;
        other.db.transaction(() => other.dropUnit(lost))();
        assert.equal(indexWorkspace(other, { roots: [ws] }).read, 1);
        const theirs = other.probeSnapshotToken();
        other.close();
        assert.ok(theirs && theirs !== ours);
        assert.deepEqual(snapshotProbes(store), tableProbes(store));
        // A change after theirs, then this check's end: its probes lack what theirs took in: no write.
        const dropped = store.db.prepare("SELECT unit FROM probes WHERE unit LIKE 'mlflow-run:%' ORDER BY unit LIMIT 1").pluck().get() as string;
        store.db.transaction(() => {
          store.dropUnit(dropped);
          check.save(store);
        })();
        assert.equal(store.probeSnapshotToken(), theirs);
        assert.deepEqual(store.probesChanged(), [dropped], 'the change stays noted for the next pass');
        holds(store, 'after both');
      } finally {
        store.close();
        fs.rmSync(dir, { recursive: true });
      }
    }));
  });
}

describe('the probe snapshot file', () => {
  it('is written with each unit\'s Buffers as they are, and read back the same', () => {
    const file = path.join(tempDir(), 'index.sqlite.probes');
    const entries: [string, [Buffer, Buffer]][] = Array.from({ length: 3000 }, (_, i) => [`unit-${i}`, [Buffer.from(`F/x/${i}\nD/y/${i}`), Buffer.from(new Float64Array([i, i + 0.5, 7, 1, 2]).buffer)]]);
    assert.ok(writeSnapshot(file, 'abcdef0123456789', entries));
    const set = readSnapshot(file, 'abcdef0123456789')!;
    assert.deepEqual(set.keys, entries.map(([k]) => k));
    assert.deepEqual(set.keys.map((_, i) => [set.paths.subarray(set.ranges[4 * i], set.ranges[4 * i + 1]).toString(), [...new Float64Array(Uint8Array.prototype.slice.call(set.seen, set.ranges[4 * i + 2], set.ranges[4 * i + 3]).buffer)]]), entries.map(([, [p, s]]) => [p.toString(), [...new Float64Array(Uint8Array.prototype.slice.call(s).buffer)]]));
    assert.equal(readSnapshot(file, 'abcdef012345678a'), undefined);
    assert.ok(!fs.readdirSync(path.dirname(file)).some((f) => f.endsWith('.tmp')));
    // A folder where the file should go: not written, nothing left behind, no throw.
    const blocked = path.join(tempDir(), 'index.sqlite.probes');
    fs.mkdirSync(blocked);
    fs.writeFileSync(path.join(blocked, 'x'), '');
    assert.equal(writeSnapshot(blocked, 'abcdef0123456789', entries), false);
    assert.deepEqual(fs.readdirSync(path.dirname(blocked)), ['index.sqlite.probes']);
  });
});
