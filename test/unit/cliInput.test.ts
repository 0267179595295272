/**
 * The CLI against hostile and careless use: terminal escapes in run data, unknown or malformed options,
 * errors that must be one line, the folder a command works on, the index's freshness, time queries, table
 * widths, JSON numbers and exit codes. Every workspace is built here, with values written by the test.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './corpus';

const BIN = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');

interface RunSpec {
  id: string;
  name: string;
  experiment?: string;
  start: number;
  end?: number;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** Metric key → lines of "timestamp value step". */
  metrics?: Record<string, string[]>;
  deleted?: boolean;
}

/** An MLflow file store (`mlruns/`) as MLflow writes it, one experiment per distinct name. */
function mlflowStore(ws: string, runs: RunSpec[]): void {
  const experiments = [...new Set(runs.map((r) => r.experiment ?? 'Default'))];
  experiments.forEach((name, i) => {
    const dir = path.join(ws, 'mlruns', String(i));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'meta.yaml'), `artifact_location: file://${dir}\ncreation_time: 1590000000000\nexperiment_id: '${i}'\nlast_update_time: 1590000000000\nlifecycle_stage: active\nname: ${name}\n`);
  });
  for (const r of runs) {
    const e = experiments.indexOf(r.experiment ?? 'Default');
    const dir = path.join(ws, 'mlruns', String(e), r.id);
    for (const sub of ['params', 'tags', 'metrics', 'artifacts']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'meta.yaml'),
      `artifact_uri: file://${dir}/artifacts\nend_time: ${r.end ?? 'null'}\nentry_point_name: ''\nexperiment_id: '${e}'\nlifecycle_stage: ${r.deleted ? 'deleted' : 'active'}\nrun_id: ${r.id}\nrun_name: ${JSON.stringify(r.name)}\nrun_uuid: ${r.id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: ${r.start}\nstatus: ${r.end ? 3 : 1}\ntags: []\nuser_id: tester\n`,
    );
    for (const [k, v] of Object.entries(r.params ?? {})) fs.writeFileSync(path.join(dir, 'params', k), v);
    for (const [k, v] of Object.entries(r.tags ?? {})) fs.writeFileSync(path.join(dir, 'tags', k), v);
    for (const [k, lines] of Object.entries(r.metrics ?? {})) fs.writeFileSync(path.join(dir, 'metrics', k), lines.join('\n') + '\n');
  }
}

// (Letters in each id: YAML would read an all-digit id as a number.)
const id = (n: number) => `abcdef${n.toString(16).padStart(26, '0')}`;

describe('runlens CLI: hostile and careless use', () => {
  let root: string;
  let cache: string;
  // Each test's own cache folder, and no index or width from the environment running the tests.
  const cli = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) => {
    const e: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache, ...opts.env };
    if (!opts.env?.RUNLENS_INDEX) delete e.RUNLENS_INDEX;
    if (!opts.env?.COLUMNS) delete e.COLUMNS;
    return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: opts.cwd ?? root, env: e, maxBuffer: 1 << 28 });
  };
  before(() => {
    root = tempDir();
    cache = path.join(root, 'cache');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  describe('terminal escapes in run data', () => {
    const OSC = '\x1b]0;pwned\x07';
    const CLEAR = '\x1b[2J';
    const BIDI = '\u202eevil';
    const C1 = '\x9b31m';
    let ws: string;
    let index: string;
    before(() => {
      ws = path.join(root, 'escapes');
      mlflowStore(ws, [
        { id: id(1), name: `name${OSC}`, start: 1600000000000, end: 1600000100000, params: { [`lr${CLEAR}`]: `0.1${BIDI}` }, tags: { note: `a${C1}b\nc` }, metrics: { [`acc${CLEAR}`]: ['1600000000000 0.5 0'] } },
        { id: id(2), name: 'plain', start: 1600000000000, end: 1600000100000, params: { [`lr${CLEAR}`]: '0.2' } },
      ]);
      // A metric file whose name holds an escape and whose content is bad: a diagnostic naming it.
      fs.writeFileSync(path.join(ws, 'mlruns', '0', id(2), 'metrics', `bad${OSC}`), 'not a metric line\n');
      index = path.join(root, 'escapes.sqlite');
      const r = cli(['index', ws, '--index', index]);
      assert.equal(r.status, 0, r.stderr);
    });
    const raw = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

    for (const args of [['runs'], ['show', id(1)], ['compare', id(1), id(2)], ['problems'], ['lineage', id(1)], ['metrics', id(1), `acc${CLEAR}`]]) {
      it(`${args[0]} shows control characters escaped, never raw`, () => {
        const r = cli([...args, '--index', index]);
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stdout, raw, JSON.stringify(r.stdout));
        assert.doesNotMatch(r.stderr, raw);
        if (args[0] === 'show') {
          assert.ok(r.stdout.includes('name\\x1b]0;pwned\\x07'), r.stdout);
          assert.ok(r.stdout.includes('lr\\x1b[2J'));
          assert.ok(r.stdout.includes('0.1\\u202eevil'));
          assert.ok(r.stdout.includes('a\\x9b31mb\\nc'));
        }
        if (args[0] === 'problems') assert.ok(r.stdout.includes('bad\\x1b]0;pwned\\x07'), r.stdout);
      });
    }

    it('keeps the exact strings in --json output', () => {
      const r = cli(['show', id(1), '--json', '--index', index]);
      const out = JSON.parse(r.stdout);
      assert.equal(out.name, `name${OSC}`);
      assert.equal(out.params[`lr${CLEAR}`], `0.1${BIDI}`);
      assert.equal(out.tags.note, `a${C1}b\nc`);
    });

    it('escapes a run reference in an error message', () => {
      const r = cli(['show', `x${CLEAR}`, '--index', index]);
      assert.equal(r.status, 2);
      assert.doesNotMatch(r.stderr, raw);
      assert.match(r.stderr, /x\\x1b\[2J/);
    });
  });

  describe('options and errors', () => {
    let ws: string;
    let index: string;
    before(() => {
      ws = path.join(root, 'options');
      mlflowStore(ws, [
        { id: id(1), name: 'twin', experiment: 'alpha', start: 1600000000000, end: 1600000100000 },
        { id: id(2), name: 'twin', experiment: 'beta', start: 1600000000000, end: 1600000100000 },
      ]);
      index = path.join(root, 'options.sqlite');
    });
    const oneLine = (stderr: string) => {
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.doesNotMatch(stderr, /^\s+at /m, stderr);
    };

    it('refuses an unknown option, naming it and the closest known one, without taking the next argument', () => {
      const r = cli(['runs', ws, '--querry', 'status = "FINISHED"', '--index', index]);
      assert.equal(r.status, 2);
      oneLine(r.stderr);
      assert.match(r.stderr, /unknown option --querry \(did you mean --query\?\)/);
      const other = cli(['show', id(1), '--truth', 'y', '--index', index]);
      assert.equal(other.status, 2);
      assert.match(other.stderr, /show takes no option --truth/);
    });

    it('says in one line what is wrong with a value', () => {
      const cases: [string[], RegExp][] = [
        [['runs', ws, '--limit', 'abc'], /--limit takes a whole number, not 'abc'/],
        [['runs', ws, '--offset', '-3'], /--offset takes a whole number/],
        [['analyze', 'x.csv', '--errors', 'abc'], /--errors takes a whole number, not 'abc'/],
        [['runs', ws, '--query'], /--query needs a value/],
        [['runs', ws, '--sort', '--json'], /--sort needs a value/],
        [['runs', ws, '--json=yes'], /--json takes no value/],
        [['runs', path.join(root, 'not-there')], /no such folder/],
        [['runs', ws, '--query', 'start_time > "last week"'], /bad query: start_time compares with an ISO date/],
        [['frobnicate'], /unknown command 'frobnicate'/],
      ];
      for (const [args, re] of cases) {
        const r = cli([...args, '--index', index]);
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, re);
        if (!/bad query/.test(r.stderr)) oneLine(r.stderr);
        else assert.doesNotMatch(r.stderr, /^\s+at /m);
      }
    });

    it('refuses an index inside the workspace in one line, for every command that opens one (models too)', () => {
      for (const command of ['index', 'runs', 'models', 'problems']) {
        const r = cli([command, ws, '--index', path.join(ws, 'inside.sqlite')]);
        assert.equal(r.status, 2, command);
        oneLine(r.stderr);
        assert.match(r.stderr, /outside the workspace/);
      }
      assert.ok(!fs.existsSync(path.join(ws, 'inside.sqlite')));
    });

    it('has --help for every command and --version', () => {
      for (const command of ['index', 'runs', 'show', 'compare', 'metrics', 'problems', 'analyze', 'evaluate', 'dataset', 'lineage', 'model', 'models']) {
        const r = cli([command, '--help']);
        assert.equal(r.status, 0, command);
        assert.match(r.stdout, new RegExp(`^usage: runlens ${command === 'evaluate' ? 'analyze' : command}\\b`), command);
      }
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
      const v = cli(['--version']);
      assert.equal(v.status, 0);
      assert.equal(v.stdout.trim(), `runlens ${pkg.version}`);
    });

    it('lists the candidates of an ambiguous run name with their experiments', () => {
      const r = cli(['show', 'twin', ws, '--index', index]);
      // (`show` takes one run: the folder goes with --dir.)
      assert.equal(r.status, 2);
      const s = cli(['show', 'twin', '--dir', ws, '--index', index]);
      assert.equal(s.status, 2);
      oneLine(s.stderr);
      assert.match(s.stderr, /'twin' matches 2 runs/);
      assert.match(s.stderr, /[0-9a-f]{10} twin \(experiment alpha, mlflow\); [0-9a-f]{10} twin \(experiment beta, mlflow\)/);
    });

    it('shows a run with 130,000 metric series', function () {
      this.timeout(120_000);
      // A Keras CSVLogger file with 130,000 metric columns: 130,000 series of 2 points.
      const big = path.join(root, 'wide');
      fs.mkdirSync(big);
      const n = 130_000;
      const head = ['epoch'];
      const row0 = ['0'];
      const row1 = ['1'];
      for (let i = 0; i < n; i++) head.push(`loss_${i}`), row0.push(String(i)), row1.push(String(i + 0.5));
      fs.writeFileSync(path.join(big, 'training_log.csv'), `${head.join(',')}\n${row0.join(',')}\n${row1.join(',')}\n`);
      const r = cli(['show', 'training_log', '--dir', big, '--index', path.join(root, 'wide.sqlite')]);
      assert.equal(r.status, 0, r.stderr.slice(0, 2000));
      const lines = r.stdout.split('\n');
      // Shown to 6 significant digits: 129999.5 as 130000.
      assert.ok(lines.some((l) => /^loss_129999\s+130000\s+1\s+129999\s+130000\s+2$/.test(l)), 'the last series is listed');
      assert.equal(lines.filter((l) => l.startsWith('loss_')).length, n);
    });
  });

  describe('exit codes', () => {
    it('are the same with and without --json for dataset check (1: leakage found)', () => {
      const data = path.join(root, 'splits');
      fs.mkdirSync(data);
      fs.writeFileSync(path.join(data, 'train.csv'), 'x,y\n1,a\n2,b\n3,a\n4,b\n');
      fs.writeFileSync(path.join(data, 'test.csv'), 'x,y\n1,a\n5,b\n');
      const text = cli(['dataset', 'check', data]);
      const json = cli(['dataset', 'check', data, '--json']);
      assert.equal(text.status, 1, text.stdout + text.stderr);
      assert.equal(json.status, 1);
      assert.ok(JSON.parse(json.stdout).diagnostics.some((d: { severity: string }) => d.severity !== 'info'));
      const clean = path.join(root, 'clean-splits');
      fs.mkdirSync(clean);
      fs.writeFileSync(path.join(clean, 'train.csv'), 'x,y\n1,a\n2,b\n3,a\n4,b\n');
      fs.writeFileSync(path.join(clean, 'test.csv'), 'x,y\n5,a\n6,b\n');
      assert.equal(cli(['dataset', 'check', clean]).status, cli(['dataset', 'check', clean, '--json']).status);
    });
  });

  describe('the folder a command works on, and freshness', () => {
    let proj: string;
    before(() => {
      proj = path.join(root, 'proj');
      mlflowStore(proj, [{ id: id(7), name: 'mine', start: 1600000000000, end: 1600000100000, params: { lr: '0.5' } }]);
    });

    it('uses the current directory when no folder is given, and show then finds its run from elsewhere', () => {
      const r = cli(['runs', '--json'], { cwd: proj });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).runs.map((x: { name: string }) => x.name), ['mine']);
      // From a subfolder (as git finds its repository) and from a folder never indexed.
      const sub = path.join(proj, 'mlruns');
      assert.equal(JSON.parse(cli(['show', 'mine', '--json'], { cwd: sub }).stdout).params.lr, '0.5');
      const elsewhere = path.join(root, 'elsewhere');
      fs.mkdirSync(elsewhere);
      const s = cli(['show', 'mine', '--json'], { cwd: elsewhere });
      assert.equal(s.status, 0, s.stderr);
      assert.equal(JSON.parse(s.stdout).nativeId, id(7));
    });

    it('show, compare and lineage with a given index answer for the folder it holds, not the demo', () => {
      const index = path.join(root, 'shared.sqlite');
      assert.equal(cli(['runs', proj, '--index', index]).status, 0);
      for (const args of [['show', 'mine'], ['lineage', 'mine'], ['metrics', 'mine', 'x']]) cli([...args, '--index', index], { cwd: root });
      const r = cli(['runs', '--json', '--no-index', '--index', index], { cwd: root });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).runs.map((x: { name: string }) => x.name), ['mine']);
    });

    it('refuses --no-index for a folder the index does not hold', () => {
      const index = path.join(root, 'held.sqlite');
      assert.equal(cli(['index', proj, '--index', index]).status, 0);
      const other = path.join(root, 'options');
      const r = cli(['runs', other, '--no-index', '--index', index]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /holds .*proj, not .*options/);
      const none = cli(['runs', other, '--no-index', '--index', path.join(root, 'never.sqlite')]);
      assert.equal(none.status, 2);
      assert.match(none.stderr, /no index yet/);
    });

    it('answers from the index without a pass while nothing changed, and sees a file changed 1 s after a pass', () => {
      const ws = path.join(root, 'fresh');
      mlflowStore(ws, [{ id: id(1), name: 'first', start: 1600000000000, end: 1600000100000 }]);
      const index = path.join(root, 'fresh.sqlite');
      const names = (extra: string[] = []) => {
        const r = cli(['runs', ws, '--json', '--index', index, ...extra]);
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout).runs.map((x: { name: string }) => x.name).sort();
      };
      // When the last pass finished, as the pass records it (read here with SQLite itself).
      const lastPass = () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const Database = require('better-sqlite3');
        const db = new Database(index, { readonly: true });
        try {
          return JSON.parse(db.prepare("SELECT value FROM meta WHERE key = 'cli_pass'").pluck().get()).finishedAt as number;
        } finally {
          db.close();
        }
      };
      const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      assert.deepEqual(names(), ['first']);
      const pass = lastPass();
      sleep(1000);
      assert.deepEqual(names(), ['first']);
      assert.equal(lastPass(), pass, 'nothing changed: no pass');
      // The run renamed in place, same size: only its mtime tells.
      const meta = path.join(ws, 'mlruns', '0', id(1), 'meta.yaml');
      const text = fs.readFileSync(meta, 'utf8');
      fs.writeFileSync(meta, text.replace('run_name: "first"', 'run_name: "FIRST"'));
      assert.equal(fs.statSync(meta).size, Buffer.byteLength(text));
      assert.deepEqual(names(), ['FIRST'], 'a file changed 1 s after a pass');
      assert.notEqual(lastPass(), pass);
      sleep(1000);
      // A new run folder in the experiment, and a new store in a new folder the walk would find.
      fs.cpSync(path.join(ws, 'mlruns', '0', id(1)), path.join(ws, 'mlruns', '0', id(2)), { recursive: true });
      const copied = path.join(ws, 'mlruns', '0', id(2), 'meta.yaml');
      fs.writeFileSync(copied, fs.readFileSync(copied, 'utf8').replaceAll(id(1), id(2)).replace('"FIRST"', '"second"'));
      assert.deepEqual(names(), ['FIRST', 'second']);
      sleep(1000);
      mlflowStore(path.join(ws, 'nested', 'deeper'), [{ id: id(3), name: 'third', start: 1600000000000 }]);
      assert.deepEqual(names(), ['FIRST', 'second', 'third']);
      const before = lastPass();
      assert.deepEqual(names(['--refresh']), ['FIRST', 'second', 'third']);
      assert.notEqual(lastPass(), before, '--refresh: a pass');
    });
  });

  describe('runs: time queries, --deleted, widths, JSON numbers', () => {
    let ws: string;
    let index: string;
    const H = 3_600_000;
    const A = Date.UTC(2020, 5, 1);
    const B = Date.UTC(2021, 5, 1, 12, 0, 0);
    const C = Date.UTC(2022, 0, 1);
    before(() => {
      ws = path.join(root, 'times');
      mlflowStore(ws, [
        { id: id(1), name: 'a-three-hours', experiment: 'an experiment with a rather long name indeed', start: A, end: A + 3 * H, metrics: { loss: [`${A} nan 0`, `${A + 1} 0.25 1`], gain: [`${A} inf 0`], drop: [`${A} -inf 0`] } },
        { id: id(2), name: 'b-half-hour', start: B, end: B + H / 2 },
        { id: id(3), name: 'c-running', start: C },
        { id: id(4), name: 'd-deleted', start: C, end: C + H, deleted: true },
      ]);
      index = path.join(root, 'times.sqlite');
      assert.equal(cli(['index', ws, '--index', index]).status, 0);
    });
    const names = (q: string, extra: string[] = []) => {
      const r = cli(['runs', ws, '--no-index', '--index', index, '--json', '--query', q, ...extra]);
      assert.equal(r.status, 0, `${q}: ${r.stderr}`);
      return JSON.parse(r.stdout).runs.map((x: { name: string }) => x.name).sort();
    };

    it('compares start_time and end_time with ISO dates and epoch milliseconds', () => {
      assert.deepEqual(names('end_time < "2021-01-01"'), ['a-three-hours']);
      assert.deepEqual(names('end_time < 2021-01-01'), ['a-three-hours']);
      assert.deepEqual(names(`start_time >= ${B}`), ['b-half-hour', 'c-running']);
      assert.deepEqual(names('start_time > "2021-06-01T11:59:59Z" and start_time < "2021-06-01T12:00:01"'), ['b-half-hour']);
      assert.deepEqual(names('start_time = "2021-06-01T14:00:00+02:00"'), ['b-half-hour']);
      assert.deepEqual(names('end_time is null'), ['c-running']);
    });

    it('takes durations with units', () => {
      assert.deepEqual(names('duration > 2h'), ['a-three-hours']);
      assert.deepEqual(names('duration < 1h'), ['b-half-hour']);
      assert.deepEqual(names('duration = 30m'), ['b-half-hour']);
      assert.deepEqual(names('duration >= 2h59m60s and duration <= "3h"'), ['a-three-hours']);
      assert.deepEqual(names(`duration > ${2 * H}`), ['a-three-hours']);
      const bad = cli(['runs', ws, '--no-index', '--index', index, '--query', 'metrics.loss > 2h']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /compares only with duration/);
    });

    it('--deleted lists only the deleted runs', () => {
      assert.deepEqual(names('', ['--deleted']), ['d-deleted']);
      assert.deepEqual(names(''), ['a-three-hours', 'b-half-hour', 'c-running']);
    });

    it('fits tables to the terminal width by cutting cells', () => {
      for (const columns of ['80', '72']) {
        const r = cli(['runs', ws, '--no-index', '--index', index], { env: { COLUMNS: columns } });
        assert.equal(r.status, 0, r.stderr);
        const lines = r.stdout.trimEnd().split('\n');
        for (const l of lines) assert.ok(l.length <= Number(columns), `${l.length} > ${columns}: ${l}`);
        assert.ok(lines.some((l) => l.includes('…')));
        // One line per run, between the header (two lines) and the count.
        assert.equal(lines.length, 2 + 3 + 1);
      }
    });

    it('writes NaN and ±Infinity the same documented way in every JSON field', () => {
      const show = JSON.parse(cli(['show', 'a-three-hours', '--json', '--no-index', '--index', index]).stdout);
      const loss = show.series.find((s: { key: string }) => s.key === 'loss');
      assert.equal(loss.last, 0.25);
      assert.equal(show.metrics.gain, 'Infinity');
      assert.equal(show.metrics.drop, '-Infinity');
      assert.equal(typeof show.startTime, 'number');
      const points = JSON.parse(cli(['metrics', 'a-three-hours', 'loss', '--json', '--no-index', '--index', index]).stdout).points;
      assert.deepEqual(points.map((p: { value: unknown }) => p.value), ['NaN', 0.25]);
      assert.deepEqual(points.map((p: { step: unknown }) => p.step), [0, 1]);
      const cmp = JSON.parse(cli(['compare', 'a-three-hours', 'b-half-hour', '--json', '--no-index', '--index', index]).stdout);
      assert.equal(cmp.metrics.gain[0].last, 'Infinity');
    });
  });
});
