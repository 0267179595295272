/**
 * Data tables read as a stream of records: CSV, TSV and JSON Lines (and Parquet, in parquet.ts), from a file or any byte source (a git
 * blob, a DVC cache object), in fixed-size chunks so that a file of any size is read with flat memory. The
 * content's MD5 is computed on the way (the hash DVC 3 records for a file), so a table is read once for its
 * statistics and its identity together.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { Diagnostic } from '../model';
import { scanCsv } from '../formats/csv';
import { readParquet } from './parquet';
import { openRegularFd } from '../formats/files';

export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

export const TABLE_EXTENSIONS = /\.(csv|tsv|jsonl|ndjson|parquet)$/i;

export function tableFormat(file: string): TableFormat | undefined {
  const m = TABLE_EXTENSIONS.exec(file);
  if (!m) return undefined;
  const ext = m[1].toLowerCase();
  return ext === 'ndjson' ? 'jsonl' : (ext as TableFormat);
}

/** Where a table's bytes come from: a file, or chunks handed over by a producer (a git process). */
export type ByteSource = { file: string } | { chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> };

export interface TableReader {
  /** Called with the header (the union of keys so far for JSON Lines) before the first row. */
  onHeader(columns: string[]): void;
  /** Cells in header order (JSON Lines: values of the keys named in the header, '' when absent). */
  onRow(cells: string[], line: number): void;
}

export interface TableReadResult {
  bytes: number;
  md5: string;
  diagnostics: Diagnostic[];
}

const CHUNK = 4 * 2 ** 20;

/** Reads a whole table, calling the reader per record; never throws for bad content (diagnostics instead). */
export async function readTable(source: ByteSource, format: TableFormat, name: string, reader: TableReader, signal?: { cancelled: boolean }): Promise<TableReadResult> {
  if (format === 'parquet') return readParquet(source, name, reader, signal);
  const diagnostics: Diagnostic[] = [];
  const hash = crypto.createHash('md5');
  const decoder = new TextDecoder('utf-8');
  const parser = format === 'jsonl' ? jsonlParser(name, reader, diagnostics) : csvParser(format === 'tsv' ? '\t' : ',', name, reader, diagnostics);
  let bytes = 0;
  let replaced = false;
  const take = (chunk: Uint8Array) => {
    bytes += chunk.length;
    hash.update(chunk);
    const text = decoder.decode(chunk, { stream: true });
    if (!replaced && text.includes('\uFFFD')) replaced = true;
    parser.push(text);
  };
  if ('file' in source) {
    let fd: number;
    try {
      fd = openRegularFd(source.file);
    } catch (e) {
      diagnostics.push({ file: name, severity: 'error', message: `cannot read: ${(e as Error).message}` });
      return { bytes: 0, md5: '', diagnostics };
    }
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      for (;;) {
        if (signal?.cancelled) throw new Error('cancelled');
        const n = fs.readSync(fd, buf, 0, CHUNK, null);
        if (n <= 0) break;
        take(buf.subarray(0, n));
        // Yield between chunks so a caller on an event loop (the extension's worker) stays responsive.
        if (bytes % (16 * CHUNK) === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      fs.closeSync(fd);
    }
  } else {
    for await (const chunk of source.chunks) {
      if (signal?.cancelled) throw new Error('cancelled');
      take(chunk);
    }
  }
  parser.push(decoder.decode());
  parser.end();
  if (replaced) diagnostics.push({ file: name, severity: 'warning', message: 'bytes that are not UTF-8 were read as U+FFFD' });
  return { bytes, md5: hash.digest('hex'), diagnostics };
}

interface ChunkParser {
  push(text: string): void;
  end(): void;
}

/**
 * Buffers decoded text and hands it to `parse` once a good amount is pending (a record spanning chunks just
 * stays pending): `parse` returns the text it left for later; `final` is set on the last call, then `done`.
 */
function buffered(parse: (text: string, final: boolean) => string, done: () => void): ChunkParser {
  let pending = '';
  return {
    push(text) {
      pending += text;
      if (pending.length >= 1 << 20) pending = parse(pending, false);
    },
    end() {
      parse(pending, true);
      pending = '';
      done();
    },
  };
}

function csvParser(delimiter: string, file: string, reader: TableReader, diagnostics: Diagnostic[]): ChunkParser {
  let line = 1;
  let width = -1;
  let first = true;
  let ragged = 0;
  const onRecord = (cells: string[], at: number) => {
    if (width < 0) {
      width = cells.length;
      reader.onHeader(cells.map((c) => c.trim()));
      return;
    }
    if (cells.length !== width) {
      if (ragged++ < 20) diagnostics.push({ file, line: at, severity: 'warning', message: `row has ${cells.length} cells, the header ${width}` });
      if (cells.length < width) cells = cells.concat(new Array<string>(width - cells.length).fill(''));
      else cells = cells.slice(0, width);
    }
    reader.onRow(cells, at);
  };
  return buffered(
    (pending, final) => {
      if (first && pending.length > 0) {
        if (pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
        first = false;
      }
      // A CR at the end of a chunk may be half of a CRLF: keep it for the next one.
      let hold = '';
      if (!final && pending.endsWith('\r')) {
        hold = '\r';
        pending = pending.slice(0, -1);
      }
      if (pending.includes('\r')) pending = pending.replace(/\r+\n?/g, '\n');
      const end = scanCsv(pending, 0, line, delimiter, final ? 'complete' : 'open', onRecord);
      if (final && end.pos < pending.length) diagnostics.push({ file, line: end.line, severity: 'error', message: 'unterminated quoted field (the rest of the file is inside it)' });
      line = end.line;
      return pending.slice(end.pos) + hold;
    },
    () => {
      if (ragged > 20) diagnostics.push({ file, severity: 'warning', message: `${ragged} rows in all have a different number of cells than the header` });
    },
  );
}

function jsonlParser(file: string, reader: TableReader, diagnostics: Diagnostic[]): ChunkParser {
  let line = 1;
  const columns: string[] = [];
  const index = new Map<string, number>();
  let headerSent = false;
  let bad = 0;
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const take = (raw: string) => {
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      if (bad++ < 20) diagnostics.push({ file, line, severity: 'warning', message: `not JSON: ${(e as Error).message}` });
      return;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      if (bad++ < 20) diagnostics.push({ file, line, severity: 'warning', message: 'a JSON Lines row must be an object' });
      return;
    }
    const o = value as Record<string, unknown>;
    let grew = false;
    for (const k of Object.keys(o)) {
      if (!index.has(k)) {
        index.set(k, columns.length);
        columns.push(k);
        grew = true;
      }
    }
    if (!headerSent || grew) {
      reader.onHeader(columns.slice());
      headerSent = true;
    }
    const cells = new Array<string>(columns.length).fill('');
    for (const k in o) cells[index.get(k)!] = cell(o[k]);
    reader.onRow(cells, line);
  };
  return buffered(
    (pending, final) => {
      let i = 0;
      for (;;) {
        const nl = pending.indexOf('\n', i);
        if (nl < 0) break;
        take(pending.slice(i, nl));
        line++;
        i = nl + 1;
      }
      const rest = pending.slice(i);
      if (!final) return rest;
      if (rest.trim()) take(rest);
      return '';
    },
    () => {
      if (bad > 20) diagnostics.push({ file, severity: 'warning', message: `${bad} lines in all are not JSON objects` });
    },
  );
}
