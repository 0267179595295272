import * as assert from 'node:assert/strict';
import { decodeChunk, encodeChunk, widenRange } from '../../src/core/index/chunks';
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
