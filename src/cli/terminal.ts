/**
 * What the CLI's human output may send to a terminal. Run names, params, tags, keys and paths come from
 * files anyone can write: an ESC sequence among them could retitle the window, clear the screen or hide
 * text, a bidi override could reorder what is shown. Text output shows each such character escaped and
 * visible (`\x1b`, `\u202e`); `--json` output keeps the exact strings (JSON escapes controls itself).
 */

// C0 controls and DEL, C1 controls, bidi marks/embeddings/overrides/isolates, line and paragraph separators.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
const UNSAFE_BUT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** One value on one line: every control, newline included, escaped. */
export function visible(s: string): string {
  return s.replace(UNSAFE, escape);
}

/** Text of several lines: the newlines kept, every other control escaped. */
export function visibleLines(s: string): string {
  return s.replace(UNSAFE_BUT_NEWLINE, escape);
}

/** Columns a table may use: the terminal's, else $COLUMNS, else no limit (output to a pipe or a file). */
export function terminalWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns > 0) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : Infinity;
}
