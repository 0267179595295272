import * as assert from 'node:assert/strict';
import { SeriesArena, decodeChunk, encodeChunk, encodeSeries, widenRange, type EncodedSeries } from '../../src/core/index/chunks';
import { native, withoutNative } from '../../src/core/native/native';
import { readEventFile } from '../../src/core/formats/tensorboard';
import { readMlflowMetricFile } from '../../src/core/formats/mlflowMetrics';
import { rng } from '../../bench/generate';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpus } from './corpus';

/** Encodes and decodes the columns; returns the encoded size. Every value must come back to the bit. */
function roundTrip(steps: number[], times: number[], values: number[]): number {
  const n = steps.length;
  const blob = Buffer.from(encodeChunk(Float64Array.from(steps), Float64Array.from(times), Float64Array.from(values), n));
  const back = decodeChunk(blob, n);
  const bits = (x: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    return Number.isNaN(x) ? 'NaN' : b.toString('hex');
  };
  for (let i = 0; i < n; i++) {
    assert.equal(bits(back[i]), bits(steps[i]), `step ${i}`);
    assert.equal(bits(back[n + i]), bits(times[i]), `time ${i}`);
    assert.equal(bits(back[2 * n + i]), bits(values[i]), `value ${i}`);
  }
  return blob.length;
}

describe('chunk encoding', () => {
  it('gives back every step, time and value to the bit, whatever the columns hold', () => {
    const rand = rng(11);
    const odd = [NaN, Infinity, -Infinity, -0, 0, 5e-324, -1.7976931348623157e308, 2 ** 53, 0.1];
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(rand() * 1024);
      const kind = t % 6;
      const steps = Array.from({ length: n }, (_, i) => (kind === 0 ? i : kind === 1 ? 10 + 5 * i : kind === 2 ? Math.floor(rand() * 100) : kind === 3 ? i * 0.1 : odd[i % odd.length]));
      let clock = 1.7e12 + Math.floor(rand() * 1e6);
      const times = Array.from({ length: n }, () => (kind === 4 ? odd[Math.floor(rand() * odd.length)] : kind === 5 ? (clock += rand() * 1000) : (clock += Math.floor(rand() * (t % 4 === 1 ? 1e13 : t % 2 ? 1e9 : 300)) - (t % 3 ? 0 : 150))));
      const values = Array.from({ length: n }, (_, i) => (kind < 2 ? Math.fround(rand()) : kind === 4 ? odd[(i + 3) % odd.length] : rand() * 1e6 - 5e5));
      roundTrip(steps, times, values);
    }
  });

  it('encodes a series in the native module to the same bytes, overviews and extremes as in JavaScript', function () {
    if (!native()?.encodeSeries) this.skip(); // the native module: built by npm install, not on Windows
    const same = (columns: Float64Array, cap: number, n: number, what: string) => {
      const plain = (e: EncodedSeries) => ({ ...e, bytes: Buffer.from(e.bytes).toString('hex'), overviews: [...e.overviews].map(String) });
      const fromC = plain(encodeSeries(columns, cap, n));
      const fromJs = plain(withoutNative(() => encodeSeries(columns, cap, n)));
      assert.deepEqual(fromC, fromJs, what);
    };
    const series = (pts: { step: number; time: number; value: number }[], what: string) => {
      // Columns with room to spare, as the readers grow them.
      const cap = pts.length + 13;
      const columns = new Float64Array(3 * cap).fill(7);
      pts.forEach((p, i) => ([columns[i], columns[cap + i], columns[2 * cap + i]] = [p.step, p.time, p.value]));
      same(columns, cap, pts.length, what);
    };
    let points = 0;
    for (const e of fs.readdirSync(corpus(), { recursive: true, withFileTypes: true }).filter((d) => d.isFile())) {
      const file = path.join(e.parentPath, e.name);
      if (e.name.startsWith('events.out.tfevents.')) {
        const tags = new Map<string, { step: number; time: number; value: number }[]>();
        readEventFile(file, 0, {}, { scalar: (tag, step, time, value) => void (tags.get(tag) ?? tags.set(tag, []).get(tag)!).push({ step, time, value }) });
        for (const [tag, pts] of tags) (series(pts, `${file} ${tag}`), (points += pts.length));
      } else if (e.parentPath.split(path.sep).includes('metrics') && e.parentPath.split(path.sep).includes('mlruns')) {
        const pts = readMlflowMetricFile(file).points;
        series(pts, file);
        points += pts.length;
      }
    }
    assert.ok(points > 40_000, `${points} points`);
    // Every form and the numbers at their edges: NaN, infinities, -0, subnormals, deltas past 2^51, odd lengths.
    const rand = rng(23);
    const odd = [NaN, Infinity, -Infinity, -0, 0, 5e-324, -1.7976931348623157e308, 2 ** 53, 0.1, 3.4028234663852886e38, 3.4028235677973366e38];
    for (let t = 0; t < 200; t++) {
      const n = [0, 1, 2, 1023, 1024, 1025, 2048, 3000][t % 8] || Math.floor(rand() * 5000);
      const kind = t % 9;
      let clock = 1.7e12;
      const pts = Array.from({ length: n }, (_, i) => ({
        step: kind === 0 ? i : kind === 1 ? 3 * i + 5 : kind === 2 ? odd[i % odd.length] : kind === 7 ? NaN : Math.floor(rand() * 1e6),
        time: kind === 3 ? odd[(i * 7) % odd.length] : kind === 4 ? (clock += Math.floor(rand() * 2 ** 53) - 2 ** 52) : (clock += kind === 5 ? rand() * 100 : Math.floor(rand() * 20000)),
        value:
          kind < 3 ? Math.fround(rand() * 10)
          : kind === 3 || (kind === 6 && i % 5 === 0) ? odd[(i * 3) % odd.length]
          : kind === 8 ? [0, -0, NaN, 1, -0, 0][Math.floor(rand() * 6)]
          : rand() - 0.5,
      }));
      series(pts, `case ${t} (${n} points)`);
    }
  });

  it('encodes runs of series into an arena as one by one, through growth, hand-over and buffers given back', () => {
    const rand = rng(31);
    const plain = (e: EncodedSeries) => ({ ...e, bytes: Buffer.from(e.bytes).toString('hex'), ends: [...e.ends], overviews: [...e.overviews], overviewEnds: [...e.overviewEnds] });
    const arena = new SeriesArena();
    const handed: { buffers: ArrayBuffer[]; series: EncodedSeries[]; expected: object[] }[] = [];
    for (let run = 0; run < 40; run++) {
      const series: EncodedSeries[] = [];
      const expected: object[] = [];
      // Runs of a few small series, and runs whose series outgrow the arena's buffers (1 MiB of bytes) partway.
      for (let k = 0; k < 1 + (run % 5); k++) {
        const n = run % 7 === 3 ? 150_000 + Math.floor(rand() * 50_000) : Math.floor(rand() * 3000);
        const columns = new Float64Array(3 * n);
        for (let i = 0; i < n; i++) [columns[i], columns[n + i], columns[2 * n + i]] = [i, 1.7e12 + 1000 * i + Math.floor(rand() * 9), rand()];
        series.push(arena.encode(columns, n, n));
        expected.push(plain(encodeSeries(columns, n, n)));
      }
      const buffers = arena.handOver();
      // Every series is a view of the buffers handed over.
      for (const e of series) for (const part of [e.bytes, e.ends, e.overviews, e.overviewEnds]) assert.ok(buffers.includes(part.buffer as ArrayBuffer), `run ${run}`);
      handed.push({ buffers, series, expected });
      // Written two runs later, as the indexer trails its threads: only then are the buffers given back.
      if (handed.length > 2) {
        const done = handed.shift()!;
        assert.deepEqual(done.series.map(plain), done.expected, `run ${run - 2}`);
        arena.giveBack(done.buffers as never);
      }
    }
    for (const done of handed) assert.deepEqual(done.series.map(plain), done.expected);
  });

  it('takes 10–12 bytes a point for the series of the corpus, against 24 unencoded', () => {
    const sizes = { raw: 0, encoded: 0 };
    const add = (pts: { step: number; time: number; value: number }[]) => {
      for (let i = 0; i < pts.length; i += 1024) {
        const c = pts.slice(i, i + 1024);
        sizes.encoded += roundTrip(c.map((p) => p.step), c.map((p) => p.time), c.map((p) => p.value));
        sizes.raw += 24 * c.length;
      }
    };
    const files = fs.readdirSync(corpus(), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const e of files) {
      const file = path.join(e.parentPath, e.name);
      if (e.name.startsWith('events.out.tfevents.')) {
        const series = new Map<string, { step: number; time: number; value: number }[]>();
        readEventFile(file, 0, {}, { scalar: (tag, step, time, value) => void (series.get(tag) ?? series.set(tag, []).get(tag)!).push({ step, time, value }) });
        for (const pts of series.values()) add(pts);
      } else if (e.parentPath.split(path.sep).includes('metrics') && e.parentPath.split(path.sep).includes('mlruns')) add(readMlflowMetricFile(file).points);
    }
    assert.ok(sizes.raw > 1_000_000, `${sizes.raw} bytes`);
    if (process.env.RUNLENS_SHOW) console.log(sizes, (24 * sizes.encoded) / sizes.raw);
    assert.ok(sizes.encoded < sizes.raw / 2, `${sizes.encoded} of ${sizes.raw} bytes`);
  });

  it('summarises the extremes of values as a point-by-point reading does: NaN never one, the first of -0 and 0 kept', () => {
    const rand = rng(5);
    const odd = [NaN, -0, 0, Infinity, -Infinity, 5e-324, 1, -1];
    for (let t = 0; t < 500; t++) {
      const values = Float64Array.from({ length: Math.floor(rand() * 12) }, () => (rand() < 0.6 ? odd[Math.floor(rand() * odd.length)] : rand() - 0.5));
      const start: { min: number | null; max: number | null } = t % 3 === 0 ? { min: null, max: null } : { min: odd[t % odd.length], max: odd[(t + 3) % odd.length] };
      // The reference: one value at a time, as SeriesWriter.push keeps them.
      const expected: { min: number | null; max: number | null } = { ...start };
      if (expected.min !== null && Number.isNaN(expected.min)) expected.min = expected.max = null;
      for (const v of values) {
        if (Number.isNaN(v)) continue;
        if (expected.min === null || v < expected.min) expected.min = v;
        if (expected.max === null || v > expected.max) expected.max = v;
      }
      const got = { ...start };
      if (got.min !== null && Number.isNaN(got.min)) got.min = got.max = null;
      const from = Math.min(values.length, t % 2);
      widenRange(got, values, 0, from);
      widenRange(got, values, from, values.length);
      assert.ok(Object.is(got.min, expected.min) && Object.is(got.max, expected.max), `${values.join(' ')}: ${got.min} ${got.max}, expected ${expected.min} ${expected.max}`);
    }
  });
});
