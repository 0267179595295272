import * as assert from 'node:assert/strict';
import { parseNumberBytes } from '../../src/core/formats/lines';
import { rng } from '../../bench/generate';

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
});
