/**
 * Streaming line reader for append-only text logs: reads from a byte offset in chunks and hands over only
 * complete (newline-terminated) lines, so a line still being written is picked up on the next read.
 */
import * as fs from 'node:fs';
import { openRegularFd } from './files';

const CHUNK = 1024 * 1024;
const MAX_SHARED = 16 * CHUNK;
let shared: Buffer = Buffer.allocUnsafe(CHUNK);

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
  return readLineRanges(file, offset, firstLine, (buf, start, end, lineNo) => onLine(buf.toString('utf8', start, end), lineNo));
}

/** Like readLines, but hands over the raw bytes `buf[start, end)` of each line (no string made). */
export function readLineRanges(
  file: string,
  offset: number,
  firstLine: number,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number) => void,
): LineReadResult {
  const fd = openRegularFd(file);
  // One buffer for every call (lines are handed out synchronously and never kept), grown for long lines.
  let buf = shared;
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
        onLine(buf, start, end, lineNo++);
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
        if (bigger.length <= MAX_SHARED) shared = bigger;
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

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Parses the decimal number in `buf[start, end)` as Python writes it, correctly rounded: the common case
 * (a mantissa below 2^53, decimal exponent within ±22) takes Clinger's fast path — one exact
 * multiplication or division of two exact doubles — and everything else goes through `Number()`.
 * Returns undefined when the bytes are not a number.
 */
export function parseNumberBytes(buf: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  if (i >= end) return undefined;
  let neg = false;
  const c0 = buf[i];
  if (c0 === 45 /* - */ || c0 === 43 /* + */) {
    neg = c0 === 45;
    i++;
  }
  let mantissa = 0;
  let exp10 = 0;
  let sawDigit = false;
  while (i < end) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) break;
    sawDigit = true;
    mantissa = mantissa * 10 + c;
    i++;
  }
  if (i < end && buf[i] === 46 /* . */) {
    i++;
    while (i < end) {
      const c = buf[i] - 48;
      if (c < 0 || c > 9) break;
      sawDigit = true;
      mantissa = mantissa * 10 + c;
      exp10--;
      i++;
    }
  }
  if (!sawDigit) return slowNumber(buf, start, end);
  if (i < end && (buf[i] === 101 || buf[i] === 69) /* e E */) {
    i++;
    let eneg = false;
    if (i < end && (buf[i] === 45 || buf[i] === 43)) {
      eneg = buf[i] === 45;
      i++;
    }
    let e = 0;
    const eStart = i;
    while (i < end && buf[i] >= 48 && buf[i] <= 57 && i - eStart < 6) e = e * 10 + (buf[i++] - 48);
    if (i === eStart) return undefined;
    exp10 += eneg ? -e : e;
  }
  if (i !== end) return undefined;
  // Below 2^53 every partial sum above was exact (at or past it, one may have rounded).
  if (mantissa < 9007199254740992 && exp10 >= -22 && exp10 <= 22) {
    const v = exp10 < 0 ? mantissa / POW10[-exp10] : mantissa * POW10[exp10];
    return neg ? -v : v;
  }
  // Valid decimal syntax, but beyond the fast path: let the engine round it.
  return Number(latin1(buf, start, end));
}

let textScratch = Buffer.allocUnsafe(64);

/** parseNumberBytes for a string (a CSV/TSV cell, a file's whole text), without a Buffer per call. */
export function parseNumberText(text: string): number | undefined {
  if (text.length > textScratch.length) textScratch = Buffer.allocUnsafe(text.length * 2);
  const n = textScratch.write(text, 0, 'latin1');
  return parseNumberBytes(textScratch, 0, n);
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}

/** Words only: nan, inf, infinity, with a sign. */
function slowNumber(buf: Uint8Array, start: number, end: number): number | undefined {
  if (end - start > 10) return undefined;
  const text = latin1(buf, start, end);
  return isPyNumber(text) ? parsePyNumber(text) : undefined;
}
