import * as assert from 'node:assert/strict';
import { crc32c, maskedCrc32c } from '../../src/core/formats/crc32c';
import { withScanner } from '../../src/core/formats/tfrecord';
import { frameRecord } from '../../bench/generate';
import { native } from '../../src/core/native/native';

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

  it('is computed the same with the processor\'s CRC-32C instruction (the native module), for every length and alignment', function () {
    const mod = native();
    if (!mod?.crc32c || mod.crc32c(Buffer.alloc(0)) === undefined) this.skip(); // no module, or no instruction
    assert.equal(mod!.crc32c!(Buffer.from('123456789')), 0xe3069283);
    assert.equal(mod!.crc32c!(Buffer.alloc(32, 0)), 0x8a9136aa);
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= start + 40; end++) assert.equal(mod!.crc32c!(data.subarray(start, end)), crc32c(data, start, end), `range ${start}..${end}`);
    }
  });

  it('vouches for TFRecords with the instruction up to the first one incomplete, damaged or too large', function () {
    const mod = native();
    if (!mod?.tfrecordsIntact || mod.crc32c?.(Buffer.alloc(0)) === undefined) this.skip();
    const records = [0, 1, 7, 8, 9, 100, 4000].map((n) => frameRecord(Buffer.from(Array.from({ length: n }, (_, i) => (i * 29 + n) & 0xff))));
    const file = Buffer.concat([Buffer.alloc(5), ...records]);
    const ends = records.map((_, i) => 5 + records.slice(0, i + 1).reduce((n, r) => n + r.length, 0));
    assert.equal(mod!.tfrecordsIntact!(file, 5, file.length), file.length);
    // A piece of the last record missing: up to the one before.
    assert.equal(mod!.tfrecordsIntact!(file, 5, file.length - 1), ends[5]);
    assert.equal(mod!.tfrecordsIntact!(file, ends[2], ends[4]), ends[4]);
    assert.equal(mod!.tfrecordsIntact!(file, 5, 5 + 15), 5);
    // One bit flipped in a length, its CRC, a payload, a payload's CRC: up to that record.
    for (const [at, upTo] of [[ends[2] + 1, ends[2]], [ends[3] + 9, ends[3]], [ends[4] + 12 + 50, ends[4]], [ends[6] - 2, ends[5]]]) {
      const bad = Buffer.from(file);
      bad[at] ^= 4;
      assert.equal(mod!.tfrecordsIntact!(bad, 5, bad.length), upTo, `bit flipped at ${at}`);
    }
    // A length past 512 MiB is left to the module, which refuses it.
    const huge = Buffer.alloc(16);
    huge.writeUInt32LE(2 ** 29 + 1, 0);
    huge.writeUInt32LE(maskedCrc32c(huge.subarray(0, 8)), 8);
    assert.equal(mod!.tfrecordsIntact!(Buffer.concat([records[1], huge]), 0, records[1].length + 16), records[1].length);
    assert.throws(() => mod!.tfrecordsIntact!(file, 5, file.length + 1), TypeError);
  });

  it('masks as TFRecord does (rotate right 15, add 0xa282ead8)', () => {
    const crc = crc32c(Buffer.from('123456789'));
    assert.equal(maskedCrc32c(Buffer.from('123456789')), ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });
});
