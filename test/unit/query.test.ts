import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { QueryError, compileFilter, compileSort } from '../../src/core/index/query';
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
});
