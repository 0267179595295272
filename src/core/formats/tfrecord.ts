/**
 * TFRecord framing, streamed: `u64 length | u32 masked crc(length) | data | u32 masked crc(data)`.
 * Reads a file from a byte offset in fixed-size chunks so memory stays flat on multi-GB files, and reports
 * the offset just past the last complete record so a growing file can be resumed there.
 */
import * as fs from 'node:fs';
import { maskedCrc32c, maskedCrc32c8 } from './crc32c';
import type { Diagnostic } from '../model';

const HEADER = 12;
const FOOTER = 4;
const CHUNK = 4 * 1024 * 1024;
/** A record larger than this is not a summary event; refuse rather than allocate it. */
const MAX_RECORD = 512 * 1024 * 1024;

export interface TfRecordResult {
  /** Offset just past the last complete record: where the next read should start. */
  endOffset: number;
  records: number;
  diagnostics: Diagnostic[];
}

export interface TfRecordOptions {
  /** Verify the masked CRC-32C of every length and payload (default true). */
  checkCrc?: boolean;
  /** Checked between chunks; stops reading early when it returns true. */
  cancelled?: () => boolean;
}

/**
 * Calls `onRecord(buf, start, end, offset)` for each intact record of `file` from `startOffset`. The
 * payload view is only valid during the call.
 */
export function readTfRecords(
  file: string,
  startOffset: number,
  onRecord: (buf: Buffer, start: number, end: number, offset: number) => void,
  options: TfRecordOptions = {},
): TfRecordResult {
  const checkCrc = options.checkCrc ?? true;
  const diagnostics: Diagnostic[] = [];
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `cannot open: ${(err as Error).message}` });
    return { endOffset: startOffset, records: 0, diagnostics };
  }
  let buf: Buffer = Buffer.allocUnsafe(CHUNK);
  let bufStart = startOffset; // file offset of buf[0]
  let filled = 0;
  let pos = 0; // position in buf of the next record
  let records = 0;
  let eof = false;
  try {
    for (;;) {
      // Ensure at least a header is buffered.
      if (filled - pos < HEADER && !eof) {
        [buf, filled, eof] = refill(fd, buf, pos, filled, bufStart + pos, HEADER);
        bufStart += pos;
        pos = 0;
      }
      if (filled - pos === 0) break;
      const offset = bufStart + pos;
      if (filled - pos < HEADER) {
        diagnostics.push(truncated(file, offset, 'header'));
        break;
      }
      const lenLo = u32(buf, pos);
      const lenHi = u32(buf, pos + 4);
      if (checkCrc && maskedCrc32c8(buf, pos) !== u32(buf, pos + 8)) {
        diagnostics.push({
          file,
          offset,
          severity: 'error',
          message: 'record length fails its CRC-32C check; the rest of the file cannot be framed and is skipped',
        });
        break;
      }
      const len = lenHi * 0x100000000 + lenLo;
      if (len > MAX_RECORD) {
        diagnostics.push({ file, offset, severity: 'error', message: `record of ${len} bytes is too large; rest of file skipped` });
        break;
      }
      const total = HEADER + len + FOOTER;
      if (filled - pos < total && !eof) {
        [buf, filled, eof] = refill(fd, buf, pos, filled, bufStart + pos, total);
        bufStart += pos;
        pos = 0;
      }
      if (filled - pos < total) {
        diagnostics.push(truncated(file, offset, 'payload'));
        break;
      }
      const dataStart = pos + HEADER;
      const dataEnd = dataStart + len;
      if (checkCrc && maskedCrc32c(buf, dataStart, dataEnd) !== u32(buf, dataEnd)) {
        diagnostics.push({ file, offset, severity: 'error', message: 'record payload fails its CRC-32C check; record skipped' });
      } else {
        onRecord(buf, dataStart, dataEnd, offset);
        records++;
      }
      pos += total;
      if (options.cancelled && (records & 0x3ff) === 0 && options.cancelled()) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { endOffset: bufStart + pos, records, diagnostics };
}

function u32(buf: Uint8Array, i: number): number {
  return (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) >>> 0;
}

function truncated(file: string, offset: number, part: string): Diagnostic {
  return {
    file,
    offset,
    severity: 'info',
    message: `last record is incomplete (${part} cut short): the file is still being written or was truncated`,
  };
}

/** Moves the unread tail to the front and reads more until `need` bytes are available or EOF. */
function refill(fd: number, buf: Buffer, pos: number, filled: number, fileOffset: number, need: number): [Buffer, number, boolean] {
  const tail = filled - pos;
  let target = buf;
  if (need > buf.length) target = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
  if (tail > 0) buf.copy(target, 0, pos, filled);
  let n = tail;
  let eof = false;
  while (n < need || n < target.length) {
    const read = fs.readSync(fd, target, n, target.length - n, fileOffset + n);
    if (read === 0) {
      eof = true;
      break;
    }
    n += read;
    if (n >= need) break;
  }
  return [target, n, eof];
}
