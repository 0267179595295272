/**
 * CSV as training loggers write it (Lightning CSVLogger, Keras CSVLogger): RFC 4180 quoting, CRLF or LF,
 * an optional UTF-8 BOM, and a header row. Rows come with their 1-based line number for diagnostics; a last
 * row without its newline is reported as still being written.
 */
import type { Diagnostic } from '../model';

export interface CsvTable {
  header: string[];
  rows: { cells: string[]; line: number }[];
  diagnostics: Diagnostic[];
}

export function parseCsv(text: string, file: string, delimiter = ','): CsvTable {
  const records: { cells: string[]; line: number }[] = [];
  const diagnostics = forEachCsvRecord(text, file, delimiter, (cells, line) => void records.push({ cells, line }));
  const [head, ...rows] = records;
  return { header: head?.cells ?? [], rows, diagnostics };
}

/**
 * Calls `onRecord` for each record (header first) without keeping any: a line with no quote is split as it
 * is (the common case, fast), a quoted record is parsed character by character and may span lines. Empty
 * lines are skipped. Returns the diagnostics (an unterminated quote, a last line still being written).
 */
export function forEachCsvRecord(text: string, file: string, delimiter: string, onRecord: (cells: string[], line: number) => void): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Windows text-mode writes of "\r\n" arrive as "\r\r\n": one line break, whatever the run of CRs.
  if (text.includes('\r')) text = text.replace(/\r+\n?/g, '\n');
  const end = scanCsv(text, 0, 1, delimiter, 'open', onRecord);
  if (end.pos < text.length) {
    diagnostics.push(
      end.unterminated
        ? { file, line: end.line, severity: 'error', message: 'unterminated quoted field' }
        : { file, line: end.line, severity: 'info', message: 'last row has no newline yet (still being written?); it is read once complete' },
    );
  }
  return diagnostics;
}

/**
 * The record scanner under `forEachCsvRecord` and the streaming reader: records of `text` from `pos` (line
 * numbers from `line`), stopping before a record whose end is not in `text`. With `last: 'open'` a last
 * line without its newline is such a record (a logger still writing it, or the next chunk's start); with
 * `'complete'` it is a record (a data file need not end with a newline). Returns where it stopped, the
 * line there, and whether a quoted field was left open. `text` must use `\n` line breaks.
 */
export function scanCsv(
  text: string,
  pos: number,
  line: number,
  delimiter: string,
  last: 'open' | 'complete',
  onRecord: (cells: string[], line: number) => void,
): { pos: number; line: number; unterminated: boolean } {
  let i = pos;
  // The next quote character at or after i (text.length when none): found once, not once per line.
  let quote = -1;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    const end = nl < 0 ? text.length : nl;
    if (quote < i) {
      quote = text.indexOf('"', i);
      if (quote < 0) quote = text.length;
    }
    if (quote > end) {
      if (nl < 0 && last === 'open') return { pos: i, line, unterminated: false };
      if (end > i) onRecord(text.slice(i, end).split(delimiter), line);
      i = end + 1;
      line++;
      continue;
    }
    // A record with quotes: RFC 4180, quoted fields may hold delimiters, quotes ("") and newlines.
    const start = i;
    const cells: string[] = [];
    let field = '';
    let inQuotes = false;
    const recordLine = line;
    let done = false;
    while (i < text.length) {
      const c = text[i];
      if (inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          inQuotes = false;
        } else {
          if (c === '\n') line++;
          field += c;
        }
        i++;
        continue;
      }
      if (c === '"' && field === '') inQuotes = true;
      else if (c === delimiter) {
        cells.push(field);
        field = '';
      } else if (c === '\n') {
        cells.push(field);
        i++;
        line++;
        done = true;
        break;
      } else field += c;
      i++;
    }
    if (!done) {
      if (inQuotes || last === 'open') return { pos: start, line: recordLine, unterminated: inQuotes };
      cells.push(field);
      done = true;
    }
    onRecord(cells, recordLine);
  }
  return { pos: i, line, unterminated: false };
}
