/**
 * Parquet tables for the dataset statistics, diffs and checks, read with hyparquet (a maintained pure-JS
 * reader; snappy built in, gzip/brotli/zstd/lz4 through hyparquet-compressors): one row group at a time, so
 * memory follows the largest row group, not the file. Cells reach the statistics as the text a CSV of the
 * same table would hold — numbers as written, floats with their decimal point, missing values empty,
 * booleans True/False, timestamps in ISO 8601 — so types, counts and duplicates mean the same for both.
 *
 * A file is read by ranges; a version from git or the DVC cache arrives as a stream and is gathered first
 * (up to MAX_GATHERED bytes: Parquet's footer is at the end).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { Diagnostic } from '../model';
import { hashFile } from '../cache';
import type { ByteSource, TableReader, TableReadResult } from './table';
import { openRegular } from '../formats/files';

const MAX_GATHERED = 1024 * 2 ** 20;

type Hyparquet = typeof import('hyparquet');
type AsyncBuffer = import('hyparquet').AsyncBuffer;

/**
 * hyparquet ships as ES modules only: bundles (esbuild) take them through `require`; plain Node 20 (the
 * compiled tests) cannot `require` ES modules, and gets a real dynamic import instead.
 */
async function load(): Promise<{ hp: Hyparquet; compressors: Record<string, unknown> }> {
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    return { hp: require('hyparquet') as Hyparquet, compressors: (require('hyparquet-compressors') as { compressors: Record<string, unknown> }).compressors };
  } catch {
    const esm = new Function('s', 'return import(s)') as (s: string) => Promise<unknown>;
    const [hp, hc] = await Promise.all([esm('hyparquet') as Promise<Hyparquet>, esm('hyparquet-compressors') as Promise<{ compressors: Record<string, unknown> }>]);
    return { hp, compressors: hc.compressors };
  }
}

function fileBuffer(file: string): AsyncBuffer {
  const { fd, size: byteLength } = openRegular(file);
  return {
    byteLength,
    slice(start: number, end = byteLength) {
      const buf = Buffer.allocUnsafe(Math.max(0, end - start));
      let read = 0;
      while (read < buf.length) {
        const n = fs.readSync(fd, buf, read, buf.length - read, start + read);
        if (n <= 0) break;
        read += n;
      }
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + read) as ArrayBuffer;
    },
    close: () => fs.closeSync(fd),
  } as AsyncBuffer & { close(): void };
}

/** A Parquet value as CSV text; `float` columns keep a decimal point on whole numbers (1.0, not 1). */
export function parquetCell(v: unknown, float: boolean): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return float && Number.isInteger(v) ? v.toFixed(1) : String(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
}

export async function readParquet(source: ByteSource, name: string, reader: TableReader, signal?: { cancelled: boolean }): Promise<TableReadResult> {
  const diagnostics: Diagnostic[] = [];
  let buffer: AsyncBuffer;
  let md5: string;
  let close = () => {};
  try {
    if ('file' in source) {
      md5 = hashFile(source.file, 'md5');
      const b = fileBuffer(source.file);
      buffer = b;
      close = (b as AsyncBuffer & { close(): void }).close;
    } else {
      const parts: Uint8Array[] = [];
      let size = 0;
      const hash = crypto.createHash('md5');
      for await (const chunk of source.chunks) {
        if (signal?.cancelled) throw new Error('cancelled');
        size += chunk.length;
        if (size > MAX_GATHERED) throw new Error(`a Parquet version over ${MAX_GATHERED / 2 ** 20} MiB is read from a file only (check it out, or dvc pull it)`);
        hash.update(chunk);
        parts.push(chunk);
      }
      md5 = hash.digest('hex');
      const all = Buffer.concat(parts);
      buffer = all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer;
    }
  } catch (e) {
    if ((e as Error).message === 'cancelled') throw e;
    diagnostics.push({ file: name, severity: 'error', message: `cannot read: ${(e as Error).message}` });
    return { bytes: 0, md5: '', diagnostics };
  }
  const bytes = buffer.byteLength;
  try {
    const { hp, compressors } = await load();
    const metadata = await hp.parquetMetadataAsync(buffer);
    // Leaf columns in schema order: a nested column's leaves are its own columns (a.b), as pandas flattens.
    const schema = hp.parquetSchema(metadata);
    const columns: string[] = [];
    const floats: boolean[] = [];
    const walk = (node: typeof schema, prefix: string) => {
      for (const child of node.children) {
        const path = prefix ? `${prefix}.${child.element.name}` : child.element.name;
        if (child.children.length && child.element.converted_type !== 'LIST' && child.element.logical_type?.type !== 'LIST' && child.element.converted_type !== 'MAP') walk(child, path);
        else {
          columns.push(path);
          floats.push(child.element.type === 'FLOAT' || child.element.type === 'DOUBLE');
        }
      }
    };
    walk(schema, '');
    const top = schema.children.map((c) => c.element.name);
    reader.onHeader(columns);
    let row = 0;
    let start = 0;
    for (const group of metadata.row_groups) {
      if (signal?.cancelled) throw new Error('cancelled');
      const end = start + Number(group.num_rows);
      const rows = (await hp.parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end, compressors: compressors as never })) as Record<string, unknown>[];
      for (const r of rows) {
        row++;
        const cells = new Array<string>(columns.length);
        for (let i = 0; i < columns.length; i++) {
          const parts = columns[i].split('.');
          let v: unknown = top.includes(columns[i]) ? r[columns[i]] : r[parts[0]];
          if (!top.includes(columns[i])) for (const p of parts.slice(1)) v = v === null || v === undefined ? v : (v as Record<string, unknown>)[p];
          cells[i] = parquetCell(v, floats[i]);
        }
        reader.onRow(cells, row);
      }
      start = end;
      await new Promise((r) => setImmediate(r));
    }
  } catch (e) {
    if ((e as Error).message === 'cancelled') throw e;
    diagnostics.push({ file: name, severity: 'error', message: `not a readable Parquet file: ${(e as Error).message}` });
  } finally {
    close();
  }
  return { bytes, md5, diagnostics };
}
