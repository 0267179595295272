import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { QueryError, compileFilter, compileSort, durationMs, timeMs } from '../../src/core/index/query';
import type { Store } from '../../src/core/index/store';
import { indexInto } from './corpus';

const DEMO = path.resolve(__dirname, '..', '..', '..', 'demo', 'workspace');

describe('run query language', () => {
  let store: Store;
  let dir: string;
  before(() => ({ store, dir } = indexInto([DEMO])));
  after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true });
  });
  const names = (q: string, sort = 'name') => store.queryRuns(compileFilter(q), compileSort(sort)).map((r) => r.name);

  it('filters on metrics, params, tags and attributes across formats', () => {
    assert.deepEqual(names('metrics.accuracy > 0.85 and format = "mlflow"'), ['Random_Forest', 'Random_Forest']);
    assert.deepEqual(names('params.model_name = "Logistic_Regression" and format = "mlflow-db"'), ['Logistic_Regression']);
    assert.deepEqual(names('metrics.`metrics/mAP_0.5` > 0.55'), ['exp2']);
    assert.equal(names('status = finished').length, store.countRuns(compileFilter("status = 'FINISHED'")));
    assert.deepEqual(names('tags.`mlflow.runName` like "PARENT%" and lifecycle = "active"'), ['PARENT_RUN']);
  });

  it('supports or, not, in, is null and min()/max() of a series', () => {
    assert.deepEqual(names('format in ("tensorboard") and not name = "exp" and parent is null'), ['exp2', 'validation']);
    assert.deepEqual(names('format in ("tensorboard", "huggingface") and parent is not null'), ['Nov23_07-05-29_vm']);
    assert.equal(names('metrics.accuracy is null').length, store.countRuns() - names('metrics.accuracy is not null').length);
    assert.deepEqual(names('max(metrics.`metrics/mAP_0.5`) > 0.6 or min(metrics.`train/box_loss`) < 0'), ['exp2']);
  });

  it('sorts by a metric, missing values last', () => {
    const sorted = store.queryRuns(compileFilter('format = "tensorboard"'), compileSort('metrics.`metrics/mAP_0.5` desc, name'));
    assert.deepEqual(sorted.map((r) => r.name), ['exp2', 'exp', 'Nov23_07-05-29_vm', 'validation']);
  });

  it('points at the offending token of a bad query', () => {
    const cases: [string, number, RegExp][] = [
      ['params.lr < ', 12, /expected a value/],
      ['metrics.acc >> 1', 13, /unknown operator|expected a value/],
      ['bogus = 1', 0, /unknown field 'bogus'/],
      ['status = "FINISHED" and', 23, /expected a field/],
      ['metrics.acc > "high"', 14, /metrics compare with numbers/],
      ['name = "unterminated', 7, /unterminated string/],
    ];
    for (const [q, col, re] of cases) {
      assert.throws(() => compileFilter(q), (e: unknown) => e instanceof QueryError && e.column === col && re.test(e.message), q);
    }
  });

  it('reads times as ISO dates (UTC unless zoned) or epoch milliseconds, and durations with units', () => {
    // Epoch values checked with python3: datetime(2021, 1, 1, tzinfo=timezone.utc).timestamp() * 1000 …
    assert.equal(timeMs('2021-01-01'), 1609459200000);
    assert.equal(timeMs('2021-01-01T12:30'), 1609504200000);
    assert.equal(timeMs('2021-01-01T12:30:00.250Z'), 1609504200250);
    assert.equal(timeMs('2021-01-01T14:30:00+02:00'), 1609504200000);
    for (const bad of ['yesterday', '2021-13-01', '2021-01-01 12:00', '20210101']) assert.equal(timeMs(bad), undefined, bad);
    assert.equal(durationMs('2h'), 7_200_000);
    assert.equal(durationMs('1h30m'), 5_400_000);
    assert.equal(durationMs('1.5d'), 129_600_000);
    assert.equal(durationMs('250ms'), 250);
    assert.equal(durationMs('90s'), 90_000);
    for (const bad of ['2', 'h', '2 hours', '2x']) assert.equal(durationMs(bad), undefined, bad);
    // A time compared with a date is a number compared with a number: not SQLite's "every number < any text".
    assert.deepEqual(compileFilter('end_time < "2021-01-01"').params, [1609459200000]);
    assert.deepEqual(compileFilter('duration > 2h and start_time >= 2021-01-01T00:00Z').params, [7_200_000, 1609459200000]);
    const cases: [string, number, RegExp][] = [
      ['start_time > "soon"', 13, /ISO date/],
      ['duration > "long"', 11, /duration such as 2h/],
      ['metrics.loss < 2h', 15, /compares only with duration/],
    ];
    for (const [q, col, re] of cases) assert.throws(() => compileFilter(q), (e: unknown) => e instanceof QueryError && e.column === col && re.test(e.message), q);
  });
});
