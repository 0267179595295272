/**
 * Keras `CSVLogger` histories (`epoch,loss,accuracy,val_loss,…`): one run per file, one point per epoch for
 * every other column.
 */
import * as fs from 'node:fs';
import type { Diagnostic, MetricPoint } from '../model';
import { readMetricsCsv } from './lightning';

/** A CSV whose header starts with `epoch` and has no `step` column (that would be a Lightning log). */
export function looksLikeKerasCsv(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    let head = buf.toString('utf8', 0, n);
    if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
    const first = head.split(/\r?\n/, 1)[0];
    const cols = first.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    return cols[0] === 'epoch' && !cols.includes('step') && cols.length >= 2 && cols.some((c) => /loss|acc|mae|mse|auc|precision|recall/i.test(c));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function readKerasCsv(file: string): { series: Map<string, MetricPoint[]>; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const series = new Map<string, MetricPoint[]>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { series, diagnostics: [{ file, severity: 'error', message: `cannot read: ${(err as Error).message}` }] };
  }
  readMetricsCsv(text, file, 'epoch', series, diagnostics);
  return { series, diagnostics };
}
