import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from '../../src/core/formats/crc32';
import { readWandbLog } from '../../src/core/formats/wandbLog';
import { indexChanged, indexWorkspace } from '../../src/core/index/indexer';
import type { Store } from '../../src/core/index/store';
import { corpus, indexInto, tempDir } from './corpus';

const ANN = corpus('wandb', 'Aameer__ANN');

describe('W&B offline runs (JSON files)', () => {
  it('reads every run: history points per key, config params, git commit and state from the files', () => {
    const { store, dir } = indexInto([ANN]);
    const runs = store.queryRuns({ sql: "r.format = 'wandb'", params: [] }, { sql: '', params: [] });
    const runDirs = fs.readdirSync(path.join(ANN, 'wandb')).filter((d) => d.startsWith('run-'));
    assert.equal(runs.length, runDirs.length);
    for (const d of runDirs) {
      const full = path.join(ANN, 'wandb', d);
      const run = runs.find((r) => r.path === full)!;
      const expected = new Map<string, number>();
      for (const line of fs.readFileSync(path.join(full, 'wandb-history.jsonl'), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        for (const [k, v] of Object.entries(JSON.parse(line))) if (!k.startsWith('_') && typeof v === 'number') expected.set(k, (expected.get(k) ?? 0) + 1);
      }
      const got = new Map(store.seriesSummaries(run.rid).map((s) => [s.key, s.count]));
      for (const [k, n] of expected) assert.equal(got.get(k), n, `${d} ${k}`);
      const meta = JSON.parse(fs.readFileSync(path.join(full, 'wandb-metadata.json'), 'utf8'));
      assert.equal(run.gitCommit, meta.git.commit);
      assert.equal(run.sourceScript, meta.program);
      assert.equal(run.status, meta.state === 'finished' ? 'FINISHED' : 'RUNNING');
    }
    const withConfig = runs.find((r) => r.nativeId === 'pgmkjezb')!;
    assert.equal(store.params(withConfig.rid).epochs, '10');
    assert.equal(store.params(withConfig.rid).optimizer, 'adam');
    store.close();
    fs.rmSync(dir, { recursive: true });
  });
});

/** Writes a transaction log the way W&B's datastore does (header, 32 KiB blocks, CRC-32 per record). */
function writeWandbLog(file: string, records: Buffer[]): number[] {
  const BLOCK = 32768;
  const parts: Buffer[] = [Buffer.from(':W&B', 'latin1'), Buffer.from([0xe1, 0xbe, 0])];
  let pos = 7;
  const starts: number[] = [];
  const put = (type: number, data: Buffer) => {
    const h = Buffer.alloc(7);
    h.writeUInt32LE(crc32(data, crc32(Uint8Array.of(type))), 0);
    h.writeUInt16LE(data.length, 4);
    h[6] = type;
    parts.push(h, data);
    pos += 7 + data.length;
  };
  for (const rec of records) {
    starts.push(pos);
    let rest = rec;
    let first = true;
    for (;;) {
      let left = BLOCK - (pos % BLOCK);
      if (left < 7) {
        parts.push(Buffer.alloc(left));
        pos += left;
        left = BLOCK;
      }
      const room = left - 7;
      if (rest.length <= room) {
        put(first ? 1 : 4, rest);
        break;
      }
      put(first ? 2 : 3, rest.subarray(0, room));
      rest = rest.subarray(room);
      first = false;
    }
  }
  fs.writeFileSync(file, Buffer.concat(parts));
  return starts;
}

const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
};
const len = (field: number, body: Buffer) => Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);
const str = (field: number, s: string) => len(field, Buffer.from(s, 'utf8'));
const item = (key: string, json: string) => Buffer.concat([str(1, key), str(16, json)]);
const history = (step: number, values: Record<string, number>) =>
  len(2, Buffer.concat([...Object.entries(values).map(([k, v]) => len(1, item(k, JSON.stringify(v)))), len(2, Buffer.concat([varint(1 << 3), varint(step)]))]));

describe('W&B binary transaction log (.wandb)', () => {
  it('decodes history, summary and config records across block boundaries and checks each CRC', () => {
    const dir = tempDir();
    const file = path.join(dir, 'run-abc123.wandb');
    const records: Buffer[] = [len(17, Buffer.concat([str(1, 'abc123'), str(8, 'brisk-sun-7'), len(21, str(2, 'deadbeef'))]))];
    records.push(len(5, len(1, item('lr', '{"value": 0.001}'))));
    for (let s = 0; s < 3000; s++) records.push(history(s, { loss: 1 / (s + 1), acc: s / 3000 }));
    records.push(len(3, len(1, item('test_acc', '0.93'))));
    records.push(len(2, Buffer.concat([len(1, Buffer.concat([str(1, 'big'), str(16, JSON.stringify('x'.repeat(70000)))]))]))); // spans blocks
    writeWandbLog(file, records);
    const log = readWandbLog(file);
    assert.deepEqual(log.diagnostics, []);
    assert.equal(log.history.length, 3001);
    assert.deepEqual({ ...log.history[2], values: { ...log.history[2].values } }, { step: 2, values: { loss: 1 / 3, acc: 2 / 3000 } });
    assert.equal(log.summary.test_acc, 0.93);
    assert.equal(log.config.lr, '0.001');
    assert.deepEqual(log.run, { runId: 'abc123', displayName: 'brisk-sun-7', gitCommit: 'deadbeef' });
    fs.rmSync(dir, { recursive: true });
  });

  it('keeps the records before a cut and reports a damaged one at its offset', () => {
    const dir = tempDir();
    const file = path.join(dir, 'run-abc123.wandb');
    const records = Array.from({ length: 50 }, (_, s) => history(s, { loss: s }));
    const starts = writeWandbLog(file, records);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, starts[40] + 10));
    const cut = readWandbLog(file);
    assert.equal(cut.history.length, 40);
    assert.equal(cut.diagnostics[0].offset, starts[40]);
    bytes[starts[10] + 9] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const bad = readWandbLog(file);
    assert.equal(bad.history.length, 49);
    assert.equal(bad.diagnostics[0].offset, starts[10]);
    assert.match(bad.diagnostics[0].message, /CRC-32/);
    fs.rmSync(dir, { recursive: true });
  });

  it('is read from the last whole record when it grows (cuts inside records and across blocks), equal to an index from scratch', () => {
    const ws = tempDir();
    const runDir = path.join(ws, 'wandb', 'offline-run-20240102_030405-abc123');
    fs.mkdirSync(path.join(runDir, 'files'), { recursive: true });
    const full = path.join(tempDir(), 'run-abc123.wandb');
    const records: Buffer[] = [len(17, Buffer.concat([str(1, 'abc123'), str(8, 'brisk-sun-7')])), len(5, len(1, item('lr', '{"value": 0.001}')))];
    for (let s = 0; s < 2500; s++) records.push(history(s, { loss: 1 / (s + 1) }));
    records.push(len(3, len(1, item('test_acc', '0.93'))));
    records.push(len(2, Buffer.concat([len(1, Buffer.concat([str(1, 'big'), str(16, JSON.stringify('x'.repeat(70000)))]))])));
    for (let s = 2500; s < 3000; s++) records.push(history(s, { loss: 1 / (s + 1) }));
    const starts = writeWandbLog(full, records);
    const bytes = fs.readFileSync(full);
    const log = path.join(runDir, 'run-abc123.wandb');
    // Cuts: inside a record, in the middle of the record that spans blocks, and the end.
    const cuts = [starts[1200] + 5, starts[2503] + 40000, bytes.length];
    fs.writeFileSync(log, bytes.subarray(0, cuts[0]));
    const snap = (store: Store) => {
      const [run] = store.queryRuns({ sql: "r.format = 'wandb'", params: [] }, { sql: '', params: [] });
      return { params: store.params(run.rid), series: store.seriesSummaries(run.rid).map((s) => ({ ...s, points: store.seriesPoints(run.rid, s.key) })) };
    };
    const { store } = indexInto([ws]);
    try {
      for (let i = 1; i < cuts.length; i++) {
        fs.appendFileSync(log, bytes.subarray(cuts[i - 1], cuts[i]));
        const pass = indexWorkspace(store, { roots: [ws] });
        assert.deepEqual([pass.read, pass.appended], [1, 1], `pass ${i}`);
        const scratch = indexInto([ws]);
        assert.deepEqual(snap(store), snap(scratch.store), `pass ${i}`);
        scratch.store.close();
      }
      const s = snap(store);
      assert.equal(s.series.find((x) => x.key === 'loss')!.points.length, 3000);
      assert.deepEqual(s.series.find((x) => x.key === 'test_acc')!.points.map((p) => [p.step, p.value]), [[2999, 0.93]], 'a summary value at the last step');
      assert.equal(s.params.lr, '0.001');
    } finally {
      store.close();
    }
  });

  it('is used for history when a run folder has no JSONL', () => {
    const ws = tempDir();
    const runDir = path.join(ws, 'wandb', 'offline-run-20240102_030405-abc123');
    fs.mkdirSync(path.join(runDir, 'files'), { recursive: true });
    writeWandbLog(path.join(runDir, 'run-abc123.wandb'), [history(0, { loss: 2 }), history(1, { loss: 1 })]);
    const { store, dir } = indexInto([ws]);
    const [run] = store.queryRuns({ sql: "r.format = 'wandb'", params: [] }, { sql: '', params: [] });
    assert.deepEqual(store.seriesPoints(run.rid, 'loss').map((p) => [p.step, p.value]), [[0, 2], [1, 1]]);
    // The folder's name holds a local time in no known zone, and no record holds a time: unknown.
    assert.equal(run.startTime, null);
    assert.equal(run.status, 'UNKNOWN', 'no exit record: not known to have ended');
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});

const runRecord = (id: string, project: string, startSecs: number, name?: string) =>
  len(17, Buffer.concat([str(1, id), str(3, project), ...(name ? [str(8, name)] : []), len(17, Buffer.concat([varint(1 << 3), varint(startSecs)]))]));
/** RunExitRecord as current SDKs write it: a 0 exit code (and a 0 runtime) left out. */
const exitRecord = (code: number, runtime: number) => len(18, Buffer.concat([...(code ? [varint(1 << 3), varint(code)] : []), ...(runtime ? [varint(2 << 3), varint(runtime)] : [])]));
const wandbRuns = (store: Store) => store.queryRuns({ sql: "r.format = 'wandb'", params: [] }, { sql: '', params: [] });

describe('W&B status and times (SDK 0.21 logs)', () => {
  const ROOT = corpus('wandb', '0Chris5R__StanfordCS336-Own-Transformer');
  // Read with python3 from each run-<id>.wandb (Record field 18, RunExitRecord exit_code = 1): code 1 …
  const CODE_1 = 'bm15x271 ccf1ycbo lho82d58 dz6l331x ucu58y1x 5tz3adw2 100qbxh9 2dxbmta4 sm7wnrlx k7au6jfl 4s1rf4ay sda2sjs1 1yb8h9x2 zmoacmcp dn2qp8n3 2bpqs5aq i4yi0h2m fk8ilx1g lv3os0z6'.split(' ');
  // … 255 (one xinacahi folder has no code: 0) …
  const CODE_255 = 'ly5ll9sf a5sov16l xinacahi'.split(' ');
  // … no exit record: an empty .wandb (4) or none (2).
  const NO_EXIT = 'qnw4jb71 ij8zr2xy 28cs9qxa ub1w8zxh fmsl5061 vozme5n2'.split(' ');

  it('says FINISHED for an exit record without a code, FAILED for 1 and 255, and ends the runtime after the start', () => {
    const { store, dir } = indexInto([ROOT]);
    const runs = wandbRuns(store);
    const folders = fs.readdirSync(path.join(ROOT, 'wandb')).filter((d) => d.startsWith('run-'));
    assert.equal(folders.length, 72);
    // xinacahi's three folders are two runs (two projects); every other run id once.
    assert.equal(runs.length, 71);
    assert.equal(new Set(runs.map((r) => r.id)).size, 71);
    for (const r of runs) {
      const expected = NO_EXIT.includes(r.nativeId) ? 'UNKNOWN' : CODE_1.includes(r.nativeId) || CODE_255.includes(r.nativeId) ? 'FAILED' : 'FINISHED';
      assert.equal(r.status, expected, r.nativeId);
    }
    assert.equal(runs.filter((r) => r.status === 'FINISHED').length, 42);
    for (const r of runs.filter((x) => x.nativeId !== 'xinacahi')) {
      const files = path.join(r.path, 'files');
      const meta = fs.existsSync(path.join(files, 'wandb-metadata.json')) ? JSON.parse(fs.readFileSync(path.join(files, 'wandb-metadata.json'), 'utf8')) : undefined;
      assert.equal(r.startTime, meta ? Math.round(Date.parse(meta.startedAt)) : null, `${r.nativeId} start`);
      if (r.status === 'UNKNOWN') {
        assert.equal(r.endTime, null, `${r.nativeId}: not known to have ended`);
        continue;
      }
      const summary = JSON.parse(fs.readFileSync(path.join(files, 'wandb-summary.json'), 'utf8').replace(/\bNaN\b/g, 'null'));
      assert.ok(Math.abs(r.endTime! - (Date.parse(meta.startedAt) + summary._runtime * 1000)) <= 1, `${r.nativeId} end`);
    }
    // A run that ran 2 s, 6z7yhc9j's 4052.79 s (python3: summary _runtime, exit runtime 4052).
    assert.equal(runs.find((r) => r.nativeId === 'ly5ll9sf')!.endTime! - runs.find((r) => r.nativeId === 'ly5ll9sf')!.startTime!, 2000);
    const long = runs.find((r) => r.nativeId === '6z7yhc9j')!;
    assert.equal(long.endTime! - long.startTime!, 4052792);
    // Empty logs are reported as empty, and nothing is an error.
    const empty = store.diagnostics().filter((d) => d.file.endsWith('.wandb'));
    assert.deepEqual(empty.map((d) => [path.basename(d.file), d.severity, d.message]).sort(), ['28cs9qxa', 'ij8zr2xy', 'qnw4jb71', 'ub1w8zxh'].map((id) => [`run-${id}.wandb`, 'warning', 'empty file: the run wrote no records']));
    assert.deepEqual(store.diagnostics().filter((d) => d.severity === 'error'), []);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('merges a run resumed in two folders in step order, and keeps the same run id in another project apart', () => {
    const { store, dir } = indexInto([ROOT]);
    const runs = wandbRuns(store).filter((r) => r.nativeId === 'xinacahi');
    assert.equal(runs.length, 2);
    const w = path.join(ROOT, 'wandb');
    // Folders 015454 and 061615 are project Transformer-BatchSize-Sweep (the second one's telemetry says
    // resumed); 120504 is project Transformer-from-scratch (python3: RunRecord project = 3).
    const resumed = runs.find((r) => r.startTime === Math.round(Date.parse('2026-01-20T00:54:54.347781Z')))!;
    const other = runs.find((r) => r !== resumed)!;
    assert.equal(resumed.path, path.join(w, 'run-20260120_061615-xinacahi'));
    assert.equal(other.path, path.join(w, 'run-20260120_120504-xinacahi'));
    assert.equal(resumed.status, 'FAILED', 'the last part exited with 255');
    // The second part's runtime (30691.865215584 s in its summary) counts the first's (15678.562048875 s).
    assert.ok(Math.abs(resumed.endTime! - (Date.parse('2026-01-20T05:16:15.613091Z') + (30691.865215584 - 15678.562048875) * 1000)) <= 1);
    assert.equal(resumed.name, 'small-model', 'the name the second part set');
    // History (python3, HistoryRecord items): 32 rows, steps 0…310, then 4352 rows, steps 320…43830.
    const loss = store.seriesPoints(resumed.rid, 'train/loss');
    assert.equal(loss.length, 32 + 4352);
    for (let i = 1; i < loss.length; i++) assert.ok(loss[i].step > loss[i - 1].step, `step order at ${i}`);
    const at = (step: number) => loss.find((p) => p.step === step)?.value;
    assert.deepEqual([at(0), at(310), at(320), at(43830)], [9.241535186767578, 3.4032671451568604, 3.7647476196289062, 1.62211012840271]);
    const val = store.seriesPoints(resumed.rid, 'val/loss');
    assert.equal(val.length, 2 + 174);
    assert.deepEqual([val[0].step, val[0].value, val[val.length - 1].step, val[val.length - 1].value], [0, 9.244386672973633, 43750, 1.4941880702972412]);
    // Config of the later part over the earlier (batch_size in both, max_lr only in the second).
    assert.equal(store.params(resumed.rid).batch_size, '256');
    assert.equal(store.params(resumed.rid).max_lr, '0.001');
    assert.deepEqual(store.seriesPoints(other.rid, 'train/loss').map((p) => [p.step, p.value]), [[33000, 1.7311882972717285]]);
    assert.equal(store.params(other.rid).batch_size, '8');
    assert.ok(Math.abs(other.endTime! - other.startTime! - 5991.426917) <= 1);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('lists a run once whatever links point at it (wandb/latest-run)', () => {
    const ws = tempDir();
    const w = path.join(ws, 'wandb');
    fs.mkdirSync(w);
    for (const d of ['run-20260119_193717-fk8ilx1g', 'run-20260119_193743-ugaeu18w']) fs.cpSync(path.join(ROOT, 'wandb', d), path.join(w, d), { recursive: true });
    fs.symlinkSync('run-20260119_193743-ugaeu18w', path.join(w, 'latest-run'));
    fs.symlinkSync(path.join(w, 'run-20260119_193717-fk8ilx1g'), path.join(ws, 'a-link-from-elsewhere'));
    const { store, dir } = indexInto([ws]);
    const runs = wandbRuns(store);
    assert.deepEqual(runs.map((r) => r.nativeId).sort(), ['fk8ilx1g', 'ugaeu18w']);
    assert.equal(store.counts().runs, 2, 'nothing else found through the links');
    assert.equal(runs.find((r) => r.nativeId === 'ugaeu18w')!.path, path.join(w, 'run-20260119_193743-ugaeu18w'));
    assert.equal(store.seriesPoints(runs.find((r) => r.nativeId === 'ugaeu18w')!.rid, 'train/loss').length, 741);
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});

describe('W&B resumed runs, live', () => {
  it('stays one run with one id as its last folder grows and a new folder resumes it', () => {
    const ws = tempDir();
    const w = path.join(ws, 'wandb');
    const folder = (stamp: string) => {
      const d = path.join(w, `run-${stamp}-res123`);
      fs.mkdirSync(path.join(d, 'files'), { recursive: true });
      return d;
    };
    const a = folder('20240102_030405');
    const b = folder('20240102_050000');
    writeWandbLog(path.join(a, 'run-res123.wandb'), [runRecord('res123', 'proj', 1704164645), ...[0, 1, 2].map((s) => history(s, { loss: 10 - s })), exitRecord(0, 100)]);
    const bRecords = [runRecord('res123', 'proj', 1704171600, 'named'), ...[3, 4].map((s) => history(s, { loss: 10 - s }))];
    writeWandbLog(path.join(b, 'run-res123.wandb'), bRecords);
    const { store } = indexInto([ws]);
    try {
      const [run] = wandbRuns(store);
      assert.equal(wandbRuns(store).length, 1);
      const loss = () => store.seriesPoints(wandbRuns(store)[0].rid, 'loss').map((p) => [p.step, p.value]);
      assert.deepEqual(loss(), [[0, 10], [1, 9], [2, 8], [3, 7], [4, 6]]);
      assert.equal(run.status, 'UNKNOWN', 'the last part has not exited');
      assert.equal(run.startTime, 1704164645000);
      assert.equal(run.endTime, null);
      // The last folder grows (a live run): the watcher's path re-reads the run, still one.
      const bLog = path.join(b, 'run-res123.wandb');
      writeWandbLog(bLog, [...bRecords, history(5, { loss: 5 }), exitRecord(0, 7300)]);
      const live = indexChanged(store, [bLog]);
      assert.deepEqual([live.read, live.unmatched], [1, []]);
      const runs = wandbRuns(store);
      assert.equal(runs.length, 1);
      assert.equal(runs[0].id, run.id);
      assert.deepEqual(loss(), [[0, 10], [1, 9], [2, 8], [3, 7], [4, 6], [5, 5]]);
      assert.equal(runs[0].status, 'FINISHED');
      assert.equal(runs[0].name, 'named');
      assert.equal(runs[0].endTime, (1704171600 + 7300 - 100) * 1000, 'its runtime counts the first part too');
      // A third folder resumes it: found by a pass, the same run and id.
      const c = folder('20240103_000000');
      writeWandbLog(path.join(c, 'run-res123.wandb'), [runRecord('res123', 'proj', 1704240000), history(6, { loss: 4 })]);
      indexWorkspace(store, { roots: [ws] });
      const again = wandbRuns(store);
      assert.deepEqual([again.length, again[0].id, again[0].path, again[0].status], [1, run.id, c, 'UNKNOWN']);
      assert.equal(loss().length, 7);
      const scratch = indexInto([ws]);
      assert.deepEqual(wandbRuns(scratch.store).map((r) => [r.id, r.status, r.startTime, r.endTime]), again.map((r) => [r.id, r.status, r.startTime, r.endTime]));
      scratch.store.close();
    } finally {
      store.close();
      fs.rmSync(ws, { recursive: true });
    }
  });
});

describe('W&B resumed runs, in order', () => {
  it('puts the parts in the order of their recorded starts (a resume in another time zone) and the history in step order', () => {
    const ws = tempDir();
    const w = path.join(ws, 'wandb');
    const folder = (name: string, records: Buffer[]) => {
      fs.mkdirSync(path.join(w, name), { recursive: true });
      writeWandbLog(path.join(w, name, `run-${name.slice(-6)}.wandb`), records);
    };
    // Started 03:00Z on a machine at UTC+9, resumed 04:10Z at UTC: the names sort the other way.
    folder('run-20240102_120000-tz0001', [runRecord('tz0001', 'p', 1704164400, 'first'), ...[0, 1, 2].map((s) => history(s, { loss: s })), exitRecord(0, 3600)]);
    folder('run-20240102_041000-tz0001', [runRecord('tz0001', 'p', 1704168600), ...[3, 4].map((s) => history(s, { loss: s })), exitRecord(1, 4200)]);
    // Parts with no recorded start keep their names' order; their history is put in step order.
    folder('run-20240103_000000-ns0002', [history(5, { loss: 5 }), history(6, { loss: 6 })]);
    folder('run-20240104_000000-ns0002', [history(0, { loss: 0 }), history(1, { loss: 1 })]);
    // A folder whose log is empty (no project named) goes with the run of the folder after it.
    fs.mkdirSync(path.join(w, 'run-20240105_000000-em0003'));
    fs.writeFileSync(path.join(w, 'run-20240105_000000-em0003', 'run-em0003.wandb'), '');
    folder('run-20240105_010000-em0003', [runRecord('em0003', 'p', 1704416400), history(0, { loss: 1 })]);
    const { store, dir } = indexInto([ws]);
    try {
      const runs = wandbRuns(store);
      assert.deepEqual(runs.map((r) => r.nativeId).sort(), ['em0003', 'ns0002', 'tz0001']);
      const tz = runs.find((r) => r.nativeId === 'tz0001')!;
      assert.deepEqual([tz.status, tz.name, tz.startTime, tz.endTime, tz.path], ['FAILED', 'first', 1704164400000, (1704168600 + 600) * 1000, path.join(w, 'run-20240102_041000-tz0001')]);
      assert.deepEqual(store.seriesPoints(tz.rid, 'loss').map((p) => p.step), [0, 1, 2, 3, 4]);
      const ns = runs.find((r) => r.nativeId === 'ns0002')!;
      assert.deepEqual(store.seriesPoints(ns.rid, 'loss').map((p) => [p.step, p.value]), [[0, 0], [1, 1], [5, 5], [6, 6]]);
      assert.equal(store.seriesSummaries(ns.rid)[0].last, 6, 'the latest value is the highest step\'s');
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
      fs.rmSync(ws, { recursive: true });
    }
  });
});

describe('W&B keys are data', () => {
  it('indexes __proto__, constructor and prototype like other keys and never touches Object.prototype', () => {
    const ws = tempDir();
    const w = path.join(ws, 'wandb');
    const nested = (keys: string[], json: string) => len(1, Buffer.concat([...keys.map((k) => str(2, k)), str(16, json)]));
    const hostile = path.join(w, 'run-20240102_030405-evil01');
    fs.mkdirSync(hostile, { recursive: true });
    writeWandbLog(path.join(hostile, 'run-evil01.wandb'), [
      runRecord('evil01', 'proj', 1704164645),
      len(5, Buffer.concat([len(1, item('__proto__', '{"value": "p"}')), len(1, item('constructor', '{"value": 3}'))])),
      len(2, Buffer.concat([nested(['__proto__', '0'], '1'), nested(['constructor', 'prototype'], '2'), nested(['prototype', '0'], '3'), nested(['_private', '0'], '4'), len(2, Buffer.concat([varint(1 << 3), varint(7)]))])),
      len(3, Buffer.concat([nested(['__proto__', 'polluted'], '5'), nested(['constructor', 'x'], '6')])),
      exitRecord(0, 1),
    ]);
    // A run after it, which the indexer reads once Object.prototype would have been touched.
    const after = path.join(w, 'run-20240102_040405-good02');
    fs.mkdirSync(after, { recursive: true });
    writeWandbLog(path.join(after, 'run-good02.wandb'), [runRecord('good02', 'proj', 1704168245), history(0, { loss: 1 }), exitRecord(1, 2)]);
    const { store, dir } = indexInto([ws]);
    try {
      assert.equal(({} as Record<string, unknown>)[0], undefined);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(({} as Record<string, unknown>).x, undefined);
      const runs = wandbRuns(store);
      assert.deepEqual(runs.map((r) => [r.nativeId, r.status]).sort(), [['evil01', 'FINISHED'], ['good02', 'FAILED']]);
      const evil = runs.find((r) => r.nativeId === 'evil01')!;
      const keys = store.seriesSummaries(evil.rid).map((s) => s.key).sort();
      // `_`-keys are W&B's own (_step, _runtime): __proto__ is skipped like _private, the others are kept.
      assert.deepEqual(keys, ['constructor.prototype', 'constructor.x', 'prototype.0']);
      assert.deepEqual(store.seriesPoints(evil.rid, 'prototype.0').map((p) => [p.step, p.value]), [[7, 3]]);
      assert.deepEqual(store.seriesPoints(evil.rid, 'constructor.x').map((p) => [p.step, p.value]), [[7, 6]]);
      // (JSON.parse: an object literal's `__proto__` would set its prototype.)
      assert.deepEqual({ ...store.params(evil.rid) }, JSON.parse('{"__proto__": "p", "constructor": "3"}'));
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true });
      fs.rmSync(ws, { recursive: true });
    }
  });
});
