import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../../src/core/index/store';
import { RunsTable } from '../../src/core/table/runsTable';
import { indexInto } from './corpus';

const SWEEP = path.resolve(__dirname, '..', '..', '..', 'demo', 'workspace', 'digits-sweep', 'lightning_logs');

/** Per version folder, read independently of the readers: the last val_acc logged in metrics.csv, and hparams.yaml. */
function sweepTruth(): { version: string; valAcc: number | null; hparams: Record<string, string> }[] {
  return fs.readdirSync(SWEEP).map((version) => {
    const lines = fs.readFileSync(path.join(SWEEP, version, 'metrics.csv'), 'utf8').trim().split('\n');
    const head = lines[0].split(',');
    const col = head.indexOf('val_acc');
    let valAcc: number | null = null;
    for (const line of lines.slice(1)) {
      const cell = line.split(',')[col];
      if (cell !== undefined && cell !== '') valAcc = Number(cell);
    }
    const hparams = Object.fromEntries(
      fs.readFileSync(path.join(SWEEP, version, 'hparams.yaml'), 'utf8').trim().split('\n').map((l) => l.split(': ').map((s) => s.trim()) as [string, string]),
    );
    return { version, valAcc, hparams };
  });
}

describe('Runs table model', () => {
  let store: Store;
  let dir: string;
  const truth = sweepTruth();
  before(() => ({ store, dir } = indexInto([path.dirname(SWEEP)])));
  after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true });
  });
  const cols = [{ id: 'name' }, { id: 'params.lr' }, { id: 'params.hidden' }, { id: 'metrics.val_acc' }];
  const pathOf = (rid: number) => store.db.prepare('SELECT path FROM runs WHERE rid = ?').pluck().get(rid) as string;

  it('puts on top, sorted by val_acc descending, the run whose metrics.csv holds the highest value', () => {
    const table = new RunsTable(store);
    const rows = table.page({ columns: cols, sort: [{ column: { id: 'metrics.val_acc' }, desc: true }], limit: 100 });
    assert.equal(rows.length, truth.length);
    const best = truth.filter((t) => t.valAcc !== null).sort((a, b) => b.valAcc! - a.valAcc!)[0];
    assert.equal(path.basename(pathOf(rows[0].rid)), best.version);
    assert.ok(Math.abs((rows[0].cells[3] as number) - best.valAcc!) < 1e-6);
    // Every cell against the files: lr as hparams.yaml writes it, val_acc the last logged.
    for (const row of rows) {
      const t = truth.find((x) => x.version === path.basename(pathOf(row.rid)))!;
      assert.equal(row.cells[1], t.hparams.lr);
      if (t.valAcc === null) assert.equal(row.cells[3], null);
      else assert.ok(Math.abs((row.cells[3] as number) - t.valAcc) < 1e-6);
    }
  });

  it('sorts numbers as numbers and keeps missing values last in both directions', () => {
    const table = new RunsTable(store);
    for (const desc of [true, false]) {
      const vals = table.page({ columns: [{ id: 'metrics.val_acc' }], sort: [{ column: { id: 'metrics.val_acc' }, desc }] }).map((r) => r.cells[0] as number | null);
      const present = vals.filter((v) => v !== null) as number[];
      assert.deepEqual(vals.slice(0, present.length), present, 'missing values come last');
      assert.deepEqual(present, [...present].sort((a, b) => (desc ? b - a : a - b)));
    }
    // lr as numbers: 0.0001 < 0.001 < 0.01 (as text "0.0001" < "0.001" would hold too; hidden 128 < 32 would not).
    const hidden = table.page({ columns: [{ id: 'params.hidden' }], sort: [{ column: { id: 'params.hidden' } }] }).map((r) => Number(r.cells[0]));
    assert.deepEqual(hidden, truth.map((t) => Number(t.hparams.hidden)).sort((a, b) => a - b));
  });

  it('counts N of M, and pages are slices of the full sorted order', () => {
    const table = new RunsTable(store, { filter: 'params.lr < 0.005' });
    const expected = truth.filter((t) => Number(t.hparams.lr) < 0.005).length;
    assert.ok(expected > 0 && expected < truth.length);
    assert.deepEqual(table.counts(), { shown: expected, total: truth.length });
    for (const sort of [[{ column: { id: 'metrics.val_acc' }, desc: true }], [{ column: { id: 'params.hidden' }, desc: true }, { column: { id: 'metrics.val_acc' } }], []]) {
      const all = table.page({ columns: cols, sort, limit: 1000 }).map((r) => r.rid);
      assert.equal(all.length, expected);
      const paged = [0, 3, 6, 9, 12].flatMap((offset) => table.page({ columns: cols, sort, offset, limit: 3 }).map((r) => r.rid));
      assert.deepEqual(paged, all);
    }
  });

  it('pages an unfiltered table from the metric summary index, ties and all', () => {
    const table = new RunsTable(store);
    for (const desc of [true, false]) {
      const sort = [{ column: { id: 'metrics.val_acc' }, desc }];
      const all = table.page({ columns: [{ id: 'metrics.val_acc' }], sort, limit: 1000 });
      // Ties at 0.972222 (versions 12 and 13 in metrics.csv): a page boundary between them must not lose one.
      assert.ok(new Set(all.map((r) => r.cells[0])).size < all.length);
      for (const size of [1, 2, 5]) {
        const paged = [];
        for (let offset = 0; offset < all.length; offset += size) paged.push(...table.page({ columns: [], sort, offset, limit: size }).map((r) => r.rid));
        assert.deepEqual(paged, all.map((r) => r.rid));
      }
    }
  });

  it('tells which columns differ among the shown runs', () => {
    const differ = (filter: string) => new RunsTable(store, { filter }).differing([...cols, { id: 'format' }, { id: 'params.batch_size' }]).map((c) => c.id);
    const keys = ['lr', 'hidden', 'batch_size'];
    const varies = (k: string) => new Set(truth.map((t) => t.hparams[k])).size > 1;
    assert.deepEqual(differ(''), ['name', ...keys.filter((k) => k !== 'batch_size' && varies(k)).map((k) => `params.${k}`), 'metrics.val_acc', ...(varies('batch_size') ? ['params.batch_size'] : [])]);
    const lr = truth[0].hparams.lr;
    const sameLr = differ(`params.lr = "${lr}"`);
    assert.ok(!sameLr.includes('params.lr') && !sameLr.includes('format'));
  });

  it('groups by a param with count and mean / min / max of a metric', () => {
    const groups = new RunsTable(store).groups({ id: 'params.hidden' }, [{ id: 'metrics.val_acc' }]);
    const byHidden = new Map<string, number[]>();
    for (const t of truth) if (t.valAcc !== null) (byHidden.get(t.hparams.hidden) ?? byHidden.set(t.hparams.hidden, []).get(t.hparams.hidden)!).push(t.valAcc);
    assert.deepEqual(groups.map((g) => g.value), [...new Set(truth.map((t) => t.hparams.hidden))].sort((a, b) => Number(a) - Number(b)));
    for (const g of groups) {
      assert.equal(g.count, truth.filter((t) => t.hparams.hidden === g.value).length);
      const v = byHidden.get(g.value as string)!;
      const m = g.metrics['metrics.val_acc'];
      assert.ok(Math.abs(m.mean! - v.reduce((a, b) => a + b, 0) / v.length) < 1e-6);
      assert.ok(Math.abs(m.min! - Math.min(...v)) < 1e-6 && Math.abs(m.max! - Math.max(...v)) < 1e-6);
    }
    // Rows of one group: exactly its runs.
    const g0 = groups[0];
    const rows = new RunsTable(store).page({ columns: [{ id: 'params.hidden' }], group: { column: { id: 'params.hidden' }, value: g0.value } });
    assert.equal(rows.length, g0.count);
    assert.ok(rows.every((r) => r.cells[0] === g0.value));
  });

  it('offers every column grouped by kind and key prefix', () => {
    const { columns, groups } = new RunsTable(store).catalogue();
    const ids = columns.map((c) => c.id);
    for (const id of ['name', 'status', 'experiment', 'format', 'start', 'duration', 'commit', 'params.lr', 'params.hidden', 'metrics.val_acc', 'metrics.val_loss']) assert.ok(ids.includes(id), id);
    assert.ok(groups.some((g) => g.kind === 'metric') && groups.every((g) => g.columns.every((c) => c.kind === g.kind && c.prefix === g.prefix)));
  });
});

describe('Runs table model on the whole demo workspace', () => {
  let store: Store;
  let dir: string;
  before(() => ({ store, dir } = indexInto([path.dirname(path.dirname(SWEEP)) ])));
  after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('keeps the runs without the sorted metric last in both directions, and pages through them', () => {
    const table = new RunsTable(store);
    const { shown } = table.counts();
    const withIt = new RunsTable(store, { filter: 'metrics.val_acc is not null' }).counts().shown;
    assert.ok(withIt > 0 && withIt < shown);
    for (const desc of [true, false]) {
      const sort = [{ column: { id: 'metrics.val_acc' }, desc }];
      const all = table.page({ columns: [{ id: 'metrics.val_acc' }], sort, limit: 100_000 });
      assert.equal(all.length, shown);
      const vals = all.map((r) => r.cells[0] as number | null);
      assert.ok(vals.slice(0, withIt).every((v) => v !== null) && vals.slice(withIt).every((v) => v === null));
      const present = vals.slice(0, withIt) as number[];
      assert.deepEqual(present, [...present].sort((a, b) => (desc ? b - a : a - b)));
      // Pages across the boundary between runs with and without the metric.
      const paged = [];
      for (let offset = 0; offset < shown; offset += 7) paged.push(...table.page({ columns: [], sort, offset, limit: 7 }).map((r) => r.rid));
      assert.deepEqual(paged, all.map((r) => r.rid));
    }
  });
});

describe('runlens runs --columns / --only-diff and compare --only-diff', () => {
  const BIN = path.resolve(__dirname, '..', '..', 'src', 'cli', 'bin.js');
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'runlens-table-cli-'));
  const ws = path.dirname(SWEEP);
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--index', path.join(dir, 'index.sqlite')], { encoding: 'utf8' });
  after(() => fs.rmSync(dir, { recursive: true }));
  const truth = sweepTruth();

  it('prints the chosen columns sorted by a metric, the best run first', () => {
    const r = cli('runs', ws, '--columns', 'params.lr,params.batch_size,metrics.val_acc', '--sort', 'metrics.val_acc desc', '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.columns, ['name', 'params.lr', 'params.batch_size', 'metrics.val_acc']);
    assert.equal(j.shown, truth.length);
    const best = truth.sort((a, b) => b.valAcc! - a.valAcc!)[0];
    assert.equal(j.rows[0].cells.name, best.version);
    assert.equal(j.rows[0].cells['params.lr'], best.hparams.lr);
    const text = cli('runs', ws, '--no-index', '--columns', 'params.lr,metrics.val_acc', '--sort', 'metrics.val_acc desc', '--limit', '3');
    assert.match(text.stdout, /3 rows of 16 of 16 runs shown/);
    assert.equal(cli('runs', ws, '--no-index', '--columns', 'nope').status, 2);
  });

  it('keeps only the differing columns, and compare only the differing params', () => {
    const j = JSON.parse(cli('runs', ws, '--no-index', '--only-diff', '--json').stdout);
    // batch_size is 64 in every hparams.yaml of the sweep; lr and hidden vary.
    assert.equal(new Set(truth.map((t) => t.hparams.batch_size)).size, 1);
    assert.ok(!j.columns.includes('params.batch_size') && !j.columns.includes('format'));
    assert.ok(j.columns.includes('params.lr') && j.columns.includes('params.hidden'));
    const ids = JSON.parse(cli('runs', ws, '--no-index', '--json', '--limit', '2').stdout).runs.map((x: { id: string }) => x.id);
    const cmp = cli('compare', ...ids, '--dir', ws, '--no-index', '--only-diff');
    assert.equal(cmp.status, 0, cmp.stderr);
    assert.doesNotMatch(cmp.stdout, /batch_size/);
    assert.match(cli('compare', ...ids, '--dir', ws, '--no-index').stdout, /batch_size/);
  });
});
