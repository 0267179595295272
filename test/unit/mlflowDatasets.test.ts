import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpus, indexInto, tempDir } from './corpus';

const WINE = corpus('mlflow', '2025-1-productos-de-datos__PRE-12-mlflow-evaluacion-alvelezp');
const HEART = corpus('mlflow', '2024ab05143__heart-disease-mlops', 'mlflow.db');

/** A `key: value` line of a meta.yaml, read by hand (the values asserted here are plain scalars). */
function field(file: string, key: string): string | undefined {
  return new RegExp(`^${key}: (.*)$`, 'm').exec(fs.readFileSync(file, 'utf8'))?.[1].replace(/^'(.*)'$/, '$1');
}

describe('MLflow dataset inputs: a field of their own, not tags', () => {
  it('file store: each run lists the datasets its inputs/ name, and its tags are the files in its tags/ folder', () => {
    const { store, dir } = indexInto([WINE]);
    const exp = path.join(WINE, 'mlruns', '0');
    let withInputs = 0;
    for (const r of store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] })) {
      const tagDir = path.join(r.path, 'tags');
      const tagFiles = fs.existsSync(tagDir) ? fs.readdirSync(tagDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(tagDir, path.join(e.parentPath, e.name)).split(path.sep).join('/')) : [];
      assert.deepEqual(Object.keys(store.tags(r.rid)).sort(), tagFiles.sort(), r.path);
      const inputsDir = path.join(r.path, 'inputs');
      const want = (fs.existsSync(inputsDir) ? fs.readdirSync(inputsDir).sort() : []).map((id) => {
        const ds = path.join(exp, 'datasets', field(path.join(inputsDir, id, 'meta.yaml'), 'source_id')!, 'meta.yaml');
        return { name: field(ds, 'name'), digest: field(ds, 'digest'), sourceType: field(ds, 'source_type') };
      });
      if (want.length > 0) withInputs++;
      assert.deepEqual(store.datasetInputs(r.rid).map((d) => ({ name: d.name, digest: d.digest, sourceType: d.sourceType })), want, r.path);
    }
    assert.ok(withInputs >= 5, `${withInputs} runs with dataset inputs`);
    store.close();
    fs.rmSync(dir, { recursive: true });
  });

  it("mlflow.db: the datasets of the inputs table, with the input's context; tags only from the tags table", () => {
    // The heart-disease database (whose inputs are model outputs only), with two dataset inputs entered as
    // MLflow's log_input writes them, one with a context tag.
    const work = tempDir('runlens-dsdb-');
    const db = path.join(work, 'mlflow.db');
    fs.copyFileSync(HEART, db);
    execFileSync('python3', ['-c', `import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
run, exp = c.execute('select run_uuid, experiment_id from runs order by run_uuid limit 1').fetchone()
c.execute("insert into datasets values ('ds-1', ?, 'heart', 'd1g35t', 'local', '{\\"uri\\": \\"heart.csv\\"}', NULL, NULL)", (exp,))
c.execute("insert into datasets values ('ds-2', ?, 'heart-eval', 'e2v4l', 'local', '{}', NULL, NULL)", (exp,))
c.execute("insert into inputs values ('in-1', 'DATASET', 'ds-1', 'RUN', ?, 0)", (run,))
c.execute("insert into inputs values ('in-2', 'DATASET', 'ds-2', 'RUN', ?, 0)", (run,))
c.execute("insert into input_tags values ('in-1', 'mlflow.data.context', 'training')")
c.commit()`, db]);
    const script = `import sqlite3, json, sys
c = sqlite3.connect('file:' + sys.argv[1] + '?immutable=1', uri=True)
inputs = c.execute("select i.destination_id, d.name, d.digest, (select value from input_tags t where t.input_uuid = i.input_uuid and t.name = 'mlflow.data.context') from inputs i join datasets d on d.dataset_uuid = i.source_id where i.source_type = 'DATASET' and i.destination_type = 'RUN' order by i.rowid").fetchall()
tags = c.execute('select run_uuid, key from tags').fetchall()
print(json.dumps({'inputs': inputs, 'tags': tags}))`;
    const want = JSON.parse(execFileSync('python3', ['-c', script, db], { encoding: 'utf8' })) as { inputs: [string, string, string, string | null][]; tags: [string, string][] };
    const { store, dir } = indexInto([work]);
    const runs = store.queryRuns({ sql: '', params: [] }, { sql: 'r.id', params: [] }).filter((r) => r.path === db);
    assert.ok(runs.length > 0);
    let inputs = 0;
    for (const r of runs) {
      const mine = want.inputs.filter((i) => i[0] === r.nativeId).map(([, name, digest, context]) => ({ name, digest, context: context ?? undefined }));
      inputs += mine.length;
      assert.deepEqual(store.datasetInputs(r.rid).map((d) => ({ name: d.name, digest: d.digest, context: d.context })), mine, r.nativeId);
      assert.deepEqual(Object.keys(store.tags(r.rid)).sort(), want.tags.filter((t) => t[0] === r.nativeId).map((t) => t[1]).sort(), r.nativeId);
    }
    assert.equal(inputs, 2);
    assert.ok(want.inputs.some((i) => i[3] === 'training'));
    store.close();
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(work, { recursive: true });
  });
});
