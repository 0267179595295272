/**
 * Reading a user's file for a reader: a failure becomes a located diagnostic (readFrom throws; its callers
 * make the diagnostic). Every file is opened so that opening cannot block (a FIFO named `meta.yaml` would
 * wait forever for a writer) and read only when the open file is a regular file, never past a cap (a link
 * to `/dev/zero` never ends).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../model';

/** The most bytes read whole from one file: past V8's longest string a text could not be made anyway. */
export const MAX_FILE_BYTES = 256 * 2 ** 20;

/** open(2)'s flags for a user's file: read-only, and without waiting (O_NONBLOCK is not there on Windows). */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** What a file is that is not a regular one, in words. */
function notRegular(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'of an unknown kind';
}

/**
 * `file` opened for reading (links followed) when it is a regular file: its descriptor and size. Throws,
 * naming what it is instead, when it is not (a FIFO, a device, a socket, a folder); the caller closes the fd.
 */
export function openRegular(file: string): { fd: number; size: number } {
  const fd = fs.openSync(file, OPEN_FLAGS);
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  if (!st.isFile()) {
    fs.closeSync(fd);
    // A folder fails as readFileSync fails on one; anything else says what it is.
    if (st.isDirectory()) throw Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR', syscall: 'read' });
    throw new Error(`not a regular file (${notRegular(st)}): not read`);
  }
  return { fd, size: st.size };
}

/** The descriptor of openRegular: for a reader that reads by position itself (`fs.openSync(file, 'r')` otherwise). */
export function openRegularFd(file: string): number {
  return openRegular(file).fd;
}

/**
 * The bytes of regular file `file`, read whole up to `cap` bytes (a file the kernel gives no size, as in
 * /proc, is read to its end); throws when it is not a regular file or is longer than `cap`.
 */
export function readRegularFile(file: string, cap = MAX_FILE_BYTES): Buffer {
  const { fd, size } = openRegular(file);
  try {
    if (size > cap) throw new Error(`${size} bytes, more than the ${cap} read of one file: not read`);
    let buf = Buffer.allocUnsafe(size > 0 ? size : 8192);
    let read = 0;
    for (;;) {
      if (read === buf.length) {
        if (size > 0 && read === size) break;
        if (read >= cap) throw new Error(`more than the ${cap} bytes read of one file: not read`);
        const bigger = Buffer.allocUnsafe(Math.min(cap + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, read);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, read, buf.length - read, read);
      if (n <= 0) break;
      read += n;
    }
    if (read > cap) throw new Error(`more than the ${cap} bytes read of one file: not read`);
    return read === buf.length ? buf : buf.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}

/** readRegularFile as UTF-8 text (as `fs.readFileSync(file, 'utf8')` gives it). */
export function readRegularText(file: string, cap = MAX_FILE_BYTES): string {
  return readRegularFile(file, cap).toString('utf8');
}

/**
 * `path.join(dir, name)` for a folder path already normalized and the name of an entry read from it (no
 * separator, never '.' or '..'), without join's normalizing: a pass lists thousands of run folders.
 */
export function childPath(dir: string, name: string): string {
  return dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
}

export function readTextFile(file: string, diagnostics: Diagnostic[]): string | undefined {
  try {
    return readRegularText(file);
  } catch (err) {
    diagnostics.push({ file, severity: 'error', message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
}

/** Scratch for small files read whole: a param's or a tag's value, most of them a few bytes. */
const small = Buffer.allocUnsafe(64 * 1024);

/**
 * The text of `file` (UTF-8, as `fs.readFileSync(file, 'utf8')` gives it), read with one open, one read
 * and one close into a reused buffer; a file that fills the buffer is read again whole. An MLflow run is
 * tens of such files, and reading each this way takes a third less time than `readFileSync`.
 */
export function readSmallFile(file: string): string {
  const { fd } = openRegular(file);
  let n: number;
  try {
    n = fs.readSync(fd, small, 0, small.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  return n < small.length ? small.toString('utf8', 0, n) : readRegularText(file);
}

/**
 * The bytes of `file` from `offset` to its current end (a file that grows: what it gained since); throws,
 * as readRegularFile does, when that is more than `cap` bytes.
 */
export function readFrom(file: string, offset: number, cap = MAX_FILE_BYTES): Buffer {
  const { fd, size } = openRegular(file);
  try {
    const length = Math.max(0, size - offset);
    if (length > cap) throw new Error(`${length} bytes from offset ${offset}, more than the ${cap} read of one file: not read`);
    const buf = Buffer.alloc(length);
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
