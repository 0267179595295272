/**
 * The native module (src/core/native/) against its JavaScript twins: built by `npm install`; the probe check
 * giving the same answer as the statSync loop for every unit of a real workspace, before and after each
 * kind of change a file system can show; folder listings and small files read the same, down to the order,
 * and whole indexes of real workspaces equal row for row.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listMlflowRun, listTree, probeFolder, probesForIndex, probesUnchanged, probesUnchangedInJs, probeSetOf, statFiles, unchangedUnits, type Listing } from '../../src/core/index/listing';
import { native, nativeError, nativePath, withoutNative } from '../../src/core/native/native';
import { indexWorkspace } from '../../src/core/index/indexer';
import { readMlflowRunHeader, listMlflowExperiments, listMlflowRunDirs, type MlflowRunDir } from '../../src/core/formats/mlflow';
import { copyOf, corpus, indexContents, indexInto, tempDir } from './corpus';

const DEMO = path.resolve(__dirname, '..', '..', '..', 'demo', 'workspace');

describe('the native module', () => {
  it('is built by npm install and loads', function () {
    if (process.platform === 'win32') this.skip(); // its C is POSIX; Windows uses Node's fs calls
    assert.ok(native(), `native module: ${nativeError()}`);
    assert.match(nativePath()!, /dist[/\\]native[/\\]runlens_native\.node$/);
  });

  it('can be turned off, in this thread and for the threads it starts', () => {
    withoutNative(() => {
      assert.equal(native(), undefined);
      assert.equal(process.env.RUNLENS_NATIVE, '0');
    });
    if (process.platform !== 'win32') assert.ok(native());
  });
});

describe('the probe check (native and JavaScript)', () => {

  it('answers as the statSync loop for every unit of the demo workspace, before and after each kind of change', function () {
    this.timeout(120_000);
    const mod = native();
    if (!mod) this.skip();
    const ws = copyOf(DEMO);
    const { store, dir } = indexInto([ws]);
    try {
      // Probes as the index keeps them, after a second pass (units read by the first keep none).
      indexWorkspace(store, { roots: [ws] });
      const all = [...store.allUnitProbes()];
      assert.ok(all.length > 40, `${all.length} units with probes`);
      const kinds = new Set(all.flatMap(([, [paths]]) => paths.toString().split('\n').map((l) => l[0])));
      assert.deepEqual([...kinds].sort(), ['D', 'E', 'F'], 'every kind of probe is checked');
      const answers = () => {
        const each = all.map(([key, [paths, seen]]) => {
          const js = probesUnchangedInJs(paths.toString(), seen);
          assert.equal(mod.unchanged(paths, seen), js, key);
          assert.equal(probesUnchanged(paths, seen), js, key);
          return js;
        });
        // All units at once, shared out to threads, answer the same, unit by unit.
        const together = unchangedUnits(probeSetOf(all));
        assert.deepEqual(all.map(([key]) => together.has(key)), each);
        return each;
      };
      assert.ok(answers().every(Boolean), 'nothing changed yet');
      // A range outside its buffer is the caller's mistake: thrown, not answered.
      const all2 = (paths: Buffer, seen: Buffer, ranges: number[]) => mod.unchangedJoin!(mod.unchangedStart!(paths, seen, new Float64Array(ranges), 2));
      assert.throws(() => all2(Buffer.from('Fx'), Buffer.alloc(24), [0, 3, 0, 24]), TypeError);
      assert.throws(() => all2(Buffer.from('Fx'), Buffer.alloc(24), [0, 2, 8, 0]), TypeError);
      assert.deepEqual([...all2(Buffer.from('Fx'), Buffer.alloc(24), [0, 2, 0, 16, 0, 2, 0, 24])], [0, 0]);
      // A check's answers are taken once; one dropped unjoined ends its threads when collected.
      const check = mod.unchangedStart!(Buffer.from('Fx'), Buffer.alloc(24), new Float64Array([0, 2, 0, 24]), 2);
      assert.deepEqual([...mod.unchangedJoin!(check)], [0]);
      assert.throws(() => mod.unchangedJoin!(check), TypeError);

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
            assert.equal(mod.unchanged(paths, copy), false, `${key}: number ${i}`);
            assert.equal(probesUnchangedInJs(paths.toString(), copy), false, `${key}: number ${i}`);
          }
        }
        // Unaligned numbers (SQLite's blobs need not start on 8 bytes) read the same.
        const unaligned = Buffer.alloc(seen.length + 1).subarray(1);
        seen.copy(unaligned);
        assert.equal(mod.unchanged(paths, unaligned), true, key);
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
      assert.equal(mod.unchanged(below, none), true);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('takes paths as UTF-8 bytes, names in any script', function () {
    const mod = native();
    if (!mod) this.skip();
    const folder = path.join(tempDir(), 'données-実験-✓');
    fs.mkdirSync(folder);
    const file = path.join(folder, 'métrique');
    fs.writeFileSync(file, '1 0.5 0\n');
    const listing = probeFolder(statFiles([file]), folder);
    const [paths, seen] = probesForIndex(listing.probes!);
    assert.equal(mod.unchanged(Buffer.from(paths), seen), true);
    assert.equal(probesUnchanged(Buffer.from(paths), seen), true);
    fs.appendFileSync(file, '2 0.25 1\n');
    assert.equal(mod.unchanged(Buffer.from(paths), seen), false);
    assert.equal(probesUnchangedInJs(paths, seen), false);
  });
});

/** A listing as text, keys in their order (the order is the index's: series are numbered in it). */
const text = (l: Listing) => JSON.stringify(l);

/** The MLflow runs of the corpus's file stores. */
function corpusRuns(): MlflowRunDir[] {
  const stores: string[] = [];
  const find = (dir: string, depth: number): void => {
    if (depth > 4) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name === 'mlruns') stores.push(path.join(dir, e.name));
      else find(path.join(dir, e.name), depth + 1);
    }
  };
  find(corpus('mlflow'), 0);
  return stores.flatMap((store) => listMlflowExperiments(store).flatMap((exp) => listMlflowRunDirs(exp)));
}

describe('folder listings and small files (native and JavaScript)', () => {
  before(function () {
    if (!native()) this.skip();
  });

  it('list a tree as readdirSync and statSync do: order, depth and file limits, links, odd names', () => {
    const root = tempDir();
    const tree = path.join(root, 'run');
    const files = ['b', 'B', 'a', '10', '9', 'Z-last', 'données', '実験', 'é', 'e\u0301', 'sp ace', 'deep/1/2/3/4/x', 'deep/1/y', 'dir/a', 'dir/b', 'empty/.keep'];
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
      fs.writeFileSync(path.join(tree, f), f);
    }
    fs.mkdirSync(path.join(tree, 'nothing'));
    fs.symlinkSync(path.join(tree, 'a'), path.join(tree, 'link-to-file'));
    fs.symlinkSync(path.join(tree, 'dir'), path.join(tree, 'link-to-dir'));
    fs.symlinkSync(path.join(tree, 'loop'), path.join(tree, 'loop'));
    fs.symlinkSync(path.join(tree, 'gone'), path.join(tree, 'dangling'));
    const cases: [string, number, number][] = [
      [tree, 12, Infinity],
      [tree + path.sep, 12, Infinity],
      [tree, 0, Infinity],
      [tree, 2, Infinity],
      [tree, 12, 0],
      [tree, 12, 1],
      [tree, 12, 7],
      [path.join(tree, 'a'), 12, Infinity], // a file, not a folder
      [path.join(tree, 'missing'), 12, Infinity],
      [path.join(tree, 'a', 'below-a-file'), 12, Infinity],
      [path.join(tree, 'link-to-dir'), 12, Infinity], // the root itself is followed, as statSync does
    ];
    for (const [dir, depth, max] of cases) {
      for (const reuse of ['fingerprints', 'names'] as const) {
        const list = () => {
          const out = statFiles([]);
          listTree(dir, depth, out, undefined, reuse, max);
          return out;
        };
        const js = withoutNative(list);
        assert.equal(text(list()), text(js), `${dir} depth ${depth} at most ${max} files (${reuse})`);
        if (dir === tree && depth === 12 && max === Infinity) {
          // The case is not empty: every file, in libuv's byte order, no link followed.
          const names = Object.keys(js.files).map((f) => path.relative(tree, f));
          assert.deepEqual(names, [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
          assert.equal(names.length, files.length);
          assert.ok(!names.some((n) => n.startsWith('link') || n === 'loop' || n === 'dangling'));
        }
      }
    }
    // The native walk itself saw what the JavaScript one did (and was used: it gave an answer).
    assert.ok(native()!.walk(tree, 12, Infinity));
    // walkRead lists the same, and gives each file's bytes as readFileSync does (the empty file too) while
    // they stay within its budget of bytes.
    // walkRead (an MLflow run's params, tags, metrics, whose links are followed as MLflow follows them)
    // declines a folder with a link, for JavaScript to judge it; without the links it lists as walk does.
    assert.equal(native()!.walkRead(tree, 12, Infinity, Infinity), undefined);
    for (const l of ['link-to-file', 'link-to-dir', 'loop', 'dangling']) fs.unlinkSync(path.join(tree, l));
    fs.writeFileSync(path.join(tree, 'zero'), '');
    for (const [dir, depth, max] of cases) {
      const walked = native()!.walk(dir, depth, max)!;
      for (const budget of [Infinity, 12]) {
        const [paths, numbers, bytes, ends] = native()!.walkRead(dir, depth, max, budget)!;
        assert.equal(paths, walked[0], dir);
        assert.deepEqual(numbers, walked[1], dir);
        const entries = paths.split('\0').slice(0, -1);
        assert.equal(ends.length, entries.length);
        let from = 0;
        let skipped = 0;
        entries.forEach((p, i) => {
          const isFile = numbers[4 * i] === 3;
          if (isFile && ends[i] < 0 && from + numbers[4 * i + 1] > budget) return void skipped++;
          assert.equal(ends[i] >= 0, isFile, p);
          if (!isFile) return;
          assert.deepEqual(bytes.subarray(from, ends[i]), fs.readFileSync(p), p);
          from = ends[i];
        });
        assert.ok(bytes.length <= budget);
        if (dir === tree && max === Infinity && depth === 12) assert.ok(entries.includes(path.join(tree, 'zero')) && (budget === Infinity ? skipped === 0 && bytes.length > 0 : skipped > 0));
        // Read into the caller's Buffer from `at`: the same bytes there, the ends offsets in it, what comes
        // before `at` untouched; a Buffer too small for them gives them in a Buffer of their own, from 0.
        for (const room of [bytes.length + 100, bytes.length + 6, bytes.length + 5]) {
          const into = Buffer.alloc(room, 0xee);
          const [p2, n2, b2, e2] = native()!.walkRead(dir, depth, max, budget, into, 7)!;
          assert.equal(p2, paths);
          assert.deepEqual(n2, numbers);
          const fits = room >= bytes.length + 7;
          assert.equal(b2 === into, fits, `${dir}: ${bytes.length} bytes in ${room} from 7`);
          const shift = fits ? 7 : 0;
          assert.deepEqual([...e2], [...ends].map((e) => (e < 0 ? e : e + shift)));
          assert.deepEqual(b2.subarray(shift, shift + bytes.length), bytes);
          if (fits) assert.deepEqual(into.subarray(0, 7), Buffer.alloc(7, 0xee));
          else assert.equal(b2.length, bytes.length);
        }
      }
    }
    fs.rmSync(root, { recursive: true });
  });

  it('leave to JavaScript a name that is not UTF-8, and list it as readdirSync does', function () {
    if (process.platform !== 'linux') this.skip(); // macOS file systems refuse such names
    const root = tempDir();
    const tree = path.join(root, 'run');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'ok'), 'x');
    // A name made of bytes that are not UTF-8 (Node can create it from a Buffer path).
    fs.writeFileSync(Buffer.concat([Buffer.from(tree + path.sep), Buffer.from([0x66, 0xff, 0x6f])]), 'y');
    assert.equal(native()!.walk(tree, 12, Infinity), undefined, 'declined');
    const list = () => {
      const out = statFiles([]);
      listTree(tree, 12, out, undefined, 'names');
      return out;
    };
    assert.equal(text(list()), text(withoutNative(list)));
    assert.ok(text(list()).includes('\ufffd'), 'the name decoded with a replacement character');
    fs.rmSync(root, { recursive: true });
  });

  it('read MLflow runs of the corpus the same: listing, header, params and tags', () => {
    let runs = 0;
    for (const rd of corpusRuns()) {
      const read = () => {
        const listing = listMlflowRun(rd.dir, undefined);
        return { listing, header: readMlflowRunHeader(rd, listing.files) };
      };
      const js = withoutNative(read);
      const fast = read();
      assert.equal(text(fast.listing), text(js.listing), rd.dir);
      assert.equal(JSON.stringify(fast.header), JSON.stringify(js.header), rd.dir);
      runs++;
    }
    assert.ok(runs > 100, `${runs} runs compared`);
  });

  it('say why a small file listed and then gone could not be read, as Node does', () => {
    const paramsOf = (l: Listing) => Object.keys(l.files).filter((f) => f.includes(`${path.sep}params${path.sep}`));
    const found = corpusRuns().find((r) => paramsOf(listMlflowRun(r.dir, undefined)).length > 2)!;
    assert.ok(found, 'a run with params');
    const mlruns = path.join(tempDir(), 'mlruns');
    fs.cpSync(found.experiment.dir, path.join(mlruns, path.basename(found.experiment.dir)), { recursive: true });
    const rd = listMlflowExperiments(mlruns).flatMap((e) => listMlflowRunDirs(e)).find((r) => r.runId === found.runId)!;
    const listing = listMlflowRun(rd.dir, undefined);
    const params = paramsOf(listing);
    fs.rmSync(params[1]);
    const fast = readMlflowRunHeader(rd, listing.files);
    const js = withoutNative(() => readMlflowRunHeader(rd, listing.files));
    assert.equal(JSON.stringify(fast), JSON.stringify(js));
    assert.ok(fast.diagnostics.some((d) => d.file === params[1] && /^cannot read: ENOENT/.test(d.message)), JSON.stringify(fast.diagnostics));
    assert.equal(Object.keys(fast.run.params).length, params.length - 1);
    fs.rmSync(path.dirname(mlruns), { recursive: true });
  });

  it('index the demo workspace and the MLflow corpus into the same rows, read-ahead threads included', function () {
    this.timeout(300_000);
    const roots = [DEMO, corpus('mlflow')];
    const fast = indexInto(roots);
    const js = withoutNative(() => indexInto(roots));
    try {
      assert.ok(fast.summary.readAhead, 'the read-ahead threads ran');
      assert.ok(fast.summary.units > 100 && fast.summary.read === fast.summary.units);
      const [a, b] = [indexContents(fast.store), indexContents(js.store)];
      assert.deepEqual(Object.keys(a), Object.keys(b));
      assert.ok(Object.keys(a).length > 400, `${Object.keys(a).length} runs and tables`);
      for (const t of Object.keys(a)) assert.ok(a[t] === b[t], `${t} differs`);
      assert.ok(a.units.length > 100_000, 'unit states compared');
    } finally {
      for (const { store, dir } of [fast, js]) {
        store.close();
        fs.rmSync(dir, { recursive: true });
      }
    }
  });
});
