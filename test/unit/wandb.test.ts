import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from '../../src/core/formats/crc32';
import { readWandbLog } from '../../src/core/formats/wandbLog';
import { indexWorkspace } from '../../src/core/index/indexer';
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
    assert.deepEqual(log.history[2], { step: 2, values: { loss: 1 / 3, acc: 2 / 3000 } });
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
    assert.equal(run.startTime, Date.UTC(2024, 0, 2, 3, 4, 5));
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(ws, { recursive: true });
  });
});
