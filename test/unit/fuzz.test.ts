import * as assert from 'node:assert/strict';
import { fuzz, fuzzTables, MUTATIONS, mutate, prng, recordBoundaries } from '../fuzz/harness';
import { CORPUS } from './corpus';

describe('fuzzing the readers with damaged copies of the corpus (short fixed-seed run; npm run fuzz is the long one)', () => {
  it('is reproducible: the same seed makes the same mutants', () => {
    const buf = Buffer.from('1 0.5 0\n2 0.6 1\n3 0.7 2\n');
    for (const m of MUTATIONS) assert.deepEqual(mutate(buf, 'metrics/acc', m, prng(7)), mutate(buf, 'metrics/acc', m, prng(7)), m);
    assert.deepEqual(recordBoundaries(buf, 'metrics/acc'), [8, 16, 24]);
  });

  it('survives every kind of damage to every format: no exception, bounded time, located diagnostics, other runs untouched, full recovery', function () {
    this.timeout(240_000);
    const report = fuzz({ corpus: CORPUS, seed: 1, mutants: 160, seconds: 150, maxProjectBytes: 3 * 2 ** 20 });
    assert.deepEqual(report.failures, []);
    assert.equal(report.mutants, 160, `only ${report.mutants} mutants in the time allowed`);
    for (const m of MUTATIONS) assert.ok((report.byMutation[m] ?? 0) > 0, `no ${m} mutant`);
    assert.ok(report.diagnostics > 0);
    assert.ok(report.projects >= 15, `${report.projects} projects`);
    assert.ok(report.maxRssMb < 1024, `peak RSS ${report.maxRssMb} MB`);
  });

  it('evaluates damaged prediction tables without an unexplained error', function () {
    this.timeout(120_000);
    const report = fuzzTables({ corpus: CORPUS, seed: 1, mutants: 120, seconds: 90 });
    assert.deepEqual(report.failures, []);
    assert.equal(report.mutants, 120);
  });
});
