/** Plain-text tables and value formatting for the CLI's human output. */

export function formatTable(headers: string[], rows: string[][], maxWidth = 48): string {
  const clip = (s: string) => (s.length > maxWidth ? s.slice(0, maxWidth - 1) + '…' : s);
  const cells = rows.map((r) => r.map((c) => clip(c.replace(/[\r\n\t]+/g, ' '))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
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
