/**
 * Regression tables (continuous labels) get MAE, RMSE, R², MAPE as scikit-learn computes them; DVCLive's
 * sklearn confusion-matrix plot (a JSON list of {actual, predicted}) is read as a prediction table; a join
 * or a segment column that matches no row is an error. Expected values: sklearn's documented examples,
 * hand computation, and numpy (python3) over the corpus files with sklearn's formulas, hard-coded here.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluate, evaluateSource, EvaluationError } from '../../src/core/analysis/evaluation';
import { openPredictionTable, readPredictionTable, TABLE_FILE } from '../../src/core/analysis/predictions';
import { regressionMetrics } from '../../src/core/analysis/regression';
import { corpus, tempDir } from './corpus';

const BIN = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
const DANYA = corpus('predictions', 'DanyaSH759__MLOps_homework', 'predict');
const CM = corpus('dvc', 'iterative__example-get-started@a00dcb4', 'eval', 'live', 'plots', 'sklearn', 'cm', 'test.json');

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('regression metrics, as scikit-learn computes them', () => {
  it("sklearn's documented examples: MAE 0.5, MSE 0.375, R² 0.948608…, MAPE 0.327380…, max error 1", () => {
    const m = regressionMetrics([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]);
    close(m.mae, 0.5, 'MAE');
    close(m.mse, 0.375, 'MSE');
    close(m.rmse, Math.sqrt(0.375), 'RMSE');
    // r2_score docs: 0.948…; by hand 1 − 1.5 / 29.1875 (mean 2.875).
    close(m.r2, 1 - 1.5 / 29.1875, 'R²');
    assert.equal(m.r2.toFixed(3), '0.949');
    // (0.5/3 + 0.5/0.5 + 0/2 + 1/7) / 4, a fraction (sklearn's docs: 0.3273…).
    close(m.mape, (0.5 / 3 + 1 + 0 + 1 / 7) / 4, 'MAPE');
    assert.equal(m.maxError, 1);
  });

  it("R² of a constant truth is 1.0 for exact predictions and 0.0 otherwise (force_finite); NaN under two rows; MAPE divides by max(|y|, eps)", () => {
    assert.equal(regressionMetrics([2, 2, 2], [2, 2, 2]).r2, 1);
    assert.equal(regressionMetrics([2, 2, 2], [1, 2, 3]).r2, 0);
    assert.ok(Number.isNaN(regressionMetrics([2], [3]).r2));
    // y = 0: |0 − 1| / 2.220446049250313e-16 (np.finfo(np.float64).eps), then the mean with the exact row.
    assert.equal(regressionMetrics([0, 1], [1, 1]).mape, 1 / 2.220446049250313e-16 / 2);
  });
});

describe('evaluating a table of continuous labels', () => {
  // numpy over each file: np.mean(|y−p|), sqrt(np.mean((y−p)²)), 1 − Σ(y−p)²/Σ(y−ȳ)², np.mean(|y−p|/max(|y|, eps)).
  const ORACLE: Record<string, { mae: number; rmse: number; r2: number; mape: number }> = {
    'predictions_20250103_205803.csv': { mae: 24.565746518969537, rmse: 24.574955233399773, r2: -1333.58153359268, mape: 1.0075626171337084 },
    'predictions_20250104_143552.csv': { mae: 24.383320133388043, rmse: 24.39259771768119, r2: -1313.848597504946, mape: 1.0000747073655747 },
  };
  for (const [file, o] of Object.entries(ORACLE)) {
    it(`${file} (a real regression's predictions) is a regression with sklearn's MAE, RMSE, R², MAPE — not an 18-class report`, () => {
      const ev = evaluate(readPredictionTable(path.join(DANYA, file)));
      assert.equal(ev.task, 'regression');
      assert.equal(ev.report, undefined);
      const m = ev.regression!.metrics;
      assert.equal(m.n, 20);
      close(m.mae, o.mae, 'MAE');
      close(m.rmse, o.rmse, 'RMSE');
      close(m.r2, o.r2, 'R²');
      close(m.mape, o.mape, 'MAPE');
      // The largest error first, located at its line: the largest |Actual − Predicted| read here.
      const rows = fs.readFileSync(path.join(DANYA, file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
      const worst = rows.map((r, i) => ({ e: Math.abs(r[1] - r[0]), line: i + 2 })).sort((a, b) => b.e - a.e)[0];
      assert.equal(ev.worstErrors[0].line, worst.line);
      close(Math.abs(ev.worstErrors[0].error!), worst.e, 'largest error');
    });
  }

  it('runlens analyze says it is a regression and prints the metrics; --task classification gives the class report', () => {
    const file = path.join(DANYA, 'predictions_20250103_205803.csv');
    const r = spawnSync(process.execPath, [BIN, 'analyze', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /a regression \(continuous labels\) of 20 rows/);
    assert.match(r.stdout, /MAE 24\.5657 · RMSE 24\.5750 · R² -1333\.5815 · MAPE 1\.0076/);
    assert.doesNotMatch(r.stdout, /classes|accuracy/);
    const json = JSON.parse(spawnSync(process.execPath, [BIN, 'analyze', file, '--json'], { encoding: 'utf8' }).stdout);
    assert.equal(json.task, 'regression');
    close(json.regression.metrics.rmse, 24.574955233399773, 'RMSE in --json');
    const forced = spawnSync(process.execPath, [BIN, 'analyze', file, '--task', 'classification'], { encoding: 'utf8' });
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stdout, /20 rows, 18 classes/);
    const bad = spawnSync(process.execPath, [BIN, 'analyze', file, '--task', 'regresion'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--task is 'regression' or 'classification'/);
  });

  it('integer labels stay classes unless the task is named; a named regression leaves out, located, the rows that are not numbers', () => {
    const dir = tempDir('runlens-regression-');
    const file = write(dir, 'counts.csv', 'id,y_true,y_pred\na,1,2\nb,3,3\nc,5,4\nd,n/a,1\ne,8,6\n');
    const source = () => openPredictionTable(file);
    assert.equal(evaluateSource(source()).task, 'classification');
    const ev = evaluateSource(source(), { task: 'regression' });
    assert.equal(ev.task, 'regression');
    assert.deepEqual(ev.skipped, [{ line: 5, reason: "not a number in 'y_true': n/a" }]);
    // By hand over (1,2) (3,3) (5,4) (8,6): errors 1, 0, 1, 2.
    const m = ev.regression!.metrics;
    assert.equal(m.n, 4);
    close(m.mae, 4 / 4, 'MAE');
    close(m.mse, 6 / 4, 'MSE');
    // ȳ = 17/4; SS_tot = (1−4.25)² + (3−4.25)² + (5−4.25)² + (8−4.25)² = 26.75.
    close(m.r2, 1 - 6 / 26.75, 'R²');
    close(m.mape, (1 / 1 + 0 + 1 / 5 + 2 / 8) / 4, 'MAPE');
    assert.deepEqual(ev.worstErrors.map((e) => [e.id, e.error]), [['e', -2], ['a', 1], ['c', -1]]);
  });

  it('segments of a regression: the same metrics on each segment', () => {
    const dir = tempDir('runlens-regression-');
    const file = write(dir, 'p.csv', 'target,prediction,region\n1.5,1.0,north\n2.5,3.5,north\n4.0,4.0,south\n6.0,5.0,south\n10.0,7.5,south\n');
    const ev = evaluateSource(openPredictionTable(file, { segments: ['region'] }));
    assert.equal(ev.task, 'regression');
    const seg = ev.regression!.segments.region.values;
    assert.deepEqual(Object.keys(seg), ['north', 'south']);
    // north: errors 0.5, 1 → MAE 0.75, MSE 0.625; ȳ = 2, SS_tot = 0.5 → R² = 1 − 1.25/0.5 = −1.5.
    close(seg.north.mae, 0.75, 'north MAE');
    close(seg.north.rmse, Math.sqrt(0.625), 'north RMSE');
    close(seg.north.r2, -1.5, 'north R²');
    close(seg.north.mape, (0.5 / 1.5 + 1 / 2.5) / 2, 'north MAPE');
    // south: errors 0, 1, 2.5 → MAE 3.5/3; ȳ = 20/3, SS_tot = (−8/3)² + (−2/3)² + (10/3)² = 168/9.
    close(seg.south.mae, 3.5 / 3, 'south MAE');
    close(seg.south.r2, 1 - 7.25 / (168 / 9), 'south R²');
    close(ev.regression!.segments.region.maeGap, 3.5 / 3 - 0.75, 'MAE gap');
  });
});

describe("DVCLive's sklearn confusion-matrix plot (plots/sklearn/cm/*.json)", () => {
  it('is read as a prediction table of {actual, predicted} rows: the confusion matrix counted here from the JSON', () => {
    const rows = JSON.parse(fs.readFileSync(CM, 'utf8')) as { actual: string; predicted: string }[];
    const count = (t: string, p: string) => rows.filter((r) => r.actual === t && r.predicted === p).length;
    const ev = evaluateSource(openPredictionTable(CM));
    assert.equal(ev.task, 'classification');
    assert.deepEqual(ev.mapping.truth, 'actual');
    assert.deepEqual(ev.mapping.predicted, 'predicted');
    assert.deepEqual(ev.report!.labels, ['0', '1']);
    assert.deepEqual(ev.report!.confusion, [[count('0', '0'), count('0', '1')], [count('1', '0'), count('1', '1')]]);
    assert.equal(ev.report!.n, rows.length);
    // Each error's line is where its object starts in the file.
    const lines = fs.readFileSync(CM, 'utf8').split('\n');
    for (const e of ev.worstErrors.slice(0, 20)) {
      assert.equal(lines[e.line - 1].trim(), '{');
      assert.equal(lines[e.line].trim(), `"actual": "${e.truth}",`);
      assert.equal(lines[e.line + 1].trim(), `"predicted": "${e.predicted}"`);
    }
    assert.ok(TABLE_FILE.test('eval/live/plots/sklearn/cm/test.json') && !TABLE_FILE.test('eval/live/metrics.json'));
  });

  it('runlens analyze accepts it; a .json that is not a list of rows is not mistaken for one', () => {
    const r = spawnSync(process.execPath, [BIN, 'analyze', CM, '--errors', '0'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /7990 rows, 2 classes \(true: actual, predicted: predicted\)/);
    const dir = tempDir('runlens-cmjson-');
    const src = openPredictionTable(write(dir, 'x.json', '[1, 2, {"actual": "a"}'));
    assert.ok(src.diagnostics.some((d) => d.line === 1 && /not JSON/.test(d.message)));
  });
});

describe('a join or a segment that matches no row is an error', () => {
  it('a dataset joined on a key no prediction row has', () => {
    const dir = tempDir('runlens-join-');
    const preds = write(dir, 'preds.csv', 'id,label,prediction\n1,a,a\n2,b,a\n3,a,b\n');
    const data = write(dir, 'data.csv', 'sample_id,source\n10,web\n11,book\n');
    assert.throws(() => evaluateSource(openPredictionTable(preds, { join: { file: data, key: 'sample_id', on: 'id' }, segments: ['source'] })), (e: Error) => e instanceof EvaluationError && /no prediction row's 'id' matches a 'sample_id'.*3 rows/.test(e.message));
    // One match is enough to evaluate (the rest are counted in a diagnostic).
    fs.writeFileSync(data, 'sample_id,source\n1,web\n11,book\n');
    const src = openPredictionTable(preds, { join: { file: data, key: 'sample_id', on: 'id' }, segments: ['source'] });
    const ev = evaluateSource(src);
    assert.deepEqual(Object.keys(ev.segments.source.values).sort(), ['', 'web']);
    assert.ok(src.diagnostics.some((d) => /2 prediction rows have no 'sample_id' match/.test(d.message)));
    const cli = spawnSync(process.execPath, [BIN, 'analyze', preds, '--join', write(dir, 'none.csv', 'sample_id,source\n10,web\n'), '--join-key', 'sample_id', '--join-on', 'id', '--segment', 'source'], { encoding: 'utf8' });
    assert.equal(cli.status, 2);
    assert.match(cli.stderr, /^runlens: .*no prediction row's 'id' matches a 'sample_id'/);
    assert.doesNotMatch(cli.stderr, /\n\s+at /, 'no stack');
  });

  it('a segment column with no value in any row', () => {
    const dir = tempDir('runlens-segment-');
    const preds = write(dir, 'preds.csv', 'label,prediction,group\na,a,\nb,a,\na,b,\n');
    assert.throws(() => evaluate(readPredictionTable(preds, { segments: ['group'] })), /the segment column 'group' has no value in any of the 3 rows/);
    const cli = spawnSync(process.execPath, [BIN, 'analyze', preds, '--segment', 'group'], { encoding: 'utf8' });
    assert.equal(cli.status, 2);
  });
});
