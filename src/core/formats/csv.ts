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
  const diagnostics: Diagnostic[] = [];
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Windows text-mode writes of "\r\n" arrive as "\r\r\n": one line break, whatever the run of CRs.
  text = text.replace(/\r+\n?/g, '\n');
  const records: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let field = '';
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endField = () => {
    cells.push(field);
    field = '';
  };
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
    else if (c === delimiter) endField();
    else if (c === '\n' || c === '\r') {
      endField();
      records.push({ cells, line: recordLine });
      cells = [];
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      recordLine = line;
    } else field += c;
    i++;
  }
  if (inQuotes) diagnostics.push({ file, line: recordLine, severity: 'error', message: 'unterminated quoted field' });
  else if (field !== '' || cells.length > 0) {
    diagnostics.push({ file, line: recordLine, severity: 'info', message: 'last row has no newline yet (still being written?); it is read once complete' });
  }
  const nonEmpty = records.filter((r) => !(r.cells.length === 1 && r.cells[0] === ''));
  const [head, ...rows] = nonEmpty;
  return { header: head?.cells ?? [], rows, diagnostics };
}
