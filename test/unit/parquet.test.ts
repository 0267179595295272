import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkTables } from '../../src/core/datasets/checks';
import { tableStats } from '../../src/core/datasets/stats';
import { statsOf } from '../../src/core/datasets/versions';
import { newRepo, tempDir } from './corpus';

/** A sweep's predictions from the demo workspace: 16 runs × 540 rows — ids, a text segment, labels, probabilities. */
const SWEEP = path.join(__dirname, '..', '..', '..', 'demo', 'workspace', 'digits-sweep', 'lightning_logs');
const PREDICTIONS = path.join(SWEEP, 'version_0', 'predictions.csv');
const ALL = path.join(SWEEP, 'version_*', 'predictions.csv');

/** DuckDB, an independent Parquet writer and the oracle for the statistics. */
async function duckdb(): Promise<{ run(sql: string): Promise<void>; rows(sql: string): Promise<unknown[][]> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  return { run: async (sql) => void (await con.run(sql)), rows: async (sql) => (await con.runAndReadAll(sql)).getRows() as unknown[][] };
}

const SOURCE = (csv: string) => `SELECT *, CASE WHEN id % 7 = 0 THEN NULL ELSE ink END AS ink_gaps, CASE WHEN id % 5 = 0 THEN NULL ELSE prob_0 END AS prob_0_gaps FROM read_csv('${csv}', header = true)`;

describe('Parquet tables (hyparquet), checked against DuckDB', () => {
  const dir = tempDir('runlens-parquet-');

  for (const codec of ['snappy', 'zstd', 'gzip', 'brotli', 'lz4', 'uncompressed']) {
    it(`${codec}: rows, types, missing, distinct, min/max/mean/std per column equal DuckDB's aggregates, and the CSV's statistics`, async () => {
      const db = await duckdb();
      const file = path.join(dir, `predictions_${codec}.parquet`);
      await db.run(`COPY (${SOURCE(ALL)}) TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048)`);
      const s = await tableStats({ file }, 'parquet', file);
      assert.deepEqual(s.diagnostics, []);
      const [[rows, groups]] = await db.rows(`SELECT COUNT(*), (SELECT COUNT(DISTINCT row_group_id) FROM parquet_metadata('${file}')) FROM '${file}'`);
      assert.equal(s.rows, Number(rows));
      assert.ok(Number(groups) > 1, 'several row groups');
      for (const c of s.columns) {
        const q = `"${c.name}"`;
        const numeric = c.type === 'integer' || c.type === 'float';
        const [[count, distinct, min, max, mean, std]] = await db.rows(
          `SELECT COUNT(${q}), COUNT(DISTINCT ${q}), ${numeric ? `MIN(${q}), MAX(${q}), AVG(${q}), STDDEV_SAMP(${q})` : 'NULL, NULL, NULL, NULL'} FROM '${file}'`,
        );
        assert.equal(c.count, Number(count), c.name);
        assert.equal(c.missing, s.rows - Number(count), c.name);
        assert.equal(c.distinct, Number(distinct), c.name);
        if (numeric) {
          assert.equal(c.min, Number(min), c.name);
          assert.equal(c.max, Number(max), c.name);
          assert.ok(Math.abs(c.mean! - Number(mean)) < 1e-9 * Math.max(1, Math.abs(Number(mean))), `${c.name} mean`);
          assert.ok(Math.abs(c.std! - Number(std)) < 1e-9 * Math.max(1, Number(std)), `${c.name} std`);
        }
      }
      assert.equal(s.columns.find((c) => c.name === 'prob_0')!.type, 'float');
      assert.equal(s.columns.find((c) => c.name === 'ink_gaps')!.type, 'string');
      // The same table as CSV (the runs' files one after the other): the same statistics, column for column.
      const joined = path.join(dir, 'all.csv');
      const files = fs.readdirSync(SWEEP).map((v) => path.join(SWEEP, v, 'predictions.csv')).filter((f) => fs.existsSync(f));
      fs.writeFileSync(joined, files.map((f, i) => fs.readFileSync(f, 'utf8').trimEnd().split('\n').slice(i ? 1 : 0).join('\n')).join('\n') + '\n');
      const csv = await tableStats({ file: joined }, 'csv', joined);
      // Value counts of numbers compared as numbers: the CSV writes 0.040 where Parquet holds 0.04.
      const summary = (x: typeof s.columns) =>
        x.map((c) => ({ ...c, values: undefined, sampled: undefined, counts: c.type === 'float' ? c.counts.map(([k, n]) => [Number(k), n]).sort((a, b) => Number(b[1]) - Number(a[1]) || Number(a[0]) - Number(b[0])) : c.counts }));
      assert.deepEqual(summary(s.columns.slice(0, csv.columns.length)), summary(csv.columns));
      assert.equal(s.duplicates, csv.duplicates);
    });
  }

  it('flattens struct columns to their leaves and reads list columns as JSON text', async () => {
    const db = await duckdb();
    const file = path.join(dir, 'nested.parquet');
    await db.run(`COPY (SELECT id, {'label': label, 'ink': ink} AS truth, [prob_0, prob_1] AS probs FROM read_csv('${PREDICTIONS}', header = true)) TO '${file}' (FORMAT parquet)`);
    const s = await tableStats({ file }, 'parquet', file);
    assert.deepEqual(s.diagnostics, []);
    assert.deepEqual(s.columns.map((c) => c.name), ['id', 'truth.label', 'truth.ink', 'probs']);
    const [[labels, inks]] = await db.rows(`SELECT COUNT(DISTINCT truth.label), COUNT(DISTINCT truth.ink) FROM '${file}'`);
    assert.equal(s.columns[1].distinct, Number(labels));
    assert.equal(s.columns[2].distinct, Number(inks));
    assert.match(s.columns[3].counts[0][0], /^\[0\.\d+,0\.\d+\]$/);
  });

  it('reports a damaged file with a message and no crash, and finds leakage between Parquet splits', async () => {
    const db = await duckdb();
    const good = path.join(dir, 'whole.parquet');
    await db.run(`COPY (${SOURCE(PREDICTIONS)}) TO '${good}' (FORMAT parquet)`);
    const bytes = fs.readFileSync(good);
    const cut = path.join(dir, 'cut.parquet');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const s = await tableStats({ file: cut }, 'parquet', cut);
    assert.equal(s.rows, 0);
    assert.match(s.diagnostics[0].message, /^not a readable Parquet file: /);
    const splits = tempDir('runlens-parquet-splits-');
    await db.run(`COPY (SELECT * FROM read_csv('${PREDICTIONS}', header = true) LIMIT 300) TO '${path.join(splits, 'train.parquet')}' (FORMAT parquet)`);
    await db.run(`COPY (SELECT * FROM read_csv('${PREDICTIONS}', header = true) OFFSET 295) TO '${path.join(splits, 'test.parquet')}' (FORMAT parquet)`);
    const found = await checkTables([path.join(splits, 'train.parquet'), path.join(splits, 'test.parquet')]);
    const leak = found.find((d) => d.message.startsWith('leakage'))!;
    assert.ok(leak, found.map((d) => d.message).join('\n'));
    assert.match(leak.message, /^leakage: 5 of 245 rows/);
  });

  it('reads a version committed to git (gathered from git cat-file) the same as the file', async function () {
    this.timeout(60_000);
    const db = await duckdb();
    const { repo, git } = newRepo('runlens-parquet-git-');
    const file = path.join(repo, 'predictions.parquet');
    await db.run(`COPY (${SOURCE(PREDICTIONS)}) TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
    git('add', '-A');
    git('commit', '-q', '-m', 'predictions');
    const fromGit = await statsOf(`${file}@~0`);
    const fromFile = await statsOf(file);
    assert.deepEqual({ ...fromGit.stats, diagnostics: [] }, { ...fromFile.stats, diagnostics: [] });
  });
});
