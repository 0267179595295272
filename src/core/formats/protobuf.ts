/**
 * A minimal protobuf wire-format reader: just enough to walk the messages Runlens decodes (TensorBoard
 * Event/Summary, W&B records, ONNX) without a schema compiler. Every read is bounds-checked and throws
 * `ProtobufError`, which readers turn into located diagnostics.
 */

export class ProtobufError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const textDecoder = new TextDecoder('utf-8', { fatal: false });

export class ProtoReader {
  pos: number;
  /** A view of `buf` for fixed-width numbers, made once per buffer (readers are reset onto many records of one buffer). */
  private view: DataView | undefined;

  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  private dataView(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint as a JS number; exact up to 2^53, which covers steps and lengths. */
  varint(): number {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint', this.pos);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    throw new ProtobufError('varint longer than 10 bytes', this.pos);
  }

  /** End of the payload found by the last `lenStart()`. */
  lenEnd = 0;

  /** Points the reader at another message (reuse without allocation on hot paths). */
  reset(buf: Uint8Array, start: number, end: number): this {
    if (buf !== this.buf) this.view = undefined;
    (this as { buf: Uint8Array }).buf = buf;
    (this as { end: number }).end = end;
    this.pos = start;
    return this;
  }

  /** Reads a field key as one number: `fieldNumber << 3 | wireType` (no array allocated). */
  rawKey(): number {
    if (this.pos < this.end) {
      const b = this.buf[this.pos];
      if (b < 0x80) {
        this.pos++;
        return b;
      }
    }
    return this.varint();
  }

  /** Skips a length-delimited payload, returning its start; its end is left in `lenEnd`. */
  lenStart(): number {
    const len = this.varint();
    this.need(len);
    const start = this.pos;
    this.pos += len;
    this.lenEnd = this.pos;
    return start;
  }

  /** Reads a field key; returns [fieldNumber, wireType]. */
  key(): [number, number] {
    const k = this.varint();
    return [Math.floor(k / 8), k & 7];
  }

  double(): number {
    this.need(8);
    const v = this.dataView().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  float(): number {
    this.need(4);
    const v = this.dataView().getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Signed 64-bit varint (int64 encoding: two's complement, not zigzag). */
  int64(): number {
    const start = this.pos;
    const v = this.varint();
    if (this.pos - start < 10) return v;
    // Negative int64 values take 10 bytes; a float sum loses their low bits (-1 would read 2^64 → 0), so
    // they are read again exactly and folded back as two's complement.
    let big = 0n;
    for (let i = 9; i >= 0; i--) big = (big << 7n) | BigInt(this.buf[start + i] & 0x7f);
    return Number(BigInt.asIntN(64, big));
  }

  /** Returns [start, end) of a length-delimited field's payload and skips over it. */
  bytes(): [number, number] {
    const len = this.varint();
    this.need(len);
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }

  string(): string {
    const [s, e] = this.bytes();
    return textDecoder.decode(this.buf.subarray(s, e));
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.bytes();
        return;
      case WIRE_I32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new ProtobufError(`unsupported wire type ${wireType}`, this.pos);
    }
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new ProtobufError(`field runs past the end of its message`, this.pos);
  }
}

/**
 * Walks the fields of one message, calling `fn` per (field number, wire type) with the reader positioned on
 * the value; whatever `fn` leaves unread is skipped, so callers name only the fields they want.
 */
export function forEachField(buf: Uint8Array, start: number, end: number, fn: (field: number, wire: number, r: ProtoReader) => void): void {
  const r = new ProtoReader(buf, start, end);
  while (!r.done) {
    const [field, wire] = r.key();
    const before = r.pos;
    fn(field, wire, r);
    if (r.pos === before) r.skip(wire);
  }
}
