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
  let i = 0;
  let line = 1;
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
      if (nl < 0) {
        diagnostics.push({ file, line, severity: 'info', message: 'last row has no newline yet (still being written?); it is read once complete' });
        break;
      }
      if (end > i) onRecord(text.slice(i, end).split(delimiter), line);
      i = end + 1;
      line++;
      continue;
    }
    // A record with quotes: RFC 4180, quoted fields may hold delimiters, quotes ("") and newlines.
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
    if (done) onRecord(cells, recordLine);
    else if (inQuotes) diagnostics.push({ file, line: recordLine, severity: 'error', message: 'unterminated quoted field' });
    else diagnostics.push({ file, line: recordLine, severity: 'info', message: 'last row has no newline yet (still being written?); it is read once complete' });
  }
  return diagnostics;
}
