/**
 * Streaming line reader for append-only text logs: reads from a byte offset in chunks and hands over only
 * complete (newline-terminated) lines, so a line still being written is picked up on the next read.
 */
import * as fs from 'node:fs';

const CHUNK = 1024 * 1024;

export interface LineReadResult {
  /** Offset just past the last complete line. */
  endOffset: number;
  /** Number of the first line not yet consumed (1-based), for resuming line numbering. */
  nextLine: number;
  /** Bytes after endOffset that form an unterminated last line. */
  pendingBytes: number;
}

/**
 * Calls `onLine(text, lineNo)` for every complete line from `offset`. `firstLine` is the 1-based number of
 * the line starting at `offset`. Lines are decoded as UTF-8; a trailing `\r` is removed.
 */
export function readLines(
  file: string,
  offset: number,
  firstLine: number,
  onLine: (line: string, lineNo: number) => void,
): LineReadResult {
  const fd = fs.openSync(file, 'r');
  let buf = Buffer.allocUnsafe(CHUNK);
  let filled = 0;
  let fileOffset = offset; // file offset of buf[0]
  let lineNo = firstLine;
  try {
    for (;;) {
      const read = fs.readSync(fd, buf, filled, buf.length - filled, fileOffset + filled);
      filled += read;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0 || nl >= filled) break;
        const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
        onLine(buf.toString('utf8', start, end), lineNo++);
        start = nl + 1;
      }
      if (read === 0) {
        return { endOffset: fileOffset + start, nextLine: lineNo, pendingBytes: filled - start };
      }
      // Keep the unterminated tail; grow the buffer when one line is longer than it.
      if (start === 0 && filled === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      } else if (start > 0) {
        buf.copy(buf, 0, start, filled);
        filled -= start;
        fileOffset += start;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses a number the way Python writes them: accepts nan / inf / -inf / Infinity in any case. */
export function parsePyNumber(text: string): number {
  const n = Number(text);
  if (!Number.isNaN(n) || text === 'NaN') return n;
  switch (text.toLowerCase()) {
    case 'nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      return Number.NaN;
  }
}

/** True when `text` is a number Python could have written (so NaN from garbage can be told apart). */
export function isPyNumber(text: string): boolean {
  if (text.length === 0) return false;
  if (!Number.isNaN(Number(text))) return text.trim() === text;
  return /^[+-]?(nan|inf|infinity)$/i.test(text);
}
