import * as assert from 'node:assert/strict';
import { parse } from 'yaml';
import { compareRuns, isRanked, metricDirection, pickKeyMetric } from '../../src/core/analysis/compare';
import { PALETTE, lttb, runColor, runColors } from '../../src/core/analysis/downsample';
import { runDocument, scalar } from '../../src/core/analysis/runDocument';
import { emaSmooth } from '../../src/core/analysis/smoothing';
import { effectiveStatus, LIVE_WINDOW_MS } from '../../src/core/analysis/status';
import * as path from 'node:path';
import { corpus, indexInto, tempDir } from './corpus';
import { Store } from '../../src/core/index/store';
import type { RunRow } from '../../src/core/index/store';
import { chartSeries } from '../../src/core/analysis/chartSeries';

const summary = (key: string, last: number) => ({ key, count: 3, last, lastStep: 2, min: Math.min(last, 0), max: Math.max(last, 1) });

describe('comparing runs', () => {
  it('marks params that differ and the best run per metric by its direction', () => {
    const cmp = compareRuns([
      { id: 'a', name: 'a', params: { lr: '0.1', bs: '32' }, metrics: [summary('val_acc', 0.8), summary('val_loss', 0.5), summary('epoch', 5)] },
      { id: 'b', name: 'b', params: { lr: '0.01', bs: '32', extra: 'x' }, metrics: [summary('val_acc', 0.9), summary('val_loss', 0.7), summary('epoch', 5)] },
    ]);
    assert.deepEqual(cmp.params.map((p) => [p.key, p.differs, p.values]), [['bs', false, ['32', '32']], ['extra', true, [null, 'x']], ['lr', true, ['0.1', '0.01']]]);
    const best = Object.fromEntries(cmp.metrics.map((m) => [m.key, m.best]));
    assert.deepEqual(best, { epoch: -1, val_acc: 1, val_loss: 0 });
  });

  it('names no best run where all values tie or only one run has the metric', () => {
    const cmp = compareRuns([
      { id: 'a', name: 'a', params: {}, metrics: [summary('acc', 0.5), summary('f1', 0.3)] },
      { id: 'b', name: 'b', params: {}, metrics: [summary('acc', 0.5)] },
    ]);
    assert.deepEqual(cmp.metrics.map((m) => m.best), [-1, -1]);
  });

  it('knows which way metrics point from their names', () => {
    for (const k of ['loss', 'val_loss', 'eval/loss', 'train/mae', 'test_error', 'perplexity', 'eval_runtime']) assert.equal(metricDirection(k), 'min', k);
    for (const k of ['accuracy', 'val_acc', 'metrics/mAP_0.5', 'f1', 'glossary_score']) assert.equal(metricDirection(k), 'max', k);
  });

  it('tells scores from counters and schedules', () => {
    for (const k of ['train_loss_step', 'val_acc', 'eval/loss', 'hp_metric']) assert.ok(isRanked(k), k);
    for (const k of ['epoch', 'trainer/global_step', 'train/learning_rate', 'lr-Adam', 'eval_samples_per_second', 'grad_norm']) assert.ok(!isRanked(k), k);
  });

  it('picks a held-out score as the key metric before training scores and losses', () => {
    assert.equal(pickKeyMetric(['loss', 'train_acc', 'val_acc', 'val_loss']), 'val_acc');
    assert.equal(pickKeyMetric(['loss', 'eval_loss', 'epoch']), 'eval_loss');
    assert.equal(pickKeyMetric(['train_loss_step', 'epoch']), 'train_loss_step');
    assert.equal(pickKeyMetric(['epoch', 'lr']), undefined);
  });
});

describe('run documents (the params diff view)', () => {
  it('renders a corpus run as YAML that parses back to its params, sorted', () => {
    const { store } = indexInto([corpus('mlflow')]);
    try {
      const [run] = store.queryRuns({ sql: "r.format = 'mlflow' AND r.rid IN (SELECT rid FROM params GROUP BY rid HAVING COUNT(*) > 3)", params: [] }, { sql: '', params: [] }, 1, 0);
      const params = store.params(run.rid);
      const text = runDocument({ run, params, tags: store.tags(run.rid), metrics: store.seriesSummaries(run.rid) });
      const doc = parse(text) as Record<string, Record<string, unknown>>;
      assert.equal(doc.run.name, isNaN(Number(run.name)) ? run.name : Number(run.name));
      // Values come back as the same text, or the number that text spells.
      for (const [k, v] of Object.entries(params)) assert.equal(String(doc.params[k]), String(parse(scalar(v))), k);
      const keys = Object.keys(doc.params);
      assert.deepEqual(keys, [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      assert.deepEqual(new Set(keys), new Set(Object.keys(params)));
    } finally {
      store.close();
    }
  });

  it('quotes every value YAML would otherwise read differently', () => {
    for (const v of ['', 'yes', 'No', 'null', '~', 'a: b', '#x', 'x #y', '- item', '[1, 2]', '{a: 1}', ' pad', 'pad ', 'line\nbreak', '"q"', "'q'", '*ref', '&anchor', '!tag', '|', '>', '@x', '`x`', '%x', 'tab\there']) {
      assert.equal(parse(`k: ${scalar(v)}`).k, v, JSON.stringify(v));
    }
    assert.equal(scalar('0.01'), '0.01');
    assert.equal(scalar('resnet50'), 'resnet50');
  });
});

describe('downsampling (LTTB)', () => {
  it('keeps the first and last points, the count asked for, and the extremes of a spiky series', () => {
    const n = 100_000;
    const xs = Float64Array.from({ length: n }, (_, i) => i);
    const ys = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 500) + (i === 31_337 ? 50 : 0) - (i === 77_777 ? 40 : 0));
    const keep = lttb(xs, ys, 1000);
    assert.equal(keep.length, 1000);
    assert.equal(keep[0], 0);
    assert.equal(keep[keep.length - 1], n - 1);
    assert.ok(keep.includes(31_337) && keep.includes(77_777), 'the spike and the dip survive');
    for (let i = 1; i < keep.length; i++) assert.ok(keep[i] > keep[i - 1]);
  });

  it('returns short series whole and survives NaN and infinities', () => {
    assert.deepEqual(lttb([0, 1, 2], [1, 2, 3], 10), [0, 1, 2]);
    const ys = Array.from({ length: 500 }, (_, i) => (i % 7 === 0 ? NaN : i % 11 === 0 ? Infinity : i));
    const keep = lttb(Array.from({ length: 500 }, (_, i) => i), ys, 50);
    assert.equal(keep.length, 50);
  });

  it('gives a run the same colour every time', () => {
    assert.equal(runColor('abc'), runColor('abc'));
    assert.match(runColor('abc'), /^#[0-9a-f]{6}$/);
  });

  it('draws runs in colours with a 3:1 contrast on the default light and dark themes, each far from the others', () => {
    // WCAG 2 relative luminance and contrast ratio.
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const contrast = (a: string, b: string) => (Math.max(luminance(a), luminance(b)) + 0.05) / (Math.min(luminance(a), luminance(b)) + 0.05);
    // The editor backgrounds of Default Light Modern and Default Dark Modern.
    for (const c of PALETTE) {
      assert.ok(contrast(c, '#ffffff') >= 3, `${c} on light: ${contrast(c, '#ffffff').toFixed(2)}`);
      assert.ok(contrast(c, '#1f1f1f') >= 3, `${c} on dark: ${contrast(c, '#1f1f1f').toFixed(2)}`);
    }
    // Told apart: every two colours at least 20 apart in CIELAB (ΔE*76; ~2.3 is just noticeable).
    const lab = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
      const [x, y, z] = [(0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883].map(f);
      return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
    };
    for (const a of PALETTE) {
      for (const b of PALETTE) {
        if (a < b) assert.ok(Math.hypot(...lab(a).map((v, i) => v - lab(b)[i])) >= 20, `${a} and ${b} too alike`);
      }
    }
    assert.equal(new Set(PALETTE).size, 10);
  });
});

describe('smoothing (TensorBoard EMA)', () => {
  it('matches the debiased EMA TensorBoard draws, and leaves the first value as it is', () => {
    const v = [1, 2, 3, 10, 0];
    const w = 0.6;
    const out = emaSmooth(v, w);
    let last = 0;
    v.forEach((x, i) => {
      last = last * w + (1 - w) * x;
      assert.ok(Math.abs(out[i] - last / (1 - w ** (i + 1))) < 1e-12);
    });
    assert.equal(out[0], 1);
    assert.deepEqual(emaSmooth(v, 0), v);
    assert.ok(Number.isNaN(emaSmooth([1, NaN, 3], 0.5)[1]));
    assert.ok(Number.isFinite(emaSmooth([1, NaN, 3], 0.5)[2]));
  });
});

describe('run status', () => {
  it('shows a run without a recorded status as running while its files are being written', () => {
    const now = 1_800_000_000_000;
    assert.equal(effectiveStatus({ status: 'UNKNOWN', endTime: now - 1000 }, now), 'RUNNING');
    assert.equal(effectiveStatus({ status: 'UNKNOWN', endTime: now - LIVE_WINDOW_MS - 1 }, now), 'UNKNOWN');
    assert.equal(effectiveStatus({ status: 'FINISHED', endTime: now }, now), 'FINISHED');
    assert.equal(effectiveStatus({ status: 'UNKNOWN', endTime: null }, now), 'UNKNOWN');
  });
});


describe('run colours', () => {
  it('gives every run of a set its own colour, the same whichever order the set comes in', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `run-${i * 7919}`);
    const a = runColors(ids);
    assert.equal(new Set(a.values()).size, 10);
    assert.deepEqual(runColors([...ids].reverse()), a);
    assert.equal(runColors(['x']).get('x'), runColor('x'), 'a run alone keeps its own colour');
  });
});

describe('chart series of long metrics (chunk overviews)', () => {
  const n = 300_000;
  let store: Store;
  let run: RunRow | undefined;
  before(() => {
    store = Store.open(path.join(tempDir(), 'index.sqlite'));
    store.upsertExperiment('u', { id: 'e', source: '/s', format: 'tensorboard', nativeId: 'e', name: 'e', lifecycle: 'active' });
    const rid = store.putRun('u', { id: 'r', experimentId: 'e', format: 'tensorboard', nativeId: 'r', name: 'r', status: 'FINISHED', lifecycle: 'active', path: '/s/r', params: {}, tags: {}, artifacts: [] });
    const w = store.seriesWriter(rid, 'loss', true);
    for (let i = 0; i < n; i++) w.push(i, 1_700_000_000_000 + i * 10, i === 123_457 ? 99 : i === 250_001 ? -5 : i % 1000 === 7 ? NaN : Math.exp(-i / 1e5));
    w.close();
    run = store.getRun('r');
  });
  after(() => store.close());

  it('keeps each chunk’s first, lowest, highest and last point, so spikes survive', () => {
    const o = store.seriesOverview(run!.rid, 'loss');
    // Full chunks by their overview (2 to 4 points), the last one, still filling, as it is.
    const full = Math.floor(n / 1024);
    assert.ok(o.length <= 4 * full + (n % 1024) && o.length >= 2 * full + (n % 1024), String(o.length));
    assert.deepEqual([o[0].step, o[o.length - 1].step], [0, n - 1]);
    assert.ok(o.some((p) => p.value === 99) && o.some((p) => p.value === -5));
    for (let i = 1; i < o.length; i++) assert.ok(o[i].step > o[i - 1].step);
  });

  it('reads a zoomed range at full detail from the chunks that overlap it only', () => {
    const all = store.seriesPoints(run!.rid, 'loss');
    const want = all.filter((p) => p.step >= 123_000 && p.step <= 124_000);
    const got = store.seriesRange(run!.rid, 'loss', 'step', 123_000, 124_000);
    assert.equal(got.length, want.length);
    assert.deepEqual(got.map((p) => p.step), want.map((p) => p.step));
    assert.equal(store.seriesRange(run!.rid, 'loss', 'time', 1_700_000_000_000 + 5, 1_700_000_000_000 + 25).length, 2);
  });

  it('draws a 300,000-point series from the overviews with the spike in, and zooms to exact points', () => {
    const c = chartSeries(store, run!, 'loss', 'step', '#000', 1500);
    assert.equal(c.total, n);
    assert.ok(c.points.length <= 3000);
    const ys = c.points.filter((_, i) => i % 2 === 1);
    assert.ok(ys.includes(99) && ys.includes(-5));
    const z = chartSeries(store, run!, 'loss', 'relative', '#000', 1500, [10 * 123_450, 10 * 123_460]);
    assert.deepEqual(z.points.filter((_, i) => i % 2 === 0), Array.from({ length: 11 }, (_, i) => 10 * (123_450 + i)));
  });

  it('falls back to whole chunks in an index written before overviews', () => {
    store.db.exec('DELETE FROM overviews');
    assert.equal(store.seriesOverview(run!.rid, 'loss').length, n);
  });
});
