import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseNumberBytes, readLineRanges, readLines } from '../../src/core/formats/lines';
import { parseMetricLine, readMlflowMetricBytes, readMlflowMetricPoints } from '../../src/core/formats/mlflowMetrics';
import { rng } from '../../bench/generate';
import { tailAt } from '../../src/core/index/listing';
import { corpus, tempDir } from './corpus';

const parse = (s: string) => parseNumberBytes(Buffer.from(s, 'latin1'), 0, s.length);

describe('parseNumberBytes', () => {
  it('agrees bit for bit with Number() on a million numbers in every form Python and JS write', () => {
    const rand = rng(1);
    for (let i = 0; i < 200_000; i++) {
      const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
      for (const text of [String(x), x.toPrecision(17), x.toExponential(12), x.toFixed(6), String(Math.round(x * 1e6))]) {
        const got = parse(text);
        assert.ok(Object.is(got, Number(text)), `${text}: ${got} != ${Number(text)}`);
      }
    }
  });

  it('reads the special values Python writes and rejects garbage', () => {
    assert.ok(Number.isNaN(parse('nan')!));
    assert.equal(parse('inf'), Infinity);
    assert.equal(parse('-inf'), -Infinity);
    assert.equal(parse('-Infinity'), -Infinity);
    assert.equal(parse('1656994881659'), 1656994881659);
    assert.equal(parse('-0'), -0);
    for (const bad of ['', '-', '1.2.3', 'abc', '1e', '0x10', '1 ', ' 1', '1,5']) assert.equal(parse(bad), undefined, bad);
  });

  it('rounds mantissas just past 2^53 once, as Number() does', () => {
    for (const text of ['9007199254740993e-5', '9007199254740993e3', '9007199254740995e-1', '18014398509481985e-2']) assert.ok(Object.is(parse(text), Number(text)), text);
  });
});

describe('MLflow metric lines through the WebAssembly parser (wasm/metrics.wat)', () => {
  // Each file read from disk, and from its bytes read beforehand (as a cold read does): the same points,
  // diagnostics, resume offset and tail.
  const read = (file: string) => {
    const points: [number, number, number][] = [];
    const res = readMlflowMetricPoints(file, 0, 1, (step, time, value) => void points.push([step, time, value]));
    const fromBytes: [number, number, number][] = [];
    const resBytes = readMlflowMetricBytes(file, fs.readFileSync(file), (steps, times, values, from, to) => {
      for (let i = from; i < to; i++) fromBytes.push([steps[i], times[i], values[i]]);
    });
    assert.deepEqual(fromBytes, points, file);
    assert.deepEqual(resBytes, res, file);
    return { points, res };
  };

  it('parses numbers bit for bit as Number() does, settling almost all of them itself', () => {
    const rand = rng(7);
    const texts: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 60 - 30);
      const bits = new Float64Array(1);
      new Uint32Array(bits.buffer).set([rand() * 2 ** 32, rand() * 0x7fefffff]);
      texts.push(String(x), x.toPrecision(17), x.toExponential(Math.floor(rand() * 17)), String(rand()), String(bits[0]), String(Math.exp(rand() * 1400 - 700)));
    }
    // Edges: powers of ten, the double range's ends, halfway cases, long and zero mantissas.
    texts.push('1e23', '8.98846567431158e307', '1.7976931348623157e308', '2.2250738585072014e-308', '4.9e-324', '9007199254740993', '9007199254740993e-5');
    texts.push('0.000000000000000000001', '-0.0', '0e-400', '123456789012345678901234567890', '0.1', '-1e-22', '1e22', '1.00000000000000011102230246251565404236316680908203125');
    const dir = tempDir('wasm-numbers-');
    const file = path.join(dir, 'm');
    fs.writeFileSync(file, texts.map((t, i) => `${1_700_000_000_000 + i} ${t} ${i}\n`).join(''));
    const { points, res } = read(file);
    assert.equal(points.length, texts.length);
    texts.forEach((t, i) => {
      assert.ok(Object.is(points[i][2], Number(t)), `${t}: ${points[i][2]} != ${Number(t)}`);
      assert.equal(points[i][0], i);
      assert.equal(points[i][1], 1_700_000_000_000 + i);
    });
    assert.ok(res.deferred < texts.length * 0.02, `${res.deferred} of ${texts.length} lines left to JavaScript`);
    fs.rmSync(dir, { recursive: true });
  });

  it('reads every MLflow metric file of the corpus exactly as the JavaScript line parser does', () => {
    const files = fs
      .readdirSync(corpus(), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.parentPath.split(path.sep).includes('metrics') && e.parentPath.split(path.sep).includes('mlruns'))
      .map((e) => path.join(e.parentPath, e.name));
    assert.ok(files.length > 500, `${files.length} metric files`);
    let n = 0;
    for (const file of files) {
      const expected: [number, number, number][] = [];
      const lines = readLines(file, 0, 1, () => undefined);
      readLineRanges(file, 0, 1, (buf, s, e) => {
        const p = s === e ? undefined : parseMetricLine(buf, s, e);
        if (p) expected.push([p.step, p.time, p.value]);
      });
      const { points, res } = read(file);
      assert.deepEqual(points, expected, file);
      assert.equal(res.nextLine, lines.nextLine, file);
      assert.equal(res.endOffset, lines.endOffset, file);
      // The bytes before the resume offset come with the read, as the indexer would read them back.
      assert.equal(res.tail, tailAt(file, res.endOffset), file);
      n += points.length;
    }
    assert.ok(n > 10_000, `${n} points`);
  });

  it('hands malformed lines, words and cut lines to JavaScript: same points, diagnostics and resume offset', () => {
    const dir = tempDir('wasm-lines-');
    const file = path.join(dir, 'm');
    const text = [
      '1700000000000 0.5 0', '', '1700000000001 nan 1', '1700000000002 inf 2', 'garbage', '1700000000003 0.25', '1700000000004 1e5 4 extra',
      '1700000000005  0.5 5', '1700000000006 -Infinity 6\r', '1700000000007 1e 7', '1700000000008 0.125 8 ',
      // A number that stops before its field does (the one-pass path must not take its prefix), and the
      // forms the grammar allows or not at a field's edges.
      '1700000000010 0.5x 10', '1700000000011 0.5 11x', '1700000000012 1.5.2 12', '1700000000013 +0.5 13', '1700000000014 .5 14',
      '1700000000015 5. 15', '1700000000016\t0.5 16', '-1700000000017 0.5 -17', '1700000000018 0.5e+3 18', '1700000000019 0.5E-3 19e',
      '1700000000020 0.5 20\r', '1700000000021 0.5e5 21 22', '1700000000022x 0.5 22',
    ].join('\n') + '\n1700000000009 0.7';
    fs.writeFileSync(file, text);
    const { points, res } = read(file);
    const expected: [number, number, number][] = [];
    readLineRanges(file, 0, 1, (buf, s, e) => {
      const p = s === e ? undefined : parseMetricLine(buf, s, e);
      if (p) expected.push([p.step, p.time, p.value]);
    });
    assert.deepEqual(points, expected);
    assert.deepEqual(points.map((p) => p[0]), [0, 1, 2, 0, 4, 6, 8, 13, 14, 15, -17, 18, 20, 21]);
    const errors = [5, 8, 10, 12, 13, 14, 18, 21, 24];
    assert.deepEqual(res.diagnostics.map((d) => [d.line, d.severity]), [...errors.map((l) => [l, 'error']), [25, 'info']]);
    assert.equal(res.endOffset, text.lastIndexOf('\n') + 1);
    assert.equal(res.nextLine, 25);
    assert.equal(res.tail, tailAt(file, res.endOffset));
    // Read on from a line: the bytes before the new offset when this read passed over 32 of them, else
    // none (the indexer reads them from the file).
    const from = text.indexOf('1700000000004');
    const on = readMlflowMetricPoints(file, from, 7, () => undefined);
    assert.equal(on.endOffset, res.endOffset);
    assert.equal(on.tail, tailAt(file, on.endOffset));
    const last = text.indexOf('1700000000022x');
    assert.equal(readMlflowMetricPoints(file, last, 24, () => undefined).tail, undefined);
    assert.equal(readMlflowMetricPoints(file, res.endOffset, 25, () => undefined).tail, undefined);
    // A line longer than the module's buffer.
    const long = path.join(dir, 'long');
    fs.writeFileSync(long, `1 2 3\n1 ${'1'.repeat(3 << 20)} 4\n5 6 7\n`);
    const r = read(long);
    assert.deepEqual(r.points.map((p) => p[0]), [3, 4, 7]);
    assert.equal(r.points[1][2], Number('1'.repeat(3 << 20)));
    assert.equal(r.res.tail, tailAt(long, r.res.endOffset));
    fs.rmSync(dir, { recursive: true });
  });

  it('reads a file of many buffers whose last line is cut mid-number, over bytes a longer read left in memory', () => {
    const dir = tempDir('wasm-cut-');
    const rand = rng(3);
    const lines: string[] = [];
    for (let i = 0; i < 80_000; i++) lines.push(`${1_700_000_000_000 + i * 100} ${rand()} ${i}`);
    const text = lines.join('\n') + '\n';
    // First a long file, so that the module's buffer holds digits past where the short one ends; then
    // files cut at every place of their last line's numbers.
    const file = path.join(dir, 'm');
    fs.writeFileSync(file, text + text);
    assert.equal(read(file).points.length, 160_000);
    for (const cut of [3, 13, 14, 20, 30, lines[lines.length - 1].length - 1]) {
      fs.writeFileSync(file, text + lines[0].slice(0, cut));
      const { points, res } = read(file);
      assert.equal(points.length, 80_000, `cut at ${cut}`);
      assert.deepEqual(points[79_999], [79_999, 1_700_000_000_000 + 79_999 * 100, Number(lines[79_999].split(' ')[1])]);
      assert.equal(res.endOffset, text.length, `cut at ${cut}`);
      assert.equal(res.nextLine, 80_001);
    }
    fs.rmSync(dir, { recursive: true });
  });
});
