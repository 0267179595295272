/** Plain-text tables and value formatting for the CLI's human output. */
import { terminalWidth, visible } from './terminal';

/**
 * A plain-text table: every cell shown with its controls escaped (terminal.ts), clipped to `maxWidth`, and
 * the widest columns narrowed (cells cut with '…') until a row fits `width` — a table never wraps into
 * unreadable lines. Widths are found by loops, not `Math.max(...cells)`: a run may have 130,000 series.
 */
export function formatTable(headers: string[], rows: string[][], maxWidth = 48, width = terminalWidth()): string {
  const head = headers.map(visible);
  const cells = rows.map((r) => r.map((c) => visible(c ?? '')));
  const widths = head.map((h) => Math.min(h.length, maxWidth));
  for (const r of cells) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i], Math.min((r[i] ?? '').length, maxWidth));
  narrow(widths, head, width);
  const clip = (s: string, w: number) => (s.length > w ? s.slice(0, Math.max(0, w - 1)) + '…' : s);
  const line = (r: string[]) => widths.map((w, i) => clip(r[i] ?? '', w).padEnd(w)).join('  ').trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w)))];
  for (const r of cells) out.push(line(r));
  return out.join('\n');
}

/** Narrows the widest column, one character at a time, until the row fits or every column is at its floor. */
function narrow(widths: number[], head: string[], width: number): void {
  if (!Number.isFinite(width)) return;
  // A column keeps at least its header's first few characters.
  const floor = head.map((h, i) => Math.min(widths[i], Math.max(4, Math.min(h.length, 8))));
  let total = widths.reduce((a, b) => a + b, 0) + 2 * Math.max(0, widths.length - 1);
  while (total > width) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) if (widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest])) widest = i;
    if (widest < 0) return;
    widths[widest]--;
    total--;
  }
}

export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

/** A time the run's files do not record (null, or NaN: a point's time in formats without wall times). */
export const UNKNOWN_TIME = 'unknown';

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return UNKNOWN_TIME;
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** A run's duration: unknown without both times; empty while it is running (it has no end yet). */
export function formatRunDuration(r: { status: string; startTime: number | null; endTime: number | null }): string {
  if (r.startTime !== null && r.endTime !== null) return formatDuration(r.endTime - r.startTime);
  return r.status === 'RUNNING' && r.startTime !== null ? '' : UNKNOWN_TIME;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return UNKNOWN_TIME;
  if (ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
