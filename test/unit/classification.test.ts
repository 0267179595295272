/**
 * Evaluation metrics against scikit-learn: test/fixtures/generated/eval holds a model's real predictions
 * and oracle.json, the numbers scikit-learn 1.9 computed from them (scripts/device/generate.py made both).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binaryCurves, classificationReport, segmentReport, sortLabels } from '../../src/core/analysis/classification';
import { openPredictionTable, readLoggedConfusion, readPredictionTable } from '../../src/core/analysis/predictions';
import { compareReports, evaluate, evaluateConfusion, evaluateSource, topKConfusion } from '../../src/core/analysis/evaluation';
import { corpus, tempDir } from './corpus';

const EVAL = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'generated', 'eval');

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

interface Oracle {
  labels: (number | string)[];
  confusion: number[][];
  per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  accuracy: number;
  balanced_accuracy: number;
  cohen_kappa: number;
  mcc: number;
  macro: { precision: number; recall: number; f1: number };
  micro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  segments?: Record<string, { n: number; accuracy: number; macro_f1: number }>;
  roc_auc?: number;
  average_precision?: number;
  roc_curve?: { fpr: number[]; tpr: number[]; thresholds: (number | string)[] };
  pr_curve?: { precision: number[]; recall: number[]; thresholds: number[] };
}

const oracle = JSON.parse(fs.readFileSync(path.join(EVAL, 'oracle.json'), 'utf8')) as Record<string, Oracle>;

function checkReport(file: string, o: Oracle) {
  const table = readPredictionTable(path.join(EVAL, file));
  const { truth, predicted } = table.mapping;
  assert.ok(truth && predicted, `columns recognised in ${file}`);
  const t = table.rows.map((r) => r[truth]);
  const p = table.rows.map((r) => r[predicted]);
  const r = classificationReport(t, p);
  assert.deepEqual(r.labels, o.labels.map(String));
  assert.deepEqual(r.confusion, o.confusion);
  for (const [label, m] of Object.entries(o.per_class)) {
    for (const k of ['precision', 'recall', 'f1'] as const) close(r.perClass[label][k], m[k], `${file} class ${label} ${k}`);
    assert.equal(r.perClass[label].support, m.support);
  }
  close(r.accuracy, o.accuracy, 'accuracy');
  close(r.balancedAccuracy, o.balanced_accuracy, 'balanced accuracy');
  close(r.cohenKappa, o.cohen_kappa, 'kappa');
  close(r.mcc, o.mcc, 'mcc');
  for (const avg of ['macro', 'micro', 'weighted'] as const) for (const k of ['precision', 'recall', 'f1'] as const) close(r[avg][k], o[avg][k], `${avg} ${k}`);
  return { table, t, p };
}

describe('classification metrics equal scikit-learn’s on a real model’s predictions', () => {
  it('recognises the columns of a prediction table', () => {
    const table = readPredictionTable(path.join(EVAL, 'digits_predictions.csv'));
    assert.equal(table.mapping.truth, 'label');
    assert.equal(table.mapping.predicted, 'prediction');
    assert.equal(table.mapping.id, 'id');
    assert.deepEqual(Object.keys(table.mapping.classScores ?? {}), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.deepEqual(table.mapping.segments, ['ink']);
    assert.equal(table.rows.length, 540);
    assert.deepEqual(table.diagnostics, []);
  });

  it('multiclass (10 digits): confusion matrix, per-class, averages, balanced accuracy, kappa, MCC', () => {
    checkReport('digits_predictions.csv', oracle.multiclass);
  });

  it('per segment: accuracy and macro F1 of each ink bucket', () => {
    const { table, t, p } = checkReport('digits_predictions.csv', oracle.multiclass);
    const seg = segmentReport(t, p, table.rows.map((r) => r.ink));
    for (const [s, m] of Object.entries(oracle.multiclass.segments!)) {
      assert.equal(seg[s].n, m.n);
      close(seg[s].accuracy, m.accuracy, `${s} accuracy`);
      close(seg[s].macroF1, m.macro_f1, `${s} macro F1`);
    }
  });

  it('binary (3 vs 8): the report, ROC curve and AUC, precision-recall curve and average precision', () => {
    const o = oracle.binary;
    const { table, t } = checkReport('three_vs_eight.csv', o);
    assert.equal(table.mapping.score, 'score');
    const c = binaryCurves(t.map((x) => x === '1'), table.rows.map((r) => Number(r.score)));
    assert.equal(c.roc.fpr.length, o.roc_curve!.fpr.length);
    c.roc.fpr.forEach((v, i) => close(v, o.roc_curve!.fpr[i], `fpr[${i}]`));
    c.roc.tpr.forEach((v, i) => close(v, o.roc_curve!.tpr[i], `tpr[${i}]`));
    assert.deepEqual(c.roc.thresholds.map((x) => (x === Infinity ? 'inf' : x)), o.roc_curve!.thresholds);
    close(c.rocAuc, o.roc_auc!, 'roc auc');
    assert.equal(c.pr.precision.length, o.pr_curve!.precision.length);
    c.pr.precision.forEach((v, i) => close(v, o.pr_curve!.precision[i], `precision[${i}]`));
    c.pr.recall.forEach((v, i) => close(v, o.pr_curve!.recall[i], `recall[${i}]`));
    assert.deepEqual(c.pr.thresholds, o.pr_curve!.thresholds);
    close(c.averagePrecision, o.average_precision!, 'average precision');
  });
});

describe('classification metrics equal scikit-learn’s on odd tables (ties, string labels, a class never predicted, JSON Lines)', () => {
  const EVAL2 = path.join(EVAL, '..', 'eval2');
  for (const [file, score] of [['breast_cancer_lr.csv', 'y_score'], ['iris_stump.csv', undefined], ['wine.jsonl', undefined]] as const) {
    it(file, () => {
      const o = JSON.parse(fs.readFileSync(path.join(EVAL2, file.replace(/\.\w+$/, '.oracle.json')), 'utf8')) as Oracle;
      const table = readPredictionTable(path.join(EVAL2, file));
      const ev = evaluate(table);
      const r = ev.report!;
      assert.deepEqual(r.labels, o.labels.map(String));
      assert.deepEqual(r.confusion, o.confusion);
      for (const [label, m] of Object.entries(o.per_class)) for (const k of ['precision', 'recall', 'f1'] as const) close(r.perClass[label][k], m[k], `${label} ${k}`);
      for (const k of ['accuracy', 'mcc'] as const) close(r[k], o[k], k);
      close(r.balancedAccuracy, o.balanced_accuracy, 'balanced accuracy');
      close(r.cohenKappa, o.cohen_kappa, 'kappa');
      for (const avg of ['macro', 'micro', 'weighted'] as const) for (const k of ['precision', 'recall', 'f1'] as const) close(r[avg][k], o[avg][k], `${avg} ${k}`);
      if (score) {
        assert.equal(table.mapping.score, score);
        close(ev.binary!.rocAuc, o.roc_auc!, 'roc auc');
        close(ev.binary!.averagePrecision, o.average_precision!, 'average precision');
        assert.deepEqual(ev.binary!.roc.fpr.length, o.roc_curve!.fpr.length);
        ev.binary!.roc.tpr.forEach((v, i) => close(v, o.roc_curve!.tpr[i], `tpr[${i}]`));
        ev.binary!.pr.precision.forEach((v, i) => close(v, o.pr_curve!.precision[i], `precision[${i}]`));
      }
      if (o.segments) {
        const [column] = Object.keys(ev.segments);
        for (const [s, m] of Object.entries(o.segments)) {
          close(ev.segments[column].values[s].accuracy, m.accuracy, `${s} accuracy`);
          close(ev.segments[column].values[s].macroF1, m.macro_f1, `${s} macro F1`);
        }
      }
    });
  }
});

describe('classification metrics: edge cases scikit-learn defines', () => {
  it('sorts labels as numpy does: numerically when all are numbers, else by code point', () => {
    assert.deepEqual(sortLabels(['10', '9', '2']), ['2', '9', '10']);
    assert.deepEqual(sortLabels(['b', 'B', 'a', '10']), ['10', 'B', 'a', 'b']);
  });

  it('gives 0 (zero_division=0) for a class never predicted, and counts it in macro averages', () => {
    const r = classificationReport(['a', 'a', 'b', 'c'], ['a', 'a', 'a', 'c']);
    assert.deepEqual(r.perClass.b, { precision: 0, recall: 0, f1: 0, support: 1 });
    close(r.macro.recall, (1 + 0 + 1) / 3, 'macro recall');
    close(r.perClass.a.precision, 2 / 3, 'precision a');
  });

  it('ties in scores make one ROC point, and collinear points are dropped', () => {
    // sklearn: roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) → fpr [0, 0, .5, .5, 1], tpr [0, .5, .5, 1, 1]
    const c = binaryCurves([false, false, true, true], [0.1, 0.4, 0.35, 0.8]);
    assert.deepEqual(c.roc.fpr, [0, 0, 0.5, 0.5, 1]);
    assert.deepEqual(c.roc.tpr, [0, 0.5, 0.5, 1, 1]);
    assert.deepEqual(c.roc.thresholds, [Infinity, 0.8, 0.4, 0.35, 0.1]);
    close(c.rocAuc, 0.75, 'auc');
    // average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333…
    close(c.averagePrecision, 5 / 6, 'ap');
    const tied = binaryCurves([false, true, false, true], [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(tied.roc.fpr, [0, 1]);
    close(tied.rocAuc, 0.5, 'tied auc');
  });
});

describe('evaluating prediction tables found in projects', () => {
  it('agrees with the accuracy a DVC project logged beside its confusion plot (../shared/corpus)', () => {
    const dir = corpus('predictions', '2024ac05006__mlops-binary-image-classification');
    const ev = evaluate(readPredictionTable(path.join(dir, 'confusion_matrix.csv')));
    const logged = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    assert.equal(ev.report!.n, logged.total_samples);
    assert.equal(ev.report!.accuracy, logged.accuracy);
    assert.deepEqual(ev.report!.labels, ['cats', 'dogs']);
    assert.deepEqual(ev.report!.confusion, [[0, 1250], [0, 1250]]);
    assert.equal(ev.binary, undefined, 'no score column: no curves');
  });

  it('reads JSON Lines and TSV tables, skipping and locating bad rows', () => {
    const dir = tempDir();
    const jsonl = path.join(dir, 'preds.jsonl');
    fs.writeFileSync(jsonl, '{"text": "good film", "label": "pos", "pred": "pos"}\nnot json\n{"text": "<b>bad</b> film", "label": "neg", "pred": "pos", "score": 0.7}\n[1]\n');
    const t = readPredictionTable(jsonl);
    assert.deepEqual([t.mapping.truth, t.mapping.predicted, t.mapping.text], ['label', 'pred', 'text']);
    assert.deepEqual(t.diagnostics.map((d) => [d.line, d.severity]), [[2, 'warning'], [4, 'warning']]);
    const ev = evaluate(t);
    assert.equal(ev.report!.n, 2);
    assert.deepEqual(ev.worstErrors.map((e) => [e.line, e.text]), [[3, '<b>bad</b> film']]);
    const tsv = path.join(dir, 'preds.tsv');
    fs.writeFileSync(tsv, 'y_true\ty_pred\n1\t1\n0\t1\n1\n');
    const tt = readPredictionTable(tsv);
    assert.equal(tt.rows.length, 2);
    assert.equal(tt.diagnostics[0].line, 4);
  });

  it('folds hundreds of classes into the top k and "other", keeping every count', () => {
    const truth: string[] = [];
    const pred: string[] = [];
    for (let c = 0; c < 300; c++) for (let i = 0; i < (c % 17) + 1; i++) truth.push(`c${c}`), pred.push(i % 3 === 0 ? `c${(c + 1) % 300}` : `c${c}`);
    const r = classificationReport(truth, pred);
    const top = topKConfusion(r, 20);
    assert.equal(top.labels.length, 21);
    assert.equal(top.labels[20], 'other');
    assert.equal(top.matrix.flat().reduce((a, b) => a + b, 0), truth.length);
    const supports = top.labels.slice(0, 20).map((l) => r.perClass[l].support);
    assert.ok(Math.min(...supports) >= 17 - 1, 'the most frequent classes were kept');
  });
});

describe('evaluation: messy tables and fairness', () => {
  it('treats "1", "1.0" and 1 as one class and leaves out rows missing a label, each located', () => {
    const dir = tempDir();
    const file = path.join(dir, 'p.jsonl');
    fs.writeFileSync(file, ['{"y": 1, "pred": "1"}', '{"y": "1.0", "pred": 0}', '{"y": null, "pred": 1}', '{"y": 0, "pred": ""}', '{"y": "0", "pred": "0.0"}'].join('\n') + '\n');
    const ev = evaluate(readPredictionTable(file, { truth: 'y', predicted: 'pred' }));
    assert.deepEqual(ev.report!.labels, ['0', '1']);
    assert.equal(ev.report!.n, 3);
    assert.deepEqual(ev.report!.confusion, [[1, 0], [1, 1]]);
    assert.deepEqual(ev.skipped, [{ line: 3, reason: "no value in 'y'" }, { line: 4, reason: "no value in 'pred'" }]);
    assert.equal(ev.skippedCount, 2);
  });

  it('measures demographic parity and equal opportunity across a sensitive column (binary task)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'p.csv');
    // group a: 4 rows, predicted positive 3/4, positives 2 of which 2 found; group b: 4 rows, selected 1/4,
    // positives 2 of which 1 found.
    fs.writeFileSync(file, 'label,prediction,group\n1,1,a\n1,1,a\n0,1,a\n0,0,a\n1,1,b\n1,0,b\n0,0,b\n0,0,b\n');
    const ev = evaluate(readPredictionTable(file));
    const f = ev.fairness.group;
    assert.equal(f.positive, '1');
    assert.deepEqual(f.groups.map((g) => [g.value, g.selectionRate, g.truePositiveRate, g.accuracy]), [['a', 0.75, 1, 0.75], ['b', 0.25, 0.5, 0.75]]);
    assert.equal(f.demographicParityDifference, 0.5);
    assert.equal(f.equalOpportunityDifference, 0.5);
    assert.equal(f.accuracyGap, 0);
    assert.deepEqual(ev.segments.group.flagged, []);
  });

  it('flags segments well below the overall accuracy', () => {
    const truth = Array.from({ length: 300 }, (_, i) => String(i % 3));
    const pred = truth.map((t, i) => (i % 10 === 0 && i >= 200 ? '9' : t));
    const dir = tempDir();
    const file = path.join(dir, 'p.csv');
    fs.writeFileSync(file, 'label,prediction,source\n' + truth.map((t, i) => `${t},${pred[i]},${i < 200 ? 'web' : 'scan'}`).join('\n') + '\n');
    const ev = evaluate(readPredictionTable(file));
    assert.deepEqual(ev.segments.source.flagged, ['scan']);
    assert.deepEqual(ev.fairness, {}, 'no fairness measures for a multiclass task');
  });
});

describe('comparing two evaluations (two runs of a sweep, demo workspace)', () => {
  it('puts both matrices on the union of labels, their difference, and ranks classes by F1 change', () => {
    const demo = path.resolve(__dirname, '..', '..', '..', 'demo', 'workspace', 'digits-sweep', 'lightning_logs');
    const a = evaluate(readPredictionTable(path.join(demo, 'version_0', 'predictions.csv'))).report!;
    const b = evaluate(readPredictionTable(path.join(demo, 'version_15', 'predictions.csv'))).report!;
    const d = compareReports(a, b);
    assert.deepEqual(d.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) assert.equal(d.delta[i][j], b.confusion[i][j] - a.confusion[i][j]);
    assert.equal(d.delta.flat().reduce((s, v) => s + v, 0), 0, 'the same rows, moved between cells');
    for (let i = 1; i < d.perClass.length; i++) assert.ok(d.perClass[i - 1].deltaF1 >= d.perClass[i].deltaF1);
    close(d.perClass.find((c) => c.label === '8')!.f1B, b.perClass['8'].f1, 'f1 of 8');
    assert.equal(d.accuracy.b, b.accuracy);
  });

  it('handles a class only one side has', () => {
    const d = compareReports(classificationReport(['a', 'b'], ['a', 'b']), classificationReport(['a', 'c'], ['a', 'a']));
    assert.deepEqual(d.labels, ['a', 'b', 'c']);
    assert.deepEqual(d.a, [[1, 0, 0], [0, 1, 0], [0, 0, 0]]);
    assert.deepEqual(d.b, [[1, 0, 0], [0, 0, 0], [1, 0, 0]]);
    assert.equal(d.perClass[d.perClass.length - 1].label, 'b');
  });
});

describe('logged confusion matrices', () => {
  it('reads a CSV or JSON matrix (the real digits model’s) and reports what scikit-learn reports', () => {
    const o = oracle.multiclass;
    const dir = tempDir();
    const csv = path.join(dir, 'confusion.csv');
    // Rows in another order than the header: matched by label.
    const order = [3, 1, 4, 0, 9, 2, 6, 5, 8, 7];
    fs.writeFileSync(csv, ['true\\\\pred,' + o.labels.join(','), ...order.map((i) => [o.labels[i], ...o.confusion[i]].join(','))].join('\n') + '\n');
    const json = path.join(dir, 'confusion.json');
    fs.writeFileSync(json, JSON.stringify({ labels: o.labels, confusion_matrix: o.confusion }));
    for (const file of [csv, json]) {
      const m = readLoggedConfusion(file)!;
      assert.ok(m, file);
      const ev = evaluateConfusion(file, m.labels, m.matrix);
      assert.deepEqual(ev.report!.confusion, o.confusion);
      close(ev.report!.mcc, o.mcc, 'mcc');
      close(ev.report!.cohenKappa, o.cohen_kappa, 'kappa');
      close(ev.report!.macro.f1, o.macro.f1, 'macro f1');
    }
  });

  it('does not take a prediction table or a ragged matrix for one', () => {
    assert.equal(readLoggedConfusion(path.join(EVAL, 'digits_predictions.csv')), undefined);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'm.json'), '[[1, 2], [3]]');
    assert.equal(readLoggedConfusion(path.join(dir, 'm.json')), undefined);
  });
});

describe('streaming evaluation of large tables', () => {
  it('streams 200,000 rows to the same report as reading them whole, keeping only the worst errors', () => {
    const dir = tempDir();
    const file = path.join(dir, 'big.csv');
    const lines = ['id,label,prediction,prob_a,prob_b,prob_c,region,text'];
    for (let i = 0; i < 200_000; i++) {
      const t = 'abc'[i % 3];
      const p = i % 7 === 0 ? 'abc'[(i + 1) % 3] : t;
      const conf = ((i * 7919) % 1000) / 1000;
      lines.push(`${i},${t},${p},${conf},${(1 - conf) / 2},${(1 - conf) / 2},${['eu', 'us', 'asia'][i % 3]},"row ${i}, with ""quotes"" and a comma"`);
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const streamed = evaluateSource(openPredictionTable(file), { maxErrors: 25 });
    const whole = evaluate(readPredictionTable(file), { maxErrors: 25 });
    assert.deepEqual(streamed.report, whole.report);
    assert.deepEqual(streamed.segments, whole.segments);
    assert.equal(streamed.worstErrors.length, 25);
    assert.deepEqual(streamed.worstErrors, whole.worstErrors);
    assert.equal(streamed.worstErrors[0].text, `row ${streamed.worstErrors[0].id}, with "quotes" and a comma`);
    for (let i = 1; i < 25; i++) assert.ok((streamed.worstErrors[i - 1].confidence ?? 0) >= (streamed.worstErrors[i].confidence ?? 0));
  });
});

describe('segments from a joined dataset', () => {
  it('joins a dataset table on the id and segments by its columns, as if they were in the predictions', () => {
    const dir = tempDir();
    const preds = path.join(EVAL, 'digits_predictions.csv');
    const table = readPredictionTable(preds);
    // A dataset file keyed by sample id, holding the ink bucket (and a column the predictions also have).
    const data = path.join(dir, 'digits_data.csv');
    fs.writeFileSync(data, 'sample_id,ink_bucket,label\n' + table.rows.map((r) => `${r.id},${r.ink},${r.label}`).reverse().join('\n') + '\n');
    const joined = evaluateSource(openPredictionTable(preds, { join: { file: data, key: 'sample_id' }, segments: ['ink_bucket'] }));
    const direct = evaluate(readPredictionTable(preds, { segments: ['ink'] }));
    assert.deepEqual(joined.segments.ink_bucket, direct.segments.ink);
    const both = openPredictionTable(preds, { join: { file: data, key: 'sample_id' } });
    assert.ok(both.columns.includes('label (data)'), both.columns.join(', '));
    assert.ok(both.mapping.segments?.includes('ink_bucket'), 'joined columns are segment candidates');
  });

  it('says when the predictions have nothing to join on', () => {
    const dir = tempDir();
    const data = path.join(dir, 'd.csv');
    fs.writeFileSync(data, 'key,group\n1,a\n');
    const src = openPredictionTable(path.join(EVAL, 'three_vs_eight.csv'), { join: { file: data, key: 'nope' } });
    assert.ok(src.diagnostics.some((d) => /cannot join: no column 'nope'/.test(d.message)));
  });
});
