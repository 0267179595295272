import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { describeModel } from '../../src/core/artifacts/models';
import { prng } from '../fuzz/harness';
import { corpus, tempDir } from './corpus';

const MODELS = corpus('models');
const python = (code: string) => {
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
};

describe('model artifacts, described without loading them', () => {
  it('safetensors: every tensor of the header, its dtype and shape, and the parameter count (Python oracle)', function () {
    const file = path.join(MODELS, 'LaziestCactus__GPTLoRA', 'results', 'checkpoint-1000', 'adapter_model.safetensors');
    const oracle = python(`import json,struct,math;f=open(${JSON.stringify(file)},'rb');n=struct.unpack('<Q',f.read(8))[0];h=json.loads(f.read(n));h.pop('__metadata__',None);print(json.dumps({'names':sorted(h),'params':sum(math.prod(t['shape']) for t in h.values())}))`);
    if (!oracle) this.skip();
    const d = describeModel(file);
    assert.equal(d.format, 'safetensors');
    assert.deepEqual(d.tensors!.map((t) => t.name).sort(), oracle.names);
    assert.equal(d.parameters, oracle.params);
    assert.ok(d.tensors!.every((t) => t.dtype === 'F32'));
    assert.deepEqual(d.warnings, []);
    assert.match(d.summary, /^safetensors · 24 tensors · 294\.9k params/);
  });

  it('Keras: the archive listed and its config read in memory, never extracted (Python zipfile oracle)', function () {
    const file = path.join(MODELS, 'Deepender25__Handwritten-Digit-Recognition---CNN-with-99.65-Accuracy', 'mnist_digit_classifier.keras');
    const oracle = python(`import json,zipfile;z=zipfile.ZipFile(${JSON.stringify(file)});c=json.loads(z.read('config.json'));m=json.loads(z.read('metadata.json'));print(json.dumps({'entries':[[i.filename,i.file_size] for i in z.infolist()],'layers':[l['class_name'] for l in c['config']['layers']],'version':m['keras_version']}))`);
    if (!oracle) this.skip();
    const d = describeModel(file);
    assert.equal(d.format, 'keras');
    assert.deepEqual(d.entries!.map((e) => [e.name, e.size]), oracle.entries);
    assert.equal(d.facts.find(([k]) => k === 'Keras')?.[1], oracle.version);
    assert.match(d.facts.find(([k]) => k === 'layers')![1], new RegExp(`^${oracle.layers.length} \\(`));
    assert.ok(d.facts.find(([k]) => k === 'layers')![1].includes(`Conv2D ×${oracle.layers.filter((l: string) => l === 'Conv2D').length}`));
  });

  it('ONNX: producer, opsets, inputs and outputs with types and shapes, operators (scikit-learn models exported by skl2onnx)', () => {
    const iris = describeModel(path.join(MODELS, 'akokubo__sklearn_onnx', 'logreg_iris.onnx'));
    assert.equal(iris.format, 'onnx');
    const fact = (d: typeof iris, k: string) => d.facts.find(([key]) => key === k)?.[1];
    assert.equal(fact(iris, 'producer'), 'skl2onnx 1.17.0');
    assert.deepEqual(iris.inputs, [{ name: 'float_input', dtype: 'float', shape: ['?', 4] }]); // iris has 4 features
    assert.deepEqual(iris.outputs!.map((o) => [o.name, o.dtype]), [['output_label', 'int64'], ['output_probability', 'sequence']]);
    assert.deepEqual(iris.operators, { 'ai.onnx.ml.LinearClassifier': 1, Cast: 1, 'ai.onnx.ml.Normalizer': 1, 'ai.onnx.ml.ZipMap': 1 });
    assert.match(fact(iris, 'opsets')!, /ai\.onnx\.ml 1/);
    const davis = describeModel(path.join(MODELS, 'akokubo__sklearn_onnx', 'logistic_davis.onnx'));
    assert.deepEqual(davis.inputs![0].shape, ['?', 2]);
  });

  it('MLflow MLmodel: flavors, signature, input example', () => {
    const file = corpus('mlflow', '2025-1-productos-de-datos__PRE-12-mlflow-evaluacion-alvelezp', 'mlruns', '0', 'cafc15f1d7ba4737a08d936ef647b9c1', 'artifacts', 'model', 'MLmodel');
    const doc = parse(fs.readFileSync(file, 'utf8'));
    const d = describeModel(file);
    assert.equal(d.format, 'mlmodel');
    assert.deepEqual(d.summary, `MLmodel · ${Object.keys(doc.flavors).join(', ')} · signature`);
    const inputs = JSON.parse(doc.signature.inputs).map((c: { name: string }) => c.name);
    assert.deepEqual(d.facts.find(([k]) => k === 'signature inputs')![1].split('; ').map((s) => s.split(':')[0]), inputs);
  });

  it('pickles: size and SHA-256 only', () => {
    const file = path.join(MODELS, 'akokubo__sklearn_onnx', 'model.pkl');
    const d = describeModel(file);
    assert.equal(d.format, 'pickle');
    assert.equal(d.sha256, createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
    assert.equal(describeModel(file, { hash: false }).sha256, undefined);
  });

  it('flags zip entries that climb out and compression bombs, and extracts nothing', function () {
    const dir = tempDir('runlens-zip-');
    const file = path.join(dir, 'model.pt');
    const made = spawnSync('python3', ['-c', `import zipfile
z=zipfile.ZipFile(${JSON.stringify(file)},'w',zipfile.ZIP_DEFLATED)
z.writestr('../../evil.txt','pwned')
z.writestr('/etc/cron.d/x','pwned')
with z.open('bomb.bin','w') as f:
    for _ in range(200): f.write(bytes(1<<20))
z.close()`]);
    if (made.status !== 0) this.skip();
    const t0 = Date.now();
    const d = describeModel(file);
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(d.format, 'zip');
    assert.deepEqual(d.entries!.map((e) => [e.name, e.size]), [['../../evil.txt', 5], ['/etc/cron.d/x', 5], ['bomb.bin', 200 * 2 ** 20]]);
    assert.equal(d.warnings.filter((w) => /points outside the archive/.test(w)).length, 2);
    assert.ok(d.warnings.some((w) => /bomb\.bin.*compression bomb/.test(w)), d.warnings.join('\n'));
    assert.deepEqual(fs.readdirSync(dir), ['model.pt']);
    assert.ok(!fs.existsSync(path.join(dir, '..', '..', 'evil.txt')));
  });

  it('runlens model prints the description, and --json the same object', () => {
    const bin = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
    const file = path.join(MODELS, 'akokubo__sklearn_onnx', 'logreg_iris.onnx');
    const human = spawnSync(process.execPath, [bin, 'model', file], { encoding: 'utf8' });
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /inputs\s+float_input: float\[\?, 4\]/);
    const json = spawnSync(process.execPath, [bin, 'model', file, '--json'], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(json.stdout), JSON.parse(JSON.stringify(describeModel(file))));
  });

  it('describes damaged copies of every corpus model without throwing', () => {
    const rnd = prng(3);
    const dir = tempDir('runlens-models-');
    const files = ['akokubo__sklearn_onnx/logreg_iris.onnx', 'LaziestCactus__GPTLoRA/results/checkpoint-1000/adapter_model.safetensors', 'Deepender25__Handwritten-Digit-Recognition---CNN-with-99.65-Accuracy/mnist_digit_classifier.keras'];
    let warned = 0;
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(MODELS, f));
      for (let i = 0; i < 25; i++) {
        const copy = path.join(dir, path.basename(f));
        const cut = Buffer.from(bytes.subarray(0, Math.floor(rnd() * bytes.length)));
        if (i % 2 && cut.length) cut[Math.floor(rnd() * cut.length)] ^= 0xff;
        fs.writeFileSync(copy, cut);
        const d = describeModel(copy);
        if (d.warnings.length) warned++;
      }
    }
    assert.ok(warned > 40, `${warned} of 75 damaged copies warned`);
  });
});
