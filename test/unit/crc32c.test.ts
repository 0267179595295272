import * as assert from 'node:assert/strict';
import { crc32c, maskedCrc32c } from '../../src/core/formats/crc32c';
import { withScanner } from '../../src/core/formats/tfrecord';

describe('crc32c', () => {
  it('matches the published CRC-32C check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  it('matches RFC 3720 test vectors (32 zero bytes, 32 0xff bytes, 0..31)', () => {
    assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  });

  it('gives the same result for any alignment and length of a sub-range', () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff));
    for (let start = 0; start < 9; start++) {
      for (const end of [start, start + 1, start + 7, start + 8, start + 63, 300]) {
        assert.equal(crc32c(data, start, end), crc32c(Buffer.from(data.subarray(start, end))), `range ${start}..${end}`);
      }
    }
  });

  it('is computed the same by the WebAssembly framing module, for every length and alignment', () => {
    withScanner((s) => {
      assert.equal(s.crc32c(Buffer.from('123456789')), 0xe3069283);
      assert.equal(s.crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
      const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
      for (let start = 0; start < 9; start++) {
        for (let end = start; end <= start + 40; end++) assert.equal(s.crc32c(data.subarray(start, end)), crc32c(data, start, end), `range ${start}..${end}`);
        assert.equal(s.crc32c(data.subarray(start)), crc32c(data, start), `range ${start}..300`);
      }
    });
  });

  it('masks as TFRecord does (rotate right 15, add 0xa282ead8)', () => {
    const crc = crc32c(Buffer.from('123456789'));
    assert.equal(maskedCrc32c(Buffer.from('123456789')), ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });
});
