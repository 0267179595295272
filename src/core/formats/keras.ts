/**
 * Keras histories: `CSVLogger` files (`epoch,loss,accuracy,val_loss,…`) and `history` dumps as JSON; one run
 * per file, one point per epoch for every metric.
 */
import * as fs from 'node:fs';
import type { Diagnostic, MetricPoint } from '../model';
import { parsePythonJson } from './json';
import { readTextFile, openRegularFd, readRegularText } from './files';

/** A CSV whose header starts with `epoch` and has no `step` column (that would be a Lightning log). */
export function looksLikeKerasCsv(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openRegularFd(file);
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

/** `json.dump(model.fit(...).history)`: an object of equal-length number lists, in a file named *history*.json. */
export function looksLikeKerasHistoryJson(file: string): boolean {
  if (!/history[^/\\]*\.json$/i.test(file)) return false;
  try {
    if (fs.statSync(file).size > 64 * 1024 * 1024) return false;
    const parsed = parsePythonJson(readRegularText(file), file);
    return isHistory(parsed.value);
  } catch {
    return false;
  }
}

function isHistory(v: unknown): v is Record<string, number[]> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const lists = Object.values(v);
  return lists.length > 0 && lists.every((l) => Array.isArray(l) && l.every((x) => typeof x === 'number')) && Object.keys(v).some((k) => /loss|acc/i.test(k));
}

export function readKerasHistoryJson(file: string): { series: Map<string, MetricPoint[]>; diagnostics: Diagnostic[] } {
  const series = new Map<string, MetricPoint[]>();
  const diagnostics: Diagnostic[] = [];
  const text = readTextFile(file, diagnostics);
  if (text === undefined) return { series, diagnostics };
  const parsed = parsePythonJson(text, file);
  if (!isHistory(parsed.value)) return { series, diagnostics: parsed.diagnostics.length ? parsed.diagnostics : [{ file, severity: 'error', message: 'not a Keras history (an object of number lists)' }] };
  for (const [k, values] of Object.entries(parsed.value)) series.set(k, values.map((value, step) => ({ step, time: NaN, value })));
  return { series, diagnostics: parsed.diagnostics };
}
