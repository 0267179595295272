/** Reading a user's file for a reader: a failure becomes a located diagnostic (readFrom throws; its callers make the diagnostic). */
import * as fs from 'node:fs';
import type { Diagnostic } from '../model';

export function readTextFile(file: string, diagnostics: Diagnostic[]): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
}

/** The bytes of `file` from `offset` to its current end (a file that grows: what it gained since). */
export function readFrom(file: string, offset: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, fs.fstatSync(fd).size - offset));
    let read = 0;
    while (read < buf.length) {
      const n = fs.readSync(fd, buf, read, buf.length - read, offset + read);
      if (n <= 0) break;
      read += n;
    }
    return read === buf.length ? buf : buf.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}
