/**
 * The warm pass's probe check, in C (src/core/index/native/probes.c) and in JavaScript: built by
 * `npm install`, and giving the same answer as the statSync loop for every unit of a real workspace, before
 * and after each kind of change a file system can show.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probeFolder, probesForIndex, probesUnchanged, probesUnchangedInJs, statFiles } from '../../src/core/index/listing';
import { nativeProbes, nativeProbesError, nativeProbesPath } from '../../src/core/index/nativeProbes';
import { indexWorkspace } from '../../src/core/index/indexer';
import { copyOf, indexInto, tempDir } from './corpus';

const DEMO = path.resolve(__dirname, '..', '..', '..', 'demo', 'workspace');

describe('the probe check (native and JavaScript)', () => {
  it('is built by npm install and loads', function () {
    if (process.platform === 'win32') this.skip(); // probes.c is POSIX; Windows uses statSync
    assert.ok(nativeProbes(), `native probe check: ${nativeProbesError()}`);
    assert.match(nativeProbesPath()!, /dist[/\\]native[/\\]runlens_probes\.node$/);
  });

  it('answers as the statSync loop for every unit of the demo workspace, before and after each kind of change', function () {
    this.timeout(120_000);
    const native = nativeProbes();
    if (!native) this.skip();
    const ws = copyOf(DEMO);
    const { store, dir } = indexInto([ws]);
    try {
      // Probes as the index keeps them, after a second pass (units read by the first keep none).
      indexWorkspace(store, { roots: [ws] });
      const all = [...store.allUnitProbes()];
      assert.ok(all.length > 40, `${all.length} units with probes`);
      const kinds = new Set(all.flatMap(([, [paths]]) => paths.toString().split('\n').map((l) => l[0])));
      assert.deepEqual([...kinds].sort(), ['D', 'E', 'F'], 'every kind of probe is checked');
      const answers = () => all.map(([key, [paths, seen]]) => {
        const js = probesUnchangedInJs(paths.toString(), seen);
        assert.equal(native.unchanged(paths, seen), js, key);
        assert.equal(probesUnchanged(paths, seen), js, key);
        return js;
      });
      assert.ok(answers().every(Boolean), 'nothing changed yet');

      // Every number each probe saw, one at a time, off by one (and NaN): both see the change. (A probe
      // that saw nothing, -1, keeps zeros after it that are not compared.)
      for (const [key, [paths, seen]] of all.slice(0, 40)) {
        const compared: number[] = [];
        let at = 0;
        for (const line of paths.toString().split('\n')) {
          const width = line[0] === 'F' ? 3 : line[0] === 'D' ? 2 : 1;
          for (let j = 0; j < (seen.readDoubleLE(at * 8) === -1 ? 1 : width); j++) compared.push(at + j);
          at += width;
        }
        assert.equal(at * 8, seen.length, key);
        for (const i of compared) {
          for (const wrong of [seen.readDoubleLE(i * 8) + 1, NaN]) {
            const copy = Buffer.from(seen);
            copy.writeDoubleLE(wrong, i * 8);
            assert.equal(native.unchanged(paths, copy), false, `${key}: number ${i}`);
            assert.equal(probesUnchangedInJs(paths.toString(), copy), false, `${key}: number ${i}`);
          }
        }
        // Unaligned numbers (SQLite's blobs need not start on 8 bytes) read the same.
        const unaligned = Buffer.alloc(seen.length + 1).subarray(1);
        seen.copy(unaligned);
        assert.equal(native.unchanged(paths, unaligned), true, key);
      }

      const probed = (prefix: string) => all.flatMap(([, [paths]]) => paths.toString().split('\n')).filter((l) => l.startsWith(prefix)).map((l) => l.slice(1));
      const fileProbe = probed('F').find((f) => fs.existsSync(f) && f.includes('metrics'))!;
      const folderProbe = probed('D').find((d) => fs.existsSync(d) && fs.readdirSync(d).length > 0 && d.includes('tags'))!;
      const missing = probed('F').find((f) => !fs.existsSync(f))!;
      const entry = probed('E').find((e) => e.startsWith(ws) && !fs.existsSync(e))!;
      assert.ok(fileProbe && folderProbe && missing && entry, 'a file, a folder, a missing file and an entry probed');
      const changes: [string, () => void][] = [
        ['a line appended', () => fs.appendFileSync(fileProbe, '1 2 3\n')],
        ['the mtime alone, to the nanosecond', () => fs.utimesSync(fileProbe, 1_700_000_000.123456, 1_700_000_000.123456789)],
        ['the file replaced by one of the same size and mtime (another inode)', () => {
          const st = fs.statSync(fileProbe);
          const copy = `${fileProbe}.new`;
          fs.copyFileSync(fileProbe, copy);
          fs.renameSync(copy, fileProbe);
          fs.utimesSync(fileProbe, st.atime, st.mtime);
        }],
        ['a file in a folder', () => fs.writeFileSync(path.join(folderProbe, 'new-tag'), 'x')],
        ['a missing file written', () => {
          fs.mkdirSync(path.dirname(missing), { recursive: true });
          fs.writeFileSync(missing, '');
        }],
        ['that file turned into a folder', () => {
          fs.rmSync(missing);
          fs.mkdirSync(missing);
        }],
        ['a folder turned into a file, its files now below a file (ENOTDIR)', () => {
          fs.rmSync(folderProbe, { recursive: true });
          fs.writeFileSync(folderProbe, 'x');
        }],
        ['a file replaced by a link to itself (a loop)', () => {
          fs.rmSync(fileProbe);
          fs.symlinkSync(fileProbe, fileProbe);
        }],
        ['an entry looked for appears (a link to a folder reads as the folder)', () => fs.symlinkSync(ws, entry)],
      ];
      for (const [what, change] of changes) {
        // Record what is there now as the probes' truth: the units re-read by a pass, twice over.
        indexWorkspace(store, { roots: [ws] });
        indexWorkspace(store, { roots: [ws] });
        all.splice(0, all.length, ...store.allUnitProbes());
        assert.ok(answers().every(Boolean), `${what}: before`);
        change();
        const after = answers();
        assert.ok(after.some((unchanged) => !unchanged), `${what}: seen by both`);
      }
      // A path below a file is missing to both, and not an error (Node 20's statSync throws ENOTDIR).
      const below = Buffer.from(`F${path.join(folderProbe, 'x')}\nE${path.join(folderProbe, 'y')}\nD${path.join(folderProbe, 'z')}`);
      const none = Buffer.from(new Float64Array([-1, 0, 0, -1, -1, 0]).buffer);
      assert.equal(probesUnchangedInJs(below.toString(), none), true);
      assert.equal(native.unchanged(below, none), true);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('takes paths as UTF-8 bytes, names in any script', function () {
    const native = nativeProbes();
    if (!native) this.skip();
    const folder = path.join(tempDir(), 'données-実験-✓');
    fs.mkdirSync(folder);
    const file = path.join(folder, 'métrique');
    fs.writeFileSync(file, '1 0.5 0\n');
    const listing = probeFolder(statFiles([file]), folder);
    const [paths, seen] = probesForIndex(listing.probes!);
    assert.equal(native.unchanged(Buffer.from(paths), seen), true);
    assert.equal(probesUnchanged(Buffer.from(paths), seen), true);
    fs.appendFileSync(file, '2 0.25 1\n');
    assert.equal(native.unchanged(Buffer.from(paths), seen), false);
    assert.equal(probesUnchangedInJs(paths, seen), false);
  });
});
