import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { describeModel } from '../../src/core/artifacts/models';
import { readTensorBundleIndex } from '../../src/core/artifacts/savedmodel';
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

  it('an empty or non-ONNX .onnx is not a valid model: one located line on stderr, exit 2, with and without --json', () => {
    const bin = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
    const dir = tempDir('runlens-onnx-');
    const empty = path.join(dir, 'model.onnx');
    fs.writeFileSync(empty, '');
    const d = describeModel(empty);
    assert.equal(d.format, 'onnx');
    assert.equal(d.invalid, 'the file is empty (0 bytes)');
    for (const extra of [[], ['--json']]) {
      const r = spawnSync(process.execPath, [bin, 'model', empty, ...extra], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, `runlens: ${empty}: not a valid onnx model: the file is empty (0 bytes)\n`);
    }
    // Text that happens to decode as protobuf fields, but holds no IR version and no graph.
    const text = path.join(dir, 'notes.onnx');
    fs.writeFileSync(text, Buffer.from([0x12, 0x03, 0x61, 0x62, 0x63]));
    assert.equal(describeModel(text).invalid, 'no IR version and no graph in its 5 bytes');
    // A valid one, with and without --json: exit 0 both ways.
    const good = path.join(MODELS, 'akokubo__sklearn_onnx', 'logreg_iris.onnx');
    assert.equal(describeModel(good).invalid, undefined);
    for (const extra of [[], ['--json']]) assert.equal(spawnSync(process.execPath, [bin, 'model', good, ...extra], { encoding: 'utf8' }).status, 0);
  });

  it('an MLflow model folder (a folder with an MLmodel) is a model: its MLmodel described and its files counted', () => {
    const bin = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
    const folder = corpus('mlflow', 'Peco602__mlops-zoomcamp', '02-experiment-tracking', 'mlruns', '1', '8c291488a8144b09a0326746a89c5f8c', 'artifacts', 'models_mlflow');
    const mlmodel = parse(fs.readFileSync(path.join(folder, 'MLmodel'), 'utf8')) as { run_id: string; mlflow_version: string; flavors: Record<string, unknown> };
    const files = fs.readdirSync(folder);
    const size = files.reduce((a, f) => a + fs.statSync(path.join(folder, f)).size, 0);
    const r = spawnSync(process.execPath, [bin, 'model', folder, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.equal(d.format, 'mlmodel');
    assert.equal(d.file, folder);
    assert.equal(d.size, size);
    const facts = Object.fromEntries(d.facts as [string, string][]);
    assert.equal(facts.run, mlmodel.run_id);
    assert.equal(facts.MLflow, mlmodel.mlflow_version);
    assert.deepEqual(facts.flavors.split(', ').map((f: string) => f.split(' ')[0]).sort(), Object.keys(mlmodel.flavors).sort());
    assert.equal(facts.files.split(',')[0], String(files.length));
    // A folder that is no model is named as such.
    const plain = spawnSync(process.execPath, [bin, 'model', path.dirname(folder)], { encoding: 'utf8' });
    assert.equal(plain.status, 2);
    assert.match(plain.stderr, /is a folder but not a model/);
  });

  it('runlens models on a folder that does not exist: one line, exit 2, no stack', () => {
    const bin = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
    const missing = path.join(tempDir('runlens-models-'), 'nonexistent');
    const r = spawnSync(process.execPath, [bin, 'models', missing, '--index', path.join(path.dirname(missing), 'i.sqlite')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^runlens: [^\n]*nonexistent[^\n]*\n$/);
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

describe('TensorFlow SavedModel, read without TensorFlow', () => {
  const DIGITS = path.join(MODELS, 'Deepender25__Handwritten-Digit-Recognition---CNN-with-99.65-Accuracy');
  const SAVED = path.join(DIGITS, 'mnist_digit_classifier_savedmodel');

  /** Weights per layer as Keras creates them, from the config of the same model saved as .keras. */
  function kerasWeights(): number[][] {
    const oracle = python(`import json,zipfile;print(json.dumps(json.loads(zipfile.ZipFile(${JSON.stringify(path.join(DIGITS, 'mnist_digit_classifier.keras'))}).read('config.json'))['config']['layers']))`);
    assert.ok(oracle, 'python3 reads the .keras config');
    const shapes: number[][] = [];
    let channels = 0;
    for (const { class_name: kind, config } of oracle as { class_name: string; config: Record<string, unknown> }[]) {
      if (kind === 'InputLayer') channels = (config.batch_shape as number[]).at(-1)!;
      else if (kind === 'Conv2D') {
        const [h, w] = config.kernel_size as number[];
        shapes.push([h, w, channels, config.filters as number], [config.filters as number]);
        channels = config.filters as number;
      } else if (kind === 'Dense') {
        shapes.push([channels, config.units as number], [config.units as number]);
        channels = config.units as number;
      } else if (kind === 'BatchNormalization') shapes.push([channels], [channels], [channels], [channels]); // gamma, beta, moving mean, variance
    }
    return shapes;
  }

  it('variables.index: every weight of the model, its shape and the parameter count, as the Keras config of the same model implies', () => {
    const expected = kerasWeights();
    const d = describeModel(SAVED);
    assert.equal(d.format, 'savedmodel');
    const key = (s: (number | string)[]) => s.join('x');
    assert.deepEqual(d.tensors!.map((t) => key(t.shape)).sort(), expected.map(key).sort());
    assert.equal(d.parameters, expected.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0));
    assert.equal(d.parameters, 213354);
    assert.ok(d.tensors!.every((t) => t.dtype === 'float32'));
    // Each entry's byte size in the data shard agrees with its shape (float32: 4 bytes per element).
    const bundle = readTensorBundleIndex(fs.readFileSync(path.join(SAVED, 'variables', 'variables.index')));
    for (const v of bundle.variables) if (v.dtype === 'float32') assert.equal(v.bytes, 4 * v.shape.reduce<number>((a, b) => a * Number(b), 1), v.name);
    assert.deepEqual(bundle.warnings, [], 'every block checksum (masked CRC-32C) matches');
    // The folder has no saved_model.pb in the corpus: said, not thrown.
    assert.deepEqual(d.warnings, ['saved_model.pb is missing']);
    assert.deepEqual(describeModel(path.join(SAVED, 'variables', 'variables.index')).parameters, d.parameters);
  });

  it('variables.index damaged: a flipped byte fails its block checksum, a truncated copy is refused with the reason', () => {
    const bytes = fs.readFileSync(path.join(SAVED, 'variables', 'variables.index'));
    const flipped = Buffer.from(bytes);
    flipped[100] ^= 0x01; // inside the first data block
    assert.match(readTensorBundleIndex(flipped).warnings.join('\n'), /data block at byte 0: checksum mismatch/);
    assert.throws(() => readTensorBundleIndex(bytes.subarray(0, bytes.length - 10)), /no table magic number/);
    const dir = tempDir('runlens-savedmodel-');
    fs.mkdirSync(path.join(dir, 'variables'));
    fs.writeFileSync(path.join(dir, 'variables', 'variables.index'), bytes.subarray(0, 2000));
    const d = describeModel(dir);
    assert.equal(d.format, 'savedmodel');
    assert.ok(d.warnings.some((w) => /^variables\/variables\.index: no table magic number/.test(w)), d.warnings.join('\n'));
  });

  it('saved_model.pb: tags, TensorFlow version, signatures and operators, from a file protobufjs encodes from the upstream schema', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const protobuf = require('protobufjs') as typeof import('protobufjs');
    const root = protobuf.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'saved_model.proto'), 'utf8'), { keepCase: true }).root;
    const SavedModel = root.lookupType('tensorflow.SavedModel');
    const tensor = (name: string, dtype: number, dims: number[]) => ({ name, dtype, tensor_shape: { dim: dims.map((size) => ({ size })) } });
    const message = SavedModel.fromObject({
      saved_model_schema_version: 1,
      meta_graphs: [{
        meta_info_def: { tags: ['serve'], tensorflow_version: '2.15.0', tensorflow_git_version: 'v2.15.0-rc1-8-g6887368d6d4' },
        graph_def: {
          node: [{ name: 'x', op: 'Placeholder' }, { name: 'v', op: 'VarHandleOp' }, { name: 'call', op: 'StatefulPartitionedCall' }],
          library: { function: [{ signature: { name: '__inference_serve_1' }, node_def: [{ name: 'conv', op: 'Conv2D' }, { name: 'relu', op: 'Relu' }, { name: 'conv_1', op: 'Conv2D' }] }] },
        },
        signature_def: {
          serving_default: { inputs: { keras_tensor: tensor('serving_default_keras_tensor:0', 1, [-1, 28, 28, 1]) }, outputs: { output_0: tensor('StatefulPartitionedCall:0', 1, [-1, 10]) }, method_name: 'tensorflow/serving/predict' },
        },
      }],
    });
    const dir = tempDir('runlens-savedmodel-');
    fs.writeFileSync(path.join(dir, 'saved_model.pb'), SavedModel.encode(message).finish());
    fs.cpSync(path.join(SAVED, 'variables'), path.join(dir, 'variables'), { recursive: true });
    const d = describeModel(path.join(dir, 'saved_model.pb'));
    assert.deepEqual(d.warnings, []);
    assert.equal(d.parameters, 213354);
    const facts = Object.fromEntries(d.facts);
    assert.equal(facts['TensorFlow (serve)'], '2.15.0');
    assert.equal(facts['signature serving_default'], 'tensorflow/serving/predict (keras_tensor: float32[?, 28, 28, 1]) → (output_0: float32[?, 10])');
    assert.deepEqual(d.operators, { Placeholder: 1, VarHandleOp: 1, StatefulPartitionedCall: 1, Conv2D: 2, Relu: 1 });
    assert.match(d.summary, /^SavedModel · 1 signatures · 38 weights · 213\.4k params$/);
  });
});
